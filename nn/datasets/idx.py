"""The IDX format of the original MNIST files (http://yann.lecun.com/exdb/mnist/).

An IDX file is a 4-byte magic number -- two zero bytes, a type code (0x08 = unsigned byte) and
the number of dimensions -- then each dimension as a big-endian uint32, then the values in
row-major order. MNIST images are 0x00000803 (N x 28 x 28) and labels 0x00000801 (N).

Files are read as streams (a gzip file is decompressed as it is read): the magic number and
the shape in the header are checked first, against the largest shape the file may have, and
only then is the body read -- exactly as many bytes as the header says, and no more.
"""

from __future__ import annotations

import io
import math
import struct

import numpy as np

from .errors import CorruptDataError
from .files import CHUNK_SIZE, Readable, read_exactly

__all__ = [
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "parse_idx",
    "parse_idx_images",
    "parse_idx_labels",
    "read_idx",
    "read_idx_images",
    "read_idx_labels",
]

UNSIGNED_BYTE = 0x08
LABELS_MAGIC = 0x00000801
IMAGES_MAGIC = 0x00000803
_HINT = "Replace it with a fresh copy of the file."


def read_idx(
    stream: Readable,
    *,
    name: str,
    expected_magic: int,
    max_shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Read an unsigned-byte IDX file from `stream` into a uint8 array of its header's shape.

    `name` (path or URL) is used in error messages. `max_shape`, if given, bounds each
    dimension; it is checked before the body is read, so a header that claims a huge shape
    costs nothing. The stream must end right after the body.

    Raises:
        CorruptDataError: wrong magic number, a dimension larger than `max_shape` allows, or
            a body shorter or longer than the header says (a truncated download, or not an
            IDX file at all).
    """
    (magic,) = struct.unpack(">I", read_exactly(stream, 4, name=name, what="the magic number"))
    if magic != expected_magic:
        raise CorruptDataError(
            f"{name}: magic number 0x{magic:08x}, expected 0x{expected_magic:08x}; "
            f"this is not the IDX file it is named as (or it is still gzip-compressed). {_HINT}"
        )
    ndim = magic & 0xFF
    dims = read_exactly(stream, 4 * ndim, name=name, what=f"a {ndim}-dimension header")
    shape = struct.unpack(f">{ndim}I", dims)
    if max_shape is not None and any(d > m for d, m in zip(shape, max_shape, strict=True)):
        raise CorruptDataError(
            f"{name}: header says shape {shape}, larger than the {max_shape} an MNIST file "
            f"can have; refusing to read it. {_HINT}"
        )
    body_size = math.prod(shape)  # a Python int: exact, never overflows
    body = read_exactly(stream, body_size, name=name, what=f"the body of shape {shape}")
    # Read a little more than the header allows: at the end of a gzip stream its CRC is
    # checked, so a corrupt stream that decompressed to extra bytes is reported as corrupt.
    if stream.read(CHUNK_SIZE):
        raise CorruptDataError(
            f"{name}: has trailing bytes after the {body_size} bytes its header's shape "
            f"{shape} needs. {_HINT}"
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def read_idx_images(stream: Readable, *, name: str, max_count: int | None = None) -> np.ndarray:
    """Read an MNIST images IDX file (at most `max_count` images) into uint8 of shape (N, 784).

    Raises:
        CorruptDataError: as `read_idx`; images that are not 28 x 28 or more than `max_count`.
    """
    max_shape = None if max_count is None else (max_count, 28, 28)
    images = read_idx(stream, name=name, expected_magic=IMAGES_MAGIC, max_shape=max_shape)
    if images.shape[1:] != (28, 28):
        raise CorruptDataError(f"{name}: images are {images.shape[1:]}, expected (28, 28).")
    return images.reshape(len(images), 28 * 28)


def read_idx_labels(stream: Readable, *, name: str, max_count: int | None = None) -> np.ndarray:
    """Read an MNIST labels IDX file (at most `max_count` labels) into uint8 of shape (N,).

    Raises:
        CorruptDataError: as `read_idx`; more than `max_count` labels, or one outside 0..9.
    """
    max_shape = None if max_count is None else (max_count,)
    labels = read_idx(stream, name=name, expected_magic=LABELS_MAGIC, max_shape=max_shape)
    if labels.size and int(labels.max()) > 9:
        raise CorruptDataError(f"{name}: contains label {int(labels.max())}, expected 0..9.")
    return labels


def parse_idx(data: bytes, *, name: str, expected_magic: int) -> np.ndarray:
    """Decode the bytes of an unsigned-byte IDX file; see `read_idx`.

    Raises:
        CorruptDataError: as `read_idx`.
    """
    return read_idx(io.BytesIO(data), name=name, expected_magic=expected_magic)


def parse_idx_images(data: bytes, *, name: str, max_count: int | None = None) -> np.ndarray:
    """Decode the bytes of an MNIST images IDX file; see `read_idx_images`."""
    return read_idx_images(io.BytesIO(data), name=name, max_count=max_count)


def parse_idx_labels(data: bytes, *, name: str, max_count: int | None = None) -> np.ndarray:
    """Decode the bytes of an MNIST labels IDX file; see `read_idx_labels`."""
    return read_idx_labels(io.BytesIO(data), name=name, max_count=max_count)
