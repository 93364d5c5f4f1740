"""The restricted unpickler builds arrays only from what NumPy itself writes, checked.

A pickle never reaches a NumPy constructor: the stand-ins accept a plain numeric dtype, a
shape and raw bytes of exactly shape x itemsize, and refuse everything else with a
`DatasetError`. Pickles here are written opcode by opcode, as an attacker would.
(The cases that used to crash Python or exhaust memory run in a child process, in
test_hostile_data_memory.py.)
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets.pickle_scan import check_pickle
from nn.datasets.pickled import load_restricted, parse_mnist_pickle

PROTO2 = b"\x80\x02"
RECONSTRUCT = b"cnumpy.core.multiarray\n_reconstruct\n"
NDARRAY = b"cnumpy\nndarray\n"
EMPTY_ARRAY = RECONSTRUCT + NDARRAY + b"K\x00\x85U\x01b\x87R"  # _reconstruct(ndarray, (0,), 'b')
DTYPE_STATE = b"(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # (3, '<', ... 0)


def short_string(text: bytes) -> bytes:
    return b"U" + bytes([len(text)]) + text  # SHORT_BINSTRING


def dtype_ops(code: bytes, state: bytes = DTYPE_STATE) -> bytes:
    """``numpy.dtype(code, 0, 1)`` then BUILD with `state`, as Python 2 wrote it."""
    return b"cnumpy\ndtype\n" + short_string(code) + b"K\x00K\x01\x87R" + state


def array_ops(shape: tuple[int, ...], code: bytes, raw: bytes, *, dtype: bytes = b"") -> bytes:
    """An array as Python 2's cPickle wrote it (protocol 2): the format of mnist.pkl.gz."""
    dims = b"(" + b"".join(b"J" + struct.pack("<i", size) for size in shape) + b"t"
    return (
        EMPTY_ARRAY
        + b"(K\x01"  # MARK, version 1
        + dims
        + (dtype or dtype_ops(code))
        + b"\x89"  # NEWFALSE: C order
        + b"T"
        + struct.pack("<i", len(raw))
        + raw  # BINSTRING: the raw data
        + b"tb"  # TUPLE, BUILD
    )


def python2_pickle(arrays: list[np.ndarray]) -> bytes:
    """A protocol-2 pickle of ((a0, a1), (a2, a3), (a4, a5)), written the way Python 2 did."""
    ops = [array_ops(a.shape, a.dtype.str[1:].encode(), a.tobytes()) for a in arrays]
    pairs = b"".join(ops[i] + ops[i + 1] + b"\x86" for i in range(0, len(ops), 2))
    return PROTO2 + pairs + b"\x87."


def test_a_python2_protocol_2_pickle_like_the_real_file_loads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 784)).astype(np.float32) / np.float32(256)
    labels = rng.integers(0, 10, size=7).astype(np.int64)
    parts = [images[:3], labels[:3], images[3:5], labels[3:5], images[5:], labels[5:]]
    (tmp_path / "mnist.pkl.gz").write_bytes(gzip.compress(python2_pickle(parts)))
    data = datasets.mnist(tmp_path)
    np.testing.assert_array_equal(data.train_images, (images[:5] * 256).astype(np.uint8))
    np.testing.assert_array_equal(data.test_labels, labels[5:])


def test_arrays_round_trip_in_any_memory_order_and_byte_order() -> None:
    arrays = (
        np.arange(12, dtype=np.float32).reshape(3, 4).T,  # Fortran order
        np.arange(5, dtype=">i4"),  # big-endian
        np.array([True, False]),
        np.zeros((0, 784), dtype=np.uint8),
    )
    loaded = load_restricted(pickle.dumps(arrays, protocol=4), name="test")
    for original, copy in zip(arrays, loaded, strict=True):
        np.testing.assert_array_equal(copy, original)
        assert copy.dtype == original.dtype and copy.flags.writeable


@pytest.mark.parametrize("extra", [-1, 1, -784 * 4])
def test_array_data_must_be_exactly_shape_times_itemsize(extra: int) -> None:
    raw = bytes(2 * 784 * 4 + extra)
    payload = PROTO2 + array_ops((2, 784), b"f4", raw) + b"."
    with pytest.raises(datasets.CorruptDataError, match=r"claims shape \(2, 784\) of float32"):
        load_restricted(payload, name="test")


def test_direct_ndarray_call_is_refused_whatever_its_arguments() -> None:
    payload = PROTO2 + NDARRAY + b"(K\x03\x85" + dtype_ops(b"u1") + b"C\x03abcK\x00tR."
    with pytest.raises(datasets.UnsafePickleError, match=r"numpy\.ndarray"):
        load_restricted(payload, name="test")


def test_reconstruct_with_a_shape_is_refused() -> None:
    payload = PROTO2 + RECONSTRUCT + NDARRAY + b"K\x05\x85U\x01b\x87R."
    with pytest.raises(datasets.UnsafePickleError, match="_reconstruct"):
        load_restricted(payload, name="test")


@pytest.mark.parametrize("code", [b"O8", b"V8", b"U4", b"M8[s]"])
def test_dtypes_other_than_plain_numbers_are_refused(code: bytes) -> None:
    payload = PROTO2 + array_ops((1,), code, bytes(8)) + b"."
    with pytest.raises(datasets.UnsafePickleError, match="dtype"):
        load_restricted(payload, name="test")


def test_dtype_state_with_fields_is_refused() -> None:
    # (3, '|', None, ('a',), {'a': ...}, ...): a structured dtype smuggled in through BUILD
    state = b"(K\x03U\x01|N(U\x01at}J\x08\x00\x00\x00K\x01K\x00tb"
    payload = PROTO2 + array_ops((1,), b"u8", bytes(8), dtype=dtype_ops(b"u8", state)) + b"."
    with pytest.raises(datasets.UnsafePickleError, match="state"):
        load_restricted(payload, name="test")


def test_an_array_built_twice_is_refused() -> None:
    once = array_ops((1,), b"u1", b"\x07")
    second_state = b"(K\x01(J\x01\x00\x00\x00t" + dtype_ops(b"u1") + b"\x89U\x01\x08t"
    with pytest.raises(datasets.UnsafePickleError, match="twice"):
        load_restricted(PROTO2 + once + second_state + b"b.", name="test")


def test_an_array_without_its_state_is_refused() -> None:
    with pytest.raises(datasets.CorruptDataError, match="no data"):
        load_restricted(PROTO2 + EMPTY_ARRAY + b".", name="test")


def test_trailing_bytes_after_the_pickle_are_refused() -> None:
    payload = pickle.dumps((1, 2), protocol=2) + b"junk"
    with pytest.raises(datasets.CorruptDataError, match="trailing bytes"):
        load_restricted(payload, name="test")


def test_mnist_pickle_larger_than_mnist_is_refused_while_decompressing() -> None:
    too_big = pickle.dumps(bytes(300), protocol=4)
    with pytest.raises(datasets.CorruptDataError, match="larger than the 100 bytes"):
        check_pickle(io.BytesIO(too_big), max_size=100, name="test")
    payload = gzip.compress(PROTO2 + b"T" + struct.pack("<i", 2**31 - 1) + b"x")
    with pytest.raises(datasets.CorruptDataError, match="truncated"):
        parse_mnist_pickle(payload, name="test")


def test_a_dtype_outside_an_array_is_refused() -> None:
    with pytest.raises(datasets.CorruptDataError, match="outside an array"):
        load_restricted(PROTO2 + dtype_ops(b"f4") + b".", name="test")


def test_containers_nested_too_deep_are_refused() -> None:
    payload = PROTO2 + b"]" * 40 + b"a" * 39 + b"."  # 40 lists, each inside the previous
    with pytest.raises(datasets.CorruptDataError, match="nested more than 16 deep"):
        load_restricted(payload, name="test")
