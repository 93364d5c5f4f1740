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
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
from demos.common import new_figure, output_dir, save_figure, write_json
from nn import datasets

DEFAULT_LR = {("sgd", "ce"): 0.5, ("sgd", "mse"): 3.0, ("adam", "ce"): 1e-3, ("adam", "mse"): 1e-3}
CLASSES = 10


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, with ``--lr`` filled in from ``DEFAULT_LR`` when not given."""
    parser = argparse.ArgumentParser(
        prog="python -m demos.mnist", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--hidden", type=int, nargs="+", default=[16], help="hidden layer sizes")
    parser.add_argument("--activation", choices=["sigmoid", "relu", "tanh"], default="sigmoid")
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
        help="learning rate (default: 0.5 for SGD+ce, 3.0 for SGD+mse, 1e-3 for Adam)",
    )
    parser.add_argument("--momentum", type=float, default=0.0, help="SGD momentum")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", type=Path, help="save model+optimizer after each epoch")
    parser.add_argument("--resume", type=Path, help="continue from a checkpoint")
    parser.add_argument("--json", type=Path, help="write the per-epoch history as JSON")
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
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer, args.loss]
    if args.batch_size < 1 or args.epochs < 0 or (args.limit is not None and args.limit < 1):
        parser.error("--batch-size and --limit must be positive and --epochs not negative")
    return args


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
    sizes = "-".join(map(str, [784, *args.hidden, CLASSES]))
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
    seconds = time.perf_counter() - start
    progress.close()
    return loss_sum / max(count, 1), seconds


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 if sys.platform != "darwin" else kilobytes / 2**20


def train(args: argparse.Namespace) -> dict[str, Any]:
    """The Tensor engine's run: train, print, checkpoint, plot. Returns the history."""
    data = datasets.mnist()
    images, labels = data.train_images, data.train_labels
    if args.limit is not None:
        images, labels = images[: args.limit], labels[: args.limit]
    model, optimizer = build(args)
    loss_fn = loss_function(args)
    print(describe(args, model))
    history: dict[str, list[float]] = {"test_accuracy": [], "train_loss": [], "seconds": []}
    first_epoch = 0
    if args.resume:
        metadata = nn.load(model, args.resume, optimizer)
        if int(metadata["seed"]) != args.seed:
            raise SystemExit(
                f"{args.resume} was trained with --seed {int(metadata['seed'])}; pass the same "
                "seed to continue it (the seed decides every epoch's shuffle)"
            )
        first_epoch = int(metadata["epoch"]) + 1
        for key in history:
            history[key] = [float(v) for v in np.atleast_1d(metadata[key])][:first_epoch]
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
            nn.save(
                model,
                args.checkpoint,
                optimizer,
                epoch=epoch,
                seed=args.seed,
                **{key: np.array(values) for key, values in history.items()},
            )

    result = {
        "parameters": model.num_parameters(),
        "test_accuracy": history["test_accuracy"],
        "train_loss": history["train_loss"],
        "seconds_per_epoch": history["seconds"],
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.json:
        write_json(args.json, result)
    if not args.no_figures:
        predictions = evaluate(model, data.test_images, data.test_labels)
        figures = save_figures(args.out, model, history, data, predictions)
        if figures:
            print("figures: " + ", ".join(str(path) for path in figures))
    return result


# ------------------------------------------------------------------------- scalar vs tensor


def compare_engines(args: argparse.Namespace) -> dict[str, Any]:
    """Train the scalar nn.MLP and the float64 Tensor network from one state, step by step.

    Both see the same batches; after every step the largest |difference| between their
    weights is printed. It stays at float64 rounding level: the two engines are one algorithm.
    """
    limit = args.limit or args.batch_size
    data = datasets.mnist()
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
    """Run the demo with command-line ``argv``; returns the JSON-able result."""
    args = parse_args(argv)
    if args.engine == "scalar":
        return compare_engines(args)
    return train(args)


if __name__ == "__main__":
    main()
