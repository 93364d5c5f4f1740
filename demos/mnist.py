"""Train a multilayer perceptron on MNIST's handwritten digits — the article's example.

    python -m demos.mnist                        # 784-16-10, sigmoid, cross-entropy, SGD 0.5
    python -m demos.mnist --loss mse             # the same network with the article's MSE cost
    python -m demos.mnist --hidden 512 256 --activation relu --optimizer adamw --epochs 20
    python -m demos.mnist --evaluate runs/mnist/model.npz   # a saved network on the test set
    python -m demos.mnist --engine scalar --limit 64   # scalar Values vs Tensors, same steps

The 60,000 training digits are split as practitioners do (Nielsen's 50,000 / 10,000): the
network trains on the first 50,000 and each epoch prints the training loss, the accuracy on
the 10,000 held-out validation digits and the seconds it took. The epoch with the best
validation accuracy is kept, and only that network meets the 10,000 test digits, once, at
the end: the test set never chooses anything. The figures (loss and accuracy curves,
confusion matrix, misclassified digits, the first layer's weights as 28x28 images) go to
``--out`` (default runs/mnist). Training is deterministic given ``--seed``: the initial
weights come from it and epoch e shuffles (and drops out) with generators seeded by
(seed, e), so ``--resume`` continues a run exactly.

Nothing is lost to a mistake: every option, the ``--resume`` file (it must be a checkpoint of
this network trained with the same options, or ``--override-hyperparameters`` is needed) and
every output path (written to as a probe) is checked before the data is read, and refused
with a two-line usage message (status 2). Ctrl-C stops with status 130, saying where the
last checkpoint is.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import resource
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
from demos.common import (
    blas_threads,
    check_writable,
    new_figure,
    output_dir,
    output_problem,
    path_kind,
    same_file,
    save_figure,
    write_json,
)
from demos.trained import network
from nn import datasets

DEFAULT_LR = {"sgd": {"ce": 0.5, "mse": 3.0}, "adam": {"ce": 1e-3, "mse": 1e-3}}
DEFAULT_LR["adamw"] = DEFAULT_LR["adam"]
CLASSES = 10
LOSS_NAMES = {"ce": "cross-entropy", "mse": "quadratic cost"}
LOSS_FORMULAS = {"ce": "cross-entropy −log softmax(z)ᵧ", "mse": "quadratic cost ½‖σ(z) − y‖²"}

DEFAULT_THREADS = 1
"""BLAS threads by default. Measured on a 2-core machine with the default 784-16-10 network
(README, "Threads"): one thread is as fast as two when the machine is idle and much faster
when it is busy, because the matrix products of a small network are too small to share."""


HYPERPARAMETERS = (
    "hidden",
    "activation",
    "loss",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "dropout",
    "shift",
    "schedule",
    "batch_size",
    "seed",
    "limit",
    "validation",
)
"""The options a checkpoint records: ``--resume`` refuses others unless overridden."""

HISTORY = ("validation_accuracy", "train_loss", "seconds")
"""The per-epoch figures a checkpoint carries, so a resumed run's curves start at epoch 1."""

MAX_PARAMETERS = 100_000_000
"""Networks larger than this (0.4 GB of float32 weights, as much again per gradient and
optimizer moment) are refused before anything is allocated."""

MAX_SEED = 2**63 - 1  # seeds are stored in checkpoints as int64


def make_parser() -> argparse.ArgumentParser:
    """The command line; errors print a short usage line and the message (status 2)."""
    parser = argparse.ArgumentParser(
        prog="python -m demos.mnist",
        usage="%(prog)s [options]  (see --help)",
        description=__doc__.split("\n\n")[0]
        + ' From the article "一文读懂神经网络" ("Neural networks in one read").',
    )
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=[16],
        metavar="SIZE",
        help="hidden layer sizes (default: 16, the article's)",
    )
    parser.add_argument(
        "--activation",
        choices=[name for name in nn.layers.ACTIVATIONS if name != "linear"],
        default="sigmoid",
        help="the hidden layers' activation (default: sigmoid, the article's)",
    )
    parser.add_argument(
        "--loss",
        choices=["ce", "mse"],
        default="ce",
        help="ce: softmax cross-entropy; mse: sigmoid outputs and ½‖a − onehot‖²",
    )
    parser.add_argument(
        "--optimizer",
        choices=["sgd", "adam", "adamw"],
        default="sgd",
        help="sgd (default), adam, or adamw (Adam with decoupled weight decay)",
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate, > 0 (default: 0.5 for SGD+ce, 3.0 for SGD+mse, 1e-3 for Adam(W))",
    )
    parser.add_argument(
        "--momentum", type=float, default=0.0, help="SGD momentum, in [0, 1) (default: 0)"
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=0.0,
        help=">= 0 (default 0): for sgd and adam an L2 penalty (weight_decay·w added to the "
        "gradient); for adamw decoupled decay (w shrinks by lr·weight_decay·w each step)",
    )
    parser.add_argument(
        "--dropout",
        type=float,
        default=0.0,
        metavar="P",
        help="drop each hidden unit with probability P while training, in [0, 1) (default 0)",
    )
    parser.add_argument(
        "--shift",
        type=int,
        default=0,
        metavar="PIXELS",
        help="data augmentation: move each training digit by up to PIXELS (0 to 4) at random "
        "in each direction, every epoch afresh (default 0)",
    )
    parser.add_argument(
        "--schedule",
        choices=["constant", "step", "cosine"],
        default="constant",
        help="the learning rate over the epochs: constant (default); step (x0.1 every "
        "ceil(epochs/3) epochs: after epochs 4 and 8 of 10); cosine (from --lr along half a "
        "cosine, reaching 0 just after the last epoch)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=32, help="images per training step (default 32)"
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="epochs in all, resumed ones too (default 10)"
    )
    parser.add_argument("--seed", type=int, default=0, help=f"0 to {MAX_SEED} (default: 0)")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="save model+optimizer after each epoch (checked to be writable before training)",
    )
    parser.add_argument("--resume", type=Path, metavar="FILE", help="continue from a checkpoint")
    parser.add_argument(
        "--override-hyperparameters",
        action="store_true",
        help="with --resume: continue with this run's options even where they differ from "
        "the ones the checkpoint was trained with ("
        + ", ".join(option_name(name) for name in HYPERPARAMETERS[1:])
        + "; --hidden must match). Without it such a resume is refused",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/mnist"), help="figure directory (default runs/mnist)"
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    parser.add_argument("--limit", type=int, help="train on the first N training images only")
    parser.add_argument(
        "--validation",
        type=int,
        default=datasets.VALIDATION_SIZE,
        metavar="N",
        help="hold out the last N training digits to choose the epoch (default 10000; 0 trains "
        "on all 60,000 and keeps the last epoch)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        metavar="N",
        help=f"BLAS threads for the matrix products, 0 for one per core (default "
        f"{DEFAULT_THREADS}: small networks are fastest on one)",
    )
    parser.add_argument(
        "--evaluate",
        type=Path,
        metavar="CHECKPOINT",
        help="no training: report a saved network's accuracy and confusion matrix on the "
        "test digits (a --checkpoint file of this demo)",
    )
    parser.add_argument(
        "--engine",
        choices=["tensor", "scalar"],
        default="tensor",
        help="scalar: train nn.MLP (Values) and the Tensor network side by side (use --limit)",
    )
    parser.add_argument("--steps", type=int, default=2, help="training steps for --engine scalar")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, checked, with ``--lr`` filled in from ``DEFAULT_LR`` when not given.

    Every value is checked here, before any data is read or any training done: a bad one
    exits with status 2 (``SystemExit``) and a two-line usage message naming it.
    """
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer][args.loss]
    problem = option_problem(args)
    if problem:
        parser.error(problem)
    return args


def option_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, one problem in one line; None if they are fine."""
    if any(size < 1 for size in args.hidden):
        return f"--hidden {' '.join(map(str, args.hidden))}: every layer size must be at least 1"
    parameters = sum(n_in * n_out + n_out for n_in, n_out in pairwise(layer_sizes(args)))
    if parameters > MAX_PARAMETERS:
        return (
            f"--hidden {' '.join(map(str, args.hidden))} makes {parameters:,} parameters, more "
            f"than the {MAX_PARAMETERS:,} this demo trains; use fewer or smaller layers"
        )
    if not (math.isfinite(args.lr) and args.lr > 0):
        return f"--lr {args.lr:g}: the learning rate must be a finite number above 0 (e.g. 0.1)"
    if not (math.isfinite(args.momentum) and 0 <= args.momentum < 1):
        return f"--momentum {args.momentum:g}: must be at least 0 and below 1 (e.g. 0.9)"
    if args.optimizer != "sgd" and args.momentum != 0:
        return "--momentum is for --optimizer sgd (Adam keeps its own moment estimates)"
    if not (math.isfinite(args.weight_decay) and args.weight_decay >= 0):
        return f"--weight-decay {args.weight_decay:g}: must be a finite number, 0 or more"
    if not (math.isfinite(args.dropout) and 0 <= args.dropout < 1):
        return f"--dropout {args.dropout:g}: must be at least 0 and below 1 (e.g. 0.5)"
    if not 0 <= args.shift <= 4:
        return f"--shift {args.shift}: must be from 0 to 4 pixels (2 is usual)"
    if not 0 <= args.validation < 60_000:
        return (
            f"--validation {args.validation}: must be from 0 to 59999 training digits held out "
            "(default 10000)"
        )
    if args.threads < 0:
        return f"--threads {args.threads}: must be 0 (one per core) or more"
    for option, value in (("--batch-size", args.batch_size), ("--epochs", args.epochs)):
        if value < 1:
            return f"{option} {value}: must be at least 1"
    if args.steps < 1:
        return f"--steps {args.steps}: must be at least 1"
    if args.limit is not None and args.limit < 1:
        return f"--limit {args.limit}: must be at least 1 (leave it out to use all images)"
    if not 0 <= args.seed <= MAX_SEED:
        return f"--seed {args.seed}: must be from 0 to {MAX_SEED}"
    if args.engine == "scalar" and (args.checkpoint or args.resume):
        return "--checkpoint and --resume are for --engine tensor (the comparison saves nothing)"
    if args.override_hyperparameters and not args.resume:
        return "--override-hyperparameters applies only with --resume FILE"
    if args.evaluate and (args.resume or args.checkpoint or args.engine == "scalar"):
        return "--evaluate CHECKPOINT trains nothing: leave out --resume, --checkpoint, --engine"
    if args.evaluate and training_options(args):
        return (
            f"--evaluate CHECKPOINT takes the network from the file and trains nothing: leave "
            f"out {', '.join(training_options(args))}"
        )
    defaults = make_parser()  # what each option is when it is not given
    if args.engine == "tensor" and args.steps != defaults.get_default("steps"):
        return (
            f"--steps {args.steps}: is for --engine scalar (the steps of its comparison); the "
            "Tensor engine trains for --epochs"
        )
    if args.engine == "scalar":
        unsupported = [
            option_name(name)
            for name in ("dropout", "shift", "schedule")
            if getattr(args, name) != defaults.get_default(name)
        ]
        if unsupported:
            return (
                f"{', '.join(unsupported)}: not for --engine scalar, which compares the two "
                "engines on plain steps (nn.MLP has no dropout layers); leave them out"
            )
    return path_problem(args)


def training_options(args: argparse.Namespace) -> list[str]:
    """The options given that describe a network or its training (not their defaults)."""
    defaults = make_parser()
    names = [*HYPERPARAMETERS, "epochs", "steps"]
    given = [name for name in names if getattr(args, name) != defaults.get_default(name)]
    if "lr" in given and args.lr == DEFAULT_LR[args.optimizer][args.loss]:
        given.remove("lr")  # filled in from the defaults by parse_args
    return [option_name(name) for name in given]


def path_problem(args: argparse.Namespace) -> str | None:
    """A file option naming something that is not a file, or two options naming one file."""
    source = ("--evaluate", args.evaluate) if args.evaluate else ("--resume", args.resume)
    named = [source, ("--checkpoint", args.checkpoint), ("--json", args.json)]
    for option, path in named:
        problem = output_problem(option, path)
        if problem:
            return problem
        if path is not None and option == source[0] and path_kind(path) == "missing":
            return f"{option} {path}: no such file"
    if not args.no_figures:
        problem = output_problem("--out", args.out, directory=True)
        if problem:
            return problem
    for option, path in named[:2]:
        if path is not None and args.json is not None and same_file(path, args.json):
            return f"--json {args.json} is also the {option} file; name another file for JSON"
    return None


def option_name(name: str) -> str:
    """The command-line spelling of an option's name: ``batch_size`` → ``--batch-size``."""
    return "--" + name.replace("_", "-")


def layer_sizes(args: argparse.Namespace) -> list[int]:
    """The network's layer sizes, input to output: 784, the hidden sizes, 10."""
    return [784, *args.hidden, CLASSES]


def build(args: argparse.Namespace, dtype: Any = np.float32) -> tuple[nn.Sequential, Any]:
    """The Tensor network and its optimizer described by the command line."""
    model = network(args.hidden, args.activation, args.loss, args.dropout, args.seed, dtype)
    return model, make_optimizer(args, model.parameters())


def make_optimizer(args: argparse.Namespace, params: list) -> Any:
    """``nn.optim.SGD``, ``Adam`` or ``AdamW`` over ``params``, as the command line says."""
    if args.optimizer == "adam":
        return nn.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    if args.optimizer == "adamw":
        return nn.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    return nn.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)


def make_schedule(args: argparse.Namespace, optimizer: Any) -> Any:
    """The learning-rate schedule over ``--epochs`` (stepped once per epoch), or None."""
    if args.schedule == "step":
        return nn.optim.StepLR(optimizer, step_size=max(1, math.ceil(args.epochs / 3)), gamma=0.1)
    if args.schedule == "cosine":
        return nn.optim.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return None


def loss_function(args: argparse.Namespace):
    """``nn.cross_entropy`` (on logits) or ``nn.quadratic_cost`` (on sigmoid outputs)."""
    return nn.cross_entropy if args.loss == "ce" else nn.quadratic_cost


def describe(args: argparse.Namespace, model: nn.Module) -> str:
    """One line naming the network, its training and its parameter count."""
    return f"{describe_short(args)}: {model.num_parameters():,} parameters"


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The shuffling generator of one epoch: a resumed run draws the same order."""
    return np.random.default_rng([seed, epoch])


def evaluate(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Predicted classes of uint8 ``images`` (in chunks, without recording a graph)."""
    predictions = []
    with autograd.no_grad():
        for x, _ in datasets.batches(images, labels, 2000, shuffle=False):
            predictions.append(model(autograd.Tensor(x)).data.argmax(axis=1))
    return np.concatenate(predictions)


def train_epoch(model, optimizer, loss_fn, batches, *, total: int, label: str, quiet: bool):
    """One pass over ``batches``; returns (mean training loss, seconds)."""
    from tqdm import tqdm

    progress = tqdm(
        total=total,
        desc=label,
        unit="img",
        unit_scale=True,
        leave=False,
        disable=True if quiet else None,  # None: shown on a terminal, not in logs
        mininterval=0.5,
        file=sys.stdout,
    )
    loss_sum, count, start = 0.0, 0, time.perf_counter()
    try:
        for step, (x, labels) in enumerate(batches):
            loss = loss_fn(model(autograd.Tensor(x)), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.data) * len(x)
            count += len(x)
            if step % 50 == 0:
                progress.update(count - progress.n)
                progress.set_postfix(loss=f"{loss_sum / count:.4f}", refresh=False)
    finally:
        progress.close()  # also on Ctrl-C, so the message after it starts on a clean line
    seconds = time.perf_counter() - start
    return loss_sum / max(count, 1), seconds


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 if sys.platform != "darwin" else kilobytes / 2**20


@dataclass
class LastCheckpoint:
    """Where this run's training state was last saved, for the message after Ctrl-C."""

    path: Path | None = None
    epochs: int = 0

    def describe(self) -> str:
        if self.path is None:
            return "no checkpoint was saved (--checkpoint FILE saves one after each epoch)"
        return f"the last checkpoint is {self.path} (after epoch {self.epochs})"


@dataclass
class Best:
    """The epoch chosen on validation so far (0-based; -1 before the first) and its weights,
    with the file that holds them (None until they are saved)."""

    epoch: int = -1
    accuracy: float = -math.inf
    state: dict[str, np.ndarray] | None = None
    saved_to: Path | None = None


def train(args: argparse.Namespace, last: LastCheckpoint | None = None) -> dict[str, Any]:
    """The Tensor engine's run: train, validate, checkpoint, test once, plot.

    Everything that can be refused is checked before the data is read: a ``--resume`` file
    that is missing, damaged, of another network or trained with other options, and output
    paths that cannot be written (a usage error, status 2). ``last`` is kept up to date
    with the newest checkpoint written.
    """
    last = last if last is not None else LastCheckpoint()
    parser = make_parser()
    model, optimizer = build(args)
    schedule = make_schedule(args, optimizer)
    loss_fn = loss_function(args)
    history: dict[str, list[float]] = {key: [] for key in HISTORY}
    first_epoch, best = 0, Best()
    if args.resume:
        first_epoch, history, best = resume(parser, args, model, optimizer)
        last.path, last.epochs = args.resume, first_epoch
    if args.checkpoint:
        check_writable(parser, "--checkpoint", args.checkpoint)
        if args.validation:
            check_writable(parser, "--checkpoint", best_path(args.checkpoint))
    if args.json:
        check_writable(parser, "--json", args.json)
    if not args.no_figures:
        check_writable(parser, "--out", args.out, directory=True)

    data = load_data()
    (images, labels), validation = data.validation_split(args.validation)
    if args.limit is not None:
        images, labels = images[: args.limit], labels[: args.limit]
    print(describe(args, model))
    print(
        f"{len(images):,} training digits, {len(validation[0]):,} validation, "
        f"{len(data.test_images):,} test (used once, at the end); {args.threads_used}"
    )
    if args.resume:
        print(f"resumed from {args.resume} after epoch {first_epoch}")

    for epoch in range(first_epoch, args.epochs):
        if schedule is not None:
            schedule.last_epoch = epoch - 1  # closed form: a resumed run gets the same rate
            schedule.step()
        model.train()
        reseed_dropout(model, args.seed, epoch)
        batches = datasets.batches(images, labels, args.batch_size, rng=epoch_rng(args.seed, epoch))
        if args.shift:
            batches = shifted(batches, args.shift, np.random.default_rng([args.seed, epoch, 2]))
        train_loss, seconds = train_epoch(
            model,
            optimizer,
            loss_fn,
            batches,
            total=len(images),
            label=f"epoch {epoch + 1}/{args.epochs}",
            quiet=args.quiet,
        )
        model.eval()
        accuracy = accuracy_on(model, *validation) if args.validation else math.nan
        history["train_loss"].append(train_loss)
        history["validation_accuracy"].append(accuracy)
        history["seconds"].append(seconds)
        improved = not args.validation or accuracy > best.accuracy
        if improved:
            best = Best(epoch, accuracy, model.state_dict())
        shown = f"validation accuracy {accuracy:.2%}" if args.validation else "no validation"
        print(
            f"epoch {epoch + 1:2d}  train loss {train_loss:.4f}  {shown}  lr {optimizer.lr:.3g}  "
            f"{seconds:.2f} s",
            flush=True,
        )
        if args.checkpoint:
            save_checkpoint(args, model, optimizer, epoch, history, best, last, improved=improved)

    assert best.state is not None  # at least one epoch ran: resume refuses a finished run
    model.load_state_dict(best.state)
    predictions = evaluate(model, data.test_images, data.test_labels)
    test_accuracy = float(np.mean(predictions == data.test_labels))
    chosen = (
        f"the network after epoch {best.epoch + 1}, the best on validation"
        if args.validation
        else f"the network after the last epoch, {best.epoch + 1}"
    )
    print(f"test accuracy {test_accuracy:.2%}: {chosen} (the test set is used only here)")
    if args.checkpoint and last.path == args.checkpoint:
        saved = f"checkpoint: {args.checkpoint} (after epoch {last.epochs}, to --resume)"
        if args.validation and best_path(args.checkpoint).exists():
            saved += f"; {best_path(args.checkpoint)} (epoch {best.epoch + 1}, the chosen one)"
        print(saved)
    result = {
        "parameters": model.num_parameters(),
        "train_loss": history["train_loss"],
        "validation_accuracy": [
            None if math.isnan(a) else a for a in history["validation_accuracy"]
        ],
        "best_epoch": best.epoch + 1,
        "test_accuracy": test_accuracy,
        "seconds_per_epoch": history["seconds"],
        "threads": args.threads_used,
        "peak_rss_mb": peak_rss_mb(),
        "options": {
            name: list(v) if isinstance(v, tuple) else v
            for name, v in hyperparameters(args).items()
        },
    }
    try:
        if args.json:
            write_json(args.json, result)
        if not args.no_figures:
            figures = save_figures(args, model, history, data, predictions, best.epoch)
            if figures:
                print("figures: " + ", ".join(str(path) for path in figures))
    except OSError as error:  # checked writable before training, but a disk can fill up
        raise SystemExit(
            f"python -m demos.mnist: error: cannot write {error.filename or 'the results'}: "
            f"{error.strerror or error}; {last.describe()}"
        ) from None
    return result


def shifted(batches, max_shift: int, rng: np.random.Generator):
    """The batches with every image moved at random by up to ``max_shift`` pixels."""
    for x, labels in batches:
        yield datasets.random_shift(x, max_shift, rng), labels


def reseed_dropout(model: nn.Module, seed: int, epoch: int) -> None:
    """Give every Dropout layer the generator of (seed, epoch, its position): masks repeat."""
    for index, module in enumerate(model):
        if isinstance(module, nn.Dropout):
            module.rng = np.random.default_rng([seed, epoch, index])


def accuracy_on(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of ``images`` the model classifies as ``labels``."""
    return float(np.mean(evaluate(model, images, labels) == labels))


def evaluate_checkpoint(args: argparse.Namespace) -> dict[str, Any]:
    """``--evaluate``: a saved network's test accuracy and confusion matrix, no training.

    The network is rebuilt from the options the checkpoint records (see
    :func:`demos.trained.load_trained`); a file that is not such a checkpoint is a usage
    error (status 2), reported before the data is read.
    """
    from demos.trained import TrainedModelError, load_trained

    parser = make_parser()
    try:
        model, options = load_trained(args.evaluate)
    except TrainedModelError as error:
        parser.error(f"--evaluate {error}")  # the message names the file
    if args.json:
        check_writable(parser, "--json", args.json)
    if not args.no_figures:
        check_writable(parser, "--out", args.out, directory=True)
    data = load_data()
    predictions = evaluate(model, data.test_images, data.test_labels)
    counts = confusion_matrix(data.test_labels, predictions)
    accuracy = float(np.trace(counts) / counts.sum())
    print(f"{args.evaluate}: {model.num_parameters():,} parameters; {args.threads_used}")
    print(f"test accuracy {accuracy:.2%} ({np.trace(counts):,} of {counts.sum():,} digits)")
    print("confusion matrix (rows: true digit, columns: predicted digit)")
    print("     " + "".join(f"{digit:>6}" for digit in range(CLASSES)))
    for digit, row in enumerate(counts):
        print(f"{digit:>5}" + "".join(f"{count:>6}" for count in row))
    result = {
        "checkpoint": str(args.evaluate),
        "parameters": model.num_parameters(),
        "test_accuracy": accuracy,
        "confusion_matrix": counts.tolist(),
        "options": {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in options.items()
        },
    }
    if args.json:
        write_json(args.json, result)
    if not args.no_figures and importlib.util.find_spec("matplotlib") is not None:
        directory = output_dir(args.out)
        figures = [
            _plot_confusion(directory / "confusion_matrix.png", data.test_labels, predictions),
            _plot_misclassified(directory / "misclassified.png", data, predictions),
        ]
        print("figures: " + ", ".join(str(path) for path in figures))
    return result


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """``counts[true, predicted]``: how many digits of each class went to each class."""
    counts = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts


def load_data() -> datasets.MNIST:
    """MNIST from the cache (or downloaded); a DatasetError exits with its message (status 1)."""
    try:
        return datasets.mnist()
    except datasets.DatasetError as error:
        raise SystemExit(f"python -m demos.mnist: error: {error}") from None


def hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    """The options a checkpoint records (``HYPERPARAMETERS``), as saved: no limit is 0."""
    values = {name: getattr(args, name) for name in HYPERPARAMETERS}
    values["hidden"] = tuple(args.hidden)
    values["limit"] = args.limit or 0
    return values


def best_path(checkpoint: Path) -> Path:
    """Where the best network on validation is saved beside ``checkpoint``: run.best.npz."""
    return checkpoint.with_name(f"{checkpoint.stem}.best{checkpoint.suffix or '.npz'}")


def save_checkpoint(
    args, model, optimizer, epoch: int, history, best: Best, last: LastCheckpoint, *, improved
) -> None:
    """Save the training state after ``epoch`` and, beside it (:func:`best_path`), the best
    network so far, whenever that is not there yet: after an epoch that improved, and at
    the first save of a run resumed into another file (whose best epoch came before it). A
    failed write is reported, training goes on."""
    metadata = {key: np.array(values) for key, values in history.items()}
    for name, value in hyperparameters(args).items():
        metadata[f"option_{name}"] = np.array(value)  # "option_optimizer": not save's optimizer
    metadata["best_epoch"] = np.array(best.epoch)
    best_file = best_path(args.checkpoint)
    best_is_there = best.saved_to is not None and same_file(best.saved_to, best_file)
    try:
        # First: the checkpoint never names a missing file.
        if args.validation and (improved or not best_is_there):
            save_best(model, best, best_file, metadata)
        nn.save(model, args.checkpoint, optimizer, epoch=epoch, **metadata)
    except OSError as error:
        print(
            f"warning: cannot write the checkpoint {args.checkpoint}: {error.strerror or error}; "
            f"training goes on, and {last.describe()}",
            file=sys.stderr,
        )
        return
    last.path, last.epochs = args.checkpoint, epoch + 1


def save_best(model: nn.Module, best: Best, path: Path, metadata: dict[str, Any]) -> None:
    """Save the network of the best epoch (``best.state``) alone to ``path``; ``model`` keeps
    its own weights.

    Raises:
        OSError: the file cannot be written.
    """
    latest = model.state_dict()
    model.load_state_dict(best.state or latest)
    try:
        nn.save(model, path, epoch=best.epoch, role="best", **metadata)
    finally:
        model.load_state_dict(latest)
    best.saved_to = path


def resume(parser, args, model, optimizer) -> tuple[int, dict[str, list[float]], Best]:
    """Load ``--resume`` into ``model`` and ``optimizer``; return (epochs done, history, best).

    A file that is not a checkpoint of this demo, does not fit the network, was trained
    with other options (unless ``--override-hyperparameters``) or already holds
    ``--epochs`` epochs is a usage error (status 2) naming the problem.
    """
    path = args.resume
    if not zipfile.is_zipfile(path):
        parser.error(
            f"--resume {path}: not a checkpoint (a checkpoint is the .npz archive that "
            "--checkpoint writes; this file is another kind, or truncated)"
        )
    try:  # what the file holds, before anything is loaded
        metadata, shapes = nn.checkpoint.inspect(path)
    except (nn.checkpoint.CheckpointError, OSError) as error:
        parser.error(load_failure(path, error))
    if metadata.get("role") == "best":
        parser.error(
            f"--resume {path}: holds only the network of the epoch chosen on validation, "
            "not the optimizer's state; resume from the checkpoint beside it "
            f"({path.name.replace('.best', '')}), which --checkpoint wrote after every epoch"
        )
    try:
        epochs_done = int(metadata["epoch"]) + 1
        history = {key: [float(v) for v in np.atleast_1d(metadata[key])] for key in HISTORY}
        best_epoch = int(metadata["best_epoch"])
        saved = saved_hyperparameters(metadata)
    except (KeyError, TypeError, ValueError):
        parser.error(
            f"--resume {path}: a chaingrad checkpoint, but not one written by "
            "python -m demos.mnist --checkpoint (its epoch or history is missing or malformed)"
        )
    if (
        epochs_done < 1
        or any(len(values) < epochs_done for values in history.values())
        or not 0 <= best_epoch < epochs_done
    ):
        parser.error(f"--resume {path}: its epoch count and history do not agree")
    if shapes.get("0.weight") != (784, args.hidden[0]) or saved.get("hidden") != tuple(args.hidden):
        parser.error(
            f"--resume {path}: '0.weight' has shape {shapes.get('0.weight')}, expected "
            f"(784, {args.hidden[0]}): it was trained with {show_options(saved, ['hidden'])}, "
            f"not {show_options(hyperparameters(args), ['hidden'])} (the network's sizes must "
            "match, even with --override-hyperparameters)"
        )
    differences = [
        name for name, value in hyperparameters(args).items() if saved.get(name) != value
    ]
    if differences and not args.override_hyperparameters:
        parser.error(
            f"--resume {path} was trained with {show_options(saved, differences)}, not "
            f"{show_options(hyperparameters(args), differences)}; pass the same options to "
            "continue it, or add --override-hyperparameters"
        )
    if args.epochs <= epochs_done:
        parser.error(
            f"--epochs {args.epochs}: {path} already holds {epochs_done} epoch(s); pass "
            f"--epochs {epochs_done + 1} or more to train it further"
        )
    # The file's own layout (its --dropout moves the layers' positions), then into ours.
    layout = file_layout(args, saved, model)
    try:
        load_weights(model, layout, path)
    except (nn.checkpoint.CheckpointError, OSError) as error:
        parser.error(load_failure(path, error))
    try:
        nn.load(layout, path, optimizer)  # the whole file was read above: only a misfit is left
    except (nn.checkpoint.CheckpointError, OSError) as error:
        if not differences:
            parser.error(load_failure(path, error))
        # Overridden --optimizer or --momentum: the saved moments do not fit the new optimizer.
        print(f"note: the optimizer starts afresh: {path} holds state for other options")
    history = {key: values[:epochs_done] for key, values in history.items()}
    best = resumed_best(parser, path, model, layout, best_epoch, history)
    return epochs_done, history, best


def file_layout(args: argparse.Namespace, saved: dict[str, Any], model: nn.Module) -> nn.Module:
    """``model`` itself, or a network laid out as a checkpoint trained with another
    ``--dropout`` is (its Dropout layers shift the positions that name the weights)."""
    dropout = saved.get("dropout", 0.0)
    if dropout == args.dropout:
        return model
    return network(args.hidden, args.activation, args.loss, dropout, args.seed)


def load_weights(model: nn.Module, layout: nn.Module, path: Path) -> dict[str, Any]:
    """``nn.load`` the checkpoint ``path`` into ``layout`` (``model`` or a network laid out
    as the file is), then copy its Linear layers' weights into ``model``'s, in order."""
    metadata = nn.load(layout, path)
    if layout is not model:
        theirs = [layer for layer in layout if isinstance(layer, nn.Linear)]
        mine = [layer for layer in model if isinstance(layer, nn.Linear)]
        for source, target in zip(theirs, mine):
            target.weight.data[...] = source.weight.data
            target.bias.data[...] = source.bias.data
    return metadata


def resumed_best(parser, path: Path, model, layout, best_epoch: int, history) -> Best:
    """The best network so far of a resumed run: the checkpoint's own weights if its last
    epoch was the best, else those of :func:`best_path` (a usage error if that is missing or
    from another epoch)."""
    accuracy = history["validation_accuracy"][best_epoch]
    if best_epoch == len(history["train_loss"]) - 1:
        return Best(best_epoch, accuracy, model.state_dict())
    latest = model.state_dict()
    best_file = best_path(path)
    try:
        saved = load_weights(model, layout, best_file)
        state = model.state_dict()
    except (nn.checkpoint.CheckpointError, OSError) as error:
        parser.error(
            f"--resume {path}: its best epoch ({best_epoch + 1}) was saved to {best_file}, "
            f"which cannot be read: {getattr(error, 'strerror', None) or error}; a checkpoint "
            f"and its .best.npz go together: copy or move both"
        )
    finally:
        model.load_state_dict(latest)
    if saved.get("epoch") != best_epoch:
        parser.error(
            f"--resume {path}: {best_file} holds epoch {saved.get('epoch', '?')}, not its "
            f"best epoch {best_epoch}; they belong to different runs"
        )
    return Best(best_epoch, accuracy, state, saved_to=best_file)


def load_failure(path: Path, error: Exception) -> str:
    """The usage message for a checkpoint that ``nn.load`` refused.

    A file that does not fit keeps nn.load's message (it names the entry and both shapes).
    One that could not be read at all is described here, from the low-level error: the
    only advice is to pick another file, never to load it some other way or delete it.
    """
    cause = error.__cause__ if isinstance(error, nn.checkpoint.CheckpointError) else error
    if cause is None:
        return f"--resume: {error}"
    reason = str(cause)
    if "pickle" in reason.lower():
        reason = "it holds Python objects (pickled data), which a checkpoint never does"
    return f"--resume {path}: cannot read it (damaged or truncated?): {reason}"


def saved_hyperparameters(metadata: dict[str, Any]) -> dict[str, Any]:
    """The recorded options (``option_<name>`` entries) of a checkpoint, typed like
    ``hyperparameters``.

    Options a checkpoint does not record (an older one) are left out, so they differ.
    Raises TypeError or ValueError for a value of the wrong kind.
    """
    kinds = {"activation": str, "loss": str, "optimizer": str, "lr": float, "momentum": float}
    kinds.update(weight_decay=float, dropout=float, shift=int, schedule=str, batch_size=int)
    kinds.update(seed=int)
    kinds.update(limit=int, validation=int)
    saved: dict[str, Any] = {}
    for name, kind in kinds.items():
        if f"option_{name}" in metadata:
            value = metadata[f"option_{name}"]
            if not isinstance(value, (str, int, float)) or isinstance(value, str) != (kind is str):
                raise TypeError(f"{name} is {value!r:.40}")
            saved[name] = kind(value)
    if "option_hidden" in metadata:
        saved["hidden"] = tuple(int(size) for size in np.atleast_1d(metadata["option_hidden"]))
    return saved


def show_options(values: dict[str, Any], names: list[str]) -> str:
    """``--lr 0.5 --batch-size 32``: the options ``names`` as written on the command line."""
    shown = []
    for name in names:
        value = values.get(name)
        if value is None:
            text = "(not recorded)"
        elif name == "hidden":
            text = " ".join(map(str, value))
        elif name == "limit" and value == 0:
            text = "(all images)"
        else:
            text = f"{value:g}" if isinstance(value, float) else str(value)
        shown.append(f"{option_name(name)} {text}")
    return " ".join(shown)


# ------------------------------------------------------------------------- scalar vs tensor


def scalar_step(model: nn.MLP, x: np.ndarray, y: np.ndarray, loss: str) -> autograd.Value:
    """The batch's mean loss on the network of Values, one image at a time."""
    outputs = [model(list(row)) for row in x]
    if loss == "ce":
        return nn.cross_entropy(outputs, [int(label) for label in y])
    costs = [nn.quadratic_cost(out, int(label)) for out, label in zip(outputs, y)]
    return autograd.sum_values(costs) * (1.0 / len(costs))


def compare_engines(args: argparse.Namespace) -> dict[str, Any]:
    """Train the scalar nn.MLP and the float64 Tensor network from one state, step by step.

    Both see the same batches; after every step the largest |difference| between their
    weights is printed. It stays at float64 rounding level: the two engines are one algorithm.
    """
    limit = args.limit or args.batch_size
    data = load_data()
    images, labels = data.train_images[:limit], data.train_labels[:limit]
    output_activation = "sigmoid" if args.loss == "mse" else None
    tensor_model, tensor_optimizer = build(args, dtype=np.float64)
    # The scalar network's own draw is overwritten; seeding it leaves the global generator alone.
    scalar_model = nn.MLP(
        784, [*args.hidden, CLASSES], args.activation, output_activation, rng=args.seed
    )
    scalar_model.load_state_dict(tensor_model.state_dict())
    scalar_optimizer = make_optimizer(args, scalar_model.parameters())
    loss_fn = loss_function(args)
    print(describe(args, tensor_model))
    print(f"scalar engine (nn.MLP of Values) vs Tensor engine (float64), {limit} images")

    rng = epoch_rng(args.seed, 0)
    differences = []
    batches = datasets.batches(images, labels, args.batch_size, rng=rng, dtype=np.float64)
    for step, (x, y) in zip(range(args.steps), batches):
        start = time.perf_counter()
        with autograd.gc_paused():  # a step's graph holds no cycles: no collections over it
            scalar_loss = scalar_step(scalar_model, x, y, args.loss)
            scalar_optimizer.zero_grad()
            scalar_loss.backward()
        scalar_optimizer.step()
        scalar_seconds = time.perf_counter() - start

        start = time.perf_counter()
        tensor_loss = loss_fn(tensor_model(autograd.Tensor(x)), y)
        tensor_optimizer.zero_grad()
        tensor_loss.backward()
        tensor_optimizer.step()
        tensor_seconds = time.perf_counter() - start

        scalar_state, tensor_state = scalar_model.state_dict(), tensor_model.state_dict()
        difference = max(
            float(np.max(np.abs(scalar_state[key] - tensor_state[key]))) for key in tensor_state
        )
        differences.append(difference)
        print(
            f"step {step + 1}: loss scalar {scalar_loss.data:.10f} tensor "
            f"{float(tensor_loss.data):.10f}  max |Δweight| {difference:.2e}  "
            f"({scalar_seconds:.2f} s scalar, {tensor_seconds * 1e3:.2f} ms tensor)"
        )
    return {"max_weight_difference": differences}


# ------------------------------------------------------------------------------- figures


def save_figures(args, model, history, data, predictions, best_epoch: int) -> list[Path]:
    """Curves, confusion matrix, misclassified digits and first-layer weights, as PNGs.

    Written to ``args.out``. Each figure is its own matplotlib ``Figure`` (no ``pyplot``:
    the caller's backend and figure registry are left alone). Returns the paths, or []
    without matplotlib.
    """
    if importlib.util.find_spec("matplotlib") is None:
        print("matplotlib is not installed, so no figures: pip install 'chaingrad[demos]'")
        return []
    directory = output_dir(args.out)
    return [
        _plot_curves(directory / "curves.png", history, args, best_epoch),
        _plot_confusion(directory / "confusion_matrix.png", data.test_labels, predictions),
        _plot_misclassified(directory / "misclassified.png", data, predictions),
        _plot_first_layer(directory / "first_layer_weights.png", model),
    ]


def _plot_curves(path: Path, history, args, best_epoch: int) -> Path:
    from matplotlib.ticker import MaxNLocator

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    figure = new_figure(10, 4)
    left, right = figure.subplots(1, 2)
    left.plot(epochs, history["train_loss"], marker="o")
    left.set(
        xlabel="epoch",
        ylabel=f"{LOSS_NAMES[args.loss]} (mean over the epoch)",
        title=f"Training loss: {LOSS_FORMULAS[args.loss]}",
    )
    accuracy = np.array(history["validation_accuracy"]) * 100
    if args.validation:
        right.plot(epochs, accuracy, marker="o", color="C2", label="validation")
        right.plot(
            [best_epoch + 1],
            [accuracy[best_epoch]],
            marker="*",
            markersize=14,
            linestyle="none",
            color="C3",
            label=f"chosen: epoch {best_epoch + 1}",
        )
        right.legend(loc="best")
        low = max(0.0, float(np.nanmin(accuracy)) - 1.0)
        right.set_ylim(low, 100)
        right.set_title(f"Accuracy on {args.validation:,} validation digits")
    else:
        right.text(
            0.5,
            0.5,
            "no validation set (--validation 0):\nthe last epoch is the one tested",
            ha="center",
            va="center",
            transform=right.transAxes,
        )
        right.set_ylim(0, 100)
        right.set_title("Validation accuracy")
    right.set(xlabel="epoch", ylabel="accuracy (%)")
    for axes in (left, right):
        axes.grid(alpha=0.3)
        axes.set_xlim(0.5, max(len(epochs), 1) + 0.5)
        if len(epochs) <= 15:
            axes.set_xticks(epochs)  # every epoch, a whole number (also for just one)
        else:
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(describe_short(args), fontsize=10)
    return save_figure(figure, path)


def describe_short(args: argparse.Namespace) -> str:
    """The run's configuration in one line, for figure titles."""
    sizes = "-".join(map(str, layer_sizes(args)))
    extras = [f"{args.optimizer} lr {args.lr:g}"]
    if args.momentum:
        extras.append(f"momentum {args.momentum:g}")
    if args.weight_decay:
        extras.append(f"weight decay {args.weight_decay:g}")
    if args.dropout:
        extras.append(f"dropout {args.dropout:g}")
    if args.shift:
        extras.append(f"shifts ±{args.shift} px")
    if args.schedule != "constant":
        extras.append(f"{args.schedule} schedule")
    extras.append(f"batch {args.batch_size}")
    return f"{sizes} {args.activation}, {LOSS_NAMES[args.loss]}, " + ", ".join(extras)


def _plot_confusion(path: Path, labels: np.ndarray, predictions: np.ndarray) -> Path:
    from matplotlib.colors import LogNorm

    counts = confusion_matrix(labels, predictions)
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    figure = new_figure(6.5, 5.5)
    axes = figure.subplots()
    # A log scale, so that the few mistakes show beside the ~1,000 right answers per digit;
    # cells with no digit at all stay white.
    shown = np.ma.masked_equal(counts, 0)
    # vmin below 1, so that a single digit is visibly blue, not white like an empty cell.
    image = axes.imshow(shown, cmap="Blues", norm=LogNorm(vmin=0.3, vmax=max(counts.max(), 2)))
    for true in range(CLASSES):
        for predicted in range(CLASSES):
            color = "white" if true == predicted else "black"
            axes.text(
                predicted,
                true,
                counts[true, predicted],
                ha="center",
                va="center",
                fontsize=7,
                color=color,
            )
    axes.set(
        xlabel="predicted digit",
        ylabel="true digit",
        title=f"Confusion matrix: {accuracy:.2%} of {counts.sum():,} test digits right",
        xticks=range(CLASSES),
        yticks=range(CLASSES),
    )
    colorbar = figure.colorbar(image, ax=axes, label="number of test digits (log scale)")
    ticks = [tick for tick in (1, 3, 10, 30, 100, 300, 1000, 3000) if tick <= counts.max()]
    colorbar.set_ticks(ticks, labels=[f"{tick:,}" for tick in ticks])
    colorbar.minorticks_off()
    return save_figure(figure, path)


def _image_grid(count: int, cell: tuple[float, float]) -> tuple[Any, list]:
    """A Figure with a square grid of axes (axis lines off) for at least ``count`` images."""
    side = max(1, math.ceil(math.sqrt(count)))
    figure = new_figure(cell[0] * side, cell[1] * side)
    grid = figure.subplots(side, side, squeeze=False)
    for axes in grid.flat:
        axes.axis("off")
    return figure, list(grid.flat)


def _plot_misclassified(path: Path, data, predictions: np.ndarray, count: int = 36) -> Path:
    every_wrong = np.flatnonzero(predictions != data.test_labels)
    wrong = every_wrong[:count]
    figure, cells = _image_grid(len(wrong), (1.4, 1.6))
    for axes, index in zip(cells, wrong):
        axes.imshow(data.test_images[index].reshape(28, 28), cmap="gray_r")
        axes.set_title(f"{data.test_labels[index]}→{predictions[index]}", fontsize=8)
    shown = f"the first {len(wrong)} of {len(every_wrong):,}" if len(every_wrong) > count else "all"
    figure.suptitle(f"Misclassified test digits, {shown} (true→predicted)")
    return save_figure(figure, path)


def _plot_first_layer(path: Path, model, count: int = 16) -> Path:
    weights = model[0].weight.data  # (784, hidden): column j is hidden unit j's weights
    shown = min(count, weights.shape[1])
    figure, cells = _image_grid(shown, (1.6, 1.6))
    bound = float(np.abs(weights[:, :shown]).max()) or 1.0  # one scale for all: comparable
    image = None
    for j, axes in zip(range(shown), cells):
        image = axes.imshow(weights[:, j].reshape(28, 28), cmap="RdBu_r", vmin=-bound, vmax=bound)
        axes.set_title(f"unit {j}", fontsize=8)
    figure.colorbar(image, ax=cells, shrink=0.6, label="weight from that pixel")
    which = (
        f"units 0–{shown - 1} of {weights.shape[1]}"
        if weights.shape[1] > shown
        else f"all {shown} hidden units"
    )
    figure.suptitle(
        f"First layer: what each hidden unit looks for\n({which}; each image is one unit's "
        "784 weights, red positive, blue negative)",
        fontsize=10,
    )
    return save_figure(figure, path)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the demo with command-line ``argv``; returns the JSON-able result.

    Raises:
        SystemExit: status 2 with a usage message for a bad option or file (before any
            training); status 130 on Ctrl-C, after saying where the last checkpoint is;
            status 1 when the MNIST data cannot be had.
    """
    args = parse_args(argv)
    last = LastCheckpoint()
    try:
        with blas_threads(args.threads) as args.threads_used:
            return run(args, last)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {last.describe()}", file=sys.stderr)
        raise SystemExit(130) from None


def run(args: argparse.Namespace, last: LastCheckpoint) -> dict[str, Any]:
    """Evaluate a checkpoint, compare the engines, or train, as the options say."""
    if args.evaluate:
        return evaluate_checkpoint(args)
    if args.engine == "scalar":
        if args.json:
            check_writable(make_parser(), "--json", args.json)
        result = compare_engines(args)
        if args.json:
            write_json(args.json, result)
        return result
    return train(args, last)


if __name__ == "__main__":
    main()
