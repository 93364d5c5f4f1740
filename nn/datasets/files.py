"""Small, careful file helpers: checksums, reading with a size cap, and atomic writes.

Every data file is opened through `open_regular_file`, which never blocks on a FIFO or a
device, and read through `read_at_most` / `read_exactly`, which read in chunks: a size
written in a file (a gzip stream's length, a header's shape) is a claim to check, never an
amount of memory to set aside.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path
from typing import BinaryIO, Protocol

from autograd.files import NotARegularFileError
from autograd.files import open_regular_file as _open_regular_file
from autograd.files import write_atomically as atomic_write_bytes

from .errors import CorruptDataError, DatasetError

__all__ = [
    "CHUNK_SIZE",
    "Readable",
    "atomic_write_bytes",
    "gzip_error",
    "gzip_errors",
    "is_gzip",
    "open_regular_file",
    "read_at_most",
    "read_exactly",
    "read_regular_file",
    "sha256_hex",
]


class Readable(Protocol):
    """Anything read in chunks here: an open file, a gzip stream, a zip member, BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...


CHUNK_SIZE = 1 << 20  # bytes read at a time: the most memory a read spends before checking
# What reading a damaged gzip stream raises (BadGzipFile is an OSError).
gzip_errors = (OSError, EOFError, zlib.error)
_GZIP_MAGIC = b"\x1f\x8b"


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of `data` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def open_regular_file(path: Path, *, fix: str) -> BinaryIO:
    """Open `path` for reading in binary mode, refusing anything but a regular file.

    See `autograd.files.open_regular_file`: a FIFO or a device can neither block the
    caller nor be swapped in after the check. `fix` is the advice the error ends with.

    Raises:
        DatasetError: `path` is a FIFO, a device, a socket or a directory (named, with `fix`).
        OSError: `path` cannot be opened (it does not exist, no permission, ...).
    """
    try:
        return _open_regular_file(path, who="reading data")
    except NotARegularFileError as error:
        raise DatasetError(f"{error}. {fix}") from None


def read_regular_file(path: Path, *, max_bytes: int, fix: str) -> bytes:
    """Read all of the regular file `path`, refusing files larger than `max_bytes`.

    The size is checked with ``fstat`` before anything is read, and again while reading
    (the file may grow meanwhile).

    Raises:
        DatasetError: `path` is not a regular file (see `open_regular_file`).
        CorruptDataError: the file is larger than `max_bytes`.
        OSError: the file cannot be opened or read.
    """
    with open_regular_file(path, fix=fix) as file:
        size = os.fstat(file.fileno()).st_size
        if size > max_bytes:
            raise CorruptDataError(
                f"{path}: {size} bytes, more than the {max_bytes} such a file can have; "
                "it is not the file its name says. Replace it with a fresh copy."
            )
        return read_at_most(file, max_bytes, name=str(path))


def read_at_most(stream: Readable, max_bytes: int, *, name: str) -> bytes:
    """Read `stream` to its end in chunks; refuse it once it gives more than `max_bytes`.

    At most `max_bytes` plus one chunk is ever held, whatever the stream claims or holds.

    Raises:
        CorruptDataError: the stream holds more than `max_bytes` bytes.
    """
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(CHUNK_SIZE, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise CorruptDataError(
                f"{name}: holds more than {max_bytes} bytes, more than such a file can; "
                "refusing it. Replace it with a fresh copy."
            )
        chunks.append(chunk)


def read_exactly(stream: Readable, size: int, *, name: str, what: str) -> bytearray:
    """Read exactly `size` bytes (`what` they are, for messages) from `stream`, in chunks.

    Memory grows with the bytes actually read, not with `size`, so a short stream that
    claims a huge size costs only its own length. The result is a bytearray, so NumPy can
    use it in place (``np.frombuffer``) without a copy.

    Raises:
        CorruptDataError: the stream ends before `size` bytes.
    """
    buffer = bytearray()
    while len(buffer) < size:
        chunk = stream.read(min(CHUNK_SIZE, size - len(buffer)))
        if not chunk:
            raise CorruptDataError(
                f"{name}: truncated: {what} should be {size} bytes, the file ends after "
                f"{len(buffer)}. Replace it with a fresh copy of the file."
            )
        buffer += chunk
    return buffer


def is_gzip(data: bytes) -> bool:
    """True if `data` starts with the gzip magic number."""
    return data[:2] == _GZIP_MAGIC


def gzip_error(name: str, exc: BaseException) -> CorruptDataError:
    """The error for a gzip stream that cannot be decompressed (truncated, bad CRC, ...)."""
    return CorruptDataError(
        f"{name}: not a valid gzip file ({type(exc).__name__}: {exc}); it is probably "
        "truncated or corrupt. Replace it with a fresh copy."
    )
