"""Small, careful file helpers: checksums, bounded gunzip, and atomic writes."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import tempfile
import zlib
from pathlib import Path

from .errors import CorruptDataError

__all__ = ["atomic_write_bytes", "gunzip", "sha256_hex"]


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of `data` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def gunzip(data: bytes, *, name: str, max_size: int = 1 << 30) -> bytes:
    """Decompress gzip `data` read from `name` (a path or URL, used in messages).

    `max_size` bounds the output, so a small malicious file cannot expand without limit.

    Raises:
        CorruptDataError: `data` is not gzip, is truncated, fails its CRC, or expands beyond
            `max_size` bytes.
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(max_size + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptDataError(
            f"{name}: not a valid gzip file ({type(exc).__name__}: {exc}); it is probably "
            "truncated or corrupt. Delete it and get a fresh copy."
        ) from exc
    if len(out) > max_size:
        raise CorruptDataError(f"{name}: decompresses to more than {max_size} bytes; refusing.")
    return out


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one.

    Writes a temporary file in the same directory, flushes and fsyncs it, then `os.replace`s
    it over `path` (atomic on POSIX and Windows), then fsyncs the directory where possible.
    Parent directories are created. On any error the temporary file is removed.

    Raises:
        OSError: the directory cannot be created or written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; a cache need not be
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    # Make the rename itself durable; not possible (nor needed) on every platform.
    with contextlib.suppress(OSError, AttributeError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
