"""Gradients as graphs: autograd.grad, hessian, hvp, jacobian and gradgradcheck (Values)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_domains import DOMAINS

import autograd
from autograd import (
    GradcheckError,
    Tensor,
    Value,
    grad,
    gradgradcheck,
    hessian,
    hvp,
    jacobian,
    ops,
    sum_values,
    weighted_sum,
)

ENTRIES = list(ops.ELEMENTWISE.values())
IDS = [op.name for op in ENTRIES]


# ------------------------------------------------------------------ grad, first order


def test_grad_gives_what_backward_gives_and_leaves_grad_alone() -> None:
    x, y = Value(0.7), Value(-1.3)
    out = (x * y + x.exp() / y).tanh() ** 2
    gx, gy = grad(out, [x, y])
    assert (x.grad, y.grad) == (0.0, 0.0)
    out.backward()
    assert (gx.data, gy.data) == (x.grad, y.grad)
    assert gx.parents == () and gy.parents == ()  # constants without create_graph


def test_grad_with_respect_to_an_intermediate_node() -> None:
    x = Value(2.0)
    h = x * x
    out = h.sin()
    [dh] = grad(out, [h])
    assert dh.data == pytest.approx(math.cos(4.0))


def test_grad_output_scales_the_gradient() -> None:
    x = Value(3.0)
    [g] = grad(x * x, [x], grad_output=0.5)
    assert g.data == 3.0


def test_an_unused_input_is_an_error_unless_allowed() -> None:
    x, unused = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"input 1 \(Value 2\) does not affect.*allow_unused"):
        grad(x * x, [x, unused])
    assert grad(x * x, [x, unused], allow_unused=True)[1] is None


def test_mixing_the_engines_is_refused() -> None:
    with pytest.raises(TypeError, match="output is a Value but input 0 is Tensor"):
        grad(Value(1.0) * 2, [Tensor([1.0], requires_grad=True)])
    with pytest.raises(TypeError, match="output is list"):
        grad([Value(1.0)], [Value(1.0)])


def test_tensor_grad_gives_backward_s_gradient_without_touching_grad() -> None:
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    x = Tensor(rng.standard_normal((4, 3)))
    out = (x @ w).tanh().sum()
    [gw] = grad(out, [w])
    assert w.grad is None
    out.backward()
    np.testing.assert_array_equal(gw.data, w.grad)


def test_tensor_errors_name_the_fix() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient"):
        grad(w * 2, [w])  # three elements and no grad_output
    made_by_hand = autograd.tensor._result(w.data * 2, (w,), lambda node, g: (g * 2,), "double")
    with pytest.raises(NotImplementedError, match=r"Tensor op 'double' is not written for nodes"):
        grad(made_by_hand.sum(), [w], create_graph=True)
    constant = Tensor(np.ones(3))
    with pytest.raises(ValueError, match="does not require grad"):
        grad((w * constant).sum(), [constant])


# ------------------------------------------------------------------ create_graph


def test_the_derivative_of_x_cubed_is_a_graph_to_any_order() -> None:
    x = Value(3.0)
    y = x * x * x
    [d1] = grad(y, [x], create_graph=True)
    [d2] = grad(d1, [x], create_graph=True)
    [d3] = grad(d2, [x], create_graph=True)
    [d4] = grad(d3, [x], allow_unused=True)
    assert (d1.data, d2.data, d3.data) == (27.0, 18.0, 6.0)
    assert d4 is None or d4.data == 0.0


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
@settings(max_examples=20)
@given(data=st.data())
def test_gradgradcheck_holds_for_every_table_entry(op: ops.Elementwise, data) -> None:
    x = data.draw(DOMAINS[op.domain])
    assert gradgradcheck(lambda v: getattr(v, op.name)() * v, [x])


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, b: a * b * a,
        lambda a, b: a / b,
        lambda a, b: b / (a * a + 1.0),
        lambda a, b: a**b,
        lambda a, b: (a * a + 1.0) ** 1.5,
        lambda a, b: a**3,
        lambda a, b: -a * b - (b - a),
        lambda a, b: weighted_sum([a, b], [b, a], a),
        lambda a, b: weighted_sum([a, 2.0], [3.0, b], b),
        lambda a, b: weighted_sum([a, b], [0.5, -1.5]),
        lambda a, b: sum_values([a * a, b * a, 3.0]),
        lambda a, b: (a.tanh() * b.sigmoid()).softplus(),
    ],
    ids=[
        "a*b*a",
        "a/b",
        "b/(a²+1)",
        "a**b",
        "(a²+1)**1.5",
        "a**3",
        "neg-sub",
        "weighted-sum-pairs",
        "weighted-sum-mixed",
        "weighted-sum-constant-inputs",
        "sum-values",
        "composite",
    ],
)
def test_gradgradcheck_holds_for_the_arithmetic_and_fused_ops(fn) -> None:
    assert gradgradcheck(fn, [0.8, 1.7])


def test_third_derivatives_of_tanh_and_sigmoid_chains() -> None:
    x = Value(0.4)
    t = x.tanh()
    [d1] = grad(t, [x], create_graph=True)
    [d2] = grad(d1, [x], create_graph=True)
    [d3] = grad(d2, [x])
    tanh = math.tanh(0.4)
    assert d1.data == pytest.approx(1 - tanh**2)
    assert d2.data == pytest.approx(-2 * tanh * (1 - tanh**2))
    assert d3.data == pytest.approx(-2 * (1 - tanh**2) * (1 - 3 * tanh**2))

    x = Value(-0.9)
    s = x.sigmoid()
    [d1] = grad(s, [x], create_graph=True)
    [d2] = grad(d1, [x], create_graph=True)
    [d3] = grad(d2, [x])
    sig = 1 / (1 + math.exp(0.9))
    assert d3.data == pytest.approx(sig * (1 - sig) * (1 - 6 * sig + 6 * sig**2))


def test_a_wrong_second_derivative_is_caught() -> None:
    # |x|'s derivative is sign(x), a constant: its second derivative is 0, but a function
    # whose gradient graph is cut (data copied into a new leaf) must fail the check.
    def cut(v: Value) -> Value:
        return Value(v.data) * v * v  # ∂/∂v is 2·v·(a constant copy): f'' misses a term

    with pytest.raises(GradcheckError, match=r"∂²f/∂x0∂x0: analytic"):
        gradgradcheck(cut, [1.3])


# ------------------------------------------------------------------ hessian, hvp, jacobian


def test_hessian_of_rosenbrock_matches_the_formula() -> None:
    def rosenbrock(x: Value, y: Value) -> Value:
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2

    x, y = -1.2, 1.0
    expected = [
        [2 - 400 * (y - 3 * x * x), -400 * x],
        [-400 * x, 200.0],
    ]
    np.testing.assert_allclose(hessian(rosenbrock, [x, y]), expected, rtol=1e-12)


@settings(max_examples=30)
@given(
    point=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
    v=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
)
def test_hvp_is_the_hessian_times_v(point, v) -> None:
    def f(a: Value, b: Value, c: Value) -> Value:
        return (a * b).tanh() + (b * c).sin() * a + c.softplus() * a * a

    expected = np.array(hessian(f, point)) @ np.array(v)
    np.testing.assert_allclose(hvp(f, point, v), expected, rtol=1e-9, atol=1e-12)


def test_hessian_is_symmetric_and_leaves_the_callers_values_alone() -> None:
    x, y = Value(0.3), Value(-0.8)
    h = hessian(lambda a, b: (a * b).exp() * a.sin(), [x, y])
    assert h[0][1] == pytest.approx(h[1][0], rel=1e-12)
    assert (x.grad, y.grad, x.parents) == (0.0, 0.0, ())


def test_hessian_of_a_linear_function_is_zero() -> None:
    assert hessian(lambda a, b: 2.0 * a - b + 1.0, [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]


def test_jacobian_rows_are_outputs_and_columns_inputs() -> None:
    j = jacobian(lambda x, y: [x * y, x.sin(), y], [0.5, 2.0])
    np.testing.assert_allclose(j, [[2.0, 0.5], [math.cos(0.5), 0.0], [0.0, 1.0]])
    assert jacobian(lambda x, y: x * y, [0.5, 2.0]) == [[2.0, 0.5]]


def test_functions_name_what_f_must_return() -> None:
    with pytest.raises(TypeError, match="hessian: f returned float"):
        hessian(lambda x: 1.0, [2.0])
    with pytest.raises(TypeError, match="jacobian: f returned str at position 1"):
        jacobian(lambda x: [x, "y"], [2.0])
    with pytest.raises(ValueError, match="hvp: v has 1 numbers for 2 inputs"):
        hvp(lambda x, y: x * y, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="inputs must be a list"):
        hessian(lambda x: x * x, 2.0)


def test_the_readme_example_prints_what_it_says() -> None:
    x = Value(3.0)
    [dy] = grad(x * x * x, [x], create_graph=True)
    [d2y] = grad(dy, [x])
    assert (dy.data, d2y.data) == (27.0, 18.0)

    def rosenbrock(x, y):
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2

    np.testing.assert_allclose(hessian(rosenbrock, [-1.2, 1.0]), [[1330.0, 480.0], [480.0, 200.0]])
    np.testing.assert_allclose(hvp(rosenbrock, [-1.2, 1.0], [1.0, 0.0]), [1330.0, 480.0])


# ------------------------------------------------------------------ edges found in review


def test_the_mixed_second_derivative_of_a_power_survives_a_zero_exponent() -> None:
    # ∂/∂b (b·a^(b-1)) = a^(b-1)·(1 + b·ln a) is 0.5 at (2, 0), not 0.
    h = hessian(lambda a, b: a**b, [2.0, 0.0])
    assert h[0][1] == pytest.approx(0.5) and h[1][0] == pytest.approx(0.5)
    assert gradgradcheck(lambda a, b: a**b, [2.0, 0.0])


def test_relu_of_a_value_subclass_with_its_own_constructor_differentiates_twice() -> None:
    class Parameter(Value):
        __slots__ = ("name",)

        def __init__(self, data: float, name: str) -> None:
            super().__init__(data)
            self.name = name

    w = Parameter(0.5, "w")
    [g] = grad(w.relu() * 3.0 + w * w, [w], create_graph=True)
    [h] = grad(g, [w])
    assert (g.data, h.data) == (4.0, 2.0)


def test_a_gradient_graph_refuses_data_changed_after_the_forward_pass() -> None:
    x = Value(2.0)
    y = x * x * x
    x.data = 5.0  # an optimizer step, say
    assert grad(y, [x])[0].data == 12.0  # the forward pass's numbers
    with pytest.raises(RuntimeError, match=r"changed after the forward pass; compute"):
        grad(y, [x], create_graph=True)


def test_tensor_gradients_are_arrays_of_their_own() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    gx, gy = grad(x + y, [x, y], grad_output=np.ones(2))
    gx.data *= 0.5
    np.testing.assert_array_equal(gy.data, [1.0, 1.0])
    assert gx.data.flags.writeable


def test_a_bare_node_as_inputs_is_refused_with_the_fix() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"grad\(y, \[x\]\)"):
        grad(x * x, x)


def test_sigmoid_far_below_zero_agrees_between_the_engines() -> None:
    for point in (-700.0, -710.0, -740.0, -30.0, 40.0, -math.inf, math.inf):
        value = Value(point)
        out = value.sigmoid()
        out.backward()
        tensor = Tensor(np.array([point]), requires_grad=True)
        tensor_out = tensor.sigmoid()
        tensor_out.sum().backward()
        assert tensor_out.data[0] == pytest.approx(out.data, rel=1e-12)
        assert tensor.grad[0] == pytest.approx(value.grad, rel=1e-12)


# ------------------------------------------------------------------ Tensors, second order


def tensor_points(op: ops.Elementwise, shape: tuple[int, ...]) -> st.SearchStrategy:
    size = int(np.prod(shape))
    return st.lists(DOMAINS[op.domain], min_size=size, max_size=size).map(
        lambda xs: Tensor(np.array(xs).reshape(shape))
    )


@pytest.mark.parametrize("op", ENTRIES, ids=IDS)
@settings(max_examples=10)
@given(data=st.data())
def test_tensor_gradgradcheck_holds_for_every_table_entry(op: ops.Elementwise, data) -> None:
    x = data.draw(tensor_points(op, (3,)))
    assert gradgradcheck(lambda t: (getattr(t, op.name)() * t).sum(), [x])


RNG = np.random.default_rng(7)


@pytest.mark.parametrize(
    ("fn", "shapes"),
    [
        (lambda a, b: (a * b * a).sum(), [(2, 3), (3,)]),  # broadcasting
        (lambda a, b: (a / (b * b + 1.0)).mean(), [(2, 3), (2, 1)]),
        (lambda a, b: ((a - b) ** 2).sum() + (-a).sum(), [(4,), (4,)]),
        (lambda a, b: ((a @ b).tanh() ** 2).mean(), [(3, 2), (2, 4)]),
        (lambda a, b: (a.reshape(6) * b.T.reshape(6)).sigmoid().sum(), [(2, 3), (3, 2)]),
        (lambda a, b: (a.sum(axis=0, keepdims=True) * b).softplus().sum(), [(2, 3), (2, 3)]),
        (lambda a, b: (a.mean(axis=1) * b.sum(axis=1)).sin().sum(), [(2, 3), (2, 3)]),
    ],
    ids=["mul-broadcast", "div-broadcast", "sub-pow-neg", "matmul", "reshape-T", "sum", "mean"],
)
def test_tensor_gradgradcheck_holds_for_the_arithmetic_and_shape_ops(fn, shapes) -> None:
    inputs = [Tensor(RNG.uniform(0.2, 1.5, shape)) for shape in shapes]
    assert gradgradcheck(fn, inputs)


LABELS = np.array([2, 0, 1])


@pytest.mark.parametrize(
    ("fn", "shapes"),
    [
        (lambda a, b: ((a * b).max(axis=1) ** 2).sum(), [(3, 4), (3, 4)]),
        (lambda a, b: (a @ b).log_softmax(axis=1).sum(axis=0).sin().sum(), [(3, 2), (2, 4)]),
        (lambda a, b: ((a @ b).softmax(axis=1) * b.sum(axis=0)).sum(), [(3, 2), (2, 4)]),
        (lambda a, b: autograd.softmax_cross_entropy(a @ b, LABELS), [(3, 2), (2, 4)]),
        (lambda a, b: autograd.mse((a * b).tanh(), b), [(3, 2), (3, 2)]),
        (lambda a, b: autograd.squared_error(a.sigmoid(), b, 0.5), [(2, 3), (2, 3)]),
        (lambda a, b: autograd.linear(a, b, b.sum(axis=0)).tanh().sum(), [(3, 2), (2, 4)]),
        (lambda a, b: ((a * b)[1:, 0] ** 3).sum() + (a[0] * b[2]).sin().sum(), [(3, 2), (3, 2)]),
        (lambda a, b: ((a * b)[np.array([0, 0, 2])] ** 2).sum(), [(3, 2), (3, 2)]),
        (lambda a, b: autograd.binary_cross_entropy(a.sigmoid(), b.sigmoid()), [(3, 2), (3, 2)]),
        (lambda a, b: autograd.sigmoid_binary_cross_entropy(a * b, b.tanh()), [(3, 2), (3, 2)]),
        (lambda a, b: ((a * a + 0.5) ** b).sum(), [(3, 2), (2,)]),
        (lambda a, b: ((a.reshape(2, 3, 1) @ b) ** 2).sum(), [(6,), (1, 2)]),
        (lambda a, b: ((a @ b) ** 2).sum() + (b @ a[0]).sin().sum(), [(2, 3), (3,)]),
    ],
    ids=[
        *("max", "log_softmax", "softmax", "cross_entropy", "mse", "squared_error", "linear"),
        *("getitem-basic", "getitem-repeated", "bce", "bce-with-logits", "tensor-exponent"),
        *("batched-matmul", "vector-matmul"),
    ],
)
def test_tensor_gradgradcheck_holds_for_the_reductions_and_fused_ops(fn, shapes) -> None:
    inputs = [Tensor(RNG.uniform(-1.5, 1.5, shape)) for shape in shapes]
    assert gradgradcheck(fn, inputs)


def test_tensor_hessian_is_shaped_as_in_torch_and_hvp_is_h_times_v() -> None:
    w, b = Tensor(RNG.standard_normal((3, 2))), Tensor(RNG.standard_normal(2))
    x = Tensor(RNG.standard_normal((4, 3)))

    def f(w: Tensor, b: Tensor) -> Tensor:
        return ((x @ w + b).tanh() ** 2).mean() + (w * w).sum() * 0.1

    h = hessian(f, [w, b])
    assert [[block.shape for block in row] for row in h] == [
        [(3, 2, 3, 2), (3, 2, 2)],
        [(2, 3, 2), (2, 2)],
    ]
    full = np.block(
        [[h[0][0].reshape(6, 6), h[0][1].reshape(6, 2)], [h[1][0].reshape(2, 6), h[1][1]]]
    )
    np.testing.assert_allclose(full, full.T, rtol=1e-10, atol=1e-12)
    v = [RNG.standard_normal((3, 2)), RNG.standard_normal(2)]
    product = hvp(f, [w, b], v)
    expected = full @ np.concatenate([v[0].ravel(), v[1]])
    np.testing.assert_allclose(np.concatenate([product[0].ravel(), product[1]]), expected)


def test_tensor_jacobian_rows_are_outputs() -> None:
    w = Tensor(RNG.standard_normal((3, 2)))
    x = RNG.standard_normal((4, 3))
    [[block]] = jacobian(lambda w: (Tensor(x) @ w).sigmoid(), [w])
    assert block.shape == (4, 2, 3, 2)
    s = 1 / (1 + np.exp(-(x @ w.data)))
    expected = np.zeros((4, 2, 3, 2))
    for i in range(4):
        for j in range(2):
            expected[i, j, :, j] = s[i, j] * (1 - s[i, j]) * x[i]
    np.testing.assert_allclose(block, expected, rtol=1e-10)


def test_tensor_gradgradcheck_catches_a_cut_graph() -> None:
    def cut(t: Tensor) -> Tensor:
        return (t.detach() * t * t).sum()

    with pytest.raises(GradcheckError, match="analytic"):
        gradgradcheck(cut, [Tensor(np.array([0.5, 1.5]))])


def test_bce_second_derivatives_stay_finite_where_the_log_is_clamped() -> None:
    p = Tensor(np.array([0.0, 0.4, 1.0]), requires_grad=True)
    y = Tensor(np.array([1.0, 0.3, 0.0]), requires_grad=True)
    loss = autograd.binary_cross_entropy(p, y)
    gp, gy = grad(loss, [p, y], create_graph=True)
    assert np.isfinite(gp.data).all() and np.isfinite(gy.data).all()
    loss.backward()
    np.testing.assert_allclose(gp.data, p.grad)
    np.testing.assert_allclose(gy.data, y.grad)
    [hp] = grad(gp.sum(), [p])
    # d/dp of (−y/p + (1−y)/(1−p))/n is (y/p² + (1−y)/(1−p)²)/n where unclamped, 0 where clamped
    expected = np.array([0.0, (0.3 / 0.16 + 0.7 / 0.36) / 3, 0.0])
    np.testing.assert_allclose(hp.data, expected)


def test_a_tensor_exponent_of_zero_keeps_the_mixed_second_derivative_as_values_do() -> None:
    a, b = Tensor(np.array([0.7, 2.0])), Tensor(np.array([0.0, 0.0]))
    h = hessian(lambda a, b: (a**b).sum(), [a, b])
    values = [hessian(lambda x, y: x**y, [float(p), 0.0]) for p in (0.7, 2.0)]
    np.testing.assert_allclose(np.diag(h[0][1]), [v[0][1] for v in values])
    np.testing.assert_allclose(np.diag(h[1][0]), [v[1][0] for v in values])
