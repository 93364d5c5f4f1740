"""The on-disk cache: one compressed .npz of uint8 arrays, fingerprinted and written atomically.

The cache lives in ``$CHAINGRAD_CACHE_DIR``, else ``$XDG_CACHE_HOME/chaingrad``, else
``~/.cache/chaingrad`` (an explicit ``cache_dir`` argument beats all three). The file
``mnist-v1.npz`` holds the four arrays of `MNISTArrays` plus ``sha256``, their
`content_sha256`, which is checked against both the file's own arrays and the expected value
on every load. It is read with ``allow_pickle=False``: loading it can never run code.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .arrays import MNISTArrays, content_sha256, validate_arrays
from .errors import CorruptDataError
from .files import atomic_write_bytes

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
_KEYS = {*MNISTArrays._fields, "sha256", "source", "format_version"}


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

    Checks, in order: the file is a readable .npz with exactly the expected arrays (the zip
    CRC catches flipped bits), the arrays have the right dtypes and shapes, their SHA-256
    equals both the one recorded in the file and `expected_sha256`.

    Raises:
        CorruptDataError: any check fails. The message names the file and says to delete it.
    """
    if not path.exists():
        return None

    def corrupt(problem: str) -> CorruptDataError:
        return CorruptDataError(
            f"cache file {path} is unusable: {problem}. Delete it; it is rebuilt from the "
            "next source on the next load."
        )

    try:
        # Our own file handle: np.load leaves its own open when a damaged archive fails.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as npz:
            if set(npz.files) != _KEYS:
                raise corrupt(f"it holds {sorted(npz.files)}, expected {sorted(_KEYS)}")
            if int(npz["format_version"]) != _FORMAT_VERSION:
                raise corrupt(
                    f"format version {int(npz['format_version'])}, expected {_FORMAT_VERSION}"
                )
            arrays = MNISTArrays(*(npz[key] for key in MNISTArrays._fields))
            recorded = str(npz["sha256"])
    except CorruptDataError:
        raise
    except Exception as exc:  # truncation and bit rot surface as many different exceptions
        raise corrupt(f"cannot be read as .npz ({type(exc).__name__}: {exc})") from exc
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
