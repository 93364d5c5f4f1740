"""Seconds per MNIST epoch: chaingrad's Tensor path, a hand-written NumPy MLP, and PyTorch CPU.

    python -m benchmarks.mnist_epoch                       # all workloads, 1 and 2 threads
    python -m benchmarks.mnist_epoch --workloads A-ce B --epochs 3 --threads 1 --json out.json

Every peer trains the same network from the same initial weights (PyTorch's default
U(±1/√fan_in), drawn once from the seed) on the same batches (one shuffle per epoch from the
seed, last partial batch kept), in float32, on all 60,000 training digits, with the loss
averaged over the batch. Seconds per epoch is the wall time of the training loop only (batch
gather, forward, backward, update), and the figure reported is the median over the epochs.

Each peer runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its own, and the
BLAS thread count is fixed there before NumPy is imported (OMP/OPENBLAS/MKL_NUM_THREADS, plus
``torch.set_num_threads``). The parent interleaves the peers epoch by epoch (rotating who goes
first), so a noisy neighbour on a shared machine slows everyone alike.

PyTorch is an optional peer: ``pip install torch==2.13.0``. Without it the others still run.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np


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
PEERS = ("ours", "numpy", "torch")
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
    """Float32 batches of shuffled training images, gathered into reused buffers.

    One permutation per epoch from ``rng``; the last, partial batch is kept. Pixels are
    uint8 in storage and scaled to [0, 1] as each batch is gathered, exactly as
    ``nn.datasets.batches`` does, but into buffers reused from batch to batch — the same
    gather for every peer, so it adds the same small cost to each.
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


def make_ours(workload: Workload, state: dict[str, np.ndarray]) -> tuple[Step, Predict]:
    """chaingrad: nn.Sequential of fused Linear layers, fused losses, nn.optim."""
    import autograd
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


def make_torch(workload: Workload, state: dict[str, np.ndarray]) -> tuple[Step, Predict]:
    """PyTorch CPU: torch.nn.Sequential, F.cross_entropy, torch.optim — the idiomatic loop."""
    import torch
    import torch.nn.functional as F

    activations = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
    layers: list[torch.nn.Module] = []
    pairs = list(zip(workload.sizes[:-1], workload.sizes[1:]))
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
    if workload.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=workload.lr, momentum=workload.momentum)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=workload.lr)
    classes = workload.sizes[-1]

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        out = model(torch.from_numpy(x))
        target = torch.from_numpy(labels)
        if workload.loss == "ce":
            loss = F.cross_entropy(out, target)
        else:
            error = torch.sigmoid(out) - F.one_hot(target, classes).to(out.dtype)
            loss = 0.5 * (error * error).sum(dim=1).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).argmax(dim=1).numpy()

    return step, predict


MAKERS = {"ours": make_ours, "numpy": make_numpy, "torch": make_torch}


# ------------------------------------------------------------------------- worker subprocess


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KB)."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 if sys.platform != "darwin" else kilobytes / 2**20


def _reply(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def worker(peer: str, workload_name: str, threads: int, seed: int) -> None:
    """Serve the parent over stdin/stdout: "epoch" trains one epoch, "finish" evaluates."""
    if peer == "torch":
        import torch

        torch.set_num_threads(threads)
    np.seterr(over="ignore")  # σ(z) = 1/(1+e^{-z}) overflows to the right answer, 0
    workload = WORKLOADS[workload_name]
    data = load_mnist()
    step, predict = MAKERS[peer](workload, initial_state(workload.sizes, seed))
    batches = Batches(data.train_images, data.train_labels, workload.batch_size, seed + 1)
    from nn.datasets import to_float

    test_images = to_float(data.test_images)
    _reply({"ready": True})
    for command in sys.stdin:
        if command.strip() == "epoch":
            total, count = 0.0, 0
            start = time.perf_counter()
            for x, labels in batches.epoch():
                total += step(x, labels)
                count += 1
            seconds = time.perf_counter() - start
            _reply({"seconds": seconds, "train_loss": total / count})
        elif command.strip() == "finish":
            accuracy = float(np.mean(predict(test_images) == data.test_labels))
            _reply({"test_accuracy": accuracy, "peak_rss_mb": peak_rss_mb()})
            return


# ------------------------------------------------------------------------------------ parent


class Peer:
    """A worker subprocess running one peer on one workload at a fixed thread count."""

    def __init__(self, peer: str, workload: str, threads: int, seed: int) -> None:
        env = dict(os.environ)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
        root = Path(__file__).resolve().parent.parent
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "benchmarks.mnist_epoch", "--worker", peer]
        command += ["--workloads", workload, "--threads", str(threads), "--seed", str(seed)]
        self.name = peer
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root, env=env
        )
        self.seconds: list[float] = []
        self.train_loss: list[float] = []
        self.result: dict = {}

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

    def epoch(self) -> float:
        reply = self.ask("epoch")
        self.seconds.append(reply["seconds"])
        self.train_loss.append(reply["train_loss"])
        return reply["seconds"]

    def finish(self) -> dict:
        self.result = self.ask("finish")
        self.process.wait()
        return {
            "seconds_per_epoch": statistics.median(self.seconds),
            "seconds": self.seconds,
            "train_loss": self.train_loss,
            **self.result,
        }


def run_workload(name: str, peers: list[str], threads: int, epochs: int, seed: int) -> dict:
    """Interleave the peers epoch by epoch; return each peer's figures."""
    running = [Peer(peer, name, threads, seed) for peer in peers]
    for peer in running:
        peer.ask("")  # wait until data and model are ready
    for epoch in range(epochs):
        shift = epoch % len(running)
        for peer in running[shift:] + running[:shift]:
            seconds = peer.epoch()
            print(
                f"  {name:5s} {threads}T epoch {epoch + 1:2d}  {peer.name:5s} {seconds:7.3f} s"
                f"  loss {peer.train_loss[-1]:.4f}",
                flush=True,
            )
    return {peer.name: peer.finish() for peer in running}


def ratio(results: dict, a: str, b: str) -> str:
    if a in results and b in results:
        return f"{results[a]['seconds_per_epoch'] / results[b]['seconds_per_epoch']:.2f}x"
    return "-"


def print_table(report: dict, peers: list[str]) -> None:
    for threads, by_workload in report.items():
        print(f"\nBLAS threads: {threads}   (s/epoch = median over epochs)")
        header = f"{'workload':8s}" + "".join(f"{p + ' s':>9s}" for p in peers)
        header += f"{'ours/np':>9s}{'ours/torch':>11s}"
        header += "".join(f"{p + ' MB':>10s}" for p in peers)
        header += "".join(f"{p + ' acc':>11s}" for p in peers)
        print(header)
        for name, results in by_workload.items():
            row = f"{name:8s}"
            row += "".join(f"{results[p]['seconds_per_epoch']:9.3f}" for p in peers)
            row += f"{ratio(results, 'ours', 'numpy'):>9s}{ratio(results, 'ours', 'torch'):>11s}"
            row += "".join(f"{results[p]['peak_rss_mb']:10.0f}" for p in peers)
            row += "".join(f"{results[p]['test_accuracy']:11.2%}" for p in peers)
            print(row)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--peers", nargs="+", default=list(PEERS), choices=PEERS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.workloads[0], args.threads[0], args.seed)
        return

    peers = list(args.peers)
    if "torch" in peers and importlib.util.find_spec("torch") is None:
        print(f"PyTorch is not installed, so it is left out; to compare with it: {TORCH_HINT}")
        peers.remove("torch")
    report: dict[int, dict] = {}
    for threads in args.threads:
        report[threads] = {}
        for name in args.workloads:
            report[threads][name] = run_workload(name, peers, threads, args.epochs, args.seed)
    print_table(report, peers)
    if args.json:
        payload = {
            "epochs": args.epochs,
            "seed": args.seed,
            "workloads": {name: WORKLOADS[name].__dict__ for name in args.workloads},
            "threads": {str(t): r for t, r in report.items()},
        }
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
