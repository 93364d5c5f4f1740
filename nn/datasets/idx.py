"""The IDX format of the original MNIST files (http://yann.lecun.com/exdb/mnist/).

An IDX file is a 4-byte magic number -- two zero bytes, a type code (0x08 = unsigned byte) and
the number of dimensions -- then each dimension as a big-endian uint32, then the values in
row-major order. MNIST images are 0x00000803 (N x 28 x 28) and labels 0x00000801 (N).
"""

from __future__ import annotations

import struct

import numpy as np

from .errors import CorruptDataError

__all__ = ["IMAGES_MAGIC", "LABELS_MAGIC", "parse_idx", "parse_idx_images", "parse_idx_labels"]

UNSIGNED_BYTE = 0x08
LABELS_MAGIC = 0x00000801
IMAGES_MAGIC = 0x00000803


def parse_idx(data: bytes, *, name: str, expected_magic: int) -> np.ndarray:
    """Decode an unsigned-byte IDX file into a uint8 array of the shape in its header.

    `name` (path or URL) is used in error messages.

    Raises:
        CorruptDataError: wrong magic number, or the file is shorter or longer than its header
            says (a truncated download, or not an IDX file at all).
    """
    hint = "Delete it and get a fresh copy of the file."
    if len(data) < 4:
        raise CorruptDataError(f"{name}: only {len(data)} bytes, too short for an IDX file. {hint}")
    (magic,) = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        raise CorruptDataError(
            f"{name}: magic number 0x{magic:08x}, expected 0x{expected_magic:08x}; "
            f"this is not the IDX file it is named as (or it is still gzip-compressed). {hint}"
        )
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise CorruptDataError(
            f"{name}: {len(data)} bytes, shorter than its {header_size}-byte header. {hint}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    expected = header_size + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise CorruptDataError(
            f"{name}: {what}: header says shape {shape}, i.e. {expected} bytes in all, "
            f"but the file has {len(data)}. {hint}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def parse_idx_images(data: bytes, *, name: str) -> np.ndarray:
    """Decode an MNIST images IDX file into uint8 of shape (N, 784).

    Raises:
        CorruptDataError: as `parse_idx`, or images that are not 28 x 28.
    """
    images = parse_idx(data, name=name, expected_magic=IMAGES_MAGIC)
    if images.shape[1:] != (28, 28):
        raise CorruptDataError(f"{name}: images are {images.shape[1:]}, expected (28, 28).")
    return images.reshape(len(images), 28 * 28)


def parse_idx_labels(data: bytes, *, name: str) -> np.ndarray:
    """Decode an MNIST labels IDX file into uint8 of shape (N,).

    Raises:
        CorruptDataError: as `parse_idx`, or a label outside 0..9.
    """
    labels = parse_idx(data, name=name, expected_magic=LABELS_MAGIC)
    if labels.size and int(labels.max()) > 9:
        raise CorruptDataError(f"{name}: contains label {int(labels.max())}, expected 0..9.")
    return labels
