"""IDX headers are claims: checked against MNIST's shapes before anything is read or allocated.

(Gzip bombs and the memory they cost are in test_hostile_data_memory.py.)
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets.idx import IMAGES_MAGIC, parse_idx

TINY_IDX = {
    "train-images-idx3-ubyte": struct.pack(">IIII", 0x803, 2, 28, 28) + bytes(2 * 784),
    "train-labels-idx1-ubyte": struct.pack(">II", 0x801, 2) + bytes(2),
    "t10k-images-idx3-ubyte": struct.pack(">IIII", 0x803, 1, 28, 28) + bytes(784),
    "t10k-labels-idx1-ubyte": struct.pack(">II", 0x801, 1) + bytes(1),
}
# Three dimensions whose product is 2**64: NumPy's int64 product wraps to 0 bytes.
WRAPS_TO_ZERO = struct.pack(">IIII", IMAGES_MAGIC, 1 << 31, 1 << 31, 4)


def idx_dir(tmp_path: Path, *, gz: bool, **replaced: bytes) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    for name, data in {**TINY_IDX, **replaced}.items():
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (directory / name).write_bytes(data)
    return directory


def test_tiny_idx_files_still_load(tmp_path: Path) -> None:
    data = datasets.mnist(idx_dir(tmp_path, gz=True))
    assert data.train_images.shape == (2, 784) and data.test_labels.tolist() == [0]


def test_header_whose_size_overflows_int64_is_a_corrupt_data_error() -> None:
    with pytest.raises(datasets.CorruptDataError, match="truncated"):
        parse_idx(WRAPS_TO_ZERO, name="wraps", expected_magic=IMAGES_MAGIC)


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "uncompressed"])
def test_header_whose_size_overflows_int64_is_refused_in_a_data_directory(
    tmp_path: Path, gz: bool
) -> None:
    directory = idx_dir(tmp_path, gz=gz, **{"train-images-idx3-ubyte": WRAPS_TO_ZERO})
    with pytest.raises(datasets.CorruptDataError, match="train-images-idx3-ubyte"):
        datasets.mnist(directory)


@pytest.mark.parametrize(
    ("name", "header", "limit"),
    [
        ("t10k-images-idx3-ubyte", struct.pack(">IIII", 0x803, 10_001, 28, 28), "(10000, 28, 28)"),
        ("train-labels-idx1-ubyte", struct.pack(">II", 0x801, 60_001), "(60000,)"),
        ("train-images-idx3-ubyte", struct.pack(">IIII", 0x803, 1, 29, 28), "(60000, 28, 28)"),
    ],
)
def test_header_larger_than_the_standard_split_is_refused(
    tmp_path: Path, name: str, header: bytes, limit: str
) -> None:
    directory = idx_dir(tmp_path, gz=False, **{name: header})
    with pytest.raises(datasets.CorruptDataError) as info:
        datasets.mnist(directory)
    assert name in str(info.value) and limit in str(info.value)


def test_truncated_body_says_how_much_is_missing() -> None:
    data = struct.pack(">IIII", IMAGES_MAGIC, 3, 28, 28) + bytes(100)
    with pytest.raises(datasets.CorruptDataError, match=r"should be 2352 bytes.*after 100"):
        parse_idx(data, name="short", expected_magic=IMAGES_MAGIC)


def test_decoded_arrays_are_writable_uint8() -> None:
    data = struct.pack(">II", 0x801, 3) + bytes([1, 2, 3])
    labels = parse_idx(data, name="labels", expected_magic=0x801)
    assert labels.dtype == np.uint8 and labels.flags.writeable and labels.tolist() == [1, 2, 3]
