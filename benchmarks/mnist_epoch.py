"""Seconds per MNIST training step and epoch: chaingrad's Tensor path, hand-written NumPy, PyTorch.

    python -m benchmarks.mnist_epoch                       # all workloads, 1 BLAS thread, 5 epochs
    python -m benchmarks.mnist_epoch --quick               # 2 epochs on 10,000 digits, a smoke run
    python -m benchmarks.mnist_epoch --workloads A-ce B --epochs 3 --threads 1 2 --json out.json

Every peer trains the same network from the same initial weights (PyTorch's default
U(±1/√fan_in), drawn once from the seed) on the same batches (one shuffle per epoch from the
seed, last partial batch kept), in float32, with the loss averaged over the batch. The peers:

* ``ours``: chaingrad — ``nn.feedforward`` (each hidden Linear fused with its activation),
  the fused loss, ``nn.optim``; the step includes ``optimizer.zero_grad()`` and
  ``optimizer.step()``.
* ``numpy``: the hand-written MLP of :mod:`benchmarks.numpy_mlp` — manual backprop into
  preallocated buffers, in-place updates, no autograd: the cost of the arithmetic alone.
* ``torch``: PyTorch CPU, the idiomatic loop — ``torch.nn.Sequential``, ``F.cross_entropy``,
  ``torch.optim``; the step includes ``optimizer.zero_grad(set_to_none=True)`` and
  ``optimizer.step()`` with their Python machinery.
* ``torch-manual``: the same PyTorch model and loss with a hand-written update under
  ``torch.no_grad()`` (``p.add_(p.grad, alpha=-lr)``, i.e. ``p -= lr * p.grad`` without the
  temporary, momentum and Adam written out the same way), then ``p.grad = None``.

What is timed, per epoch: every training step (forward, backward, update on a batch that is
already float32) with its own clock, and apart from it the loader (gathering the batch's rows
and converting uint8 → float32), the same code for every peer. Reported: the median step,
the epoch's total of steps (loader excluded) and the loader's total. Ratios to NumPy are
paired: each epoch's figure divided by the same epoch's NumPy figure, then the median of
those ratios, so that a slow spell on a shared machine slows both sides of a ratio.

Each peer runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its own, and the
BLAS thread count is fixed there before NumPy is imported (OMP/OPENBLAS/MKL_NUM_THREADS, plus
``torch.set_num_threads``); the worker reports the count threadpoolctl sees. The parent
interleaves the peers epoch by epoch (rotating who goes first).

* ``ours-compiled``: the ``ours`` step captured (:func:`autograd.capture_tensor`: traced
  once, then replayed on each batch, bit for bit the same numbers), with the same
  ``nn.optim`` update and ``zero_grad()``. The capture (one trace on a batch of zeros, and
  its check against the engine) is timed in the worker and reported as its compile time,
  after one untimed forward pass that sets BLAS up (the process's first matrix product);
  the epoch's last, smaller batch is traced once more inside its step, which is timed.

PyTorch is an optional peer: ``pip install torch==2.13.0``. Without it the others still run.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Run as a script (``python benchmarks/mnist_epoch.py``), this file must measure the checkout it
# lives in, and find the ``benchmarks`` package: put the checkout first on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Workload:
    """One network and how it is trained."""

    sizes: tuple[int, ...]
    activation: str
    loss: str  # "ce": softmax cross-entropy; "mse": sigmoid outputs, ½‖a − onehot‖²
    optimizer: str  # "sgd" or "adam"
    lr: float
    batch_size: int
    momentum: float = 0.0


WORKLOADS: dict[str, Workload] = {
    "A-ce": Workload((784, 16, 10), "sigmoid", "ce", "sgd", lr=0.5, batch_size=32),
    "A-mse": Workload((784, 16, 10), "sigmoid", "mse", "sgd", lr=3.0, batch_size=32),
    "B": Workload((784, 128, 10), "relu", "ce", "sgd", lr=0.05, batch_size=64, momentum=0.9),
    "C": Workload((784, 512, 256, 10), "relu", "ce", "adam", lr=1e-3, batch_size=128),
}
PEERS = ("ours", "ours-compiled", "numpy", "torch", "torch-manual")
TORCH_HINT = "pip install torch==2.13.0"

# A training step: float32 images (B, 784) in [0, 1] and int64 labels (B,) -> the batch's loss.
Step = Callable[[np.ndarray, np.ndarray], float]
# Class predictions for float32 images.
Predict = Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------- shared by peers


def load_mnist():
    """The MNIST arrays (uint8 images (N, 784), int64 labels) from :mod:`nn.datasets`."""
    from nn.datasets import mnist

    return mnist()


def initial_state(sizes: tuple[int, ...], seed: int) -> dict[str, np.ndarray]:
    """Float32 initial weights, keyed as ``nn.Sequential`` keys them, drawn as nn.Linear does."""
    from nn.init import uniform_fan_in

    rng = np.random.default_rng(seed)
    state = {}
    for k, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        state[f"{2 * k}.weight"] = uniform_fan_in((fan_in, fan_out), fan_in, rng).astype(np.float32)
        state[f"{2 * k}.bias"] = uniform_fan_in((fan_out,), fan_in, rng).astype(np.float32)
    return state


class Batches:
    """Float32 batches of shuffled training images, gathered into reused buffers: the loader.

    One permutation per epoch from ``rng``; the last, partial batch is kept. Pixels are
    uint8 in storage and scaled to [0, 1] as each batch is gathered, exactly as
    ``nn.datasets.batches`` does, but into buffers reused from batch to batch. Every peer
    uses this same loader, and its time is measured apart from the training step's.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int):
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.rng = np.random.default_rng(seed)
        self._pixels: dict[int, np.ndarray] = {}
        self._floats: dict[int, np.ndarray] = {}

    def epoch(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = self.rng.permutation(len(self.images))
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            n = len(index)
            if n not in self._pixels:
                self._pixels[n] = np.empty((n, self.images.shape[1]), dtype=np.uint8)
                self._floats[n] = np.empty((n, self.images.shape[1]), dtype=np.float32)
            np.take(self.images, index, axis=0, out=self._pixels[n])
            np.divide(self._pixels[n], np.float32(255.0), out=self._floats[n])  # as to_float
            yield self._floats[n], self.labels[index]


# --------------------------------------------------------------------------------- the peers


def _our_network(workload: Workload, state: dict[str, np.ndarray]) -> tuple[Any, Any, Any]:
    """chaingrad's network for ``workload`` with the weights ``state``, its optimizer and
    its loss function."""
    import nn

    output = "sigmoid" if workload.loss == "mse" else None
    model = nn.feedforward(workload.sizes[0], workload.sizes[1:], workload.activation, output)
    model.load_state_dict(state)
    params = model.parameters()
    if workload.optimizer == "sgd":
        optimizer = nn.optim.SGD(params, lr=workload.lr, momentum=workload.momentum)
    else:
        optimizer = nn.optim.Adam(params, lr=workload.lr)
    loss_fn = nn.cross_entropy if workload.loss == "ce" else nn.quadratic_cost
    return model, optimizer, loss_fn


def make_ours(workload: Workload, state: dict[str, np.ndarray]) -> tuple[Step, Predict]:
    """chaingrad: nn.Sequential (each hidden Linear fused with its activation), fused losses,
    nn.optim."""
    import autograd

    model, optimizer, loss_fn = _our_network(workload, state)

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        loss = loss_fn(model(autograd.Tensor(x)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.data)

    def predict(x: np.ndarray) -> np.ndarray:
        with autograd.no_grad():
            return model(autograd.Tensor(x)).data.argmax(axis=1)

    return step, predict


def make_ours_compiled(workload: Workload, state: dict[str, np.ndarray]) -> tuple[Step, Predict]:
    """chaingrad as ``make_ours``, the forward and backward captured once and replayed.

    The step returned has a ``compile_seconds`` attribute: how long the capture took.
    """
    import autograd
    from autograd.capture_tensor import capture_tensor

    model, optimizer, loss_fn = _our_network(workload, state)

    def loss_of(x: np.ndarray, labels: np.ndarray) -> autograd.Tensor:
        return loss_fn(model(x), labels)

    x0 = np.zeros((workload.batch_size, workload.sizes[0]), dtype=np.float32)
    labels0 = np.zeros(workload.batch_size, dtype=np.int64)
    # The process's first matrix product sets BLAS up (its buffers, its threads): up to a
    # few hundred ms here, which is not the capture's. One forward pass pays for it first.
    with autograd.no_grad():
        model(x0)
    start = time.perf_counter()
    replay = capture_tensor(loss_of, model.parameters(), (x0, labels0))
    compile_seconds = time.perf_counter() - start

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = replay(x, labels)
        optimizer.step()
        return loss

    step.compile_seconds = compile_seconds  # type: ignore[attr-defined]

    def predict(x: np.ndarray) -> np.ndarray:
        with autograd.no_grad():
            return model(autograd.Tensor(x)).data.argmax(axis=1)

    return step, predict


def make_numpy(workload: Workload, state: dict[str, np.ndarray]) -> tuple[Step, Predict]:
    """The hand-written NumPy MLP of :mod:`benchmarks.numpy_mlp`."""
    from benchmarks.numpy_mlp import NumpyMLP

    model = NumpyMLP(
        workload.sizes,
        activation=workload.activation,
        loss=workload.loss,
        optimizer=workload.optimizer,
        lr=workload.lr,
        momentum=workload.momentum,
    )
    model.load_state_dict(state)
    return model.train_step, model.predict


def make_torch(
    workload: Workload, state: dict[str, np.ndarray], manual_update: bool = False
) -> tuple[Step, Predict]:
    """PyTorch CPU: torch.nn.Sequential and F.cross_entropy; torch.optim, or a hand-written update.

    With ``manual_update`` the step updates the parameters itself under ``torch.no_grad()``
    (SGD, PyTorch's momentum form, or bias-corrected Adam, all with in-place tensor ops) and
    sets ``p.grad = None``, so the optimizer's and zero_grad's Python machinery is not timed.
    """
    import torch
    import torch.nn.functional as F

    activations = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
    layers: list[torch.nn.Module] = []
    pairs = list(itertools.pairwise(workload.sizes))
    for k, (fan_in, fan_out) in enumerate(pairs):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if k < len(pairs) - 1:
            layers.append(activations[workload.activation]())
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for k in range(len(pairs)):
            # torch stores (out, in); chaingrad (in, out).
            model[2 * k].weight.copy_(torch.from_numpy(state[f"{2 * k}.weight"].T.copy()))
            model[2 * k].bias.copy_(torch.from_numpy(state[f"{2 * k}.bias"]))
    params = list(model.parameters())
    classes = workload.sizes[-1]

    def loss_of(x: np.ndarray, labels: np.ndarray) -> torch.Tensor:
        out = model(torch.from_numpy(x))
        target = torch.from_numpy(labels)
        if workload.loss == "ce":
            return F.cross_entropy(out, target)
        error = torch.sigmoid(out) - F.one_hot(target, classes).to(out.dtype)
        return 0.5 * (error * error).sum(dim=1).mean()

    if not manual_update:
        if workload.optimizer == "sgd":
            optimizer = torch.optim.SGD(params, lr=workload.lr, momentum=workload.momentum)
        else:
            optimizer = torch.optim.Adam(params, lr=workload.lr)

        def step(x: np.ndarray, labels: np.ndarray) -> float:
            loss = loss_of(x, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            return loss.item()

    else:
        update = _torch_manual_update(workload, params)

        def step(x: np.ndarray, labels: np.ndarray) -> float:
            loss = loss_of(x, labels)
            loss.backward()
            with torch.no_grad():
                update()
            for p in params:
                p.grad = None
            return loss.item()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).argmax(dim=1).numpy()

    return step, predict


def _torch_manual_update(workload: Workload, params: list) -> Callable[[], None]:
    """The update a PyTorch user writes by hand, in place; call it under ``torch.no_grad()``."""
    import torch

    lr = workload.lr
    if workload.optimizer == "sgd" and not workload.momentum:

        def sgd() -> None:
            for p in params:
                p.add_(p.grad, alpha=-lr)  # p -= lr * p.grad, without the temporary

        return sgd
    if workload.optimizer == "sgd":
        velocity = [torch.zeros_like(p) for p in params]

        def momentum() -> None:
            for p, v in zip(params, velocity):
                v.mul_(workload.momentum).add_(p.grad)  # v = μv + g
                p.add_(v, alpha=-lr)

        return momentum
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    count = [0]

    def adam() -> None:
        count[0] += 1
        c1, c2 = 1.0 - beta1 ** count[0], 1.0 - beta2 ** count[0]
        for p, m, v in zip(params, first, second):
            m.mul_(beta1).add_(p.grad, alpha=1.0 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1.0 - beta2)
            denominator = v.sqrt().div_(math.sqrt(c2)).add_(eps)
            p.addcdiv_(m, denominator, value=-lr / c1)

    return adam


# One maker per peer.
MAKERS: dict[str, Callable[..., tuple[Step, Predict]]] = {
    "ours": make_ours,
    "ours-compiled": make_ours_compiled,
    "numpy": make_numpy,
    "torch": make_torch,
    "torch-manual": lambda workload, state: make_torch(workload, state, manual_update=True),
}

LEGEND = {
    "ours": "chaingrad Tensors: nn.feedforward (hidden Linear + activation fused), fused loss, "
    "nn.optim (zero_grad + step included)",
    "ours-compiled": "the same, the forward and backward captured once and replayed "
    "(autograd.capture_tensor); compile time reported apart",
    "numpy": "hand-written NumPy MLP (benchmarks/numpy_mlp.py): manual backprop, "
    "preallocated buffers, in-place update",
    "torch": "PyTorch CPU, torch.optim: optimizer.zero_grad(set_to_none=True) and "
    "optimizer.step() machinery included",
    "torch-manual": "PyTorch CPU, hand-written in-place update under torch.no_grad(), "
    "then p.grad = None (no torch.optim)",
}
TIMING_NOTE = (
    "step = forward + backward + update on a ready float32 batch (median over the epoch); "
    "epoch = total of the epoch's steps, loader excluded; loader = batch gather + "
    "uint8->float32, same code for every peer; ratios are paired per epoch (same epoch "
    "divided), then the median over epochs"
)


# ------------------------------------------------------------------------- worker subprocess


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KB)."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 if sys.platform != "darwin" else kilobytes / 2**20


def _reply(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def train_epoch(step: Step, batches: Batches) -> dict:
    """One epoch with the loader and each step timed apart; the epoch's figures."""
    step_seconds: list[float] = []
    loader_seconds = 0.0
    total_loss = 0.0
    clock = time.perf_counter
    epoch = batches.epoch()
    start = clock()
    while True:
        before_batch = clock()
        batch = next(epoch, None)
        before_step = clock()
        loader_seconds += before_step - before_batch
        if batch is None:
            break
        total_loss += step(*batch)
        step_seconds.append(clock() - before_step)
    wall = clock() - start
    return {
        "wall_seconds": wall,
        "loader_seconds": loader_seconds,
        "train_seconds": math.fsum(step_seconds),
        "step_median_seconds": statistics.median(step_seconds),
        "steps": len(step_seconds),
        "train_loss": total_loss / len(step_seconds),
    }


def worker(peer: str, workload_name: str, threads: int, seed: int, limit: int | None) -> None:
    """Serve the parent over stdin/stdout: "epoch" trains one epoch, "finish" evaluates."""
    if peer.startswith("torch"):
        import torch

        torch.set_num_threads(threads)
    np.seterr(over="ignore")  # σ(z) = 1/(1+e^{-z}) overflows to the right answer, 0
    from benchmarks.machine import blas_threads

    workload = WORKLOADS[workload_name]
    data = load_mnist()
    images, labels = data.train_images[:limit], data.train_labels[:limit]
    step, predict = MAKERS[peer](workload, initial_state(workload.sizes, seed))
    batches = Batches(images, labels, workload.batch_size, seed + 1)
    from nn.datasets import to_float

    test_images = to_float(data.test_images)
    ready = {"ready": True, "blas_threads": blas_threads()}
    if hasattr(step, "compile_seconds"):
        ready["compile_seconds"] = step.compile_seconds
    _reply(ready)
    for command in sys.stdin:
        if command.strip() == "epoch":
            _reply(train_epoch(step, batches))
        elif command.strip() == "finish":
            accuracy = float(np.mean(predict(test_images) == data.test_labels))
            _reply({"test_accuracy": accuracy, "peak_rss_mb": peak_rss_mb()})
            return


# ------------------------------------------------------------------------------------ parent

EPOCH_FIGURES = ("wall_seconds", "loader_seconds", "train_seconds", "step_median_seconds")


class Peer:
    """A worker subprocess running one peer on one workload at a fixed thread count."""

    def __init__(
        self, peer: str, workload: str, threads: int, seed: int, limit: int | None
    ) -> None:
        env = dict(os.environ)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "benchmarks.mnist_epoch", "--worker", peer]
        command += ["--workloads", workload, "--threads", str(threads), "--seed", str(seed)]
        if limit is not None:
            command += ["--limit", str(limit)]
        self.name = peer
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
        )
        self.epochs: list[dict] = []
        self.ready: dict = {}

    def ask(self, command: str) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        if command:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise RuntimeError(f"benchmark worker {self.name!r} exited with status {code}")
        return json.loads(line)

    def start(self) -> None:
        self.ready = self.ask("")  # wait until data and model are ready

    def epoch(self) -> dict:
        figures = self.ask("epoch")
        self.epochs.append(figures)
        return figures

    def close(self) -> None:
        """Close the pipes and reap the worker (killing it if it has not finished)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()

    def finish(self) -> dict:
        result = self.ask("finish")
        self.close()
        per_epoch = {name: [e[name] for e in self.epochs] for name in EPOCH_FIGURES}
        return {
            "median": {name: statistics.median(values) for name, values in per_epoch.items()},
            "per_epoch": per_epoch,
            "steps_per_epoch": self.epochs[0]["steps"],
            "train_loss": [e["train_loss"] for e in self.epochs],
            "blas_threads": self.ready.get("blas_threads"),
            "compile_seconds": self.ready.get("compile_seconds"),
            **result,
        }


def paired_ratio(results: dict, a: str, b: str, figure: str) -> float | None:
    """Median over epochs of ``a``'s figure divided by ``b``'s in the same epoch."""
    if a not in results or b not in results:
        return None
    pairs = zip(results[a]["per_epoch"][figure], results[b]["per_epoch"][figure])
    return statistics.median(x / y for x, y in pairs)


OURS = ("ours", "ours-compiled")


def ratios(results: dict) -> dict[str, float]:
    """Ours (and ours compiled) against each other peer, per step and per epoch (loader
    excluded), paired per epoch."""
    table = {}
    for ours in OURS:
        for other in results:
            if other in OURS:
                continue
            for key, figure in (("step", "step_median_seconds"), ("epoch", "train_seconds")):
                value = paired_ratio(results, ours, other, figure)
                if value is not None:
                    table[f"{ours}/{other} {key}"] = value
    if "ours-compiled" in results:
        for key, figure in (("step", "step_median_seconds"), ("epoch", "train_seconds")):
            value = paired_ratio(results, "ours-compiled", "ours", figure)
            if value is not None:
                table[f"ours-compiled/ours {key}"] = value
    return table


def run_workload(
    name: str, peers: list[str], threads: int, epochs: int, seed: int, limit: int | None
) -> dict:
    """Interleave the peers epoch by epoch; return each peer's figures and the ratios."""
    running = [Peer(peer, name, threads, seed, limit) for peer in peers]
    try:
        for peer in running:
            peer.start()
        for epoch in range(epochs):
            shift = epoch % len(running)
            for peer in running[shift:] + running[:shift]:
                figures = peer.epoch()
                print(
                    f"  {name:5s} {threads}T epoch {epoch + 1:2d}  {peer.name:13s}"
                    f" step {figures['step_median_seconds'] * 1e3:7.3f} ms"
                    f"  steps {figures['train_seconds']:7.3f} s"
                    f"  loader {figures['loader_seconds']:6.3f} s"
                    f"  loss {figures['train_loss']:.4f}",
                    flush=True,
                )
        results = {peer.name: peer.finish() for peer in running}
    finally:
        for peer in running:
            if not peer.process.stdout.closed:
                peer.close()
    return {"peers": results, "ratios": ratios(results)}


def format_tables(report: dict, peers: list[str]) -> str:
    """The report as one table per thread count: figures per peer, then ratios per workload."""
    lines = []
    for threads, by_workload in report.items():
        seen = {
            f"{library} {count}"
            for outcome in by_workload.values()
            for result in outcome["peers"].values()
            for library, count in (result["blas_threads"] or {}).items()
        }
        lines.append(
            f"\nBLAS threads: {threads} (threadpoolctl in the workers: "
            f"{', '.join(sorted(seen)) or 'unknown'}; torch.set_num_threads({threads}))"
        )
        lines.append("medians over epochs")
        header = f"{'workload':9s}{'peer':13s}{'step ms':>9s}{'steps s/ep':>11s}"
        header += f"{'loader s/ep':>12s}{'peak MB':>9s}{'test acc':>10s}"
        lines.append(header)
        for name, outcome in by_workload.items():
            for peer in peers:
                r = outcome["peers"][peer]
                m = r["median"]
                lines.append(
                    f"{name:9s}{peer:13s}{m['step_median_seconds'] * 1e3:9.3f}"
                    f"{m['train_seconds']:11.3f}{m['loader_seconds']:12.3f}"
                    f"{r['peak_rss_mb']:9.0f}{r['test_accuracy']:10.2%}"
                )
        for ours in OURS:
            if ours not in peers:
                continue
            others = [p for p in peers if p not in OURS]
            if ours == "ours-compiled" and "ours" in peers:
                others.append("ours")
            if not others:
                continue
            lines.append(f"ratios {ours}/peer, paired per epoch (median): step | epoch")
            width = max(22, *(len(f"{ours}/{p}") + 2 for p in others))
            lines.append(
                f"{'workload':9s}" + "".join(f"{ours + '/' + p:>{width}s}" for p in others)
            )
            for name, outcome in by_workload.items():
                row = f"{name:9s}"
                for p in others:
                    step = outcome["ratios"].get(f"{ours}/{p} step")
                    epoch = outcome["ratios"].get(f"{ours}/{p} epoch")
                    cell = f"{step:.2f}x | {epoch:5.2f}x" if step is not None else "-"
                    row += f"{cell:>{width}s}"
                lines.append(row)
        for name, outcome in by_workload.items():
            seconds = outcome["peers"].get("ours-compiled", {}).get("compile_seconds")
            if seconds is not None:
                lines.append(f"{name:9s}ours-compiled: compile (capture) {seconds * 1e3:.1f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, help="epochs per peer (default 5; --quick: 2)")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument("--threads", nargs="+", type=int, default=[1], help="BLAS thread counts")
    parser.add_argument("--peers", nargs="+", default=list(PEERS), choices=PEERS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--limit", type=int, help="train on the first N digits only (default all; --quick: 10000)"
    )
    parser.add_argument("--quick", action="store_true", help="2 epochs on 10,000 digits")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.workloads[0], args.threads[0], args.seed, args.limit)
        return
    epochs = args.epochs if args.epochs is not None else (2 if args.quick else 5)
    limit = args.limit if args.limit is not None else (10_000 if args.quick else None)
    if epochs < 1 or (limit is not None and limit < 1):
        parser.error("--epochs and --limit must be at least 1")

    from benchmarks.machine import describe, summary

    peers = list(args.peers)
    if importlib.util.find_spec("torch") is None:
        print(f"PyTorch is not installed, so it is left out; to compare with it: {TORCH_HINT}")
        peers = [p for p in peers if not p.startswith("torch")]
    machine = describe()
    print(summary(machine))
    print(f"epochs: {epochs}, training digits: {limit or 'all 60,000'}, seed {args.seed}")
    for peer in peers:
        print(f"  {peer:14s}{LEGEND[peer]}")
    print("  " + TIMING_NOTE)
    if "ours-compiled" in peers:
        print("  compiled rows: ours-compiled (compile time: the capture, reported below)")
    else:
        print("  compiled rows: none in this run (add --peers ours-compiled)")
    report: dict[int, dict] = {}
    for threads in args.threads:
        report[threads] = {}
        for name in args.workloads:
            report[threads][name] = run_workload(name, peers, threads, epochs, args.seed, limit)
    print(format_tables(report, peers))
    if args.json:
        payload = {
            "machine": machine,
            "epochs": epochs,
            "limit": limit,
            "seed": args.seed,
            "peers": {peer: LEGEND[peer] for peer in peers},
            "timing": TIMING_NOTE,
            "compiled": (
                {
                    name: outcome["peers"]["ours-compiled"]["compile_seconds"]
                    for name, outcome in report[args.threads[0]].items()
                }
                if "ours-compiled" in peers
                else None
            ),
            "workloads": {name: WORKLOADS[name].__dict__ for name in args.workloads},
            "threads": {str(t): r for t, r in report.items()},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
