"""Checkpoints: a model's weights and its optimizer's state in one ``.npz`` file.

``save`` writes atomically (a temporary file in the same directory, flushed to disk, then
renamed over the target), so a crash mid-write leaves the previous checkpoint intact. ``load``
reads with ``allow_pickle=False`` (a checkpoint holds arrays, never code) and checks every key,
shape and dtype before changing anything, so a checkpoint from another network, or a truncated
file, is refused with a message naming the file.

With the optimizer's state (SGD velocities, Adam moments, the step count) saved too, training
resumed from a checkpoint continues exactly as if it had never stopped.

File layout (all arrays): ``format``; ``model/<name>`` per parameter; ``optimizer/type`` and
``optimizer/<key>`` per optimizer entry; ``meta/<key>`` per metadata item.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from autograd.files import write_atomically
from nn.module import Module, check_state

FORMAT = "chaingrad-checkpoint-1"


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, corrupt, or does not fit the model or optimizer."""


def save(model: Module, path: str | os.PathLike, optimizer: Any = None, **metadata: Any) -> Path:
    """Write ``model``'s parameters (and ``optimizer``'s state) to ``path`` atomically.

    ``metadata`` values (epoch, seed, a config string, lists of numbers...) must convert to
    numeric, boolean or string arrays; they come back from :func:`load`. Returns the path.

    Raises:
        TypeError: for a metadata value that is not a number, string, bool or array of them.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {"format": np.array(FORMAT)}
    for name, array in model.state_dict().items():
        arrays[f"model/{name}"] = np.asarray(array)
    if optimizer is not None:
        arrays["optimizer/type"] = np.array(type(optimizer).__name__)
        for name, array in optimizer.state_dict().items():
            arrays[f"optimizer/{name}"] = np.asarray(array)
    for key, value in metadata.items():
        array = np.asarray(value)
        if array.dtype.kind not in "biufU":
            raise TypeError(
                f"save: metadata {key}={value!r:.60} is not a number, string, bool or array of "
                "them (checkpoints hold arrays only, never pickled objects)"
            )
        arrays[f"meta/{key}"] = array
    _write_atomically(path, arrays)
    return path


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(path, buffer.getvalue())


def load(model: Module, path: str | os.PathLike, optimizer: Any = None) -> dict[str, Any]:
    """Restore ``model`` (and ``optimizer``) from a checkpoint written by :func:`save`.

    Everything is checked before anything changes: the model's keys, shapes and dtypes must
    match the checkpoint's exactly, and so must the optimizer's type and state when an
    optimizer is given. Returns the metadata (0-d arrays as Python scalars).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        CheckpointError: if the file is truncated or corrupt, is not a chaingrad checkpoint,
            or does not fit the model or the optimizer (the message says which entry).
    """
    path = Path(path)
    arrays = _read(path)
    model_state = _section(arrays, "model/")
    _check_fits(path, "model", model.state_dict(), model_state)
    optimizer_state = None
    if optimizer is not None:
        optimizer_state = _section(arrays, "optimizer/")
        saved_type = str(optimizer_state.pop("type", np.array("none")))
        if saved_type != type(optimizer).__name__:
            raise CheckpointError(
                f"{path}: the checkpoint holds {saved_type!r} optimizer state, but a "
                f"{type(optimizer).__name__} was given; resume with the same optimizer"
            )
        _check_fits(path, "optimizer", optimizer.state_dict(), optimizer_state)
    model.load_state_dict(model_state)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    metadata = _section(arrays, "meta/")
    return {key: value.item() if value.ndim == 0 else value for key, value in metadata.items()}


def _read(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        # Our own file handle: np.load leaves its own open when a damaged archive fails.
        with path.open("rb") as file, np.load(file, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise CheckpointError(
            f"{path}: cannot read the checkpoint (truncated or corrupt file?): {error}. "
            "Delete it and save again, or resume from another checkpoint."
        ) from error
    if "format" not in arrays or str(arrays["format"]) != FORMAT:
        raise CheckpointError(
            f"{path}: not a chaingrad checkpoint (no {FORMAT!r} marker); write it with nn.save"
        )
    return arrays


def _section(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}


def _check_fits(
    path: Path, what: str, expected: dict[str, np.ndarray], given: dict[str, np.ndarray]
) -> None:
    """Raise CheckpointError unless ``given`` has ``expected``'s keys, shapes and dtypes."""
    shapes = {key: np.shape(array) for key, array in expected.items()}
    source = (
        "a network of the same architecture"
        if what == "model"
        else "the same kind of optimizer over the same parameters"
    )
    try:
        check_state(f"{path}: {what} state", shapes, given, source=source)
    except (KeyError, ValueError) as error:
        raise CheckpointError(error.args[0]) from None
    for key, array in expected.items():
        expected_dtype, saved_dtype = np.asarray(array).dtype, given[key].dtype
        if saved_dtype != expected_dtype:
            raise CheckpointError(
                f"{path}: {what} entry {key!r} has dtype {saved_dtype}, expected "
                f"{expected_dtype}; build the model with the dtype it was saved with"
            )
