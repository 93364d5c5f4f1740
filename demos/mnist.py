"""Train a multilayer perceptron on MNIST's handwritten digits — the article's example.

    python -m demos.mnist                        # 784-16-10, sigmoid, cross-entropy, SGD 0.5
    python -m demos.mnist --loss mse             # the same network with the article's MSE cost
    python -m demos.mnist --hidden 512 256 --activation relu --optimizer adam --epochs 20
    python -m demos.mnist --engine scalar --limit 64   # scalar Values vs Tensors, same steps

Each epoch prints the training loss, the accuracy on the 10,000 test digits and the seconds
it took; at the end the figures (loss and accuracy curves, confusion matrix, misclassified
digits, the first layer's weights as 28x28 images) go to ``--out`` (default runs/mnist).
Training is deterministic given ``--seed``: the initial weights come from it and epoch e
shuffles with the generator seeded by (seed, e), so ``--resume`` continues a run exactly.

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
import os
import resource
import stat
import sys
import tempfile
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
from demos.common import new_figure, output_dir, save_figure, write_json
from nn import datasets

DEFAULT_LR = {("sgd", "ce"): 0.5, ("sgd", "mse"): 3.0, ("adam", "ce"): 1e-3, ("adam", "mse"): 1e-3}
CLASSES = 10


HYPERPARAMETERS = (
    "hidden",
    "activation",
    "loss",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "batch_size",
    "seed",
    "limit",
)
"""The options a checkpoint records: ``--resume`` refuses others unless overridden."""

HISTORY = ("test_accuracy", "train_loss", "seconds")
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
    parser.add_argument("--hidden", type=int, nargs="+", default=[16], help="hidden layer sizes")
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
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate, > 0 (default: 0.5 for SGD+ce, 3.0 for SGD+mse, 1e-3 for Adam)",
    )
    parser.add_argument(
        "--momentum", type=float, default=0.0, help="SGD momentum, in [0, 1) (default: 0)"
    )
    parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty, >= 0")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10, help="epochs in all, resumed ones too")
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
    parser.add_argument("--out", type=Path, default=Path("runs/mnist"), help="figure directory")
    parser.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    parser.add_argument("--limit", type=int, help="train on the first N training images only")
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
        args.lr = DEFAULT_LR[args.optimizer, args.loss]
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
    if args.optimizer == "adam" and args.momentum != 0:
        return "--momentum is for --optimizer sgd (Adam keeps its own moment estimates)"
    if not (math.isfinite(args.weight_decay) and args.weight_decay >= 0):
        return f"--weight-decay {args.weight_decay:g}: must be a finite number, 0 or more"
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
    return path_problem(args)


def path_problem(args: argparse.Namespace) -> str | None:
    """A file option naming something that is not a file, or two options naming one file."""
    named = [("--resume", args.resume), ("--checkpoint", args.checkpoint), ("--json", args.json)]
    if not args.no_figures:
        named.append(("--out", args.out))
    for option, path in named:
        if path is None:
            continue
        try:
            kind = path_kind(path)
        except OSError as error:  # e.g. a name too long for the file system
            return f"{option} {path}: {error.strerror or error}"
        if option == "--out":
            if kind not in ("directory", "missing"):
                return f"--out {path}: exists and is not a directory"
        elif kind in ("directory", "other"):
            what = "a directory" if kind == "directory" else "not a regular file"
            return f"{option} {path}: is {what}; name a file"
        elif option == "--resume" and kind == "missing":
            return f"--resume {path}: no such file"
    for option, path in named[:2]:
        if path is not None and args.json is not None and same_file(path, args.json):
            return f"--json {args.json} is also the {option} file; name another file for JSON"
    return None


def path_kind(path: Path) -> str:
    """ "file", "directory", "missing" or "other" (a FIFO, a device...), following symlinks.

    Raises:
        OSError: the path cannot be examined (a name too long, no permission).
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    if stat.S_ISREG(mode):
        return "file"
    return "directory" if stat.S_ISDIR(mode) else "other"


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file (existing or not)."""
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return os.path.abspath(first) == os.path.abspath(second)


def check_writable(
    parser: argparse.ArgumentParser, option: str, path: Path, *, directory: bool = False
) -> None:
    """Create ``path``'s directory (or ``path`` itself, a directory) and write a probe file there.

    Done before training, so that a path that cannot be written is a usage error now rather
    than a traceback after an epoch. Exits with status 2 naming the option and the reason.
    """
    folder = path if directory else path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Named like the atomic writer's temporary file, so a name it cannot make fails here.
        prefix = ".probe-" if directory else f".{path.name}."
        descriptor, probe = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
        os.close(descriptor)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        parser.error(f"{option} {path}: {folder} is not a directory")
    except OSError as error:
        parser.error(f"{option} {path}: cannot write in {folder}: {error.strerror or error}")


def option_name(name: str) -> str:
    """The command-line spelling of an option's name: ``batch_size`` → ``--batch-size``."""
    return "--" + name.replace("_", "-")


def layer_sizes(args: argparse.Namespace) -> list[int]:
    """The network's layer sizes, input to output: 784, the hidden sizes, 10."""
    return [784, *args.hidden, CLASSES]


def build(args: argparse.Namespace, dtype: Any = np.float32) -> tuple[nn.Sequential, Any]:
    """The Tensor network and its optimizer described by the command line."""
    output_activation = "sigmoid" if args.loss == "mse" else None
    model = nn.feedforward(
        784,
        [*args.hidden, CLASSES],
        args.activation,
        output_activation,
        rng=args.seed,
        dtype=dtype,
    )
    return model, make_optimizer(args, model.parameters())


def make_optimizer(args: argparse.Namespace, params: list) -> Any:
    """``nn.optim.SGD`` or ``nn.optim.Adam`` over ``params``, as the command line says."""
    if args.optimizer == "adam":
        return nn.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    return nn.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)


def loss_function(args: argparse.Namespace):
    """``nn.cross_entropy`` (on logits) or ``nn.quadratic_cost`` (on sigmoid outputs)."""
    return nn.cross_entropy if args.loss == "ce" else nn.quadratic_cost


def describe(args: argparse.Namespace, model: nn.Module) -> str:
    """One line naming the network, its training and its parameter count."""
    sizes = "-".join(map(str, layer_sizes(args)))
    return (
        f"{sizes} network ({args.activation} hidden, {args.loss} loss, {args.optimizer} lr "
        f"{args.lr:g}, batch {args.batch_size}): {model.num_parameters():,} parameters"
    )


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


def train(args: argparse.Namespace, last: LastCheckpoint | None = None) -> dict[str, Any]:
    """The Tensor engine's run: train, print, checkpoint, plot. Returns the history.

    Everything that can be refused is checked before the data is read: a ``--resume`` file
    that is missing, damaged, of another network or trained with other options, and output
    paths that cannot be written (a usage error, status 2). ``last`` is kept up to date
    with the newest checkpoint written.
    """
    last = last if last is not None else LastCheckpoint()
    parser = make_parser()
    model, optimizer = build(args)
    loss_fn = loss_function(args)
    history: dict[str, list[float]] = {"test_accuracy": [], "train_loss": [], "seconds": []}
    first_epoch = 0
    if args.resume:
        first_epoch, history = resume(parser, args, model, optimizer)
        last.path, last.epochs = args.resume, first_epoch
    if args.checkpoint:
        check_writable(parser, "--checkpoint", args.checkpoint)
    if args.json:
        check_writable(parser, "--json", args.json)
    if not args.no_figures:
        check_writable(parser, "--out", args.out, directory=True)

    data = load_data()
    images, labels = data.train_images, data.train_labels
    if args.limit is not None:
        images, labels = images[: args.limit], labels[: args.limit]
    print(describe(args, model))
    if args.resume:
        print(f"resumed from {args.resume} after epoch {first_epoch}")

    for epoch in range(first_epoch, args.epochs):
        batches = datasets.batches(images, labels, args.batch_size, rng=epoch_rng(args.seed, epoch))
        train_loss, seconds = train_epoch(
            model,
            optimizer,
            loss_fn,
            batches,
            total=len(images),
            label=f"epoch {epoch + 1}/{args.epochs}",
            quiet=args.quiet,
        )
        accuracy = float(
            np.mean(evaluate(model, data.test_images, data.test_labels) == data.test_labels)
        )
        history["train_loss"].append(train_loss)
        history["test_accuracy"].append(accuracy)
        history["seconds"].append(seconds)
        print(
            f"epoch {epoch + 1:2d}  train loss {train_loss:.4f}  test accuracy "
            f"{accuracy:.2%}  {seconds:.2f} s",
            flush=True,
        )
        if args.checkpoint:
            save_checkpoint(args, model, optimizer, epoch, history, last)

    result = {
        "parameters": model.num_parameters(),
        "test_accuracy": history["test_accuracy"],
        "train_loss": history["train_loss"],
        "seconds_per_epoch": history["seconds"],
        "peak_rss_mb": peak_rss_mb(),
    }
    try:
        if args.json:
            write_json(args.json, result)
        if not args.no_figures:
            predictions = evaluate(model, data.test_images, data.test_labels)
            figures = save_figures(args.out, model, history, data, predictions)
            if figures:
                print("figures: " + ", ".join(str(path) for path in figures))
    except OSError as error:  # checked writable before training, but a disk can fill up
        raise SystemExit(
            f"python -m demos.mnist: error: cannot write {error.filename or 'the results'}: "
            f"{error.strerror or error}; {last.describe()}"
        ) from None
    return result


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


def save_checkpoint(args, model, optimizer, epoch: int, history, last: LastCheckpoint) -> None:
    """Save the training state after ``epoch``; a failed write is reported, training goes on."""
    metadata = {key: np.array(values) for key, values in history.items()}
    for name, value in hyperparameters(args).items():
        metadata[f"option_{name}"] = np.array(value)  # "option_optimizer": not save's optimizer
    try:
        nn.save(model, args.checkpoint, optimizer, epoch=epoch, **metadata)
    except OSError as error:
        print(
            f"warning: cannot write the checkpoint {args.checkpoint}: {error.strerror or error}; "
            f"training goes on, and {last.describe()}",
            file=sys.stderr,
        )
        return
    last.path, last.epochs = args.checkpoint, epoch + 1


def resume(parser, args, model, optimizer) -> tuple[int, dict[str, list[float]]]:
    """Load ``--resume`` into ``model`` and ``optimizer``; return (epochs done, history).

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
    try:
        metadata = nn.load(model, path)  # the network first: the optimizer may differ
    except (nn.checkpoint.CheckpointError, OSError) as error:
        parser.error(load_failure(path, error))
    try:
        epochs_done = int(metadata["epoch"]) + 1
        history = {key: [float(v) for v in np.atleast_1d(metadata[key])] for key in HISTORY}
        saved = saved_hyperparameters(metadata)
    except (KeyError, TypeError, ValueError):
        parser.error(
            f"--resume {path}: a chaingrad checkpoint, but not one written by "
            "python -m demos.mnist --checkpoint (its epoch or history is missing or malformed)"
        )
    if epochs_done < 1 or any(len(values) < epochs_done for values in history.values()):
        parser.error(f"--resume {path}: its epoch count and history do not agree")
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
    try:
        nn.load(model, path, optimizer)  # the whole file was read above: only a misfit is left
    except (nn.checkpoint.CheckpointError, OSError) as error:
        if not differences:
            parser.error(load_failure(path, error))
        # Overridden --optimizer or --momentum: the saved moments do not fit the new optimizer.
        print(f"note: the optimizer starts afresh: {path} holds state for other options")
    return epochs_done, {key: values[:epochs_done] for key, values in history.items()}


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
    kinds.update(weight_decay=float, batch_size=int, seed=int, limit=int)
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
        outputs = [scalar_model(list(row)) for row in x]
        if args.loss == "ce":
            scalar_loss = nn.cross_entropy(outputs, [int(label) for label in y])
        else:
            costs = [nn.quadratic_cost(out, int(label)) for out, label in zip(outputs, y)]
            scalar_loss = autograd.sum_values(costs) * (1.0 / len(costs))
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


def save_figures(out: Path, model, history, data, predictions) -> list[Path]:
    """Curves, confusion matrix, misclassified digits and first-layer weights, as PNGs in ``out``.

    Each figure is its own matplotlib ``Figure`` (no ``pyplot``: the caller's backend and
    figure registry are left alone). Returns the paths, or [] without matplotlib.
    """
    if importlib.util.find_spec("matplotlib") is None:
        print("matplotlib is not installed, so no figures: pip install 'chaingrad[demos]'")
        return []
    directory = output_dir(out)
    return [
        _plot_curves(directory / "curves.png", history),
        _plot_confusion(directory / "confusion_matrix.png", data.test_labels, predictions),
        _plot_misclassified(directory / "misclassified.png", data, predictions),
        _plot_first_layer(directory / "first_layer_weights.png", model),
    ]


def _plot_curves(path: Path, history) -> Path:
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    figure = new_figure(9, 3.5)
    left, right = figure.subplots(1, 2)
    left.plot(epochs, history["train_loss"], marker="o")
    left.set(xlabel="epoch", ylabel="training loss", title="Loss")
    right.plot(epochs, np.array(history["test_accuracy"]) * 100, marker="o", color="C2")
    right.set(xlabel="epoch", ylabel="test accuracy (%)", title="Accuracy on 10,000 test digits")
    for axes in (left, right):
        axes.grid(alpha=0.3)
    return save_figure(figure, path)


def _plot_confusion(path: Path, labels: np.ndarray, predictions: np.ndarray) -> Path:
    counts = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    figure = new_figure(6, 5.5)
    axes = figure.subplots()
    image = axes.imshow(np.log1p(counts), cmap="Blues")
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
        xlabel="predicted",
        ylabel="true digit",
        title="Confusion matrix (test set)",
        xticks=range(CLASSES),
        yticks=range(CLASSES),
    )
    figure.colorbar(image, ax=axes, label="log(1 + count)")
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
    wrong = np.flatnonzero(predictions != data.test_labels)[:count]
    figure, cells = _image_grid(len(wrong), (1.4, 1.6))
    for axes, index in zip(cells, wrong):
        axes.imshow(data.test_images[index].reshape(28, 28), cmap="gray_r")
        axes.set_title(f"{data.test_labels[index]}→{predictions[index]}", fontsize=8)
    figure.suptitle("Misclassified test digits (true→predicted)")
    return save_figure(figure, path)


def _plot_first_layer(path: Path, model, count: int = 16) -> Path:
    weights = model[0].weight.data  # (784, hidden): column j is hidden unit j's weights
    shown = min(count, weights.shape[1])
    figure, cells = _image_grid(shown, (1.6, 1.6))
    for j, axes in zip(range(shown), cells):
        column = weights[:, j].reshape(28, 28)
        bound = float(np.abs(column).max()) or 1.0
        axes.imshow(column, cmap="RdBu_r", vmin=-bound, vmax=bound)
        axes.set_title(f"unit {j}", fontsize=8)
    figure.suptitle("First layer: what each hidden unit looks for (red +, blue −)")
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
        if args.engine == "scalar":
            if args.json:
                check_writable(make_parser(), "--json", args.json)
            result = compare_engines(args)
            if args.json:
                write_json(args.json, result)
            return result
        return train(args, last)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {last.describe()}", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
