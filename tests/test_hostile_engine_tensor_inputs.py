"""``Tensor``: what it accepts as data, its truth value, and how NumPy sees it.

A Tensor is made of real numbers only: None and strings are refused even when a ``dtype`` is
given (NumPy itself would read None as nan and parse "1.5"). ``bool()`` is defined for one
element only. ``np.asarray(t)`` is ``t.data`` for a tensor outside the graph and an error for
one that requires grad.
"""

import numpy as np
import pytest

from autograd import Tensor

# ------------------------------------------------------------------ constructor


@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (None, "float('nan')"),
        ([1.5, None], "float('nan')"),
        ([[1.0], [None]], "float('nan')"),
        ("1.5", "float()"),
        (["1", "2"], "float()"),
        (np.array(["1.5"]), "float()"),
        (b"12", "float()"),
    ],
    ids=["None", "None-in-list", "None-nested", "str", "str-list", "str-array", "bytes"],
)
def test_none_and_strings_are_refused_with_or_without_a_dtype(data, hint, dtype):
    with pytest.raises(TypeError, match=r"Tensor\(\): cannot make a float array") as error:
        Tensor(data, dtype=dtype)
    assert hint in str(error.value)


@pytest.mark.parametrize("dtype", [None, np.float64])
@pytest.mark.parametrize("data", [[1 + 2j], [object()], [[1.0, 2.0], [3.0]]])
def test_complex_objects_and_ragged_lists_are_refused(data, dtype):
    with pytest.raises(TypeError, match=r"Tensor\(\)"):
        Tensor(data, dtype=dtype)


def test_gradient_seed_of_strings_is_refused():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="backward"):
        (t * 2).backward(["1", "1"])


@pytest.mark.parametrize(
    ("data", "dtype", "expected"),
    [
        ([1, 2], np.float64, [1.0, 2.0]),
        ([True, False], np.float32, [1.0, 0.0]),
        (np.arange(3, dtype=np.int16), np.float64, [0.0, 1.0, 2.0]),
        ([10**30], np.float64, [1e30]),  # beyond int64: NumPy reads it as an object
    ],
)
def test_real_numbers_of_any_kind_are_still_accepted(data, dtype, expected):
    t = Tensor(data, dtype=dtype)
    assert t.dtype == dtype
    assert t.data.tolist() == expected


def test_a_float_too_large_for_float32_becomes_inf_without_a_warning():
    assert Tensor(np.array([1e300]), dtype=np.float32).data.tolist() == [np.inf]


def test_an_integer_beyond_any_float_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"Tensor\(\): an integer .* too large"):
        Tensor([10**400], dtype=np.float64)


def test_a_float_array_is_still_shared_and_a_list_copied():
    array = np.zeros(3)
    assert Tensor(array).data is array
    assert Tensor(array, dtype=np.float64).data is array


# ------------------------------------------------------------------ bool


@pytest.mark.parametrize("shape", [(2,), (2, 3), (0,)])
def test_bool_of_a_tensor_that_is_not_one_element_is_an_error(shape):
    with pytest.raises(ValueError, match=r"bool\(Tensor\).*ambiguous") as error:
        bool(Tensor(np.ones(shape)))
    assert f"shape {shape}" in str(error.value)


def test_if_on_a_multi_element_tensor_is_an_error():
    t = Tensor([0.0, 0.0])
    with pytest.raises(ValueError, match="ambiguous"):
        if t:
            pass


@pytest.mark.parametrize(
    ("data", "expected"),
    [(0.0, False), (2.0, True), ([0.0], False), ([[-1.5]], True), (float("nan"), True)],
)
def test_bool_of_a_one_element_tensor_is_the_truth_of_its_value(data, expected):
    assert bool(Tensor(data)) is expected
    assert bool(Tensor(data, requires_grad=True)) is expected


# ------------------------------------------------------------------ NumPy


def test_np_asarray_of_a_tensor_is_its_data_not_an_object_array():
    t = Tensor(np.arange(300_000, dtype=np.float64))
    array = np.asarray(t)
    assert array.dtype == np.float64
    assert array is t.data  # shared, as t.numpy()


def test_np_array_of_a_tensor_copies_by_default_and_converts_dtypes():
    t = Tensor([1.0, 2.0])
    copied = np.array(t)
    copied[0] = 5.0
    assert t.data.tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.dtype == np.float32
    with pytest.raises(ValueError, match="copy"):
        np.array(t, dtype=np.float64, copy=False)


def test_np_stack_of_tensors_outside_the_graph_gives_numbers():
    stacked = np.stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])
    assert stacked.dtype == np.float32
    assert stacked.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_np_asarray_of_a_tensor_that_requires_grad_says_to_use_data_or_detach():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for convert in (np.asarray, np.array, lambda t: np.asarray([t])):
        with pytest.raises(TypeError, match=r"requires grad.*tensor\.data or tensor\.detach"):
            convert(w)
    assert np.asarray(w.detach()) is w.data


@pytest.mark.parametrize(
    ("scalar", "dtype"),
    [
        (np.float64(2.0), np.float32),  # a scalar takes the Tensor's dtype
        (np.float32(2.0), np.float32),
        (np.int64(2), np.float32),
        (np.array(2.0), np.float64),  # a 0-d array is an array: NumPy's promotion
    ],
)
def test_numpy_scalar_times_tensor_is_a_tensor_in_the_graph(scalar, dtype):
    w = Tensor([1.0, 3.0], requires_grad=True)
    product = scalar * w
    assert isinstance(product, Tensor)
    assert product.dtype == dtype
    product.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_numpy_ufunc_on_a_tensor_is_a_clear_type_error():
    with pytest.raises(TypeError, match="Tensor"):
        np.exp(Tensor([1.0]))


@pytest.mark.parametrize("flag", ["False", 1, None])
def test_requires_grad_must_be_a_bool(flag):
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        Tensor([1.0], requires_grad=flag)


def test_requires_grad_may_be_a_numpy_bool():
    assert Tensor([1.0], requires_grad=np.bool_(True)).requires_grad is True
