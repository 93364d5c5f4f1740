"""The on-disk cache: one compressed .npz of uint8 arrays, fingerprinted and written atomically.

The cache lives in ``$CHAINGRAD_CACHE_DIR``, else ``$XDG_CACHE_HOME/chaingrad``, else
``~/.cache/chaingrad`` (an explicit ``cache_dir`` argument beats all three). The file
``mnist-v1.npz`` holds the four arrays of `MNISTArrays` plus ``sha256``, their
`content_sha256`, which is checked against both the file's own arrays and the expected value
on every load. It is read by `nn.datasets.npz.read_npz`, which never unpickles (loading it
can never run code) and checks every size in the file before trusting it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .arrays import IMAGE_SIZE, TEST_SIZE, TRAIN_SIZE, MNISTArrays, content_sha256, validate_arrays
from .errors import CorruptDataError
from .files import atomic_write_bytes
from .npz import NpySpec, read_npz

__all__ = [
    "CACHE_DIR_ENV",
    "CACHE_FILENAME",
    "cache_file",
    "default_cache_dir",
    "read_cache",
    "write_cache",
]

CACHE_DIR_ENV = "CHAINGRAD_CACHE_DIR"
CACHE_FILENAME = "mnist-v1.npz"
_FORMAT_VERSION = 1
# What each array in the cache may be: checked against the file before anything is read.
_SPECS = {
    "train_images": NpySpec("u", 1, (TRAIN_SIZE, IMAGE_SIZE)),
    "train_labels": NpySpec("u", 1, (TRAIN_SIZE,)),
    "test_images": NpySpec("u", 1, (TEST_SIZE, IMAGE_SIZE)),
    "test_labels": NpySpec("u", 1, (TEST_SIZE,)),
    "sha256": NpySpec("U", 4 * 64, ()),
    "source": NpySpec("U", 4 * 4096, ()),  # a path or URL
    "format_version": NpySpec("iu", 8, ()),
}


def default_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the directory chaingrad caches data in.

    In order: `cache_dir` if given, ``$CHAINGRAD_CACHE_DIR``, ``$XDG_CACHE_HOME/chaingrad``
    (if that variable is an absolute path, as the XDG spec requires), ``~/.cache/chaingrad``.
    The directory is not created here.
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "chaingrad"


def cache_file(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of the MNIST cache file (it may not exist yet); see `default_cache_dir`."""
    return default_cache_dir(cache_dir) / CACHE_FILENAME


def write_cache(path: Path, arrays: MNISTArrays, *, source: str) -> None:
    """Write `arrays` to `path` atomically as a compressed .npz with their fingerprint.

    Raises:
        OSError: the file cannot be written (the previous file, if any, is left untouched).
    """
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        **arrays._asdict(),
        sha256=np.array(content_sha256(arrays)),
        source=np.array(source),
        format_version=np.array(_FORMAT_VERSION),
    )
    atomic_write_bytes(path, buffer.getvalue())


def read_cache(path: Path, *, expected_sha256: str) -> MNISTArrays | None:
    """Load the cache at `path`; None if there is no such file.

    Checks, in order: the file is a regular file (never opened if it is a FIFO or a
    device, which could block forever), a .npz with exactly the expected arrays whose
    declared sizes, dtypes and shapes fit MNIST -- all before anything is decompressed (see
    `nn.datasets.npz`) -- and whose zip CRCs hold; the arrays have the right dtypes and
    shapes; their SHA-256 equals both the one recorded in the file and `expected_sha256`.

    Raises:
        DatasetError: `path` is not a regular file; the message names it and the fix.
        CorruptDataError: any other check fails. The message names the file and says to
            delete it.
    """
    if not path.exists():
        return None

    def corrupt(problem: str) -> CorruptDataError:
        return CorruptDataError(
            f"cache file {path} is unusable: {problem}. Delete it; it is rebuilt from the "
            "next source on the next load."
        )

    fix = (
        f"Remove it, or choose another cache directory (the cache_dir argument or "
        f"${CACHE_DIR_ENV})."
    )
    try:
        contents = read_npz(path, _SPECS, fix=fix)
    except CorruptDataError as exc:
        raise corrupt(str(exc)) from None
    if int(contents["format_version"]) != _FORMAT_VERSION:
        raise corrupt(
            f"format version {int(contents['format_version'])}, expected {_FORMAT_VERSION}"
        )
    arrays = MNISTArrays(*(contents[key] for key in MNISTArrays._fields))
    recorded = str(contents["sha256"])
    try:
        validate_arrays(arrays, where=str(path))
    except CorruptDataError as exc:
        raise corrupt(str(exc)) from None
    actual = content_sha256(arrays)
    if actual != recorded:
        raise corrupt(f"its arrays hash to {actual}, but the file records {recorded}")
    if actual != expected_sha256:
        raise corrupt(f"its arrays hash to {actual}, expected {expected_sha256} (standard MNIST)")
    return arrays
