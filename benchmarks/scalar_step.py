"""Scalar engine vs micrograd on micrograd's own demo: one full training step.

The workload is micrograd's ``demo.ipynb``: an MLP 2-16-16-1 (ReLU hidden layers, linear
output) on 100 two-moons points with labels ±1, max-margin loss ``(1 - y·score).relu()``
averaged plus 1e-4 L2 regularization ``Σ p²``, and plain SGD with ``lr = 1 - 0.9·k/100``.
A step is forward, backward and update, timed for three engines, interleaved step by step:

* ``micrograd`` - micrograd 0.1.0's own ``MLP`` and the notebook's loss code;
* ``chaingrad plain ops`` - the same code written against chaingrad's ``Value`` (Python
  ``sum()`` over ``w * x`` products, no fused nodes), starting from micrograd's weights;
* ``chaingrad idiomatic`` - ``nn.MLP`` (fused ``weighted_sum`` per neuron), ``sum_values`` for
  the loss and ``nn.optim.SGD``, from the same weights.

Each is timed with Python's garbage collector on (as users run it) and off
(``gc.disable()`` while timing); the median over ``--steps`` steps is reported. A full
collection runs, untimed, before every timed step so that one engine's garbage is never
collected on another engine's clock.

Finally, backward through a chain of 1,000,000 Values (micrograd's recursive topological
sort fails near 1,000; shown at depth 5,000).

Run: ``python benchmarks/scalar_step.py [--steps N] [--json PATH]``.
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
from pathlib import Path

import numpy as np

import nn
from autograd import Value, sum_values

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

    def step(self) -> float:
        inputs = [list(map(Value, row)) for row in self.points]
        scores = list(map(self.forward, inputs))
        losses = [(1 + -y * s).relu() for y, s in zip(self.labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = REGULARIZATION * sum(p * p for p in self.params)
        total_loss = data_loss + reg_loss
        for p in self.params:
            p.grad = 0.0
        total_loss.backward()
        lr = learning_rate(self.k)
        for p in self.params:
            p.data -= lr * p.grad
        self.k += 1
        return total_loss.data


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

    def step(self) -> float:
        scores = [self.model(x)[0] for x in self.points]
        losses = [(1.0 - y * s).relu() for y, s in zip(self.labels, scores)]
        data_loss = sum_values(losses) * (1.0 / len(losses))
        reg_loss = sum_values([p * p for p in self.optimizer.params]) * REGULARIZATION
        total_loss = data_loss + reg_loss
        self.optimizer.zero_grad()
        total_loss.backward()
        self.optimizer.lr = learning_rate(self.k)
        self.optimizer.step()
        self.k += 1
        return total_loss.data


def _state_dict(weights) -> dict[str, np.ndarray]:
    """micrograd's per-neuron weights as chaingrad's MLP state dict ((in, out) per layer)."""
    state = {}
    for k, layer in enumerate(weights):
        state[f"{2 * k}.weight"] = np.array([ws for ws, _ in layer]).T
        state[f"{2 * k}.bias"] = np.array([b for _, b in layer])
    return state


# ------------------------------------------------------------------ timing


def time_steps(trainers: list, steps: int, gc_enabled: bool) -> dict[str, list[float]]:
    """Run ``steps`` steps of every trainer, interleaved; seconds per step, by name.

    Also checks that all trainers compute the same loss (they start from the same weights
    and do the same arithmetic), so that the comparison is of equal work.
    """
    times: dict[str, list[float]] = {t.name: [] for t in trainers}
    was_enabled = gc.isenabled()
    try:
        for _ in range(steps):
            losses = []
            for trainer in trainers:
                gc.collect()  # untimed: start every step from the same clean heap
                if not gc_enabled:
                    gc.disable()
                start = time.perf_counter()
                losses.append(trainer.step())
                times[trainer.name].append(time.perf_counter() - start)
                gc.enable()
            # Same weights, same arithmetic: equal up to the order of floating-point sums.
            if not all(math.isclose(loss, losses[0], rel_tol=1e-6) for loss in losses):
                raise RuntimeError(f"engines disagree on the loss: {losses}")
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()
    return times


def time_chain(length: int) -> tuple[float, float]:
    """Seconds to build and to backpropagate through ``x + 1 + 1 + ...`` (length nodes)."""
    start = time.perf_counter()
    x = Value(0.0)
    y = x
    for _ in range(length):
        y = y + 1.0
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    if x.grad != 1.0:
        raise RuntimeError(f"chain backward gave ∂y/∂x = {x.grad}, expected 1")
    return built - start, done - built


def micrograd_chain_fails(length: int) -> str:
    """Backward through micrograd's ``x + 1 + 1 + ...``; the error it raises, or "ok"."""
    x = micrograd_engine.Value(0.0)
    y = x
    for _ in range(length):
        y = y + 1.0
    try:
        y.backward()
    except RecursionError as error:
        return f"RecursionError: {error}"
    return "ok"


def new_trainers(seed: int) -> list:
    points, labels = two_moons(seed=seed)
    reference = MicrogradTrainer(points, labels, seed)
    weights = reference.weights()
    return [
        reference,
        PlainOpsTrainer(points, labels, weights),
        IdiomaticTrainer(points, labels, weights),
    ]


def run(steps: int, seed: int = 1337) -> dict:
    """Time every engine with gc on and off; return the medians and ratios."""
    results: dict = {"steps": steps, "python": sys.version.split()[0], "modes": {}}
    for mode, gc_enabled in (("gc_on", True), ("gc_off", False)):
        times = time_steps(new_trainers(seed), steps, gc_enabled)
        medians = {name: statistics.median(t) for name, t in times.items()}
        reference = medians["micrograd"]
        results["modes"][mode] = {
            "seconds_per_step": medians,
            "speedup_vs_micrograd": {
                name: reference / t for name, t in medians.items() if name != "micrograd"
            },
        }
        gc.collect()
    build, backward = time_chain(CHAIN_LENGTH)
    gc.collect()
    results["chain"] = {
        "length": CHAIN_LENGTH,
        "build_seconds": build,
        "backward_seconds": backward,
        "micrograd_depth": MICROGRAD_CHAIN_LENGTH,
        "micrograd_result": micrograd_chain_fails(MICROGRAD_CHAIN_LENGTH),
    }
    return results


def report(results: dict) -> str:
    """The results as a small table."""
    lines = [f"micrograd's demo step (MLP 2-16-16-1, 100 moons), median of {results['steps']}"]
    for mode, numbers in results["modes"].items():
        lines.append(f"  {mode.replace('_', ' ')}:")
        seconds = numbers["seconds_per_step"]
        for name, t in seconds.items():
            ratio = numbers["speedup_vs_micrograd"].get(name)
            suffix = "" if ratio is None else f"   {ratio:6.1f}x micrograd"
            lines.append(f"    {name:<22} {t * 1000:9.1f} ms/step{suffix}")
    chain = results["chain"]
    lines.append(
        f"chain of {chain['length']:,} Values: build {chain['build_seconds']:.2f} s, "
        f"backward {chain['backward_seconds']:.2f} s"
    )
    message = chain["micrograd_result"]
    lines.append(f"micrograd, chain of {chain['micrograd_depth']:,}: {message[:70]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=11, help="timed steps per gc mode")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    if micrograd_engine is None:
        print(
            "micrograd is not installed; install the version this compares against with:\n"
            "    pip install micrograd==0.1.0",
            file=sys.stderr,
        )
        return 1
    results = run(args.steps)
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
