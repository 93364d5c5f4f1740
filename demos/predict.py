"""Read your own digits with a network that python -m demos.mnist trained and saved.

    python -m demos.mnist --hidden 256 --activation relu --lr 0.05 --momentum 0.9 \\
        --batch-size 64 --epochs 6 --shift 2 --checkpoint runs/reader/model.npz \\
        --out runs/reader   # ~10 s
    python -m demos.predict runs/reader/model.best.npz seven.png photo.jpg
    python -m demos.predict runs/reader/model.best.npz *.png --top 5 --json predictions.json

Any network the MNIST demo saved will do (``make demo`` leaves the article's 784-16-10 in
runs/mnist/model.best.npz), but a small one trained on centred handwriting is easily
fooled by a digit that is printed or drawn off-centre. The network above (97.9% on MNIST's
test digits, trained on digits moved by up to 2 pixels) read 30 of 30 digits typed in
three fonts where the article's network read 25.

Each picture (PNG or JPEG, any size, one digit, dark on light or light on dark) is made into
a 28×28 image the way MNIST's digits were made (demos/digits.py): greyscale; inverted if
its border is light, so the ink is bright as in MNIST; cropped to the digit; strokes
much bolder or finer than MNIST's (a marker, a bold font) thinned or thickened to MNIST's
usual 2.1 to 3.0 pixels; fitted into 20×20 keeping its aspect ratio; placed in 28×28 with
its centre of mass at the centre. The network's ten
outputs then become probabilities, and the most likely digits are printed:

    seven.png: 7 (97.1%), 1 (1.8%), 9 (0.4%)

The probabilities are the softmax of the outputs for a network trained with the default
cross-entropy loss. A network trained with ``--loss mse`` has ten independent sigmoid
outputs that are not trained to sum to 1: they are divided by their sum, so read them as
relative scores rather than calibrated probabilities.

``--json FILE`` writes ``[{"image": path, "top": [[digit, probability], ...]}, ...]``
(written atomically). Every file is checked before anything is printed: a missing or
damaged checkpoint, a picture that is not a PNG or JPEG, or one with no ink is a usage
error (status 2) naming the file.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from demos.common import interrupt_exits, output_problem, same_file, write_json
from demos.digits import ImageError, load_digit
from demos.trained import TrainedModelError, load_trained
from nn.datasets import to_float

CLASSES = 10


def make_parser() -> argparse.ArgumentParser:
    """The command line; errors print a short usage line and the message (status 2)."""
    summary, examples, *details = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(
        prog="python -m demos.predict",
        usage="%(prog)s CHECKPOINT IMAGE... [--top K] [--json FILE]  (see --help)",
        description=summary
        + ' From the article "一文读懂神经网络" ("Neural networks in one read").',
        epilog=("examples:\n" + "\n\n".join([examples, *details])).replace("``", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "checkpoint",
        type=Path,
        metavar="CHECKPOINT",
        help="a network saved by python -m demos.mnist --checkpoint FILE",
    )
    parser.add_argument(
        "images",
        type=Path,
        nargs="+",
        metavar="IMAGE",
        help="PNG or JPEG pictures of one digit each",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=3,
        metavar="K",
        help=f"how many digits to show per picture, 1 to {CLASSES} (default: 3)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the predictions to FILE as JSON"
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser and its checked arguments; a bad value exits with status 2."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.top <= CLASSES:
        parser.error(f"--top {args.top}: must be from 1 to {CLASSES}")
    if args.json is not None:
        problem = json_path_problem(args.json, [args.checkpoint, *args.images])
        if problem:
            parser.error(problem)
    return parser, args


def json_path_problem(path: Path, inputs: list[Path]) -> str | None:
    """Why ``--json path`` cannot be written (not a file, or one of the inputs); or None."""
    problem = output_problem("--json", path)
    if problem is None and any(same_file(given, path) for given in inputs):
        problem = f"--json {path} is also an input file; name another file for the JSON"
    return problem


def probabilities(outputs: np.ndarray, loss: str) -> np.ndarray:
    """Each row of the network's ``outputs`` as probabilities over the ten digits.

    ``loss == "ce"``: the softmax of the logits (computed stably: the row's largest logit
    is subtracted first). ``loss == "mse"``: the sigmoid outputs divided by their sum (all
    equal when every output is 0), which sums to 1 but is no trained probability.
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if loss == "ce":
        weights = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    else:
        weights = np.where(outputs.sum(axis=1, keepdims=True) > 0, outputs, 1.0)
    return weights / weights.sum(axis=1, keepdims=True)


def top_classes(row: np.ndarray, count: int) -> list[list[Any]]:
    """``[[digit, probability], ...]``: the ``count`` most likely digits, most likely first
    (ties in digit order).
    """
    order = np.argsort(-row, kind="stable")[:count]
    return [[int(digit), float(row[digit])] for digit in order]


def describe(image: Path, top: list[list[Any]]) -> str:
    """``seven.png: 7 (97.1%), 1 (1.8%), 9 (0.4%)``."""
    return f"{image}: " + ", ".join(f"{digit} ({share:.1%})" for digit, share in top)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run the command line ``argv``: print each picture's most likely digits; return them as
    ``[{"image": path, "top": [[digit, probability], ...]}, ...]`` (what ``--json`` writes).

    Raises:
        SystemExit: status 2 with a usage message naming the file for a bad option, a
            checkpoint that cannot be loaded, a picture that cannot be read or holds no ink,
            or a JSON file that cannot be written; nothing is printed before all are read.
            Status 130 on Ctrl-C.
    """
    parser, args = parse_args(argv)
    with interrupt_exits():
        return predict(parser, args)


def predict(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The work of :func:`main` once the options are parsed (see there)."""
    try:
        model, options = load_trained(args.checkpoint)
    except TrainedModelError as error:
        parser.error(f"CHECKPOINT {error}")
    try:
        pictures = np.stack([load_digit(path).reshape(-1) for path in args.images])
    except ImageError as error:
        parser.error(f"IMAGE {error}")
    # Overflow is checked for below, once, rather than warned about op by op.
    with autograd.no_grad(), np.errstate(over="ignore", invalid="ignore"):
        outputs = model(autograd.Tensor(to_float(pictures))).data
    if not np.isfinite(outputs).all():  # finite weights so large that the sums overflow
        parser.error(f"CHECKPOINT {args.checkpoint}: its network's outputs overflow (inf or NaN)")
    shares = probabilities(outputs, options["loss"])
    results = [
        {"image": str(path), "top": top_classes(row, args.top)}
        for path, row in zip(args.images, shares)
    ]
    if args.json is not None:
        try:
            write_json(args.json, results)
        except OSError as error:
            parser.error(f"--json {args.json}: cannot write it: {error.strerror or error}")
    for path, result in zip(args.images, results):
        print(describe(path, result["top"]))
    return results


if __name__ == "__main__":
    main()
