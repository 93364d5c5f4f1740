"""A network trained by ``python -m demos.mnist --checkpoint FILE``, rebuilt from its file.

A checkpoint holds the weights and, as ``option_<name>`` metadata entries, the command-line
options the network was trained with. :func:`load_trained` reads those options first (a few
small entries, size-checked before they are read), builds the same network —
``nn.feedforward(784, [*hidden, 10], activation, "sigmoid" if loss == "mse" else None)``,
with an ``nn.Dropout(p)`` after each hidden activation when ``option_dropout`` records
p > 0 — and then loads the weights with :func:`nn.load`, which checks every entry against it.

Used by ``python -m demos.predict`` and ``python -m demos.mnist --evaluate``: every failure is
a :class:`TrainedModelError` whose one-line message names the file and the problem, which
the command lines turn into usage errors (status 2).
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

import nn
from demos.common import open_input

__all__ = ["MAX_PARAMETERS", "TrainedModelError", "build_network", "load_trained", "network"]

INPUTS = 784
CLASSES = 10
REQUIRED = ("hidden", "activation", "loss")
"""The options without which the network cannot be rebuilt."""
MAX_PARAMETERS = 100_000_000
"""Checkpoints whose options describe a larger network are refused before it is built."""
WRITER = "python -m demos.mnist --checkpoint FILE"
WHO = "load_trained"


class TrainedModelError(ValueError):
    """A file that does not give a trained demo network; the message names it, in one line."""


def load_trained(path: str | os.PathLike[str]) -> tuple[nn.Sequential, dict[str, Any]]:
    """The network saved in the checkpoint ``path``, with its weights, ready to predict.

    Returns ``(model, options)``: ``options`` holds every recorded option by name
    (``{"hidden": (16,), "activation": "sigmoid", "loss": "ce", "lr": 0.5, ...}``; a list
    option as a tuple). The model is in evaluation mode where it has one (``model.eval()``).
    Its outputs are logits for ``loss == "ce"`` and sigmoids for ``loss == "mse"``.

    Raises:
        TrainedModelError: ``path`` is missing, not a regular file, not a checkpoint, a
            checkpoint that does not record the demo's options (hidden, activation, loss)
            or records ones that cannot be built, damaged (truncated, corrupt, or its
            weights do not fit the network its options describe), or holding weights that
            are NaN or infinite (a run that diverged).
    """
    options, stored = recorded_options(path)
    parameters = checked_size(path, options)
    if stored != parameters:  # refused before a network of that size is built
        raise TrainedModelError(
            f"{path}: damaged: its options describe {parameters:,} parameters, but it "
            f"holds {stored:,}"
        )
    model = build_network(path, options)
    try:
        nn.load(model, path)
    except nn.CheckpointError as error:
        if error.__cause__ is None:  # read fine, but an entry's name, shape or dtype differs
            raise TrainedModelError(
                f"{path}: damaged: its weights do not fit the network its options describe: {error}"
            ) from None
        raise refusal(path, error) from None
    except OSError as error:  # removed or made unreadable since it was first read
        raise TrainedModelError(f"{path}: cannot read it: {error.strerror or error}") from None
    broken = [name for name, value in model.state_dict().items() if not np.isfinite(value).all()]
    if broken:
        raise TrainedModelError(
            f"{path}: its weights hold NaN or infinity ({', '.join(broken[:3])}): the training "
            "diverged; train again with a smaller --lr"
        )
    model.eval()  # dropout (if any) off: predictions use the whole network
    return model, options


def damaged(path: str | os.PathLike[str], cause: BaseException) -> str:
    """The message for a checkpoint that cannot be read (the low-level reason at the end)."""
    reason = str(cause) or type(cause).__name__
    if "pickle" in reason.lower():
        reason = "it holds Python objects (pickled data), which a checkpoint never does"
    return f"{path}: cannot read it (damaged or truncated?): {reason}"


def recorded_options(path: str | os.PathLike[str]) -> tuple[dict[str, Any], int]:
    """``(options, stored)``: the ``option_<name>`` entries of the checkpoint ``path`` as
    Python values (a list option as a list), and how many numbers its model entries hold.

    Read with :func:`nn.checkpoint.inspect`: the metadata, checked as ``nn.load`` checks
    it, and only the headers of the weights; nothing is unpickled.

    Raises:
        TrainedModelError: as :func:`load_trained` says.
    """
    with open_input(path, error=TrainedModelError, expected="a checkpoint file", who=WHO) as file:
        if not zipfile.is_zipfile(file):
            raise TrainedModelError(
                f"{path}: not a checkpoint (a checkpoint is the .npz archive that {WRITER} "
                "writes; this file is another kind, or truncated)"
            )
    try:
        metadata, shapes = nn.checkpoint.inspect(path)
    except nn.CheckpointError as error:
        raise refusal(path, error) from None
    except OSError as error:  # removed or made unreadable since it was opened
        raise TrainedModelError(f"{path}: cannot read it: {error.strerror or error}") from None
    options = {
        key[len("option_") :]: value.tolist() if isinstance(value, np.ndarray) else value
        for key, value in metadata.items()
        if key.startswith("option_")
    }
    return options, sum(math.prod(shape) for shape in shapes.values())


def refusal(path: str | os.PathLike[str], error: nn.CheckpointError) -> TrainedModelError:
    """A CheckpointError as this module reports it: what did not fit, or why it is damaged."""
    if error.__cause__ is None:  # read fine, but not a checkpoint of the expected kind
        return TrainedModelError(str(error))
    return TrainedModelError(damaged(path, error.__cause__))


def checked_size(path: str | os.PathLike[str], options: dict[str, Any]) -> int:
    """The number of parameters of the network that ``options`` (as :func:`recorded_options`
    reads them) describe, once they are checked; ``options["hidden"]`` becomes a tuple.

    Raises:
        TrainedModelError: the options needed are missing, malformed, or describe a network
            of more than ``MAX_PARAMETERS`` parameters.
    """
    missing = [name for name in REQUIRED if name not in options]
    if missing:
        raise TrainedModelError(
            f"{path}: a chaingrad checkpoint, but it does not record the network's options ("
            + ", ".join(f"option_{name}" for name in missing)
            + f"); name a file that {WRITER} wrote"
        )
    hidden = options["hidden"] = tuple(np.atleast_1d(options["hidden"]).tolist())
    activation, loss = options["activation"], options["loss"]
    dropout = options.get("dropout", 0.0)

    def malformed(what: str) -> TrainedModelError:
        return TrainedModelError(f"{path}: damaged: it records {what}")

    if not hidden or not all(type(size) is int and size >= 1 for size in hidden):
        raise malformed(f"hidden layer sizes {hidden!r:.60}, not whole numbers of at least 1")
    if not isinstance(activation, str) or activation not in nn.layers.ACTIVATIONS:
        raise malformed(f"the activation {activation!r:.40}, which nn does not have")
    if loss not in ("ce", "mse"):
        raise malformed(f"the loss {loss!r:.40}, not ce or mse")
    if isinstance(dropout, (bool, str)) or not (
        isinstance(dropout, (int, float)) and 0 <= dropout < 1
    ):
        raise malformed(f"the dropout {dropout!r:.40}, not a probability in [0, 1)")
    sizes = [INPUTS, *hidden, CLASSES]
    parameters = sum(n_in * n_out + n_out for n_in, n_out in pairwise(sizes))
    if parameters > MAX_PARAMETERS:
        raise malformed(
            f"a network of {parameters:,} parameters, more than the {MAX_PARAMETERS:,} the "
            "demos build"
        )
    return parameters


def build_network(path: str | os.PathLike[str], options: dict[str, Any]) -> nn.Sequential:
    """The untrained network that ``options`` describe: 784 inputs, the hidden layers, 10
    outputs (sigmoids for the mse loss), and a dropout layer after each hidden activation
    when ``options["dropout"]`` is above 0.

    Raises:
        TrainedModelError: the options are not ones :func:`checked_size` accepts.
    """
    checked_size(path, options)
    return network(
        options["hidden"], options["activation"], options["loss"], options.get("dropout", 0.0)
    )


def network(
    hidden: Sequence[int],
    activation: str,
    loss: str,
    dropout: float = 0.0,
    seed: int = 0,
    dtype: Any = np.float32,
) -> nn.Sequential:
    """784 → ``hidden`` → 10: ``Linear, activation, [Dropout,] ..., Linear[, Sigmoid]``.

    The network ``python -m demos.mnist`` trains, built here for it and for the checkpoints
    it saves. The output layer has a sigmoid for the ``"mse"`` loss (the article's network)
    and none for ``"ce"`` (its logits go to the softmax of the cross-entropy). With
    ``dropout`` > 0 an ``nn.Dropout`` follows every hidden activation; it has no parameters,
    but it shifts the positions that name them ("0.weight", "3.weight", ...), as in PyTorch.
    The weights are drawn from ``seed``, and so are the dropout masks until reseeded.
    """
    output_activation = "sigmoid" if loss == "mse" else None
    layers = nn.feedforward(
        INPUTS, [*hidden, CLASSES], activation, output_activation, rng=seed, dtype=dtype
    )
    if not dropout:
        return layers
    modules: list[nn.Module] = []
    for index, module in enumerate(layers):
        modules.append(module)
        if index % 2 == 1 and index < 2 * len(hidden):  # after a hidden layer's activation
            modules.append(nn.Dropout(dropout, rng=seed))
    return nn.Sequential(*modules)
