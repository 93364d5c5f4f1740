"""Scalar engine vs micrograd on micrograd's own demo: one full training step.

The workload is micrograd's ``demo.ipynb``: an MLP 2-16-16-1 (ReLU hidden layers, linear
output) on 100 two-moons points with labels ±1, max-margin loss ``(1 - y·score).relu()``
averaged plus 1e-4 L2 regularization ``Σ p²``, and plain SGD with ``lr = 1 - 0.9·k/100``.
A step is forward, backward and update, timed for three engines, interleaved step by step:

* ``micrograd`` - micrograd 0.1.0's own ``MLP`` and the notebook's loss code;
* ``chaingrad plain ops`` - the same code written against chaingrad's ``Value`` (Python
  ``sum()`` over ``w * x`` products, no fused nodes), starting from micrograd's weights;
* ``chaingrad idiomatic`` - ``nn.MLP`` (fused ``weighted_sum`` per neuron), ``sum_values`` for
  the loss and ``nn.optim.SGD``, from the same weights;
* ``chaingrad plain ops, gc_paused()`` and ``nn.MLP, gc_paused()`` - the two chaingrad steps
  inside ``with autograd.gc_paused():`` (the collector paused while the graph is built and
  backpropagated; with the collector off, they are the same steps as the two above).

Each is timed with Python's garbage collector on (as users run it) and off
(``gc.disable()`` during the step). Freeing a step's garbage is charged to the engine that
made it: after every step an explicit ``gc.collect()`` runs on the engine's clock and is
timed on its own. micrograd keeps a reference cycle per node (each node's ``_backward``
closure holds the node), so its graphs are freed only by a collection; a graph without cycles
is freed by reference counting when the step returns, inside the step's time. A collection
walks every live object in the process, whoever owns it, so the same collection is also timed
with nothing to free ("idle", just before the step); an engine is charged step + (collection
- idle, or 0 if that is negative), and the ratios to micrograd are taken on that charge (and,
for reference, on the step alone). An untimed collection before every step starts each from
a clean heap.

Peak memory of one step per engine is measured in separate runs under ``tracemalloc`` (its
tracing slows Python down, so it never runs while steps are timed): the peak of traced
allocations during the step, above what was allocated when the step began.

Finally, backward through a chain of 1,000,000 Values (micrograd's recursive topological
sort fails near 1,000; shown at depth 5,000), timed (median of 3 passes), and in a separate
run its traced memory per node: the graph's, and the peak backward adds to it.

Compiled rows (graph capture: ``autograd.capture`` traces the step once and replays it)
come from ``compiled_trainers``: each is timed, measured and reported like the others, and
its capture time and memory go to ``results["compiled"]``.

Run: ``python benchmarks/scalar_step.py [--steps N] [--quick] [--json PATH]``.
Needs ``pip install micrograd==0.1.0``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

# Run as a script, this file must measure the checkout it lives in, not an installed copy.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import nn  # noqa: E402
from autograd import Value, capture, gc_paused, sum_values  # noqa: E402
from benchmarks.machine import describe, summary  # noqa: E402

try:
    import micrograd.engine as micrograd_engine
    import micrograd.nn as micrograd_nn
except ImportError:  # reported in main(), with the command that installs it
    micrograd_engine = micrograd_nn = None

SIZES = [16, 16, 1]
REGULARIZATION = 1e-4
CHAIN_LENGTH = 1_000_000
MICROGRAD_CHAIN_LENGTH = 5_000


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as ``sklearn.datasets.make_moons``; labels ±1."""
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    angle_outer = np.linspace(0.0, np.pi, n_outer)
    angle_inner = np.linspace(0.0, np.pi, n_inner)
    outer = np.stack([np.cos(angle_outer), np.sin(angle_outer)], axis=1)
    inner = np.stack([1.0 - np.cos(angle_inner), 0.5 - np.sin(angle_inner)], axis=1)
    points = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    labels = np.concatenate([-np.ones(n_outer), np.ones(n_inner)])
    return points, labels


def learning_rate(k: int) -> float:
    """The notebook's schedule, from 1.0 down to 0.1 over 100 steps."""
    return 1.0 - 0.9 * k / 100


# ------------------------------------------------------------------ micrograd


class MicrogradTrainer:
    """micrograd's notebook, verbatim apart from names."""

    name = "micrograd"

    def __init__(self, points: np.ndarray, labels: np.ndarray, seed: int) -> None:
        random.seed(seed)  # micrograd's Neuron draws its weights from the random module
        self.model = micrograd_nn.MLP(2, list(SIZES))
        self.points = points.tolist()
        self.labels = labels.tolist()
        self.k = 0

    def step(self) -> float:
        value = micrograd_engine.Value
        inputs = [list(map(value, row)) for row in self.points]
        scores = list(map(self.model, inputs))
        losses = [(1 + -y * s).relu() for y, s in zip(self.labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = REGULARIZATION * sum(p * p for p in self.model.parameters())
        total_loss = data_loss + reg_loss
        self.model.zero_grad()
        total_loss.backward()
        lr = learning_rate(self.k)
        for p in self.model.parameters():
            p.data -= lr * p.grad
        self.k += 1
        return total_loss.data

    def weights(self) -> list[list[tuple[list[float], float]]]:
        """Per layer, per neuron: (weights, bias) as floats."""
        return [
            [([w.data for w in n.w], n.b.data) for n in layer.neurons]
            for layer in self.model.layers
        ]


# ------------------------------------------------------------------ chaingrad


class PlainOpsTrainer:
    """The same notebook code against chaingrad's Value: ``sum()`` of ``w * x``, no fusion."""

    name = "chaingrad plain ops"

    def __init__(self, points, labels, weights) -> None:
        self.layers = [[([Value(w) for w in ws], Value(b)) for ws, b in layer] for layer in weights]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]
        self.points = points.tolist()
        self.labels = labels.tolist()
        self.k = 0

    def forward(self, x: list[Value]) -> Value:
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            outputs = []
            for ws, b in layer:
                act = sum((wi * xi for wi, xi in zip(ws, x)), b)
                outputs.append(act if index == last else act.relu())
            x = outputs
        return x[0]

    def parameters(self) -> list[Value]:
        return self.params

    def loss(self, points: list, labels: list) -> Value:
        """The notebook's loss: mean max-margin loss plus L2, with plain ops."""
        scores = list(map(self.forward, points))
        losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = REGULARIZATION * sum(p * p for p in self.params)
        return data_loss + reg_loss

    def step(self) -> float:
        inputs = [list(map(Value, row)) for row in self.points]
        total_loss = self.loss(inputs, self.labels)
        for p in self.params:
            p.grad = 0.0
        total_loss.backward()
        return self.update(total_loss.data)

    def update(self, loss: float) -> float:
        """The notebook's SGD step on the gradients in ``.grad``; returns ``loss``."""
        lr = learning_rate(self.k)
        for p in self.params:
            p.data -= lr * p.grad
        self.k += 1
        return loss


class IdiomaticTrainer:
    """chaingrad as its docs suggest: nn.MLP (fused neurons), sum_values, nn.optim.SGD."""

    name = "chaingrad idiomatic"

    def __init__(self, points, labels, weights) -> None:
        self.model = nn.MLP(2, SIZES, activation="relu")
        self.model.load_state_dict(_state_dict(weights))
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=1.0)
        self.points = points.tolist()  # plain floats: inputs need no nodes
        self.labels = labels.tolist()
        self.k = 0

    def parameters(self) -> list[Value]:
        return self.optimizer.params

    def loss(self, points: list, labels: list) -> Value:
        """The same loss with fused neurons and ``sum_values``."""
        scores = [self.model(x)[0] for x in points]
        losses = [(1.0 - y * s).relu() for y, s in zip(labels, scores)]
        data_loss = sum_values(losses) * (1.0 / len(losses))
        reg_loss = sum_values([p * p for p in self.optimizer.params]) * REGULARIZATION
        return data_loss + reg_loss

    def step(self) -> float:
        total_loss = self.loss(self.points, self.labels)
        self.optimizer.zero_grad()
        total_loss.backward()
        return self.update(total_loss.data)

    def update(self, loss: float) -> float:
        """``nn.optim.SGD``'s step at the notebook's learning rate; returns ``loss``."""
        self.optimizer.lr = learning_rate(self.k)
        self.optimizer.step()
        self.k += 1
        return loss


class PausedPlainOpsTrainer(PlainOpsTrainer):
    """The plain-ops step inside ``with gc_paused():``."""

    name = "chaingrad plain ops, gc_paused()"

    def step(self) -> float:
        with gc_paused():
            return super().step()


class PausedIdiomaticTrainer(IdiomaticTrainer):
    """The nn.MLP step inside ``with gc_paused():``."""

    name = "nn.MLP, gc_paused()"

    def step(self) -> float:
        with gc_paused():
            return super().step()


def _state_dict(weights) -> dict[str, np.ndarray]:
    """micrograd's per-neuron weights as chaingrad's MLP state dict ((in, out) per layer)."""
    state = {}
    for k, layer in enumerate(weights):
        state[f"{2 * k}.weight"] = np.array([ws for ws, _ in layer]).T
        state[f"{2 * k}.bias"] = np.array([b for _, b in layer])
    return state


# ------------------------------------------------------------------ compiled


class _Captured:
    """A trainer whose loss is traced once by ``autograd.capture`` and replayed each step.

    Mixed in before a trainer class with ``loss(points, labels)``, ``update(loss)`` and
    ``parameters()``: the captured step takes the points and labels as its inputs (the
    same numbers every step here, as in micrograd's notebook), fills ``.grad`` bit for bit
    as ``backward()`` would, and the trainer's own update follows.
    """

    def __init__(self, points, labels, weights) -> None:
        super().__init__(points, labels, weights)  # the trainer mixed in after this class
        start = time.perf_counter()
        self.replay = self._capture()
        self.compile_seconds = time.perf_counter() - start

    def _capture(self):
        return capture(lambda data: self.loss(*data), self.parameters(), [self.points, self.labels])

    def compile_seconds_repeated(self, repeats: int = 3) -> list[float]:
        """The capture timed ``repeats`` times in all: the one made at construction and
        ``repeats - 1`` more (the machine's noise moves a single timing by a third)."""
        seconds = [self.compile_seconds]
        for _ in range(repeats - 1):
            gc.collect()
            start = time.perf_counter()
            self._capture()
            seconds.append(time.perf_counter() - start)
        return seconds

    @property
    def compile_peak_bytes(self) -> int:
        """tracemalloc's peak while capturing the same step again (apart from the timing)."""
        gc.collect()
        tracemalloc.start()
        try:
            self._capture()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def step(self) -> float:
        for p in self.parameters():
            p.grad = 0.0
        return self.update(self.replay([self.points, self.labels]))


class CapturedPlainOpsTrainer(_Captured, PlainOpsTrainer):
    """The plain-ops step, captured once and replayed."""

    name = "chaingrad plain ops, captured"


class CapturedIdiomaticTrainer(_Captured, IdiomaticTrainer):
    """The nn.MLP step, captured once and replayed."""

    name = "nn.MLP, captured"


def compiled_trainers(points: np.ndarray, labels: np.ndarray, weights) -> list:
    """The trainers whose step is traced once and replayed (``autograd.capture``).

    Each has the others' interface (``name``, ``step() -> loss``), starts from ``weights``,
    and also has ``compile_seconds`` (the capture's time; ``compile_seconds_repeated`` times
    it again) and ``compile_peak_bytes`` (its traced memory, measured in a separate
    capture), which ``run`` copies into ``results["compiled"]`` (the median of three
    timings, and each).
    """
    return [
        CapturedPlainOpsTrainer(points, labels, weights),
        CapturedIdiomaticTrainer(points, labels, weights),
    ]


# ------------------------------------------------------------------ timing

ROW_NOTE = {
    "micrograd": "micrograd 0.1.0 MLP + the notebook's loss and update",
    "chaingrad plain ops": "the same code on chaingrad Values: sum() of w * x, no fused nodes",
    "chaingrad idiomatic": "nn.MLP (one fused node per neuron), sum_values, nn.optim.SGD",
    "chaingrad plain ops, gc_paused()": "chaingrad plain ops inside `with gc_paused():`",
    "nn.MLP, gc_paused()": "chaingrad idiomatic inside `with gc_paused():`",
    "chaingrad plain ops, captured": "the plain-ops step traced once by autograd.capture, "
    "replayed as compiled code (the same .grad bit for bit), then the same update",
    "nn.MLP, captured": "the nn.MLP step traced once by autograd.capture and replayed",
}
NAME_WIDTH = max(map(len, ROW_NOTE))  # the report's first column
TIMING_NOTE = (
    "step = forward + backward + update; collect = an explicit gc.collect() timed right "
    "after each step; idle = the same collection with nothing to free, timed before the "
    "step (walking the live heap, the same for every engine); charged = step + "
    "max(collect - idle, 0), each engine paying for freeing its own (cyclic) garbage; "
    "ratios are micrograd's median over ours, on charged and on the step alone"
)


def time_steps(trainers: list, steps: int, gc_enabled: bool) -> dict[str, dict[str, list]]:
    """Run ``steps`` steps of every trainer, interleaved; seconds per step and per collection.

    Also checks that all trainers compute the same loss (they start from the same weights
    and do the same arithmetic), so that the comparison is of equal work.
    """
    times = {t.name: {"step": [], "collect": [], "idle_collect": []} for t in trainers}
    was_enabled = gc.isenabled()
    clock = time.perf_counter
    try:
        for _ in range(steps):
            losses = []
            for trainer in trainers:
                gc.collect()  # untimed: start every step from the same clean heap
                start = clock()
                gc.collect()  # timed, with nothing to free: the cost of walking the heap
                idle = clock() - start
                if not gc_enabled:
                    gc.disable()
                start = clock()
                losses.append(trainer.step())
                stepped = clock()
                gc.collect()  # timed: the garbage this step left is this engine's to free
                collected = clock()
                gc.enable()
                times[trainer.name]["step"].append(stepped - start)
                times[trainer.name]["collect"].append(collected - stepped)
                times[trainer.name]["idle_collect"].append(idle)
            # Same weights, same arithmetic: equal up to the order of floating-point sums.
            if not all(math.isclose(loss, losses[0], rel_tol=1e-6) for loss in losses):
                raise RuntimeError(f"engines disagree on the loss: {losses}")
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()
    return times


def step_peak_bytes(trainers: list) -> dict[str, int]:
    """Peak traced memory of one step per trainer (after one untraced warm-up step each).

    The peak is counted above what was allocated when tracing started, so it is the step's
    own working memory: its graph, gradients and temporaries.
    """
    for trainer in trainers:
        trainer.step()
    peaks = {}
    for trainer in trainers:
        gc.collect()
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            trainer.step()
            gc.collect()  # micrograd's graph is freed here, inside the traced window
            peaks[trainer.name] = tracemalloc.get_traced_memory()[1] - baseline
        finally:
            tracemalloc.stop()
    return peaks


def chain(engine: Any, length: int) -> tuple[Any, Any]:
    """``x`` and ``y = x + 1 + 1 + ...`` (``length`` additions) on ``engine``'s Value."""
    x = engine(0.0)
    y = x
    for _ in range(length):
        y = y + 1.0
    return x, y


def time_chain(length: int, repeats: int = 3) -> tuple[float, float]:
    """Seconds to build ``x + 1 + 1 + ...`` (length nodes), and the median of ``repeats``
    backward passes through it (calling backward() again on one graph is allowed)."""
    start = time.perf_counter()
    x, y = chain(Value, length)
    built = time.perf_counter() - start
    seconds = []
    for _ in range(repeats):
        x.grad = 0.0
        start = time.perf_counter()
        y.backward()
        seconds.append(time.perf_counter() - start)
        if x.grad != 1.0:
            raise RuntimeError(f"chain backward gave ∂y/∂x = {x.grad}, expected 1")
    return built, statistics.median(seconds)


def micrograd_chain_fails(length: int) -> str:
    """Backward through micrograd's ``x + 1 + 1 + ...``; the error it raises, or "ok"."""
    _, y = chain(micrograd_engine.Value, length)
    try:
        y.backward()
    except RecursionError as error:
        return f"RecursionError: {error}"
    return "ok"


def chain_peak_bytes(length: int) -> tuple[int, int]:
    """Traced memory of ``x + 1 + 1 + ...`` (length nodes): the graph itself, and the peak
    that backward() adds to it (its walk, and the nodes' gradients)."""
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        x, y = chain(Value, length)
        graph = tracemalloc.get_traced_memory()[0] - baseline
        tracemalloc.reset_peak()
        before_backward = tracemalloc.get_traced_memory()[0]
        y.backward()
        backward = tracemalloc.get_traced_memory()[1] - before_backward
    finally:
        tracemalloc.stop()
    del x, y
    gc.collect()
    return graph, backward


def new_trainers(seed: int, points: int = 100) -> list:
    """micrograd, chaingrad's four steps (two also inside gc_paused()), two captured ones."""
    points, labels = two_moons(points, seed=seed)
    reference = MicrogradTrainer(points, labels, seed)
    weights = reference.weights()
    return [
        reference,
        PlainOpsTrainer(points, labels, weights),
        IdiomaticTrainer(points, labels, weights),
        PausedPlainOpsTrainer(points, labels, weights),
        PausedIdiomaticTrainer(points, labels, weights),
        *compiled_trainers(points, labels, weights),
    ]


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def run(steps: int, seed: int = 1337, chain_length: int = CHAIN_LENGTH, points: int = 100) -> dict:
    """Time every engine with gc on and off, measure peak memory; the medians and ratios."""
    results: dict = {
        "machine": describe(),
        "steps": steps,
        "points": points,
        "rows": dict(ROW_NOTE),
        "timing": TIMING_NOTE,
        "modes": {},
    }
    for mode, gc_enabled in (("gc_on", True), ("gc_off", False)):
        trainers = new_trainers(seed, points)
        times = time_steps(trainers, steps, gc_enabled)
        numbers: dict = {
            "ms_per_step": {},
            "ms_per_collect": {},
            "ms_per_idle_collect": {},
            "ms_charged": {},
        }
        for name, t in times.items():
            numbers["ms_per_step"][name] = _median_ms(t["step"])
            numbers["ms_per_collect"][name] = _median_ms(t["collect"])
            numbers["ms_per_idle_collect"][name] = _median_ms(t["idle_collect"])
            numbers["ms_charged"][name] = _median_ms(
                [s + max(c - i, 0.0) for s, c, i in zip(t["step"], t["collect"], t["idle_collect"])]
            )
        for key, figure in (
            ("speedup_vs_micrograd", "ms_charged"),
            ("speedup_vs_micrograd_step_only", "ms_per_step"),
        ):
            reference = numbers[figure]["micrograd"]
            numbers[key] = {
                name: reference / ms for name, ms in numbers[figure].items() if name != "micrograd"
            }
        results["modes"][mode] = numbers
        del trainers
        gc.collect()
    trainers = new_trainers(seed, points)
    results["compiled"] = {}
    for t in trainers:
        if hasattr(t, "compile_seconds"):
            each = t.compile_seconds_repeated()
            results["compiled"][t.name] = {
                "compile_seconds": statistics.median(each),
                "compile_seconds_each": each,
                "compile_peak_bytes": t.compile_peak_bytes,
            }
    results["compiled"] = results["compiled"] or None
    results["peak_step_bytes"] = step_peak_bytes(trainers)
    del trainers
    gc.collect()
    build, backward = time_chain(chain_length)
    gc.collect()
    graph_bytes, backward_bytes = chain_peak_bytes(chain_length)
    results["chain"] = {
        "length": chain_length,
        "build_seconds": build,
        "backward_seconds": backward,
        "graph_bytes_per_node": graph_bytes / chain_length,
        "backward_peak_bytes_per_node": backward_bytes / chain_length,
        "peak_bytes": graph_bytes + backward_bytes,
        "peak_bytes_per_node": (graph_bytes + backward_bytes) / chain_length,
        "micrograd_depth": MICROGRAD_CHAIN_LENGTH,
        "micrograd_result": micrograd_chain_fails(MICROGRAD_CHAIN_LENGTH),
    }
    return results


def report(results: dict) -> str:
    """The results as a small table, with what each row includes."""
    lines = [summary(results["machine"])]
    lines.append(
        f"micrograd's demo step (MLP 2-16-16-1, {results['points']} moons), "
        f"median of {results['steps']} "
        "steps, engines interleaved"
    )
    for name, note in results["rows"].items():
        lines.append(f"  {name:<{NAME_WIDTH}} {note}")
    lines.append(f"  {TIMING_NOTE}")
    for mode, numbers in results["modes"].items():
        lines.append(
            f"{mode.replace('_', ' '):<{NAME_WIDTH + 2}}{'step ms':>9}{'collect ms':>11}"
            f"{'idle ms':>9}{'charged ms':>11}{'x micrograd':>12}{'(step only)':>12}"
        )
        for name, step in numbers["ms_per_step"].items():
            ratio = numbers["speedup_vs_micrograd"].get(name)
            ratio_step = numbers["speedup_vs_micrograd_step_only"].get(name)
            suffix = "" if ratio is None else f"{ratio:11.1f}x{ratio_step:11.1f}x"
            lines.append(
                f"  {name:<{NAME_WIDTH}}{step:9.1f}{numbers['ms_per_collect'][name]:11.1f}"
                f"{numbers['ms_per_idle_collect'][name]:9.1f}"
                f"{numbers['ms_charged'][name]:11.1f}{suffix}"
            )
    lines.append("peak traced memory of one step (tracemalloc, separate untimed runs, gc on):")
    for name, peak in results["peak_step_bytes"].items():
        lines.append(f"  {name:<{NAME_WIDTH}}{peak / 1e6:9.2f} MB")
    if results["compiled"]:
        for name, figures in results["compiled"].items():
            lines.append(
                f"  {name}: compile {figures['compile_seconds'] * 1000:.1f} ms (median of "
                f"{', '.join(f'{x * 1000:.0f}' for x in figures['compile_seconds_each'])}), "
                f"{figures['compile_peak_bytes'] / 1e6:.2f} MB traced"
            )
    chain = results["chain"]
    lines.append(
        f"chain of {chain['length']:,} Values: build {chain['build_seconds']:.2f} s, "
        f"backward {chain['backward_seconds']:.2f} s (median of 3); traced per node "
        f"(separate run): graph {chain['graph_bytes_per_node']:.0f} bytes, backward's peak "
        f"{chain['backward_peak_bytes_per_node']:.0f} more, "
        f"{chain['peak_bytes_per_node']:.0f} in all"
    )
    message = chain["micrograd_result"]
    lines.append(f"micrograd, chain of {chain['micrograd_depth']:,}: {message[:70]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="timed steps per gc mode (default 15)")
    parser.add_argument(
        "--quick", action="store_true", help="3 steps per mode and a chain of 100,000 Values"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    steps = args.steps if args.steps is not None else (3 if args.quick else 15)
    if steps < 1:
        parser.error("--steps must be at least 1")
    if micrograd_engine is None:
        print(
            "micrograd is not installed; install the version this compares against with:\n"
            "    pip install micrograd==0.1.0",
            file=sys.stderr,
        )
        return 1
    results = run(steps, chain_length=100_000 if args.quick else CHAIN_LENGTH)
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
