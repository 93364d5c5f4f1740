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

import io
import math
import os
import zipfile
import zlib
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
MAX_OPTION_BYTES = 4096
"""An ``option_<name>`` entry larger than this is not one that demos.mnist wrote."""
WRITER = "python -m demos.mnist --checkpoint FILE"


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
    options, model_bytes = recorded_options(path)
    parameters = checked_size(path, options)
    if model_bytes < 4 * parameters:  # float32 or wider: a file this small cannot hold them
        raise TrainedModelError(
            f"{path}: damaged: its options describe {parameters:,} parameters, but it "
            f"holds only {model_bytes:,} bytes of weights"
        )
    model = build_network(path, options)
    try:
        nn.load(model, path)
    except nn.CheckpointError as error:
        cause = error.__cause__
        if cause is None:  # read fine, but an entry's name, shape or dtype does not fit
            raise TrainedModelError(
                f"{path}: damaged: its weights do not fit the network its options describe: {error}"
            ) from None
        raise TrainedModelError(damaged(path, cause)) from None
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
    """``(options, model_bytes)``: the ``option_<name>`` entries of the checkpoint ``path``
    as Python values, and the bytes its ``model/`` entries declare.

    Only those small entries are read, each checked (at most ``MAX_OPTION_BYTES``, header
    and data) before it is; nothing is unpickled.

    Raises:
        TrainedModelError: as :func:`load_trained` says.
    """
    file = open_input(
        path, error=TrainedModelError, expected="a checkpoint file", who="load_trained"
    )
    try:
        with file:
            if not zipfile.is_zipfile(file):
                raise TrainedModelError(
                    f"{path}: not a checkpoint (a checkpoint is the .npz archive that {WRITER} "
                    "writes; this file is another kind, or truncated)"
                )
            with zipfile.ZipFile(file) as archive:
                return read_options(path, archive)
    except TrainedModelError:
        raise
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,
        RuntimeError,
    ) as error:
        raise TrainedModelError(damaged(path, error)) from None


def read_options(path: str | os.PathLike[str], archive: zipfile.ZipFile) -> tuple[dict, int]:
    """The body of :func:`recorded_options`, once the archive is open."""
    members = archive.infolist()
    if "format.npy" not in archive.namelist():
        raise TrainedModelError(
            f"{path}: not a chaingrad checkpoint (a .npz archive without nn.save's format "
            f"entry); name a file that {WRITER} wrote"
        )
    options: dict[str, Any] = {}
    for info in members:
        name = info.filename
        if not (name.startswith("meta/option_") and name.endswith(".npy")):
            continue
        if info.file_size > MAX_OPTION_BYTES:
            raise TrainedModelError(
                f"{path}: damaged: its entry {name!r} declares {info.file_size:,} bytes, "
                f"more than an option takes ({MAX_OPTION_BYTES:,} at most)"
            )
        with archive.open(info) as member:
            stream = io.BytesIO(member.read())  # all of it: the zip module checks the CRC
        options[name[len("meta/option_") : -len(".npy")]] = small_array(stream).tolist()
    model_bytes = sum(info.file_size for info in members if info.filename.startswith("model/"))
    return options, model_bytes


def small_array(stream: io.BytesIO) -> np.ndarray:
    """The ``.npy`` array in ``stream``, its declared size checked against the bytes there
    before anything is allocated; numbers and strings only, never pickles.

    Raises:
        ValueError: a damaged header, a size that does not match, or an object array.
    """
    version = np.lib.format.read_magic(stream)
    read_header = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }.get(version)
    if read_header is None:
        raise ValueError(
            f"an option is stored in .npy format {version}, which nn.save never writes"
        )
    shape, fortran_order, dtype = read_header(stream)
    if dtype.kind not in "biufU":
        raise ValueError(f"an option has dtype {dtype}; options are numbers or strings")
    if math.prod(shape) * dtype.itemsize != len(stream.getbuffer()) - stream.tell():
        raise ValueError(f"an option declares shape {shape} and dtype {dtype}, not its size")
    data = np.frombuffer(stream.read(), dtype=dtype)
    return data.reshape(shape, order="F" if fortran_order else "C")


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
