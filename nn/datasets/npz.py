"""Reading an .npz archive that may be hostile: every size is checked before it is trusted.

``np.load`` decompresses whatever an archive holds and allocates whatever shape a member's
header declares, so a small file can claim gigabytes (a "zip bomb"). `read_npz` reads an
archive whose members are known in advance, in this order, touching nothing it has not
checked:

1. the file is a regular file no larger than the caller allows (never a FIFO or a device);
2. the zip's end record lists exactly the expected number of members (before the member
   list itself is parsed), then the member names are exactly the expected ones;
3. each member's declared size fits its `NpySpec`; then its .npy header is read and its
   dtype and shape must fit the spec, and the header plus shape x itemsize must be exactly
   the member's size;
4. only then is the member decompressed, in chunks, and its CRC checked.

Arrays are read with ``allow_pickle`` never involved: object dtypes are refused by the spec.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import CorruptDataError
from .files import Readable, open_regular_file, read_exactly

__all__ = ["NpySpec", "read_npz"]

_MAX_NPY_HEADER = 4096  # the header dict; NumPy writes 118 bytes of it
_NPY_MAGIC = b"\x93NUMPY"
_NPY_LENGTH_FORMATS = {(1, 0): struct.Struct("<H"), (2, 0): struct.Struct("<I")}
_END_RECORD = struct.Struct("<4s4H2LH")  # the zip "end of central directory" record
_END_SIGNATURE = b"PK\x05\x06"
_MAX_COMMENT = 0xFFFF
_MAX_DIRECTORY_ENTRY = 46 + 0xFFFF * 3  # fixed part, then name, extra field and comment


@dataclass(frozen=True)
class NpySpec:
    """What one member of an .npz may hold.

    kinds: the allowed dtype kinds (``np.dtype.kind``), e.g. ``"u"`` or ``"U"``.
    max_itemsize: the largest allowed itemsize in bytes.
    max_shape: the largest allowed shape; the member's shape must have as many dimensions,
        each at most this.
    """

    kinds: str
    max_itemsize: int
    max_shape: tuple[int, ...]

    @property
    def max_member_size(self) -> int:
        """The most bytes a member meeting this spec can have (header included)."""
        return _MAX_NPY_HEADER + math.prod(self.max_shape) * self.max_itemsize

    def problem_with(self, dtype: np.dtype, shape: tuple[int, ...]) -> str | None:
        """Say what is wrong with an array of `dtype` and `shape`, or None if it fits."""
        if dtype.hasobject or dtype.kind not in self.kinds or dtype.itemsize > self.max_itemsize:
            return (
                f"dtype {dtype}, expected kind {self.kinds!r} of at most {self.max_itemsize} bytes"
            )
        if len(shape) != len(self.max_shape) or any(
            size > limit for size, limit in zip(shape, self.max_shape, strict=True)
        ):
            return f"shape {shape}, expected at most {self.max_shape}"
        return None


def max_npz_size(specs: dict[str, NpySpec]) -> int:
    """The largest an archive of `specs` can be: stored members plus generous zip overhead."""
    return sum(spec.max_member_size + 1024 for spec in specs.values()) + (64 << 10)


def _check_end_record(file: BinaryIO, size: int, *, members: int) -> None:
    """Check, from the zip's end record, that it lists `members` members in a small directory."""
    tail_size = min(size, _END_RECORD.size + _MAX_COMMENT)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    start = tail.rfind(_END_SIGNATURE)
    if start < 0 or len(tail) - start < _END_RECORD.size:
        raise CorruptDataError("it is not a zip archive (no end-of-directory record)")
    fields = _END_RECORD.unpack_from(tail, start)
    entries_here, entries_total, directory_size = fields[3], fields[4], fields[5]
    if entries_here != members or entries_total != members:
        raise CorruptDataError(
            f"its zip directory lists {entries_total} members, expected {members}"
        )
    if directory_size > members * _MAX_DIRECTORY_ENTRY:
        raise CorruptDataError(f"its zip directory is {directory_size} bytes, too large")
    file.seek(0)


def _read_npy_header(member: Readable, key: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Read a .npy header: (shape, fortran_order, dtype, header size in bytes).

    The header's length is checked before the header is read, so a member claiming a
    4 GB header costs nothing; NumPy's own parser then reads the (short) header text.
    """
    magic = read_exactly(member, 8, name=key, what="the .npy magic number")
    if magic[:6] != _NPY_MAGIC or (magic[6], magic[7]) not in _NPY_LENGTH_FORMATS:
        raise CorruptDataError(f"member {key} is not a .npy file of format 1.0 or 2.0")
    length_format = _NPY_LENGTH_FORMATS[(magic[6], magic[7])]
    length_field = read_exactly(member, length_format.size, name=key, what="the header length")
    (header_length,) = length_format.unpack(length_field)
    if header_length > _MAX_NPY_HEADER:
        raise CorruptDataError(f"member {key} has a {header_length}-byte .npy header, too long")
    header = read_exactly(member, header_length, name=key, what="the .npy header")
    read_header = (
        np.lib.format.read_array_header_1_0
        if magic[6] == 1
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran_order, dtype = read_header(io.BytesIO(length_field + header))
    return shape, fortran_order, dtype, len(magic) + len(length_field) + header_length


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, spec: NpySpec) -> np.ndarray:
    """Read one .npy member after checking its declared size, then its header, against `spec`."""
    key = info.filename.removesuffix(".npy")
    if info.flag_bits & 0x1:
        raise CorruptDataError(f"member {key} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CorruptDataError(f"member {key} uses compression method {info.compress_type}")
    if info.file_size > spec.max_member_size:
        raise CorruptDataError(
            f"member {key} declares {info.file_size} bytes, more than the "
            f"{spec.max_member_size} it can hold"
        )
    with archive.open(info) as member:
        shape, fortran_order, dtype, header_size = _read_npy_header(member, key)
        problem = spec.problem_with(dtype, shape)
        if problem is not None:
            raise CorruptDataError(f"member {key} has {problem}")
        data_size = math.prod(shape) * dtype.itemsize
        if header_size + data_size != info.file_size:
            raise CorruptDataError(
                f"member {key} is {info.file_size} bytes, but its header ({header_size} bytes) "
                f"and shape {shape} of {dtype} make {header_size + data_size}"
            )
        data = read_exactly(member, data_size, name=key, what="the array data")
        if member.read(1):  # also makes zipfile check the CRC at the end of the member
            raise CorruptDataError(f"member {key} has trailing bytes")
    order = "F" if fortran_order else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order)


def read_npz(path: Path, specs: dict[str, NpySpec], *, fix: str) -> dict[str, np.ndarray]:
    """Read the .npz at `path`, which must hold exactly the arrays `specs` describes.

    See the module docstring for the order of the checks; `fix` ends the message when
    `path` is not a regular file. Memory use is bounded by the specs, whatever the file says.

    Raises:
        DatasetError: `path` is a FIFO, a device or a directory (see `open_regular_file`).
        CorruptDataError: any check fails, or the archive is damaged (bad CRC, truncated).
            The message says what is wrong but not which file: callers add that.
        OSError: `path` cannot be opened.
    """
    with open_regular_file(path, fix=fix) as file:
        size = os.fstat(file.fileno()).st_size
        largest = max_npz_size(specs)
        if size > largest:
            raise CorruptDataError(f"it is {size} bytes, more than the {largest} it can be")
        try:
            _check_end_record(file, size, members=len(specs))
            with zipfile.ZipFile(file) as archive:
                infos = archive.infolist()
                names = sorted(info.filename.removesuffix(".npy") for info in infos)
                if names != sorted(specs) or any(not i.filename.endswith(".npy") for i in infos):
                    raise CorruptDataError(f"it holds {names}, expected {sorted(specs)}")
                arrays = {}
                for info in infos:
                    key = info.filename.removesuffix(".npy")
                    arrays[key] = _read_member(archive, info, specs[key])
                return arrays
        except CorruptDataError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise CorruptDataError(
                f"it cannot be read as .npz ({type(exc).__name__}: {exc})"
            ) from exc
