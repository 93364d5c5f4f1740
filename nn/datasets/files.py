"""Small, careful file helpers: checksums, bounded gunzip, and atomic writes."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib

from autograd.files import write_atomically as atomic_write_bytes

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
