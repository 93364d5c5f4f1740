"""Adversarial contracts of both engines: gradient accumulation and aliasing in
``Tensor.backward``, dtypes, ``no_grad``, deep graphs, one non-finite rule for ``Value`` and
``Tensor``, error messages, and ``gradcheck`` catching wrong derivative rules.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

import autograd.tensor as tensor_module
import autograd.tensor_fused as tensor_fused
from autograd import (
    GradcheckError,
    Tensor,
    Value,
    enable_grad,
    gradcheck,
    linear,
    mse,
    no_grad,
    ops,
    softmax_cross_entropy,
    topological_order,
)


def leaf(array, dtype=np.float64):
    return Tensor(np.array(array, dtype=dtype), requires_grad=True)


# ================================================================== Tensor.backward: aliasing

# A reference backward: the same derivative rules, but every accumulation allocates a new array
# and every rule gets its own copy of the gradient. What the engine computes in place must equal
# this, for every node.


def reference_gradients(root: Tensor, seed: np.ndarray) -> dict[int, np.ndarray]:
    grads = {id(root): np.array(seed, dtype=root.dtype)}
    for node in reversed(topological_order(root)):
        if not node.parents or id(node) not in grads:
            continue
        for parent, parent_grad in zip(node.parents, node._backward(node, grads[id(node)].copy())):
            if parent_grad is None:
                continue
            parent_grad = np.array(parent_grad, dtype=parent.dtype)  # always a new array
            if id(parent) in grads:
                grads[id(parent)] = grads[id(parent)] + parent_grad
            else:
                grads[id(parent)] = parent_grad
    return grads


def random_graph(rng: np.random.Generator) -> tuple[list[Tensor], Tensor]:
    """Leaves of broadcast-compatible shapes and a random graph that reuses nodes a lot."""
    leaves = [
        leaf(rng.standard_normal((3, 4))),
        leaf(rng.standard_normal(4)),
        leaf(rng.standard_normal((3, 1))),
        leaf(rng.standard_normal((1, 4))),
    ]
    matrix = leaf(rng.standard_normal((4, 4)) * 0.5)
    bias = leaf(rng.standard_normal(4))
    constant = Tensor(rng.standard_normal((3, 4)))
    pool: list[Tensor] = [*leaves, constant]

    def pick() -> Tensor:
        # Favour recent nodes, so long chains and heavy reuse both occur.
        index = min(len(pool) - 1, int(abs(rng.normal(0, 3))))
        return pool[-1 - index]

    def full(t: Tensor) -> Tensor:  # broadcast to (3, 4) through the graph
        return t + constant * 0.0

    unary = [
        lambda t: -t,
        lambda t: t.tanh(),
        lambda t: t.sigmoid(),
        lambda t: t.tanh().exp(),
        lambda t: t.relu(),
        lambda t: t * t,
        lambda t: t**2,
        lambda t: t + t,
        lambda t: t.reshape(-1).reshape(t.shape),
        lambda t: t.T.T,
        lambda t: t.sum(axis=0, keepdims=True),
        lambda t: t.sum(axis=-1, keepdims=True),
        lambda t: t.mean(axis=0),
        lambda t: t.max(axis=-1, keepdims=True),
        lambda t: full(t)[[0, 0, 2]],
        lambda t: full(t)[1:, ::-1],
        lambda t: full(t) @ matrix,
        lambda t: linear(full(t), matrix, bias),
        lambda t: full(t).log_softmax(axis=-1),
        lambda t: full(t).softmax(axis=0),
        lambda t: 2.0 - t / (t * t + 1.0),
    ]
    binary = [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a / (b * b + 1.0),
    ]
    for _ in range(int(rng.integers(3, 14))):
        if rng.random() < 0.5:
            node = unary[int(rng.integers(len(unary)))](pick())
        else:
            node = binary[int(rng.integers(len(binary)))](pick(), pick())
        if node.ndim <= 2 and all(n in (1, s) for n, s in zip(node.shape[::-1], (4, 3))):
            pool.append(node)
    root = pool[-1] * 1.0 + leaves[0]  # so that the root always requires grad
    for node in pool[-4:-1]:  # several nodes feed the root: fan-in at the end too
        root = root + node
    return [*leaves, matrix, bias], root


def assert_backward_matches_reference(leaves, root, seed):
    seed_before = seed.copy()
    order = topological_order(root)
    data_before = {id(n): n.data.copy() for n in order}
    grads_before = {id(x): None if x.grad is None else x.grad.copy() for x in leaves}
    expected = reference_gradients(root, seed)

    root.backward(seed)

    np.testing.assert_array_equal(seed, seed_before)  # the caller's seed is never written
    for node in order:
        np.testing.assert_array_equal(node.data, data_before[id(node)])  # nor any data
        if not node.requires_grad:
            assert node.grad is None
            continue
        want = expected.get(id(node))
        if node.parents:
            np.testing.assert_allclose(node.grad, want, rtol=1e-12, atol=1e-12)
        else:
            previous = grads_before[id(node)]
            if want is None:
                want = np.zeros_like(node.data)
            if previous is not None:
                want = previous + want
            if node.grad is None:  # not reached: acceptable only with nothing to give
                assert previous is None and not want.any()
                continue
            np.testing.assert_allclose(node.grad, want, rtol=1e-12, atol=1e-12)
        assert node.grad.shape == node.data.shape and node.grad.dtype == node.data.dtype

    # A leaf's gradient is its own array: shared with no other gradient, data or the seed.
    leaf_grads = [x.grad for x in leaves if x.grad is not None]
    others = [n.grad for n in order if n.parents and n.grad is not None]
    others += [n.data for n in order] + [seed]
    for i, grad in enumerate(leaf_grads):
        assert grad.flags.writeable
        for other in leaf_grads[i + 1 :] + others:
            assert not np.shares_memory(grad, other)


@pytest.mark.parametrize("graph_seed", range(60))
def test_in_place_accumulation_gives_the_reference_gradients_without_aliasing(graph_seed):
    rng = np.random.default_rng(graph_seed)
    leaves, root = random_graph(rng)
    seed = rng.standard_normal(root.shape)
    assert_backward_matches_reference(leaves, root, seed)
    # Twice on the same graph: leaves accumulate, intermediates start again.
    assert_backward_matches_reference(leaves, root, seed)
    # A second root sharing the whole graph.
    other_root = root.tanh() * 3.0
    assert_backward_matches_reference(leaves, other_root, rng.standard_normal(root.shape))


def test_seed_gradient_is_not_mutated_when_the_root_is_used_directly_by_a_leaf():
    x = leaf([1.0, 2.0, 3.0])
    y = x + x
    seed = np.ones(3)
    y.backward(seed)
    np.testing.assert_array_equal(seed, np.ones(3))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_seed_gradient_given_as_a_tensor_is_not_mutated():
    x = leaf([1.0, 2.0])
    seed = Tensor(np.array([1.0, 1.0]))
    (x + x).backward(seed)
    np.testing.assert_array_equal(seed.data, [1.0, 1.0])
    assert not np.shares_memory(x.grad, seed.data)


def test_backward_on_a_leaf_does_not_alias_the_seed():
    x = leaf([1.0, 2.0])
    seed = np.array([3.0, 4.0])
    x.backward(seed)
    x.grad += 1.0
    np.testing.assert_array_equal(seed, [3.0, 4.0])


def test_square_by_reuse_gives_twice_the_input():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])


def test_sum_of_a_tensor_with_itself_gives_two():
    x = leaf([[1.0, 2.0]])
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0]])


def test_node_used_in_three_places_with_broadcasting_gets_all_three_contributions():
    x = leaf([[1.0, 2.0, 3.0]])  # (1, 3), broadcast against (2, 3)
    y = x * 1.0
    z = (y + np.ones((2, 3))) * y + y  # dz/dy = 2y + 2 per row, two rows
    z.sum().backward()
    np.testing.assert_array_equal(y.grad, [[8.0, 12.0, 16.0]])
    np.testing.assert_array_equal(x.grad, [[8.0, 12.0, 16.0]])


def test_intermediate_gradients_are_correct_after_backward():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    z = y * y
    z.sum().backward()
    np.testing.assert_array_equal(z.grad, [1.0, 1.0])
    np.testing.assert_array_equal(y.grad, 2 * y.data)
    np.testing.assert_array_equal(x.grad, 6 * y.data)


def test_two_roots_sharing_a_subgraph_accumulate_into_the_leaf():
    x = leaf([1.0, 2.0])
    y = x * x
    y.sum().backward()
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, 8 * x.data)  # 2x + 6x
    np.testing.assert_array_equal(y.grad, [3.0, 3.0])  # from the second root only


def test_two_leaves_added_never_share_a_gradient_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).backward(np.ones(2))
    a.grad[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_leaf_gradient_does_not_alias_an_intermediate_gradient():
    x = leaf([1.0, 2.0])
    y = x + 0.0
    (y + 0.0).backward(np.ones(2))
    assert not np.shares_memory(x.grad, y.grad)


def test_backward_does_not_mutate_an_array_the_user_assigned_as_grad():
    x = leaf([1.0, 2.0])
    mine = np.array([10.0, 20.0])
    x.grad = mine
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(mine, [10.0, 20.0])
    np.testing.assert_array_equal(x.grad, [12.0, 22.0])


def test_backward_with_the_data_array_assigned_as_grad_leaves_data_unchanged():
    x = leaf([1.0, 2.0])
    x.grad = x.data
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_gradient_array_from_an_earlier_backward_is_not_changed_in_place():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    first = x.grad
    y.backward()
    np.testing.assert_array_equal(first, [2.0, 4.0])
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_fused_ops_backward_twice_give_twice_the_gradient():
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((5, 3)))
    w, b = leaf(rng.standard_normal((3, 4))), leaf(rng.standard_normal(4))
    loss = softmax_cross_entropy(linear(x, w, b), np.array([0, 1, 2, 3, 0])) + mse(
        linear(x, w), np.zeros((5, 4))
    )
    loss.backward()
    once = [t.grad.copy() for t in (x, w, b)]
    loss.backward()
    for t, g in zip((x, w, b), once):
        np.testing.assert_allclose(t.grad, 2 * g, rtol=1e-14)  # summed in another order


# ================================================================== dtypes

TENSOR_OPS = {
    "add_py_float": lambda x, w: x + 1.5,
    "radd_np_float64": lambda x, w: np.float64(1.5) + x,
    "sub_np_float64": lambda x, w: x - np.float64(1.5),
    "rsub_py_float": lambda x, w: 1.5 - x,
    "mul_np_float64": lambda x, w: x * np.float64(2.0),
    "rmul_np_float64": lambda x, w: np.float64(2.0) * x,
    "div_np_float64": lambda x, w: x / np.float64(3.0),
    "rdiv_np_float64": lambda x, w: np.float64(3.0) / x,
    "pow_np_float64": lambda x, w: x ** np.float64(2.0),
    "pow_int": lambda x, w: x**3,
    "rpow_np_float64": lambda x, w: np.float64(2.0) ** x,
    "pow_tensor": lambda x, w: x ** (x * 0.0 + 2.0),
    "mul_int_array": lambda x, w: x * np.arange(3),
    "mul_list": lambda x, w: x * [1, 2, 3],
    "neg": lambda x, w: -x,
    "matmul": lambda x, w: x @ w,
    "sum": lambda x, w: x.sum(),
    "sum_axis": lambda x, w: x.sum(axis=0),
    "mean": lambda x, w: x.mean(),
    "mean_axis": lambda x, w: x.mean(axis=1, keepdims=True),
    "max": lambda x, w: x.max(axis=0),
    "reshape": lambda x, w: x.reshape(3, 2),
    "transpose": lambda x, w: x.T,
    "getitem": lambda x, w: x[[0, 0]],
    "exp": lambda x, w: x.exp(),
    "log": lambda x, w: x.log(),
    "tanh": lambda x, w: x.tanh(),
    "sigmoid": lambda x, w: x.sigmoid(),
    "relu": lambda x, w: x.relu(),
    "log_softmax": lambda x, w: x.log_softmax(),
    "softmax": lambda x, w: x.softmax(axis=0),
    "linear": lambda x, w: linear(x, w, w[0] * 0.5),
    "mse": lambda x, w: mse(x, x * 0.5),
    "softmax_cross_entropy": lambda x, w: softmax_cross_entropy(x, np.array([0, 2])),
    "scalar_times_python_float": lambda x, w: x.sum() * 2.5,
    "scalar_power_np_float64": lambda x, w: x.sum() ** np.float64(2.0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", TENSOR_OPS.values(), ids=TENSOR_OPS.keys())
def test_every_op_keeps_the_float_dtype_in_results_and_gradients(op, dtype):
    x = leaf(np.linspace(0.5, 1.5, 6).reshape(2, 3), dtype)
    w = leaf(np.linspace(-1.0, 1.0, 12).reshape(3, 4), dtype)
    out = op(x, w)
    out.backward(np.ones(out.shape, dtype=np.float64))  # a float64 seed changes nothing
    assert out.dtype == dtype
    assert x.grad.dtype == dtype
    assert w.grad is None or w.grad.dtype == dtype


@pytest.mark.parametrize(
    "data", [3, [1, 2], np.arange(3), np.array([1, 2], dtype=np.int8), np.int64(4), True]
)
def test_integer_and_boolean_inputs_become_float32_leaves_with_float32_gradients(data):
    x = Tensor(data, requires_grad=True)
    (x * 2).sum().backward()
    assert x.dtype == np.float32 and x.grad.dtype == np.float32


def test_integer_array_operand_takes_the_tensor_float64_dtype_by_promotion():
    x = leaf([1.0, 2.0, 3.0])
    assert (x * np.arange(3)).dtype == np.float64


def test_value_data_and_gradients_stay_python_floats_with_numpy_scalars():
    x = Value(np.float32(2.0))
    y = np.float64(3.0) * x + np.int64(1) - x ** np.float32(2.0)
    y.backward()
    assert type(y.data) is float and type(x.grad) is float and type(x.data) is float


# ================================================================== no_grad


def test_tensor_created_inside_no_grad_with_requires_grad_is_a_leaf_that_requires_grad():
    with no_grad():
        x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.parents == ()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_ops_inside_no_grad_on_a_tensor_that_requires_grad_record_nothing():
    with no_grad():
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = x * x
    assert not y.requires_grad and y.parents == ()
    with pytest.raises(RuntimeError, match="no_grad"):
        y.sum().backward()


def test_tensor_part_of_a_graph_built_in_no_grad_is_a_constant_for_the_rest():
    x = leaf([1.0, 2.0])
    with no_grad():
        y = x * x
    (y * x).sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # only the direct path: d(yx)/dx = y


def test_value_part_of_a_graph_built_in_no_grad_is_a_constant_for_the_rest():
    x = Value(3.0)
    with no_grad():
        y = x * x
    (y * x).backward()
    assert x.grad == 9.0


def test_enable_grad_inside_no_grad_records_the_graph_for_both_engines():
    x, v = leaf([2.0]), Value(2.0)
    with no_grad(), enable_grad():
        y, w = x * x, v * v
    y.sum().backward()
    w.backward()
    assert x.grad[0] == 4.0 and v.grad == 4.0


def test_backward_called_inside_no_grad_still_fills_gradients():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    with no_grad():
        loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_no_grad_decorator_restores_grad_mode_after_an_exception_in_tensor_code():
    @no_grad()
    def broken(t):
        return t + np.ones(5)  # shapes do not broadcast

    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError):
        broken(x)
    assert (x * x).requires_grad


# ================================================================== Value: reuse, twice, depth


def test_value_backward_twice_gives_leaves_twice_the_gradient():
    x = Value(0.7)
    y = (x * x + x.tanh()).sigmoid()
    y.backward()
    once = x.grad
    y.backward()
    assert x.grad == pytest.approx(2 * once, rel=1e-15)  # summed in another order


def test_value_used_in_three_places_gets_all_three_contributions():
    x = Value(0.5)
    y = x * 2.0
    z = y * y + y + y.tanh()  # dz/dy = 2y + 1 + 1 - tanh²y
    z.backward()
    assert y.grad == pytest.approx(2 * 1.0 + 1 + 1 - math.tanh(1.0) ** 2)
    assert x.grad == pytest.approx(2 * y.grad)


def test_value_sum_with_itself_gives_two():
    x = Value(1.5)
    (x + x).backward()
    assert x.grad == 2.0


def test_value_backward_through_a_million_negations():
    x = Value(1.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert (y.data, x.grad) == (1.5, 1.0)


def test_tensor_backward_through_a_chain_of_a_hundred_thousand_additions():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    np.testing.assert_array_equal(y.data, [100_001.0, 100_002.0])


# ================================================================== one non-finite rule

INF, NAN = math.inf, math.nan

NON_FINITE_CASES = {
    "log(0)": (lambda a: a.log(), [0.0]),
    "log(-1)": (lambda a: a.log(), [-1.0]),
    "1/0": (lambda a, b: a / b, [1.0, 0.0]),
    "1/-0": (lambda a, b: a / b, [1.0, -0.0]),
    "0/0": (lambda a, b: a / b, [0.0, 0.0]),
    "inf/inf": (lambda a, b: a / b, [INF, INF]),
    "1/x at 0 (reflected)": (lambda a: 1.0 / a, [0.0]),
    "exp(1000)": (lambda a: a.exp(), [1000.0]),
    "(-8)**(1/3)": (lambda a: a ** (1 / 3), [-8.0]),
    "(-8)**x, x=1/3": (lambda a, b: a**b, [-8.0, 1 / 3]),
    "(-2)**x reflected, x=0.5": (lambda a: (-2.0) ** a, [0.5]),
    "0**-1": (lambda a: a**-1, [0.0]),
    "(-0)**-1": (lambda a: a**-1, [-0.0]),
    "0**-2": (lambda a: a**-2, [0.0]),
    "0**x, x=-1": (lambda a, b: a**b, [0.0, -1.0]),
    "0**x, x=0": (lambda a, b: a**b, [0.0, 0.0]),
    "0**0.5": (lambda a: a**0.5, [0.0]),
    "10**400": (lambda a: a**400, [10.0]),
    "(-10)**401": (lambda a: a**401, [-10.0]),
    "2**x, x=2000": (lambda a, b: a**b, [2.0, 2000.0]),
    "0**-inf": (lambda a: a**-INF, [0.0]),
    "relu(nan)": (lambda a: a.relu(), [NAN]),
    "tanh(inf)": (lambda a: a.tanh(), [INF]),
    "sigmoid(-inf)": (lambda a: a.sigmoid(), [-INF]),
    "sigmoid(nan)": (lambda a: a.sigmoid(), [NAN]),
    "exp(-inf)": (lambda a: a.exp(), [-INF]),
    "log(inf)": (lambda a: a.log(), [INF]),
    "inf*0": (lambda a, b: a * b, [INF, 0.0]),
    "inf-inf": (lambda a, b: a - b, [INF, INF]),
}


def same_float(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@pytest.mark.parametrize(("fn", "points"), NON_FINITE_CASES.values(), ids=NON_FINITE_CASES.keys())
def test_value_and_tensor_agree_on_non_finite_values_and_gradients(fn, points):
    values = [Value(p) for p in points]
    out = fn(*values)
    out.backward()
    tensors = [leaf(p) for p in points]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are a separate contract, below
        t_out = fn(*tensors)
        t_out.backward()
    assert same_float(out.data, float(t_out.data)), (out.data, t_out.data)
    for v, t in zip(values, tensors):
        assert same_float(v.grad, float(t.grad)), (v.grad, t.grad)


def test_value_and_tensor_agree_on_a_finite_composite_expression():
    def expression(a, b):
        return ((a * b - a / (b * b + 1.0)).tanh() + (a**2).sigmoid() * b.exp()).relu() + (
            2.0 ** (a * 0.5)
        ) * (b * b + 1.0).log()

    rng = np.random.default_rng(1)
    for a0, b0 in rng.standard_normal((20, 2)):
        a, b = Value(float(a0)), Value(float(b0))
        out = expression(a, b)
        out.backward()
        ta, tb = leaf(a0), leaf(b0)
        t_out = expression(ta, tb)
        t_out.backward()
        assert float(t_out.data) == pytest.approx(out.data, rel=1e-12)
        assert float(ta.grad) == pytest.approx(a.grad, rel=1e-12, abs=1e-14)
        assert float(tb.grad) == pytest.approx(b.grad, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(
    ("expression", "point"),
    [
        (lambda x: x * 0.0, INF),
        (lambda x: x - x, INF),
        (lambda x: x * np.float32(1e38), 10.0),
    ],
    ids=["inf_times_zero", "inf_minus_inf", "float32_overflow"],
)
def test_tensor_arithmetic_with_non_finite_results_emits_no_numpy_warning(expression, point):
    x = leaf([point], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expression(x)


def test_max_backward_over_a_nan_emits_no_numpy_warning():
    x = leaf([1.0, NAN])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.max().backward()


# ================================================================== error contracts


@pytest.mark.parametrize(
    ("name", "build", "shapes"),
    [
        ("+", lambda: leaf(np.ones((2, 3))) + leaf(np.ones(4)), ["(2, 3)", "(4,)"]),
        ("+", lambda: np.ones(4) + leaf(np.ones((2, 3))), ["(4,)", "(2, 3)"]),
        ("*", lambda: leaf(np.ones((2, 3))) * np.ones((3, 2)), ["(2, 3)", "(3, 2)"]),
        ("**", lambda: leaf(np.ones((2, 3))) ** leaf(np.ones(2)), ["(2, 3)", "(2,)"]),
        ("@", lambda: leaf(np.ones((2, 3))) @ leaf(np.ones((2, 3))), ["(2, 3)", "(2, 3)"]),
        ("@", lambda: leaf(np.ones((2, 3))) @ leaf(np.ones(2)), ["(2, 3)", "(2,)"]),
        ("mse", lambda: mse(leaf(np.ones((3, 1))), np.ones(3)), ["(3, 1)", "(3,)"]),
        (
            "softmax_cross_entropy",
            lambda: softmax_cross_entropy(leaf(np.ones((4, 3))), np.zeros(3, dtype=int)),
            ["(3,)", "(4, 3)"],
        ),
        (
            "linear",
            lambda: linear(leaf(np.ones((2, 3))), leaf(np.ones((4, 5)))),
            ["(2, 3)", "(4, 5)"],
        ),
        (
            "linear",
            lambda: linear(leaf(np.ones((2, 3))), leaf(np.ones((3, 5))), leaf(np.ones(3))),
            ["(3,)", "(3, 5)"],
        ),
    ],
)
def test_shape_mismatch_raises_value_error_naming_the_op_and_both_shapes(name, build, shapes):
    with pytest.raises(ValueError) as error:
        build()
    message = str(error.value)
    assert name in message
    for shape in shapes:
        assert shape in message


@pytest.mark.parametrize(
    "build",
    [
        lambda: leaf([1.0]) + "a",
        lambda: leaf([1.0]) * None,
        lambda: leaf([1.0]) + 1j,
        lambda: leaf([1.0]) + Value(1.0),
        lambda: Value(1.0) + leaf([1.0]),
        lambda: leaf([1.0]) * np.array([1j]),
        lambda: Value(1.0) * np.ones(2),
        lambda: Value(1.0) ** "2",
        lambda: linear(leaf(np.ones((1, 2))), "weights"),
        lambda: mse(leaf([1.0]), "target"),
    ],
)
def test_bad_operand_type_raises_type_error(build):
    with pytest.raises(TypeError):
        build()


def test_linear_with_a_number_input_and_an_array_weight_raises_value_error_naming_linear():
    with pytest.raises((ValueError, TypeError), match="linear"):
        linear(1.0, np.ones((1, 2)))


def test_backward_on_a_non_scalar_without_a_gradient_names_the_shape():
    y = leaf(np.ones((2, 3))) * 2.0
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        y.backward()


def test_backward_with_a_seed_of_the_wrong_shape_names_both_shapes():
    y = leaf(np.ones(3)) * 2.0
    with pytest.raises(ValueError, match=r"\(1,\).*\(3,\)"):
        y.backward(np.ones(1))


@pytest.mark.parametrize(
    "labels",
    [np.array([0.0, 1.0]), np.array([True, False]), np.array([0, 1], dtype=object), [0.5, 1.0]],
    ids=["float", "bool", "object", "float_list"],
)
def test_cross_entropy_labels_of_a_non_integer_dtype_raise_type_error(labels):
    with pytest.raises(TypeError, match="softmax_cross_entropy"):
        softmax_cross_entropy(leaf(np.zeros((2, 3))), labels)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([0, -1]),
        np.array([0, 3]),
        np.array([0, 3], dtype=np.uint8),
        np.array([0, -1], dtype=np.int8),
    ],
    ids=["negative", "too_large", "uint8_too_large", "int8_negative"],
)
def test_cross_entropy_labels_out_of_range_raise_value_error(labels):
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        softmax_cross_entropy(leaf(np.zeros((2, 3))), labels)


def test_cross_entropy_rejects_a_negative_int8_label_with_more_than_255_classes():
    with pytest.raises(ValueError):
        softmax_cross_entropy(leaf(np.zeros((2, 300))), np.array([0, -1], dtype=np.int8))


def test_cross_entropy_accepts_valid_big_endian_labels():
    loss = softmax_cross_entropy(leaf(np.zeros((2, 3))), np.array([1, 0], dtype=">i4"))
    assert float(loss.data) == pytest.approx(math.log(3.0))


# ================================================================== gradcheck catches wrong rules


def with_tanh_derivative(monkeypatch, derivative) -> None:
    """Give Tensor.tanh another derivative, made the way the op table's methods are made."""
    wrong = dataclasses.replace(ops.TANH, derivative=derivative)
    monkeypatch.setattr(Tensor, "tanh", tensor_module._elementwise_method(wrong))


def test_gradcheck_fails_on_a_wrong_tensor_rule_and_reports_analytic_and_numeric(monkeypatch):
    with_tanh_derivative(monkeypatch, lambda x, out: (1 - out * out) * 1.1)  # off by 10%
    x = leaf([0.3, -0.4, 0.5])
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda t: t.tanh().sum(), [x])
    report = str(error.value)
    assert "analytic" in report and "numeric" in report
    rows = [line.split() for line in report.splitlines() if line.split()[:1] == ["0"]]
    analytic, numeric = float(rows[0][1]), float(rows[0][2])
    assert numeric == pytest.approx(1 - np.tanh(0.3) ** 2, rel=1e-6)
    assert analytic == pytest.approx(1.1 * numeric, rel=1e-6)


def test_gradcheck_fails_on_a_wrong_tensor_rule_along_a_random_direction(monkeypatch):
    with_tanh_derivative(monkeypatch, lambda x, out: (1 - out * out) * 1.1)  # off by 10%
    x = leaf(np.random.default_rng(0).standard_normal((30, 20)))
    with pytest.raises(GradcheckError, match="random direction") as error:
        gradcheck(lambda t: t.tanh(), [x])
    assert "analytic" in str(error.value) and "numeric" in str(error.value)


def test_gradcheck_fails_on_a_rule_wrong_in_a_single_element_of_a_large_input(monkeypatch):
    def wrong_in_one_place(x, out):
        result = 1 - out * out
        result.flat[7] += 1.0
        return result

    with_tanh_derivative(monkeypatch, wrong_in_one_place)
    x = leaf(np.random.default_rng(0).standard_normal((30, 20)))
    with pytest.raises(GradcheckError, match="random direction"):
        gradcheck(lambda t: t.tanh().sum(), [x])


def test_gradcheck_fails_on_a_wrong_fused_linear_bias_gradient(monkeypatch):
    right = tensor_fused._linear_backward

    def wrong_bias(node, grad):
        d_x, d_w, d_b = right(node, grad)
        return d_x, d_w, d_b * 2.0

    monkeypatch.setattr(tensor_fused, "_linear_backward", wrong_bias)
    rng = np.random.default_rng(0)
    x, w, b = leaf(rng.standard_normal((4, 3))), leaf(rng.standard_normal((3, 2))), leaf([0.1, 0.2])
    with pytest.raises(GradcheckError, match="input 2"):
        gradcheck(linear, [x, w, b])


def test_gradcheck_fails_on_a_nan_gradient_of_a_small_input(monkeypatch):
    with_tanh_derivative(monkeypatch, lambda x, out: out * NAN)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: t.tanh().sum(), [leaf([0.1, 0.2])])


def test_gradcheck_fails_on_a_nan_gradient_along_a_random_direction(monkeypatch):
    with_tanh_derivative(monkeypatch, lambda x, out: out * NAN)
    x = leaf(np.random.default_rng(0).standard_normal((30, 20)))
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: t.tanh().sum(), [x])


def test_gradcheck_leaves_the_input_data_bit_for_bit_unchanged():
    rng = np.random.default_rng(0)
    small, large = leaf(rng.standard_normal(5)), leaf(rng.standard_normal((30, 20)))
    before = small.data.copy(), large.data.copy()
    gradcheck(lambda a, b: (a.sum() * b).tanh(), [small, large])
    np.testing.assert_array_equal(small.data, before[0])
    np.testing.assert_array_equal(large.data, before[1])


def test_gradcheck_leaves_every_gradient_in_the_graph_unchanged():
    value, weight = Value(0.3), Value(0.4)
    value.grad, weight.grad = 5.0, 6.0
    gradcheck(lambda v: (v * weight).tanh(), [value])
    assert (value.grad, weight.grad) == (5.0, 6.0)
    tensor, parameter = leaf([0.1, 0.2]), leaf([0.5, 0.5])
    tensor.grad, parameter.grad = np.array([7.0, 8.0]), np.array([9.0, 9.0])
    gradcheck(lambda t: (t * parameter).sum(), [tensor])
    np.testing.assert_array_equal(tensor.grad, [7.0, 8.0])
    np.testing.assert_array_equal(parameter.grad, [9.0, 9.0])


# ================================================================== added in review


@pytest.mark.parametrize("engine", ["Value", "Tensor"])
def test_zero_power_has_a_zero_base_gradient_at_zero_with_an_engine_exponent(engine):
    # x⁰ = 1 for every x, so ∂/∂x is 0 there too, as with a number exponent (and in PyTorch).
    if engine == "Value":
        base, exponent = Value(0.0), Value(0.0)
        (base**exponent).backward()
        assert base.grad == 0.0
    else:
        base, exponent = leaf([0.0, 2.0]), leaf([0.0, 0.0])
        (base**exponent).sum().backward()
        np.testing.assert_array_equal(base.grad, [0.0, 0.0])


@pytest.mark.parametrize("shape", [(0,), (3, 0)])
def test_mean_of_an_empty_tensor_backward_emits_no_numpy_warning(shape):
    x = leaf(np.zeros(shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean = x.mean(axis=-1)
        mean.backward(np.ones(mean.shape))
    assert x.grad.shape == shape


@pytest.mark.parametrize("engine", [Value, Tensor])
@pytest.mark.parametrize("op", ["-", "/", "**"])
def test_reflected_bad_operand_error_names_the_operands_in_the_order_written(engine, op):
    with pytest.raises(TypeError) as error:
        eval(f"bad {op} x", {"x": engine(1.0), "bad": "abc"})
    assert f"str {op} {engine.__name__}" in str(error.value)


def test_no_grad_works_as_a_decorator_without_parentheses():
    @no_grad
    def square(v):
        return v * v

    assert square(Value(3.0)).parents == ()
    assert (Value(3.0) * Value(3.0)).parents != ()


@pytest.mark.parametrize("engine", [Value, Tensor])
@pytest.mark.parametrize("op", ["+", "*"])
def test_reflected_commutative_op_error_names_the_operands_in_the_order_written(engine, op):
    with pytest.raises(TypeError) as error:
        eval(f"bad {op} x", {"x": engine(1.0), "bad": None})
    assert f"NoneType {op} {engine.__name__}" in str(error.value)


# ================================================================== one meaning in both engines


def test_both_engines_answer_a_nodes_rule_with_one_gradient_per_parent():
    x, y = Value(0.5), Value(-2.0)
    z = (x * y).tanh()
    assert z._backward(z, 2.0) == tuple(2.0 * local for local in z.local_grads)
    a = Tensor(np.array([0.5]), requires_grad=True)
    b = Tensor(np.array([-2.0]), requires_grad=True)
    c = (a * b).tanh()
    (d_product,) = c._backward(c, np.array([2.0]))
    np.testing.assert_allclose(d_product, z._backward(z, 2.0))
