"""Every Tensor op, on random shapes and values: the value NumPy gives, and gradients that
agree with finite differences (gradcheck, float64)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, gradcheck, linear, mse, softmax_cross_entropy, unbroadcast

PROPERTY = settings(deadline=None)

# Element strategies, each keeping finite differences (ε = 1e-6) away from kinks and poles.
SMOOTH = st.floats(-2.0, 2.0)
POSITIVE = st.floats(0.5, 3.0)
AWAY_FROM_ZERO = st.one_of(st.floats(0.1, 2.0), st.floats(-2.0, -0.1))
WIDE = st.floats(-8.0, 8.0)

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
NONEMPTY_AXES_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def arrays(elements, shape=SHAPES):
    return hnp.arrays(np.float64, shape, elements=elements)


def leaf(array):
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


# name, Tensor function, NumPy reference, elements, shapes
UNARY_OPS = [
    ("neg", lambda x: -x, lambda a: -a, SMOOTH, SHAPES),
    ("exp", lambda x: x.exp(), np.exp, SMOOTH, SHAPES),
    ("log", lambda x: x.log(), np.log, POSITIVE, SHAPES),
    ("tanh", lambda x: x.tanh(), np.tanh, SMOOTH, SHAPES),
    ("sigmoid", lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), WIDE, SHAPES),
    ("relu", lambda x: x.relu(), lambda a: np.maximum(a, 0), AWAY_FROM_ZERO, SHAPES),
    ("pow_3", lambda x: x**3, lambda a: a**3, SMOOTH, SHAPES),
    ("pow_half", lambda x: x**0.5, np.sqrt, POSITIVE, SHAPES),
    ("pow_negative", lambda x: x**-1.5, lambda a: a**-1.5, POSITIVE, SHAPES),
    ("radd", lambda x: 2.0 + x, lambda a: 2.0 + a, SMOOTH, SHAPES),
    ("rsub", lambda x: 2.0 - x, lambda a: 2.0 - a, SMOOTH, SHAPES),
    ("rmul", lambda x: 3.0 * x, lambda a: 3.0 * a, SMOOTH, SHAPES),
    ("rdiv", lambda x: 3.0 / x, lambda a: 3.0 / a, AWAY_FROM_ZERO, SHAPES),
    ("rpow", lambda x: 2.0**x, lambda a: 2.0**a, SMOOTH, SHAPES),
    ("reshape_flat", lambda x: x.reshape(-1), lambda a: a.reshape(-1), SMOOTH, SHAPES),
    ("transpose", lambda x: x.T, lambda a: a.T, SMOOTH, SHAPES),
    ("sum_all", lambda x: x.sum(), np.sum, SMOOTH, SHAPES),
    ("mean_all", lambda x: x.mean(), np.mean, SMOOTH, SHAPES),
    (
        "log_softmax",
        lambda x: x.log_softmax(axis=-1),
        lambda a: a - np.log(np.exp(a).sum(axis=-1, keepdims=True)),
        WIDE,
        NONEMPTY_AXES_SHAPES,
    ),
    (
        "softmax",
        lambda x: x.softmax(axis=0),
        lambda a: np.exp(a) / np.exp(a).sum(axis=0, keepdims=True),
        WIDE,
        NONEMPTY_AXES_SHAPES,
    ),
]
UNARY_IDS = [op[0] for op in UNARY_OPS]
UNARY_PARAMETERS = ("name", "fn", "reference", "elements", "shapes")

# name, Tensor function, NumPy reference, elements of the left and of the right operand
BINARY_OPS = [
    ("add", lambda a, b: a + b, np.add, SMOOTH, SMOOTH),
    ("sub", lambda a, b: a - b, np.subtract, SMOOTH, SMOOTH),
    ("mul", lambda a, b: a * b, np.multiply, SMOOTH, SMOOTH),
    ("div", lambda a, b: a / b, np.divide, SMOOTH, AWAY_FROM_ZERO),
    ("pow", lambda a, b: a**b, np.power, POSITIVE, SMOOTH),
]
BINARY_IDS = [op[0] for op in BINARY_OPS]


# ------------------------------------------------------------------ elementwise and unary


@pytest.mark.parametrize(UNARY_PARAMETERS, UNARY_OPS, ids=UNARY_IDS)
@PROPERTY
@given(data=st.data())
def test_unary_op_value_matches_numpy(name, fn, reference, elements, shapes, data):
    a = data.draw(arrays(elements, shapes))
    out = fn(Tensor(a))
    assert out.shape == np.shape(reference(a))
    np.testing.assert_allclose(out.data, reference(a), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(UNARY_PARAMETERS, UNARY_OPS, ids=UNARY_IDS)
@PROPERTY
@given(data=st.data())
def test_unary_op_gradient_matches_finite_differences(name, fn, reference, elements, shapes, data):
    a = data.draw(arrays(elements, shapes))
    assert gradcheck(fn, [leaf(a)])


@pytest.mark.parametrize(("name", "fn", "reference", "left", "right"), BINARY_OPS, ids=BINARY_IDS)
@PROPERTY
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=3))
def test_binary_op_broadcasts_like_numpy(name, fn, reference, left, right, data, shapes):
    a = data.draw(arrays(left, shapes.input_shapes[0]))
    b = data.draw(arrays(right, shapes.input_shapes[1]))
    out = fn(Tensor(a), Tensor(b))
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, reference(a, b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "fn", "reference", "left", "right"), BINARY_OPS, ids=BINARY_IDS)
@PROPERTY
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=3))
def test_binary_op_gradients_sum_back_over_broadcast_axes(
    name, fn, reference, left, right, data, shapes
):
    a = data.draw(arrays(left, shapes.input_shapes[0]))
    b = data.draw(arrays(right, shapes.input_shapes[1]))
    assert gradcheck(fn, [leaf(a), leaf(b)])


@pytest.mark.parametrize(("name", "fn", "reference", "left", "right"), BINARY_OPS, ids=BINARY_IDS)
@PROPERTY
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=3))
def test_binary_op_with_a_constant_operand_differentiates_the_other(
    name, fn, reference, left, right, data, shapes
):
    a = data.draw(arrays(left, shapes.input_shapes[0]))
    b = data.draw(arrays(right, shapes.input_shapes[1]))
    assert gradcheck(lambda x: fn(x, b), [leaf(a)])
    assert gradcheck(lambda y: fn(a, y), [leaf(b)])


# ------------------------------------------------------------------ matrix product


@st.composite
def matmul_operands(draw):
    """Two arrays NumPy can multiply with @: 1-D, 2-D, and batched with broadcast batches."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batches = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    left_shape = (k,) if draw(st.booleans()) else (*batches.input_shapes[0], n, k)
    right_shape = (k,) if draw(st.booleans()) else (*batches.input_shapes[1], k, m)
    return draw(arrays(SMOOTH, left_shape)), draw(arrays(SMOOTH, right_shape))


@PROPERTY
@given(operands=matmul_operands())
def test_matmul_value_matches_numpy(operands):
    a, b = operands
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(operands=matmul_operands())
def test_matmul_gradients_match_finite_differences(operands):
    a, b = operands
    assert gradcheck(lambda x, y: x @ y, [leaf(a), leaf(b)])


@PROPERTY
@given(operands=matmul_operands())
def test_reflected_matmul_with_an_array_differentiates_the_tensor(operands):
    a, b = operands
    assert gradcheck(lambda y: a @ y, [leaf(b)])


# ------------------------------------------------------------------ reductions


# Distinct values at least 0.1 apart: a maximum stays put under a perturbation of ε.
DISTINCT = st.integers(-60, 60).map(lambda i: i / 10)


@st.composite
def reduction_case(draw, elements=SMOOTH, unique=False):
    """An array, an axis (None, an int or a tuple; negative ones too) and keepdims."""
    shape = draw(SHAPES)
    axis = draw(st.one_of(st.none(), hnp.valid_tuple_axes(len(shape))))
    if axis is not None and len(axis) == 1 and draw(st.booleans()):
        axis = axis[0]
    a = draw(hnp.arrays(np.float64, shape, elements=elements, unique=unique))
    return a, axis, draw(st.booleans())


def distinct_reduction_case():
    return reduction_case(DISTINCT, unique=True)


REDUCTIONS = [("sum", np.sum), ("mean", np.mean), ("max", np.max)]


@pytest.mark.parametrize(("name", "reference"), REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@PROPERTY
@given(case=distinct_reduction_case())
def test_reduction_value_and_shape_match_numpy(name, reference, case):
    a, axis, keepdims = case
    out = getattr(Tensor(a), name)(axis=axis, keepdims=keepdims)
    expected = reference(a, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["sum", "mean"])
@PROPERTY
@given(case=reduction_case())
def test_sum_and_mean_gradients_match_finite_differences(name, case):
    a, axis, keepdims = case
    assert gradcheck(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), [leaf(a)])


@PROPERTY
@given(case=distinct_reduction_case())
def test_max_gradient_matches_finite_differences_without_ties(case):
    a, axis, keepdims = case
    assert gradcheck(lambda x: x.max(axis=axis, keepdims=keepdims), [leaf(a)])


# ------------------------------------------------------------------ shape ops and indexing


@PROPERTY
@given(a=arrays(SMOOTH), data=st.data())
def test_transpose_by_any_permutation_matches_numpy_and_gradcheck(a, data):
    axes = tuple(data.draw(st.permutations(range(a.ndim))))
    np.testing.assert_array_equal(Tensor(a).transpose(*axes).data, a.transpose(axes))
    assert gradcheck(lambda x: x.transpose(*axes), [leaf(a)])


@PROPERTY
@given(a=arrays(SMOOTH, NONEMPTY_AXES_SHAPES), data=st.data())
def test_reshape_to_any_compatible_shape_matches_numpy_and_gradcheck(a, data):
    sizes = [n for n in range(1, a.size + 1) if a.size % n == 0]
    first = data.draw(st.sampled_from(sizes))
    shape = (first, -1, 1)
    np.testing.assert_array_equal(Tensor(a).reshape(shape).data, a.reshape(shape))
    assert gradcheck(lambda x: x.reshape(*shape), [leaf(a)])


@PROPERTY
@given(a=arrays(SMOOTH, NONEMPTY_AXES_SHAPES), data=st.data())
def test_basic_indexing_matches_numpy_and_gradcheck(a, data):
    index = data.draw(hnp.basic_indices(a.shape, allow_newaxis=True))
    assume(a[index].size > 0)
    np.testing.assert_array_equal(Tensor(a)[index].data, a[index])
    assert gradcheck(lambda x: x[index], [leaf(a)])


@PROPERTY
@given(a=arrays(SMOOTH, NONEMPTY_AXES_SHAPES), data=st.data())
def test_integer_array_indexing_with_repeats_matches_numpy_and_gradcheck(a, data):
    index = data.draw(hnp.integer_array_indices(a.shape, result_shape=hnp.array_shapes(max_side=4)))
    np.testing.assert_array_equal(Tensor(a)[index].data, a[index])
    assert gradcheck(lambda x: x[index], [leaf(a)])


# ------------------------------------------------------------------ fused ops


@st.composite
def linear_case(draw):
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    batch = draw(st.sampled_from([(), (1,), (3,), (2, 2)]))
    x = draw(arrays(SMOOTH, (*batch, n_in)))
    weight = draw(arrays(SMOOTH, (n_in, n_out)))
    bias = draw(st.none() | arrays(SMOOTH, (n_out,)))
    return x, weight, bias


@PROPERTY
@given(case=linear_case())
def test_linear_equals_matmul_plus_bias(case):
    x, weight, bias = case
    out = linear(Tensor(x), Tensor(weight), None if bias is None else Tensor(bias))
    expected = x @ weight if bias is None else x @ weight + bias
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(case=linear_case())
def test_linear_gradients_match_finite_differences(case):
    x, weight, bias = case
    inputs = [leaf(x), leaf(weight)] + ([] if bias is None else [leaf(bias)])
    assert gradcheck(linear, inputs)


@st.composite
def classification_case(draw):
    batch, classes = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    logits = draw(arrays(WIDE, (batch, classes)))
    labels = draw(hnp.arrays(np.int64, (batch,), elements=st.integers(0, classes - 1)))
    return logits, labels


@PROPERTY
@given(case=classification_case())
def test_softmax_cross_entropy_equals_mean_negative_log_softmax_at_the_labels(case):
    logits, labels = case
    log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -log_probabilities[np.arange(len(labels)), labels].mean()
    loss = softmax_cross_entropy(Tensor(logits), labels)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(case=classification_case())
def test_softmax_cross_entropy_gradient_matches_finite_differences(case):
    logits, labels = case
    assert gradcheck(lambda x: softmax_cross_entropy(x, labels), [leaf(logits)])


@PROPERTY
@given(data=st.data(), shape=SHAPES)
def test_mse_equals_mean_squared_difference(data, shape):
    prediction, target = data.draw(arrays(SMOOTH, shape)), data.draw(arrays(SMOOTH, shape))
    loss = mse(Tensor(prediction), Tensor(target))
    np.testing.assert_allclose(loss.data, np.mean((prediction - target) ** 2), rtol=1e-12)


@PROPERTY
@given(data=st.data(), shape=SHAPES)
def test_mse_gradients_match_finite_differences(data, shape):
    prediction, target = data.draw(arrays(SMOOTH, shape)), data.draw(arrays(SMOOTH, shape))
    assert gradcheck(mse, [leaf(prediction), leaf(target)])


# ------------------------------------------------------------------ unbroadcast


@PROPERTY
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=3))
def test_unbroadcast_of_a_broadcast_array_sums_its_copies(data, shapes):
    shape, result_shape = shapes.input_shapes[0], shapes.result_shape
    a = data.draw(arrays(SMOOTH, shape))
    copies = int(np.prod(result_shape)) // max(a.size, 1)
    summed = unbroadcast(np.broadcast_to(a, result_shape), shape)
    assert summed.shape == shape
    np.testing.assert_allclose(summed, a * copies, rtol=1e-12, atol=1e-12)
