"""Checkpoints: a model's weights and its optimizer's state in one ``.npz`` file.

``save`` writes atomically (a temporary file in the same directory, flushed to disk, then
renamed over the target), so a crash mid-write leaves the previous checkpoint intact. ``load``
never unpickles (a checkpoint holds arrays, never code) and checks every key, shape and dtype
before changing anything, so a checkpoint from another network, or a truncated file, is refused
with a message naming the file. It checks the archive's member list and each array's header
before decompressing anything, so a zip bomb or a forged header is refused without using
more memory than the model itself.

With the optimizer's state (SGD velocities, Adam moments, the step count) saved too, training
resumed from a checkpoint continues exactly as if it had never stopped.

File layout (all arrays): ``format``; ``model/<name>`` per parameter; ``optimizer/type`` and
``optimizer/<key>`` per optimizer entry; ``meta/<key>`` per metadata item.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from autograd.files import (
    NotARegularFileError,
    ctrl_c_deferred,
    open_regular_file,
    write_atomically,
)
from nn.module import Module, check_keys, validated_state

_T = TypeVar("_T")

FORMAT = "chaingrad-checkpoint-1"


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, corrupt, or does not fit the model or optimizer."""


def save(model: Module, path: str | os.PathLike, optimizer: Any = None, **metadata: Any) -> Path:
    """Write ``model``'s parameters (and ``optimizer``'s state) to ``path`` atomically.

    ``metadata`` values (epoch, seed, a config string, lists of numbers...) must convert to
    numeric, boolean or string arrays; they come back from :func:`load`. Returns the path.

    Raises:
        TypeError: for a ``model`` that is not a Module, an ``optimizer`` that has no
            ``state_dict()``, or a metadata value that is not a number, string, bool or array
            of them.
    """
    _check_arguments("save", model, optimizer)
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


def _check_arguments(who: str, model: Any, optimizer: Any) -> None:
    """A TypeError naming ``nn.save`` or ``nn.load`` for a model or optimizer of the wrong
    kind (arguments swapped, a path first, a class rather than an instance)."""
    if not isinstance(model, Module):
        raise TypeError(
            f"nn.{who}: model must be an nn.Module (the network itself), not "
            f"{type(model).__name__} ({model!r:.60}); call nn.{who}(model, path, optimizer)"
        )
    if optimizer is not None and not callable(getattr(optimizer, "state_dict", None)):
        raise TypeError(
            f"nn.{who}: optimizer must be an optimizer of nn.optim (SGD, Adam, AdamW) or None, "
            f"not {type(optimizer).__name__} ({optimizer!r:.60})"
        )


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # A Ctrl-C lands once the file is written: stopping np.savez halfway would leave a
    # half-made zip archive behind, which prints a traceback when Python collects it.
    with ctrl_c_deferred():
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_atomically(path, buffer.getvalue())


def load(model: Module, path: str | os.PathLike, optimizer: Any = None) -> dict[str, Any]:
    """Restore ``model`` (and ``optimizer``) from a checkpoint written by :func:`save`.

    Everything is checked before anything changes: the model's keys, shapes and dtypes must
    match the checkpoint's exactly, and so must the optimizer's type and state when an
    optimizer is given. Returns the metadata (0-d arrays as Python scalars).

    A hostile or damaged file cannot make ``load`` allocate or decompress more than the model
    needs: the archive's member list and each member's ``.npy`` header (dtype and shape, read
    from its first bytes only) are checked against the model and optimizer first, and each
    member's declared size must equal its header plus shape × itemsize, so a member declaring
    shape ``(10**12,)``, an unknown extra member, or more than
    :data:`MAX_METADATA_BYTES` of metadata is refused before anything is decompressed.
    Arrays are never unpickled.

    Raises:
        TypeError: for a ``model`` that is not a Module, or an ``optimizer`` that has no
            ``state_dict()``.
        FileNotFoundError: if ``path`` does not exist.
        CheckpointError: if the file is not a regular file (a directory, FIFO or device), is
            truncated or corrupt, is not a chaingrad checkpoint,
            holds members a checkpoint does not have, or does not fit the model or the
            optimizer (the message says which entry).
    """
    _check_arguments("load", model, optimizer)
    path = Path(path)
    model_expected = _expected(model.state_dict())
    optimizer_expected = None if optimizer is None else _expected(optimizer.state_dict())
    arrays = _read(
        path,
        "nn.load",
        lambda archive: _read_checked(path, archive, model_expected, optimizer, optimizer_expected),
    )
    model_state = _section(arrays, "model/")
    try:  # the values themselves, before anything changes
        validated_state(f"{path}: model state", model_expected, model_state)
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(error.args[0]) from None
    model.load_state_dict(model_state)
    if optimizer is not None:
        optimizer.load_state_dict(_section(arrays, "optimizer/"))
    return _metadata(arrays)


def inspect(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
    """What a checkpoint holds, without a model: ``(metadata, {model key: shape})``.

    The metadata is read and returned as :func:`load` returns it (checked the same way);
    of the model's entries only the headers are read, so a program can learn which network
    a file holds (from its shapes, or from options recorded in its metadata) before it
    builds one to :func:`load` into.

    Raises:
        FileNotFoundError, CheckpointError: as :func:`load`.
    """
    path = Path(path)

    def read(archive: zipfile.ZipFile) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        members = _members(path, archive)
        if not _has_format_marker(path, archive, members):
            raise CheckpointError(
                f"{path}: not a chaingrad checkpoint (no {FORMAT!r} marker); write it with nn.save"
            )
        shapes = {
            key[len("model/") :]: _header(path, archive, info)[0]
            for key, info in members.items()
            if key.startswith("model/")
        }
        keys = _check_metadata(path, archive, members)
        return {key: _read_array(path, archive, members[key]) for key in keys}, shapes

    arrays, shapes = _read(path, "nn.checkpoint.inspect", read)
    return _metadata(arrays), shapes


def _read(path: Path, who: str, read: Callable[[zipfile.ZipFile], _T]) -> _T:
    """``read(archive)`` on the checkpoint ``path``, every failure a CheckpointError."""
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        # Our own file handle: it is closed however reading fails.
        with open_regular_file(path, who=who) as file, zipfile.ZipFile(file) as archive:
            return read(archive)
    except CheckpointError:
        raise
    except NotARegularFileError as error:  # a FIFO would block, a device never ends
        raise CheckpointError(f"{error}; name a checkpoint file written by nn.save") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(
            f"{path}: cannot read the checkpoint (truncated or corrupt file?): {error}. "
            "Resume from another checkpoint, or train afresh."
        ) from error
    except (NotImplementedError, RuntimeError) as error:  # unknown compression, encryption
        raise CheckpointError(
            f"{path}: cannot read the checkpoint ({error}); nn.save never writes such a file"
        ) from error


def _metadata(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The ``meta/`` entries by name, 0-d arrays as Python scalars."""
    metadata = _section(arrays, "meta/")
    return {key: value.item() if value.ndim == 0 else value for key, value in metadata.items()}


#: At most this many bytes of metadata (epochs, seeds, histories...) are read from a checkpoint.
MAX_METADATA_BYTES = 64 * 2**20
#: At most this many metadata entries.
MAX_METADATA_ENTRIES = 1000
_MAX_HEADER_BYTES = 10_000  # NumPy's own limit for a .npy header
_SECTIONS = ("model/", "optimizer/", "meta/")

Expected = dict[str, tuple[tuple[int, ...], np.dtype]]


def _expected(state: dict[str, Any]) -> Expected:
    return {key: (np.shape(array), np.asarray(array).dtype) for key, array in state.items()}


def _read_checked(
    path: Path,
    archive: zipfile.ZipFile,
    model_expected: Expected,
    optimizer: Any,
    optimizer_expected: Expected | None,
) -> dict[str, np.ndarray]:
    """Check the member list and every header that will be read, then read those arrays."""
    members = _members(path, archive)
    if not _has_format_marker(path, archive, members):
        raise CheckpointError(
            f"{path}: not a chaingrad checkpoint (no {FORMAT!r} marker); write it with nn.save"
        )
    to_read = []
    to_read += _check_section(path, archive, members, "model", model_expected)
    if optimizer is not None:
        to_read += _check_optimizer(path, archive, members, optimizer, optimizer_expected)
    to_read += _check_metadata(path, archive, members)
    return {key: _read_array(path, archive, members[key]) for key in to_read}


def _has_format_marker(
    path: Path, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]
) -> bool:
    info = members.get("format")
    if info is None:
        return False
    shape, dtype, header_size = _header(path, archive, info)
    if (shape, dtype) != ((), np.array(FORMAT).dtype):
        return False
    _check_size(path, info, shape, dtype, header_size)
    return str(_read_array(path, archive, info)) == FORMAT


def _members(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """``{key: ZipInfo}`` for the ``key.npy`` members; anything else is a CheckpointError."""
    members: dict[str, zipfile.ZipInfo] = {}
    unknown: list[str] = []
    for info in archive.infolist():
        key = info.filename[: -len(".npy")] if info.filename.endswith(".npy") else None
        if key is None or not (key == "format" or key.startswith(_SECTIONS)):
            unknown.append(info.filename)
        elif key in members:
            raise CheckpointError(
                f"{path}: the member {info.filename!r} appears twice; the file was not written "
                "by nn.save. Save the checkpoint again."
            )
        else:
            members[key] = info
    if unknown and "format" in members:
        shown = ", ".join(repr(name) for name in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise CheckpointError(
            f"{path}: holds members a checkpoint does not have ({shown}{more}); refusing to "
            "read it. A checkpoint holds only format, model/*, optimizer/* and meta/* arrays; "
            "write it with nn.save."
        )
    return members


def _check_section(
    path: Path,
    archive: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    what: str,
    expected: Expected,
    checked: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """Check a section's keys, and each member's dtype, shape and size; return its keys.

    ``checked`` names keys of the section already checked by the caller (``optimizer/type``).
    """
    prefix = f"{what}/"
    given = [
        key[len(prefix) :]
        for key in members
        if key.startswith(prefix) and key[len(prefix) :] not in checked
    ]
    source = (
        "a network of the same architecture"
        if what == "model"
        else "the same kind of optimizer over the same parameters"
    )
    try:
        check_keys(f"{path}: {what} state", expected, given, source=source)
    except KeyError as error:
        raise CheckpointError(error.args[0]) from None
    for key, (shape, dtype) in expected.items():
        info = members[prefix + key]
        saved_shape, saved_dtype, header_size = _header(path, archive, info)
        if saved_shape != tuple(shape):
            raise CheckpointError(
                f"{path}: {what} state: {key!r} has shape {saved_shape}, expected "
                f"{tuple(shape)}; the state must come from {source}"
            )
        if saved_dtype != dtype:
            raise CheckpointError(
                f"{path}: {what} entry {key!r} has dtype {saved_dtype}, expected "
                f"{dtype}; build the model with the dtype it was saved with"
            )
        _check_size(path, info, saved_shape, saved_dtype, header_size)
    return [prefix + key for key in expected]


def _check_optimizer(
    path: Path,
    archive: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    optimizer: Any,
    expected: Expected | None,
) -> list[str]:
    given_type = "no"
    info = members.get("optimizer/type")
    if info is not None:
        shape, dtype, header_size = _header(path, archive, info)
        if shape != () or dtype.kind != "U" or dtype.itemsize > 4 * 100:
            raise CheckpointError(
                f"{path}: optimizer/type is not a short string ({dtype}, shape {shape}); "
                "the file was not written by nn.save"
            )
        _check_size(path, info, shape, dtype, header_size)
        given_type = repr(str(_read_array(path, archive, info)))
    if given_type != repr(type(optimizer).__name__):
        raise CheckpointError(
            f"{path}: the checkpoint holds {given_type} optimizer state, but the optimizer "
            f"given is {type(optimizer).__name__}; load it with the optimizer it was saved "
            "with, or load the model alone (nn.load(model, path)) and start a new optimizer"
        )
    return _check_section(path, archive, members, "optimizer", expected or {}, checked={"type"})


def _check_metadata(
    path: Path, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]
) -> list[str]:
    """Metadata has no expected shape: check each header's dtype, and the total size."""
    keys = [key for key in members if key.startswith("meta/")]
    if len(keys) > MAX_METADATA_ENTRIES:
        raise CheckpointError(
            f"{path}: holds {len(keys)} metadata entries, more than the "
            f"{MAX_METADATA_ENTRIES} nn.load reads; the file was not written by nn.save"
        )
    total = 0
    for key in keys:
        info = members[key]
        shape, dtype, header_size = _header(path, archive, info)
        if dtype.kind not in "biufU":
            raise CheckpointError(
                f"{path}: metadata {key[len('meta/') :]!r} has dtype {dtype}; checkpoints "
                "hold numbers, booleans and strings only"
            )
        _check_size(path, info, shape, dtype, header_size)
        total += info.file_size
        if total > MAX_METADATA_BYTES:
            raise CheckpointError(
                f"{path}: its metadata declares more than {MAX_METADATA_BYTES} bytes; refusing "
                "to read it (nn.save writes small metadata: epochs, seeds, histories)"
            )
    return keys


def _header(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo
) -> tuple[tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, header size)`` read from the first bytes of a ``.npy`` member.

    Only the header is decompressed. Callers compare shape and dtype with what they expect,
    then call :func:`_check_size` before reading the array.
    """
    with archive.open(info) as member:
        start = member.read(8)  # magic string and version
        version = tuple(start[6:8])
        length_bytes = {b"\x01\x00": 2, b"\x02\x00": 4}.get(start[6:8])
        if not start.startswith(b"\x93NUMPY") or length_bytes is None:
            raise CheckpointError(
                f"{path}: member {info.filename!r} is not a .npy array (format 1.0 or 2.0)"
            )
        length_field = member.read(length_bytes)
        length = int.from_bytes(length_field, "little")
        if length > _MAX_HEADER_BYTES:
            raise CheckpointError(
                f"{path}: member {info.filename!r} has a {length}-byte header; refusing"
            )
        prefix = start + length_field + member.read(length)
    stream = io.BytesIO(prefix)
    np.lib.format.read_magic(stream)
    read_header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, _, dtype = read_header(stream)  # ValueError for a damaged header
    if dtype.hasobject or any(size < 0 for size in shape):
        raise CheckpointError(
            f"{path}: member {info.filename!r} declares dtype {dtype}, shape {shape}; "
            "checkpoints hold plain numeric or string arrays"
        )
    return tuple(shape), dtype, stream.tell()


def _check_size(
    path: Path, info: zipfile.ZipInfo, shape: tuple[int, ...], dtype: np.dtype, header_size: int
) -> None:
    """The member's declared size must be its header plus shape × itemsize, exactly.

    The zip module never inflates a member beyond its declared size, so this bounds what
    reading the array can decompress and allocate.
    """
    data_size = math.prod(shape) * dtype.itemsize
    if info.file_size != header_size + data_size:
        raise CheckpointError(
            f"{path}: member {info.filename!r} declares shape {shape} and dtype {dtype} "
            f"({data_size} bytes of data) but {info.file_size - header_size} bytes are stored; "
            "the file is corrupt or was not written by nn.save"
        )


def _read_array(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """Read a member whose header :func:`_header` has checked (never unpickling)."""
    with archive.open(info) as member:
        array = np.lib.format.read_array(member, allow_pickle=False)
        if member.read(1):  # also makes the zip module check the CRC of the whole member
            raise CheckpointError(f"{path}: member {info.filename!r} has extra bytes")
    return array


def _section(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}
