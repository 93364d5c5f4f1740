"""The op table (autograd.ops): every entry works on both engines, from its one definition.

Each test runs over the whole table, so an entry added to it is checked here without a
test of its own: its gradient against finite differences on Values and on Tensors, the two
engines against each other, its derivative expression as a graph (a second derivative), and
its use by the expression parser and by nn.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_domains import DOMAINS

import nn
from autograd import Tensor, Value, gradcheck, ops
from autograd.viz_expression import METHODS, build_expression

ENTRIES = list(ops.ELEMENTWISE.values())
IDS = [op.name for op in ENTRIES]


def points(op: ops.Elementwise, size: int | None = None) -> st.SearchStrategy:
    elements = DOMAINS[op.domain]
    return elements if size is None else st.lists(elements, min_size=size, max_size=size)


def test_the_table_holds_the_article_s_functions_and_the_new_ones() -> None:
    assert set(IDS) >= {"exp", "log", "tanh", "sigmoid", "relu"}
    assert set(IDS) >= {"sin", "cos", "abs", "sqrt", "softplus"}
    assert {op.domain for op in ENTRIES} <= set(DOMAINS)


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
@settings(max_examples=25)
@given(data=st.data())
def test_value_gradient_matches_finite_differences(op: ops.Elementwise, data) -> None:
    x = Value(data.draw(points(op)))
    assert gradcheck(lambda v: getattr(v, op.name)(), [x])


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
@settings(max_examples=25)
@given(data=st.data())
def test_tensor_gradient_matches_finite_differences(op: ops.Elementwise, data) -> None:
    x = Tensor(np.array(data.draw(points(op, size=5))), requires_grad=True)
    assert gradcheck(lambda t: getattr(t, op.name)().sum(), [x])


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
@settings(max_examples=25)
@given(data=st.data())
def test_value_and_tensor_give_the_same_numbers(op: ops.Elementwise, data) -> None:
    numbers = data.draw(st.lists(st.floats(-50, 50), min_size=1, max_size=6))
    tensor = Tensor(np.array(numbers), requires_grad=True)
    tensor_out = getattr(tensor, op.name)()
    tensor_out.sum().backward()
    values = [Value(number) for number in numbers]
    outs = [getattr(value, op.name)() for value in values]
    for out in outs:
        out.backward()
    # libm (Value) and NumPy (Tensor) may differ in the last bit; 1 - out² near tanh's
    # saturation turns that into a small absolute difference.
    np.testing.assert_allclose([o.data for o in outs], tensor_out.data, rtol=1e-12)
    np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
def test_float32_stays_float32(op: ops.Elementwise) -> None:
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    out = getattr(x, op.name)()
    out.sum().backward()
    assert out.data.dtype == np.float32
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
@settings(max_examples=25)
@given(data=st.data())
def test_the_derivative_on_values_is_a_graph_whose_gradient_is_the_second_derivative(
    op: ops.Elementwise, data
) -> None:
    # The expression that gives the engine its local derivative, evaluated on Value nodes,
    # builds the derivative as a graph; backpropagating through it gives f''.
    point = data.draw(points(op))
    x = Value(point)
    first = op.derivative(x, getattr(x, op.name)())
    if isinstance(first, Value):
        first.backward()
    else:  # a piecewise-constant derivative (relu, abs) is a plain number: f'' = 0
        assert type(first) is float

    def first_derivative(p: float) -> float:
        return float(op.derivative(p, op.scalar(p)))

    h = 1e-5
    numeric = (first_derivative(point + h) - first_derivative(point - h)) / (2 * h)
    assert x.grad == pytest.approx(numeric, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
def test_the_derivative_on_tensors_is_a_tensor_graph(op: ops.Elementwise) -> None:
    x = Tensor(np.array([0.3, 0.7]), requires_grad=True)
    first = op.derivative(x, getattr(x, op.name)())
    if isinstance(first, Tensor):
        first.sum().backward()
    else:  # a piecewise-constant derivative (relu, abs) is a plain array: f'' = 0
        assert type(first) is np.ndarray
        x.grad = np.zeros(2)
    h = 1e-6
    step = np.array([h, h])

    def derivative_at(a: np.ndarray) -> np.ndarray:
        return np.asarray(op.derivative(a, op.array(np, a)))

    numeric = (derivative_at(x.data + step) - derivative_at(x.data - step)) / (2 * h)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
def test_the_expression_parser_accepts_every_entry(op: ops.Elementwise) -> None:
    assert op.name in METHODS
    point = 0.5
    root = build_expression(f"(x * 2).{op.name}()", {"x": point})
    assert root.data == pytest.approx(op.scalar(2 * point))


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
def test_every_method_says_its_formula_and_derivative(op: ops.Elementwise) -> None:
    for engine in (Value, Tensor):
        method = getattr(engine, op.name)
        assert method.__doc__ == op.doc
        assert method.__name__ == op.name


def test_nn_offers_exactly_the_table_s_activations() -> None:
    activations = {op.name for op in ENTRIES if op.activation}
    assert set(nn.mlp.ACTIVATIONS) == activations | {"linear"}
    assert set(nn.layers.ACTIVATIONS) == activations | {"linear"}


@pytest.mark.parametrize("name", [op.name for op in ENTRIES if op.activation])
def test_a_scalar_mlp_and_a_sequential_agree_for_every_activation(name: str) -> None:
    nn.manual_seed(0)
    scalar = nn.MLP(3, [4, 2], activation=name)
    tensor = nn.feedforward(3, [4, 2], name, dtype=np.float64)
    tensor.load_state_dict(scalar.state_dict())
    x = [0.3, -0.7, 1.1]
    expected = [v.data for v in scalar(x)]
    np.testing.assert_allclose(tensor(Tensor(np.array([x]))).data[0], expected, rtol=1e-12)


def test_an_unknown_activation_layer_lists_the_table_s_choices() -> None:
    with pytest.raises(ValueError, match=r"Activation\('log'\): not an activation; choose"):
        nn.layers.Activation("log")
    assert repr(nn.layers.Activation("softplus")) == "Activation('softplus')"
    assert repr(nn.ReLU()) == "ReLU()"


def test_abs_of_a_node_is_the_table_s_abs() -> None:
    x = Value(-1.5)
    y = abs(x)
    y.backward()
    assert (y.data, y.op, x.grad) == (1.5, "abs", -1.0)
    t = Tensor(np.array([-1.5, 2.0]), requires_grad=True)
    abs(t).sum().backward()
    np.testing.assert_array_equal(t.grad, [-1.0, 1.0])


@pytest.mark.parametrize(
    ("name", "point", "expected", "slope"),
    [
        ("sqrt", 0.0, 0.0, math.inf),
        ("sqrt", -1.0, math.nan, math.nan),
        ("log", 0.0, -math.inf, math.inf),
        ("sin", math.inf, math.nan, math.nan),
        ("softplus", 1000.0, 1000.0, 1.0),
        ("softplus", -1000.0, 0.0, 0.0),
        ("abs", 0.0, 0.0, 0.0),
        ("relu", 0.0, 0.0, 0.0),
    ],
)
def test_edges_follow_the_ieee_rule_on_both_engines(name, point, expected, slope) -> None:
    value = Value(point)
    out = getattr(value, name)()
    out.backward()
    tensor = Tensor(np.array([point]), requires_grad=True)
    tensor_out = getattr(tensor, name)()
    tensor_out.sum().backward()
    for got, want in ((out.data, expected), (value.grad, slope)):
        assert got == want or (math.isnan(got) and math.isnan(want))
    np.testing.assert_array_equal(tensor_out.data, [expected])
    np.testing.assert_array_equal(tensor.grad, [slope])


@settings(max_examples=50)
@given(a=st.floats(-5, 5), b=st.floats(-5, 5))
def test_the_scalar_operators_take_their_derivatives_from_the_table(a: float, b: float) -> None:
    # The fast path writes some of these inline; they must stay the table's expressions.
    x, y = Value(a), Value(b)
    assert (x + y).local_grads == ops.ADD_DERIVATIVES
    assert (x - y).local_grads == ops.SUB_DERIVATIVES
    assert (-x).local_grads == ops.NEG_DERIVATIVES
    product = x * y
    assert product.local_grads == ops.multiply_derivatives(a, b, product.data)
    if b != 0.0:
        quotient = x / y
        assert quotient.local_grads == ops.divide_derivatives(a, b, quotient.data)
    if a > 0.0:
        power = x**y
        assert power.local_grads == ops.power_derivatives(a, b, power.data)
        assert (x**2.5).local_grads == (ops.power_base_derivative(a, 2.5),)
