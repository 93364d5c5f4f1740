"""Hostile data files are refused before they can crash Python or exhaust its memory.

The loads run in a child process: a crash (a segfault) then fails the test instead of
killing pytest, and the child reports, per load, the peak of ``tracemalloc`` (which also
counts NumPy's allocations) above what it used before, so each test can say how much memory
rejecting its file cost. Every file here is tiny on disk; before the checks, each made the
loader allocate hundreds of MB to GBs. All cases share one child, to keep the tests quick;
the one that used to segfault gets its own.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MB = 1 << 20
# Rejecting a file may cost a few chunks of 1 MB, never what the file claims.
FEW_MB = 16 * MB

IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

CHILD = """
import gc, json, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from nn import datasets
from nn.datasets.cache import read_cache
report = {}
tracemalloc.start()
for name, call in json.loads(sys.argv[2]).items():
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        eval(call)
        outcome = "loaded"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    report[name] = (outcome, tracemalloc.get_traced_memory()[1] - before)
print(json.dumps(report))
"""

# A case writes its hostile file(s) into the directory it is given and returns the load to
# run there, as Python source (``datasets.mnist(...)`` or ``read_cache(...)``).
Case = Callable[[Path], str]
CASES: dict[str, Case] = {}


def case(make: Case) -> Case:
    CASES[make.__name__] = make
    return make


def load_in_child(calls: dict[str, str], cwd: Path) -> dict[str, tuple[str, int]]:
    """Run each load in one fresh Python; {name: (outcome, peak bytes)}, outcome is
    "loaded" or "ErrorType: message"."""
    env = {key: value for key, value in os.environ.items() if key != "CHAINGRAD_MNIST_DIR"}
    env["CHAINGRAD_CACHE_DIR"] = str(cwd / "cache")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), json.dumps(calls)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"a load crashed (exit {result.returncode}): {result.stderr}"
    return {name: tuple(value) for name, value in json.loads(result.stdout).items()}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, int]]:
    """Every case of CASES, loaded in one child process."""
    root = tmp_path_factory.mktemp("hostile")
    calls = {}
    for name, make in CASES.items():
        (root / name).mkdir()
        calls[name] = make(root / name)
    return load_in_child(calls, root)


@functools.cache
def gzip_bomb(size: int, prefix: bytes = b"") -> bytes:
    """`prefix` then `size` zero bytes, gzipped about 1000:1 without holding the zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    zeros = bytes(MB)
    parts = [compressor.compress(prefix)] + [compressor.compress(zeros) for _ in range(size // MB)]
    return b"".join([*parts, compressor.flush()])


def idx_dir_with(directory: Path, name: str, data: bytes) -> str:
    """Fill `directory` with well-formed tiny IDX files, except `name`, which holds `data`;
    return the load of that directory."""
    contents = {
        "train-images-idx3-ubyte.gz": struct.pack(">IIII", 0x803, 1, 28, 28) + bytes(784),
        "train-labels-idx1-ubyte.gz": struct.pack(">II", 0x801, 1) + bytes(1),
        "t10k-images-idx3-ubyte.gz": struct.pack(">IIII", 0x803, 1, 28, 28) + bytes(784),
        "t10k-labels-idx1-ubyte.gz": struct.pack(">II", 0x801, 1) + bytes(1),
    }
    for filename, content in contents.items():
        (directory / filename).write_bytes(gzip.compress(content, mtime=0))
    (directory / name).write_bytes(data)
    return f"datasets.mnist(Path({str(directory)!r}))"


def pickle_dir_with(directory: Path, payload: bytes) -> str:
    """Write `payload`, gzipped, as `directory`/mnist.pkl.gz; return the load of it."""
    (directory / "mnist.pkl.gz").write_bytes(gzip.compress(payload, mtime=0))
    return f"datasets.mnist(Path({str(directory)!r}))"


def assert_refused(outcome_and_peak: tuple[str, int], error: str, *phrases: str) -> None:
    outcome, peak = outcome_and_peak
    assert outcome.startswith(error), outcome
    for phrase in phrases:
        assert phrase in outcome, outcome
    assert peak < FEW_MB, f"refusing it cost {peak / MB:.0f} MB ({outcome})"


# --- the pickle ----------------------------------------------------------------------------


def ndarray_call_with_negative_offset() -> bytes:
    """``numpy.ndarray((1 << 20,), numpy.dtype('u1'), 16 bytes, -1 GiB)``: reads outside memory."""
    return (
        b"\x80\x02"  # PROTO 2
        b"cnumpy\nndarray\n"  # GLOBAL numpy.ndarray
        b"("  # MARK: its arguments
        b"J" + struct.pack("<i", 1 << 20) + b"\x85"  # shape (1048576,)
        b"cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R"  # numpy.dtype('u1', 0, 1)
        b"C\x10"
        + b"x" * 16  # the buffer: 16 bytes
        + b"J"
        + struct.pack("<i", -(1 << 30))  # offset: -1 GiB
        + b"tR."  # TUPLE, REDUCE (call it), STOP
    )


def test_pickle_calling_ndarray_with_a_negative_offset_is_refused_not_a_crash(
    tmp_path: Path,
) -> None:
    load = pickle_dir_with(tmp_path, ndarray_call_with_negative_offset())
    report = load_in_child({"negative offset": load}, tmp_path)
    assert_refused(report["negative offset"], "UnsafePickleError", "numpy.ndarray")


@case
def reconstruct_declaring_1_2_million_images(directory: Path) -> str:
    """``_reconstruct(ndarray, (1200000, 784), b'f4')``: 3.8 GB of images from ~130 bytes."""
    return pickle_dir_with(
        directory,
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
        b"J" + struct.pack("<i", 1_200_000) + b"M\x10\x03\x86"  # shape (1200000, 784)
        b"U\x02f4\x87R.",  # dtype code 'f4'; TUPLE3, REDUCE (call it), STOP
    )


def test_pickle_declaring_1_2_million_images_is_refused_before_allocating(outcomes) -> None:
    assert_refused(outcomes["reconstruct_declaring_1_2_million_images"], "UnsafePickleError")


@case
def bytes_opcode_claiming_3_6_gb(directory: Path) -> str:
    """A BINBYTES8 opcode that says 3.6 GB follow; a few bytes do."""
    claim = b"\x80\x04\x8e" + struct.pack("<Q", 3_600_000_000) + b"only a few bytes follow"
    return pickle_dir_with(directory, claim)


def test_pickle_whose_bytes_opcode_claims_3_6_gb_is_refused_in_a_few_mb(outcomes) -> None:
    assert_refused(outcomes["bytes_opcode_claiming_3_6_gb"], "CorruptDataError", "truncated")


@case
def gzip_bomb_as_pickle(directory: Path) -> str:
    (directory / "mnist.pkl.gz").write_bytes(gzip_bomb(64 * MB))
    return f"datasets.mnist(Path({str(directory)!r}))"


def test_gzip_bomb_named_mnist_pkl_gz_is_refused_in_a_few_mb(outcomes) -> None:
    assert_refused(outcomes["gzip_bomb_as_pickle"], "CorruptDataError", "not a pickle opcode")


# --- the IDX files -------------------------------------------------------------------------


for _name in IDX_NAMES:

    def _bomb_as_idx(directory: Path, name: str = _name) -> str:
        return idx_dir_with(directory, name, gzip_bomb(64 * MB))

    _bomb_as_idx.__name__ = f"gzip_bomb_as_{_name}"
    case(_bomb_as_idx)


@pytest.mark.parametrize("name", IDX_NAMES)
def test_gzip_bomb_as_an_idx_file_is_refused_in_a_few_mb(outcomes, name: str) -> None:
    assert_refused(
        outcomes[f"gzip_bomb_as_{name}"], "CorruptDataError", name, "magic number 0x00000000"
    )


@case
def idx_header_claiming_1_2_million_images(directory: Path) -> str:
    header = struct.pack(">IIII", 0x803, 1_200_000, 28, 28)
    return idx_dir_with(directory, IDX_NAMES[0], gzip_bomb(64 * MB, prefix=header))


def test_idx_header_claiming_more_than_mnist_is_refused_before_decompressing(outcomes) -> None:
    assert_refused(
        outcomes["idx_header_claiming_1_2_million_images"],
        "CorruptDataError",
        "(1200000, 28, 28)",
        "(60000, 28, 28)",
    )


@case
def idx_labels_followed_by_a_bomb(directory: Path) -> str:
    labels = gzip_bomb(64 * MB, prefix=struct.pack(">II", 0x801, 10_000))
    return idx_dir_with(directory, "t10k-labels-idx1-ubyte.gz", labels)


def test_idx_body_followed_by_a_bomb_is_refused_after_the_expected_size(outcomes) -> None:
    assert_refused(outcomes["idx_labels_followed_by_a_bomb"], "CorruptDataError", "trailing")


# --- the cache (.npz) ----------------------------------------------------------------------


def npy_header(dtype: str, shape: tuple[int, ...]) -> bytes:
    """A version 1.0 .npy header, as NumPy writes it."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def cache_with_member(directory: Path, key: str, member: bytes) -> str:
    """Write a cache whose member `key` holds `member` (raw .npy bytes), the rest tiny;
    return the load of it."""
    arrays = {
        "train_images": np.zeros((1, 784), np.uint8),
        "train_labels": np.zeros(1, np.uint8),
        "test_images": np.zeros((1, 784), np.uint8),
        "test_labels": np.zeros(1, np.uint8),
        "sha256": np.array("0" * 64),
        "source": np.array("test"),
        "format_version": np.array(1),
    }
    path = directory / "mnist-v1.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array)
            archive.writestr(f"{name}.npy", member if name == key else buffer.getvalue())
    return f"read_cache(Path({str(path)!r}), expected_sha256='')"


@case
def cache_member_declaring_1_2_million_images(directory: Path) -> str:
    member = npy_header("|u1", (1_200_000, 784)) + bytes(100)  # claims 940 MB
    return cache_with_member(directory, "train_images", member)


def test_cache_member_declaring_a_huge_shape_is_refused_before_allocating(outcomes) -> None:
    assert_refused(
        outcomes["cache_member_declaring_1_2_million_images"], "CorruptDataError", "(1200000, 784)"
    )


@case
def cache_member_that_is_a_zip_bomb(directory: Path) -> str:
    member = npy_header("|u1", (64 * MB,)) + bytes(64 * MB)  # compresses to ~64 kB
    return cache_with_member(directory, "train_labels", member)


def test_cache_member_that_is_a_zip_bomb_is_refused_before_decompressing(outcomes) -> None:
    assert_refused(
        outcomes["cache_member_that_is_a_zip_bomb"], "CorruptDataError", "member train_labels"
    )
