"""The Tensor engine's contracts: construction and dtypes, the graph it records, backward,
errors, non-finite numbers, the fused ops and gradcheck on Tensors."""

import gc
import warnings
import weakref

import numpy as np
import pytest

from autograd import (
    GradcheckError,
    Tensor,
    Value,
    gradcheck,
    linear,
    mse,
    no_grad,
    softmax_cross_entropy,
    unbroadcast,
)


def parameter(array, dtype=np.float32):
    return Tensor(np.array(array, dtype=dtype), requires_grad=True)


@pytest.fixture
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ------------------------------------------------------------------ construction


def test_float64_array_keeps_its_dtype():
    assert Tensor(np.ones(3)).dtype == np.float64


def test_float_array_is_used_without_a_copy():
    array = np.ones(3, dtype=np.float32)
    assert Tensor(array).data is array


@pytest.mark.parametrize(
    "data", [1.5, 2, [1.0, 2.0], [[1, 2], [3, 4]], np.arange(3), np.array([True])]
)
def test_numbers_lists_and_integer_arrays_become_float32(data):
    assert Tensor(data).dtype == np.float32


def test_dtype_argument_forces_the_dtype():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_non_floating_dtype_argument_raises_type_error():
    with pytest.raises(TypeError, match="int64"):
        Tensor([1, 2], dtype=np.int64)


@pytest.mark.parametrize("data", ["abc", None, ["a", "b"], Value(1.0), object(), 1j])
def test_non_numeric_data_raises_type_error_naming_its_type(data):
    with pytest.raises(TypeError, match=type(data).__name__):
        Tensor(data)


def test_shape_dtype_and_ndim_describe_the_data():
    t = Tensor(np.zeros((2, 3), dtype=np.float32))
    assert (t.shape, t.dtype, t.ndim, t.size) == ((2, 3), np.float32, 2, 6)


def test_grad_is_none_before_backward():
    assert parameter([1.0]).grad is None


def test_item_returns_a_python_float():
    value = Tensor([[2.5]]).item()
    assert value == 2.5 and type(value) is float


def test_numpy_returns_the_data_itself():
    t = Tensor(np.ones(2))
    assert t.numpy() is t.data


def test_detach_shares_the_data_and_leaves_the_graph():
    x = parameter([1.0, 2.0])
    detached = (x * 2).detach()
    assert detached.requires_grad is False and detached.parents == ()


def test_repr_shows_values_dtype_requires_grad_and_label():
    text = repr(Tensor([1.0, 2.0], requires_grad=True, label="w"))
    assert text == "Tensor([1., 2.], dtype=float32, requires_grad=True, label='w')"


def test_repr_of_a_large_tensor_is_abbreviated():
    assert "..." in repr(Tensor(np.zeros((100, 100))))


# ------------------------------------------------------------------ the recorded graph


def test_result_records_its_inputs_in_order_with_the_op_name():
    a, b = parameter([1.0]), parameter([2.0])
    out = a - b
    assert out.parents == (a, b) and out.op == "-"


def test_tensor_used_twice_is_recorded_twice():
    x = parameter([3.0])
    assert (x * x).parents == (x, x)


def test_result_requires_grad_when_any_input_does():
    assert (Tensor([1.0]) * parameter([2.0])).requires_grad is True


def test_result_of_inputs_without_grad_records_no_graph():
    out = Tensor([1.0]) * Tensor([2.0])
    assert out.requires_grad is False and out.parents == ()


def test_no_grad_records_nothing():
    x = parameter([1.0, 2.0])
    with no_grad():
        out = (x * x).sum()
    assert out.requires_grad is False and out.parents == ()


def test_a_finished_graph_is_freed_without_the_cycle_collector():
    gc.disable()
    try:
        x = parameter(np.ones((2, 3)))
        out = (x * 2).sigmoid().sum()
        out.backward()
        alive = weakref.ref(out)
        del out
        assert alive() is None
    finally:
        gc.enable()


# ------------------------------------------------------------------ backward


def test_backward_of_a_sum_of_squares_gives_twice_the_input():
    w = parameter([[1.0, 2.0], [3.0, 4.0]])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [[2.0, 4.0], [6.0, 8.0]])


def test_tensor_used_twice_gets_both_contributions():
    x = parameter([3.0])
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [7.0])


def test_backward_twice_on_the_same_graph_gives_leaves_the_gradient_twice():
    x = parameter([1.0, 2.0])
    hidden = x * x
    out = (hidden + hidden).sum()
    out.backward()
    out.backward()
    np.testing.assert_array_equal(x.grad, [8.0, 16.0])


def test_backward_twice_leaves_intermediate_gradients_as_one_pass_gives_them():
    x = parameter([1.0, 2.0])
    hidden = x * 3
    out = (hidden * hidden).sum()
    out.backward()
    out.backward()
    np.testing.assert_array_equal(hidden.grad, [6.0, 12.0])


def test_gradients_accumulate_across_graphs_until_reset_to_none():
    x = parameter([1.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0])
    x.grad = None
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0])


def test_leaves_of_an_addition_get_separate_gradient_arrays():
    a, b = parameter([1.0, 2.0]), parameter([3.0, 4.0])
    (a + b).backward(np.ones(2))
    a.grad *= 10  # e.g. gradient clipping, in place
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_backward_copies_the_seed_gradient():
    x = parameter([1.0, 2.0])
    seed = np.ones(2, dtype=np.float32)
    (x + 0).backward(seed)
    seed[:] = 5
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_earlier_gradient_array_is_not_changed_by_a_later_backward():
    x = parameter([1.0])
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    np.testing.assert_array_equal(first, [2.0])


def test_backward_on_a_leaf_seeds_its_own_gradient():
    x = parameter(2.0)
    x.backward()
    assert x.grad == 1.0


def test_backward_through_a_long_chain_does_not_recurse():
    x = parameter([1.0])
    out = x
    for _ in range(20_000):
        out = out + 0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0])


def test_non_scalar_backward_without_gradient_raises_naming_shape_and_fix():
    out = parameter(np.ones((2, 3))) * 2
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*backward\("):
        out.backward()


def test_backward_with_a_gradient_of_the_wrong_shape_raises_value_error():
    out = parameter(np.ones((2, 3))) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        out.backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        Tensor([1.0]).sum().backward()


def test_input_without_requires_grad_gets_no_gradient():
    x, w = Tensor([1.0, 2.0]), parameter([3.0, 4.0])
    (x * w).sum().backward()
    assert x.grad is None


def test_max_splits_the_gradient_evenly_among_ties():
    x = parameter([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5, 0.0])


def test_integer_array_index_repeated_accumulates_the_gradient():
    x = parameter([1.0, 2.0, 3.0])
    x[np.array([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_boolean_mask_index_sends_gradient_to_the_selected_elements():
    x = parameter([1.0, 2.0, 3.0])
    x[np.array([True, False, True])].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])


def test_reflected_operator_with_a_numpy_array_returns_a_tensor():
    x = parameter([1.0, 2.0])
    out = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(out, Tensor) and out.parents[1] is x


# ------------------------------------------------------------------ dtypes


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 2.5,
        lambda x: 2.5 - x,
        lambda x: x / 3.0,
        lambda x: 1.0 / x,
        lambda x: x**2.0,
        lambda x: 2.0**x,
        lambda x: np.float64(2.0) * x,
        lambda x: x + np.float64(1.0),
    ],
    ids=["mul", "rsub", "div", "rdiv", "pow", "rpow", "numpy_float64_mul", "numpy_float64_add"],
)
def test_scalar_operand_keeps_float32(fn):
    x = parameter([1.0, 2.0])
    out = fn(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_float32_network_has_float32_results_and_gradients():
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    w, b = parameter(np.ones((3, 2))), parameter(np.zeros(2))
    loss = softmax_cross_entropy(linear(x, w, b).tanh(), np.array([0, 1, 1, 0]))
    loss.backward()
    assert {loss.dtype, w.grad.dtype, b.grad.dtype} == {np.dtype(np.float32)}


def test_float64_seed_gradient_does_not_change_the_grad_dtype():
    x = parameter([1.0, 2.0])
    (x * 2).backward(np.ones(2, dtype=np.float64))
    assert x.grad.dtype == np.float32


def test_mixing_float32_and_float64_gives_each_input_its_own_dtype_of_gradient():
    a, b = parameter([1.0], np.float32), parameter([2.0], np.float64)
    out = a * b
    out.sum().backward()
    assert (out.dtype, a.grad.dtype, b.grad.dtype) == (np.float64, np.float32, np.float64)


def test_mse_keeps_float32():
    prediction = parameter([1.0, 2.0])
    loss = mse(prediction, np.array([0.0, 0.0], dtype=np.float32))
    loss.backward()
    assert loss.dtype == np.float32 and prediction.grad.dtype == np.float32


# ------------------------------------------------------------------ errors


BINARY_OPERATORS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "@": lambda a, b: a @ b,
}


@pytest.mark.parametrize("op", BINARY_OPERATORS)
@pytest.mark.parametrize("operand", ["abc", None, ["a", "b"], Value(1.0)], ids=repr)
def test_operand_of_a_bad_type_raises_type_error_naming_op_and_type(op, operand):
    with pytest.raises(TypeError) as error:
        BINARY_OPERATORS[op](Tensor([1.0, 2.0]), operand)
    message = str(error.value)
    assert f"Tensor {op}" in message and type(operand).__name__ in message


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_reflected_operand_of_a_bad_type_raises_type_error(op):
    with pytest.raises(TypeError, match="NoneType"):
        BINARY_OPERATORS[op](None, Tensor([1.0]))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_shapes_that_do_not_broadcast_raise_value_error_naming_op_and_shapes(op):
    with pytest.raises(ValueError) as error:
        BINARY_OPERATORS[op](Tensor(np.ones((2, 3))), Tensor(np.ones((4,))))
    message = str(error.value)
    assert f"Tensor {op}" in message and "(2, 3)" in message and "(4,)" in message


def test_matmul_shape_mismatch_raises_value_error_naming_both_shapes():
    with pytest.raises(ValueError, match=r"Tensor @: shapes \(2, 3\) and \(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))


def test_matmul_with_a_0d_operand_raises_value_error():
    with pytest.raises(ValueError, match="Tensor @"):
        Tensor(np.ones(3)) @ Tensor(2.0)


def test_reshape_to_a_wrong_size_raises_value_error_naming_both_shapes():
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_linear_with_mismatched_shapes_raises_value_error_naming_them():
    with pytest.raises(ValueError, match=r"linear.*\(2, 3\).*\(4, 5\)"):
        linear(Tensor(np.ones((2, 3))), parameter(np.ones((4, 5))))


def test_linear_with_a_bias_of_the_wrong_shape_raises_value_error():
    with pytest.raises(ValueError, match=r"linear: bias has shape \(3,\)"):
        linear(Tensor(np.ones((2, 4))), parameter(np.ones((4, 5))), parameter(np.ones(3)))


def test_linear_with_a_string_input_raises_type_error():
    with pytest.raises(TypeError, match="linear"):
        linear("x", parameter(np.ones((4, 5))))


def test_cross_entropy_with_float_labels_raises_type_error():
    with pytest.raises(TypeError, match="labels have dtype float64"):
        softmax_cross_entropy(Tensor(np.zeros((2, 3))), np.array([0.0, 1.0]))


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0]], ids=["too_large", "negative"])
def test_cross_entropy_with_labels_out_of_range_raises_value_error(labels):
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        softmax_cross_entropy(Tensor(np.zeros((2, 3))), np.array(labels))


def test_cross_entropy_with_one_label_too_few_raises_value_error():
    with pytest.raises(ValueError, match=r"labels have shape \(1,\).*\(2, 3\)"):
        softmax_cross_entropy(Tensor(np.zeros((2, 3))), np.array([0]))


def test_cross_entropy_of_1d_logits_raises_value_error():
    with pytest.raises(ValueError, match=r"\(batch, classes\)"):
        softmax_cross_entropy(Tensor(np.zeros(3)), np.array([0]))


def test_mse_of_different_shapes_raises_value_error_naming_them():
    with pytest.raises(ValueError, match=r"mse.*\(4, 1\).*\(4,\)"):
        mse(parameter(np.ones((4, 1))), np.ones(4))


# ------------------------------------------------------------------ non-finite numbers


def test_log_of_zero_is_minus_inf_with_infinite_gradient_and_no_warning(warnings_are_errors):
    x = parameter([0.0])
    out = x.log()
    out.sum().backward()
    assert out.data[0] == -np.inf and x.grad[0] == np.inf


def test_division_by_zero_is_inf_and_zero_over_zero_is_nan_without_warning(warnings_are_errors):
    out = Tensor([1.0, 0.0]) / parameter([0.0, 0.0])
    out.sum().backward()
    assert out.data[0] == np.inf and np.isnan(out.data[1])


def test_exp_overflow_is_inf_without_warning(warnings_are_errors):
    assert Tensor([1000.0]).exp().data[0] == np.inf


def test_negative_base_to_a_fractional_power_is_nan_without_warning(warnings_are_errors):
    assert np.isnan((Tensor([-8.0]) ** (1 / 3)).data[0])


def test_sigmoid_saturates_to_0_and_1_without_warning(warnings_are_errors):
    np.testing.assert_array_equal(Tensor([-1000.0, 1000.0]).sigmoid().data, [0.0, 1.0])


def test_nan_propagates_through_forward_and_backward():
    x = parameter([np.nan, 1.0])
    (x.tanh() * 2).sum().backward()
    assert np.isnan(x.grad[0]) and not np.isnan(x.grad[1])


# ------------------------------------------------------------------ unbroadcast


def test_unbroadcast_returns_a_gradient_of_the_same_shape_unchanged():
    grad = np.ones((2, 3))
    assert unbroadcast(grad, (2, 3)) is grad


def test_unbroadcast_sums_over_leading_axes():
    np.testing.assert_array_equal(unbroadcast(np.ones((4, 2, 3)), (2, 3)), np.full((2, 3), 4.0))


def test_unbroadcast_sums_over_stretched_size_one_axes_keeping_them():
    np.testing.assert_array_equal(unbroadcast(np.ones((2, 3)), (1, 3)), np.full((1, 3), 2.0))


def test_unbroadcast_sums_leading_and_stretched_axes_together():
    np.testing.assert_array_equal(unbroadcast(np.ones((4, 2, 3)), (2, 1)), np.full((2, 1), 12.0))


def test_unbroadcast_to_a_scalar_shape_sums_everything():
    summed = unbroadcast(np.ones((2, 3)), ())
    assert summed.shape == () and summed == 6.0


# ------------------------------------------------------------------ fused ops


def test_linear_is_one_node():
    out = linear(Tensor(np.ones((2, 3))), parameter(np.ones((3, 4))), parameter(np.ones(4)))
    assert out.op == "linear" and len(out.parents) == 3


def test_sigmoid_is_one_node():
    x = parameter([1.0])
    assert x.sigmoid().parents == (x,)


def test_softmax_cross_entropy_is_one_node():
    logits = parameter(np.zeros((2, 3)))
    assert softmax_cross_entropy(logits, np.array([0, 2])).parents == (logits,)


def test_softmax_cross_entropy_at_extreme_logits_matches_a_float64_reference():
    rng = np.random.default_rng(0)
    logits64 = rng.choice([-1e4, 1e4], size=(8, 5)) + rng.standard_normal((8, 5))
    labels = rng.integers(0, 5, size=8)
    logits = Tensor(logits64.astype(np.float32), requires_grad=True)
    loss = softmax_cross_entropy(logits, labels)
    loss.backward()

    exact = logits.data.astype(np.float64)  # the float32 logits, in float64 arithmetic
    shifted = exact - exact.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected_loss = -log_probabilities[np.arange(8), labels].mean()
    expected_grad = (np.exp(log_probabilities) - np.eye(5)[labels]) / 8
    assert np.isfinite(loss.data) and np.isfinite(logits.grad).all()
    np.testing.assert_allclose(loss.data, expected_loss, rtol=1e-6)
    np.testing.assert_allclose(logits.grad, expected_grad, atol=1e-6)


def test_softmax_cross_entropy_gradient_matches_the_composite_log_softmax():
    rng = np.random.default_rng(1)
    logits, labels = parameter(rng.standard_normal((4, 3)), np.float64), np.array([0, 2, 1, 2])
    softmax_cross_entropy(logits, labels).backward()
    fused = logits.grad
    logits.grad = None
    (-logits.log_softmax()[np.arange(4), labels].mean()).backward()
    np.testing.assert_allclose(fused, logits.grad, rtol=1e-12)


# ------------------------------------------------------------------ gradcheck on Tensors


def test_gradcheck_passes_a_correct_tensor_gradient():
    rng = np.random.default_rng(0)
    a, b = parameter(rng.standard_normal((3, 4)), np.float64), parameter(rng.random(4), np.float64)
    assert gradcheck(lambda x, y: (x * y).tanh(), [a, b])


def test_gradcheck_reports_a_wrong_tensor_gradient():
    x = parameter([1.0, 2.0], np.float64)
    with pytest.raises(GradcheckError, match="analytic and numeric"):
        gradcheck(lambda t: t.detach() * t, [x])  # the detached factor's share goes missing


def test_gradcheck_checks_a_large_input_along_a_random_direction():
    x = parameter(np.random.default_rng(0).standard_normal((30, 20)), np.float64)
    with pytest.raises(GradcheckError, match="random direction"):
        gradcheck(lambda t: (t.detach() * t).sum(), [x])


def test_gradcheck_passes_a_large_input_with_a_correct_gradient():
    x = parameter(np.random.default_rng(0).standard_normal((30, 20)), np.float64)
    assert gradcheck(lambda t: linear(t, parameter(np.ones((20, 3)), np.float64)).sigmoid(), [x])


def test_gradcheck_perturbs_an_input_whose_data_is_not_contiguous():
    x = parameter(np.random.default_rng(0).standard_normal((4, 3)).T, np.float64)
    x.data = x.data.T.copy().T  # a transposed, non-contiguous view
    assert gradcheck(lambda t: (t * t).sum(), [x])


def test_gradcheck_rejects_float32_tensors():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t.sum(), [parameter([1.0])])


def test_squared_error_is_scale_times_the_sum_of_squares():
    from autograd import squared_error

    prediction = Tensor(np.array([[0.5, 1.0], [2.0, -1.0]]), requires_grad=True)
    target = np.array([[0.0, 1.0], [1.0, 1.0]])
    loss = squared_error(prediction, target, 0.25)
    assert loss.item() == pytest.approx(0.25 * (0.25 + 0 + 1 + 4))
    assert gradcheck(lambda p: squared_error(p, target, 0.25), [prediction])


def test_squared_error_keeps_float32():
    from autograd import squared_error

    prediction = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    loss = squared_error(prediction, np.zeros((3, 2), dtype=np.float32), 0.5 / 3)
    loss.backward()
    assert loss.data.dtype == np.float32 and prediction.grad.dtype == np.float32


def test_power_zero_has_zero_gradient_even_at_zero():
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
