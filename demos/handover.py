"""Hand a network chaingrad trained to PyTorch and ONNX Runtime, train it on, and take it back.

    python -m demos.handover                      # 2 epochs here, then 1 epoch in PyTorch
    python -m demos.handover --torch-limit 10000 --processes 4   # a shorter run in 4 processes

1. chaingrad trains the article's 784-16-10 network for ``--epochs`` epochs
   (``python -m demos.mnist``, which saves it to ``--out``/chaingrad.npz; the epoch best on
   validation is read back with ``demos.trained.load_trained``).
2. ``nn.export`` gives the same network as a ``torch.nn.Sequential`` and as an ONNX file
   (``--out``/model.onnx). On the 10,000 test digits the demo prints, for PyTorch and for
   ONNX Runtime, the largest |difference| between their logits and chaingrad's and how many
   digits get the same prediction: a few millionths (float32 rounding, on logits up to
   about 10, summed in another order), and all 10,000.
3. PyTorch trains it on with ``torch.nn.parallel.DistributedDataParallel`` in
   ``--processes`` CPU processes (``torch.multiprocessing.spawn``, the gloo backend over
   TCP on 127.0.0.1, a free port): each process takes its share of the training digits
   (a ``DistributedSampler``) and every step averages the processes' gradients, so two
   processes with batches of 16 take the steps one process would take with batches of 32,
   the size chaingrad trained with. This is the path that scales to many machines: only the
   address changes. Every process ends with the same weights, which the demo checks.
4. ``nn.export.from_torch_state_dict`` loads PyTorch's weights back into the chaingrad
   network, which is evaluated on the test digits again, before and after.

The default run is short (well under a minute on two busy cores); ``--torch-limit`` and
``--torch-epochs`` set how much PyTorch trains. Needs the ``interop`` extra (PyTorch,
onnx, ONNX Runtime). Options are checked before anything runs (a bad one is a usage error,
status 2).
"""

from __future__ import annotations

import argparse
import copy
import io
import math
import socket
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
from autograd.files import write_atomically
from demos import mnist
from demos.common import check_outputs, interrupt_exits
from demos.trained import load_trained
from nn import datasets

MAX_PROCESSES = 16
TRAINING_DIGITS = 60_000 - datasets.VALIDATION_SIZE  # the digits demos.mnist trains on


def make_parser() -> argparse.ArgumentParser:
    """The command line; errors print a short usage line and the message (status 2)."""
    summary, examples, *_ = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(
        prog="python -m demos.handover",
        usage="%(prog)s [options]  (see --help)",
        description=summary
        + '\nFrom the article "一文读懂神经网络" ("Neural networks in one read").',
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--epochs", type=int, default=2, help="epochs chaingrad trains first (default 2)"
    )
    parser.add_argument(
        "--torch-epochs", type=int, default=1, help="epochs PyTorch trains on (default 1)"
    )
    parser.add_argument(
        "--torch-limit",
        type=int,
        default=TRAINING_DIGITS,
        metavar="N",
        help=f"PyTorch trains on the first N of the {TRAINING_DIGITS:,} training digits, "
        "shared among the processes (default: all)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help=f"PyTorch processes, 1 to {MAX_PROCESSES} (default 2)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=16,
        help="digits per step in each PyTorch process (default 16: with 2 processes a step "
        "sees 32, as chaingrad's did)",
    )
    parser.add_argument(
        "--lr", type=float, default=0.5, help="PyTorch's SGD learning rate (default 0.5)"
    )
    parser.add_argument("--seed", type=int, default=0, help="for both trainings (default 0)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="stop the PyTorch processes if they take longer (default 300)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs/handover"),
        help="where the checkpoint, model.onnx and PyTorch's weights go (default runs/handover)",
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, checked: a bad value exits with status 2 and a message naming it."""
    parser = make_parser()
    args = parser.parse_args(argv)
    problem = option_problem(args)
    if problem:
        parser.error(problem)
    check_outputs(parser, out=args.out)
    return args


def option_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, in one line; None if they are fine."""
    for option, value in (
        ("--epochs", args.epochs),
        ("--torch-epochs", args.torch_epochs),
        ("--batch-size", args.batch_size),
    ):
        if value < 1:
            return f"{option} {value}: must be at least 1"
    if not 1 <= args.torch_limit <= TRAINING_DIGITS:
        return f"--torch-limit {args.torch_limit}: must be from 1 to {TRAINING_DIGITS}"
    if not 1 <= args.processes <= MAX_PROCESSES:
        return f"--processes {args.processes}: must be from 1 to {MAX_PROCESSES}"
    if not (math.isfinite(args.lr) and args.lr > 0):
        return f"--lr {args.lr:g}: the learning rate must be a finite number above 0 (e.g. 0.5)"
    if not 0 <= args.seed <= mnist.MAX_SEED:
        return f"--seed {args.seed}: must be from 0 to {mnist.MAX_SEED}"
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        return f"--timeout {args.timeout:g}: must be a number of seconds above 0"
    return None


def interop() -> tuple[Any, Any]:
    """``(torch, onnxruntime)``, or exit (status 1) saying how to install them."""
    try:
        import onnxruntime
        import torch
    except ImportError as error:
        raise SystemExit(
            f"python -m demos.handover: error: {error.name} is not installed; it is part of "
            f"chaingrad's `interop` extra: {nn.export.INSTALL}"
        ) from None
    return torch, onnxruntime


# ------------------------------------------------------------------- the same predictions


@dataclass
class Agreement:
    """How an engine's logits compare with chaingrad's on the same inputs."""

    engine: str
    max_difference: float  # max |Δ logit|
    same_predictions: int  # inputs whose argmax is chaingrad's
    accuracy: float


def compare_engines(model: nn.Module, onnx_path: Path, x: np.ndarray, labels: np.ndarray):
    """chaingrad's logits of ``x`` against PyTorch's (``nn.export.to_torch``) and ONNX
    Runtime's (the file ``onnx_path``): one :class:`Agreement` per engine, chaingrad's first."""
    torch, onnxruntime = interop()
    model.eval()
    with autograd.no_grad():
        ours = model(autograd.Tensor(x)).data
    torch_model = nn.export.to_torch(model)
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(onnx_path), options, providers=["CPUExecutionProvider"]
    )
    (deployed,) = session.run(None, {"input": x})
    engines = [
        ("chaingrad", ours),
        (f"PyTorch {torch.__version__}", theirs),
        (f"ONNX Runtime {onnxruntime.__version__}", deployed),
    ]
    return [
        Agreement(
            name,
            float(np.max(np.abs(logits - ours))),
            int(np.sum(logits.argmax(axis=1) == ours.argmax(axis=1))),
            float(np.mean(logits.argmax(axis=1) == labels)),
        )
        for name, logits in engines
    ]


# ------------------------------------------------------------- PyTorch, several processes


@dataclass
class DistributedRun:
    """What :func:`train_distributed` brings back: each process's final weights (PyTorch's
    layout, NumPy arrays), its mean training loss over the last epoch, the steps each process
    took, and the seconds the whole run took (the processes' start-up included)."""

    states: list[dict[str, np.ndarray]]
    losses: list[float]
    steps: int
    seconds: float
    address: str


@dataclass(frozen=True)
class _Settings:
    processes: int
    address: str
    epochs: int
    batch_size: int
    lr: float
    seed: int
    shuffle: bool
    directory: str


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 now (the kernel picks it), for the processes to meet."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def train_distributed(
    model: Any,
    x: np.ndarray,
    labels: np.ndarray,
    *,
    processes: int = 2,
    epochs: int = 1,
    batch_size: int = 16,
    lr: float = 0.5,
    seed: int = 0,
    shuffle: bool = True,
    timeout: float = 300.0,
) -> DistributedRun:
    """Train the ``torch.nn.Module`` ``model`` (a copy of it; ``model`` is not changed) with
    DistributedDataParallel in ``processes`` CPU processes, and return every process's weights.

    Each process runs :func:`_worker`: it joins the group (gloo backend, over TCP on
    127.0.0.1 at a free port), takes its share of ``(x, labels)`` from a
    ``DistributedSampler`` (every ``processes``-th example, of a permutation drawn from
    ``seed`` each epoch when ``shuffle``), and minimizes the cross-entropy with SGD at
    ``lr`` for ``epochs`` epochs in batches of ``batch_size``. DDP averages the gradients of
    the processes at every step, so all of them take the same step: the one a single process
    would take on their batches together.

    Raises:
        TimeoutError: the processes took longer than ``timeout`` seconds (they are stopped).
        RuntimeError: a process failed (its traceback is in the message).
    """
    import torch
    import torch.multiprocessing

    start = time.perf_counter()
    inputs = torch.from_numpy(np.ascontiguousarray(x))
    targets = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    address = f"tcp://127.0.0.1:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="chaingrad-ddp-") as directory:
        settings = _Settings(processes, address, epochs, batch_size, lr, seed, shuffle, directory)
        context = torch.multiprocessing.spawn(
            _worker,
            args=(settings, model, inputs, targets),
            nprocs=processes,
            join=False,
        )
        _join(context, timeout)
        results = [
            torch.load(Path(directory, f"rank{rank}.pt"), weights_only=True)
            for rank in range(processes)
        ]
    return DistributedRun(
        states=[{key: value.numpy() for key, value in r["state"].items()} for r in results],
        losses=[float(r["loss"]) for r in results],
        steps=int(results[0]["steps"]),
        seconds=time.perf_counter() - start,
        address=address,
    )


def _join(context: Any, timeout: float) -> None:
    """Wait for the spawned processes; stop them all after ``timeout`` seconds."""
    import torch.multiprocessing

    deadline = time.monotonic() + timeout
    try:
        while not context.join(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"train_distributed: the {len(context.processes)} PyTorch processes took "
                    f"longer than {timeout:g} s and were stopped; train on fewer digits or "
                    "allow more time"
                )
    except (
        torch.multiprocessing.ProcessRaisedException,  # an exception in the process
        torch.multiprocessing.ProcessExitedException,  # a crash or a signal
    ) as error:
        raise RuntimeError(f"train_distributed: a PyTorch process failed: {error}") from None
    finally:
        for process in context.processes:
            if process.is_alive():
                process.terminate()
            process.join()


def _worker(rank: int, settings: _Settings, model: Any, inputs: Any, targets: Any) -> None:
    """One process of :func:`train_distributed` (module level, so the spawned process finds it)."""
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    torch.set_num_threads(1)  # the processes share the cores: one thread each
    dist.init_process_group(
        "gloo",
        init_method=settings.address,
        rank=rank,
        world_size=settings.processes,
        timeout=timedelta(seconds=120),
    )
    try:
        # A private copy: the tensors passed to the processes share memory with each other.
        ddp = DistributedDataParallel(copy.deepcopy(model))
        dataset = TensorDataset(inputs, targets)
        sampler = DistributedSampler(
            dataset, settings.processes, rank, shuffle=settings.shuffle, seed=settings.seed
        )
        loader = DataLoader(dataset, batch_size=settings.batch_size, sampler=sampler)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=settings.lr)
        torch.manual_seed(settings.seed + rank)  # dropout masks, if the network has any
        ddp.train()
        steps = 0
        for epoch in range(settings.epochs):
            sampler.set_epoch(epoch)  # a new order every epoch, the same in every process
            loss_sum, count = 0.0, 0
            for x, y in loader:
                loss = F.cross_entropy(ddp(x), y)
                optimizer.zero_grad()
                loss.backward()  # DDP averages the gradients of all the processes here
                optimizer.step()
                loss_sum += loss.item() * len(x)
                count += len(x)
                steps += 1
        state = {key: value.detach().clone() for key, value in ddp.module.state_dict().items()}
        result = {"state": state, "loss": loss_sum / max(count, 1), "steps": steps}
        torch.save(result, Path(settings.directory, f"rank{rank}.pt"))
        dist.barrier()  # no process leaves while another still talks to it
    finally:
        dist.destroy_process_group()


# ------------------------------------------------------------------------------- the demo


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the demo with command-line ``argv``; returns its figures as a dict.

    Raises:
        SystemExit: status 2 for a bad option; status 1 when the interop extra or the MNIST
            data is missing, or when the PyTorch processes fail or time out.
    """
    args = parse_args(argv)
    torch, _ = interop()
    torch.set_num_threads(1)  # a network this small gains nothing from more (README, Threads)
    result: dict[str, Any] = {}

    checkpoint = args.out / "chaingrad.npz"
    print(
        f"1. chaingrad trains the article's network ({args.epochs} epochs, python -m demos.mnist)"
    )
    options = ["--epochs", str(args.epochs), "--seed", str(args.seed), "--no-figures", "--quiet"]
    trained = mnist.main([*options, "--checkpoint", str(checkpoint)])
    model, _ = load_trained(mnist.best_path(checkpoint))

    data = mnist.load_data()
    test_x = datasets.to_float(data.test_images)
    onnx_path = nn.export.to_onnx(model, args.out / "model.onnx", (784,))
    print(f"\n2. exported: a torch.nn.Sequential (nn.export.to_torch) and {onnx_path}")
    print(f"   on the {len(test_x):,} test digits, against chaingrad's logits:")
    agreements = compare_engines(model, onnx_path, test_x, data.test_labels)
    for agreement in agreements[1:]:
        print(
            f"   {agreement.engine:<22} max |Δ logits| {agreement.max_difference:.2e}, same "
            f"predicted digit for {agreement.same_predictions:,} of {len(test_x):,}, "
            f"test accuracy {agreement.accuracy:.2%}"
        )
    before = agreements[0].accuracy
    result["agreement"] = [vars(agreement) for agreement in agreements]

    (train_images, train_labels), _ = data.validation_split(datasets.VALIDATION_SIZE)
    x = datasets.to_float(train_images[: args.torch_limit])
    labels = train_labels[: args.torch_limit]
    print(
        f"\n3. PyTorch trains on: DistributedDataParallel, {args.processes} CPU processes "
        f"(gloo), {args.torch_epochs} epoch(s) of {len(x):,} digits, batches of "
        f"{args.processes} × {args.batch_size}, SGD lr {args.lr:g}"
    )
    try:
        run = train_distributed(
            nn.export.to_torch(model),
            x,
            labels,
            processes=args.processes,
            epochs=args.torch_epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            timeout=args.timeout,
        )
    except (TimeoutError, RuntimeError) as error:
        raise SystemExit(f"python -m demos.handover: error: {error}") from None
    spread = max(
        float(np.max(np.abs(state[key] - run.states[0][key])))
        for state in run.states
        for key in state
    )
    print(
        f"   {run.steps} steps in each process, training loss {np.mean(run.losses):.4f}, "
        f"{run.seconds:.1f} s with start-up (met at {run.address}); the processes' weights "
        f"differ by at most {spread:g}"
    )
    weights = args.out / "torch_state.pt"
    buffer = io.BytesIO()
    torch.save({key: torch.from_numpy(value) for key, value in run.states[0].items()}, buffer)
    write_atomically(weights, buffer.getvalue())  # as checkpoints are written

    nn.export.from_torch_state_dict(torch.load(weights, weights_only=True), model)
    predictions = mnist.evaluate(model, data.test_images, data.test_labels)
    after = float(np.mean(predictions == data.test_labels))
    print(f"\n4. back in chaingrad (nn.export.from_torch_state_dict, from {weights}):")
    print(f"   test accuracy {before:.2%} before PyTorch's training, {after:.2%} after")
    result.update(
        chaingrad_test_accuracy=trained["test_accuracy"],
        before=before,
        after=after,
        ddp_seconds=run.seconds,
        ddp_steps=run.steps,
        ddp_weight_spread=spread,
    )
    return result


if __name__ == "__main__":
    with interrupt_exits():
        main()
