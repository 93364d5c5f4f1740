"""The scalar engine: each op's value and derivative, the backward contract, the errors."""

import math

import numpy as np
import pytest

from autograd import Value, gradcheck, no_grad, sum_values, weighted_sum
from autograd.grad_mode import enable_grad, is_grad_enabled


def grad_of(fn, *xs):
    """Gradients of fn at the points xs, as floats."""
    values = [Value(x) for x in xs]
    fn(*values).backward()
    return [v.grad for v in values]


# ------------------------------------------------------------ derivatives at known points


@pytest.mark.parametrize(
    ("fn", "point", "expected_value", "expected_grads"),
    [
        (lambda a, b: a + b, (2.0, 3.0), 5.0, [1.0, 1.0]),
        (lambda a, b: a - b, (2.0, 3.0), -1.0, [1.0, -1.0]),
        (lambda a, b: a * b, (2.0, 3.0), 6.0, [3.0, 2.0]),
        (lambda a, b: a / b, (3.0, 2.0), 1.5, [0.5, -0.75]),
        (lambda a, b: a**b, (2.0, 3.0), 8.0, [12.0, 8.0 * math.log(2.0)]),
        (lambda a: a**3, (2.0,), 8.0, [12.0]),
        (lambda a: a**-1, (4.0,), 0.25, [-1 / 16]),
        (lambda a: -a, (2.0,), -2.0, [-1.0]),
        (lambda a: a.exp(), (1.0,), math.e, [math.e]),
        (lambda a: a.log(), (2.0,), math.log(2.0), [0.5]),
        (lambda a: a.tanh(), (0.5,), math.tanh(0.5), [1 - math.tanh(0.5) ** 2]),
        (lambda a: a.sigmoid(), (0.0,), 0.5, [0.25]),
        (lambda a: a.relu(), (3.0,), 3.0, [1.0]),
        (lambda a: a.relu(), (-3.0,), 0.0, [0.0]),
        (lambda a: a.relu(), (0.0,), 0.0, [0.0]),
    ],
    ids=[
        "add",
        "sub",
        "mul",
        "div",
        "pow_value",
        "pow_3",
        "pow_-1",
        "neg",
        "exp",
        "log",
        "tanh",
        "sigmoid",
        "relu_positive",
        "relu_negative",
        "relu_kink_is_zero",
    ],
)
def test_op_value_and_derivative_at_a_hand_computed_point(
    fn, point, expected_value, expected_grads
):
    values = [Value(x) for x in point]
    out = fn(*values)
    out.backward()
    assert out.data == pytest.approx(expected_value, rel=1e-12)
    assert [v.grad for v in values] == pytest.approx(expected_grads, rel=1e-12)


def test_reflected_ops_with_python_numbers():
    assert grad_of(lambda a: 2 + a, 1.0) == [1.0]
    assert grad_of(lambda a: 2 - a, 1.0) == [-1.0]
    assert grad_of(lambda a: 3 * a, 1.0) == [3.0]
    assert grad_of(lambda a: 1 / a, 2.0) == [-0.25]
    assert grad_of(lambda a: 2**a, 3.0) == pytest.approx([8 * math.log(2)])


@pytest.mark.parametrize("number", [np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numpy_numbers_work_on_either_side(number):
    x = Value(3.0)
    left, right = number * x, x * number
    assert type(left) is Value and type(right) is Value
    assert left.data == right.data == 6.0
    (left + right).backward()
    assert x.grad == 4.0


def test_sigmoid_is_stable_at_extremes():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


# ------------------------------------------------------------ the backward contract


def test_a_value_used_twice_gets_both_contributions():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_gradients_add_up_through_a_reused_intermediate():
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_parents_keep_order_and_duplicates():
    x, y = Value(1.0), Value(2.0)
    assert (x * x).parents == (x, x)
    assert (y - x).parents == (y, x)


def test_backward_twice_accumulates_into_leaves_exactly_twice():
    x = Value(2.0)
    y = x * x + x
    y.backward()
    assert x.grad == 5.0
    y.backward()
    assert x.grad == 10.0
    assert y.grad == 1.0  # intermediate gradients are recomputed, not accumulated


def test_backward_on_a_leaf_seeds_its_gradient():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0


def test_backward_through_a_million_node_chain():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):  # a recursive traversal would overflow Python's stack here
        y = -y  # an even number of negations: y = x, ∂y/∂x = 1
    y.backward()
    assert y.data == 0.5
    assert x.grad == 1.0


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = x * x + x.exp()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.parents == () and y.local_grads == ()
    y.backward()
    assert x.grad == 0.0


def test_no_grad_is_also_a_decorator_and_nests():
    @no_grad()
    def square(v):
        with enable_grad():
            inner = v * v
        return v * v, inner

    x = Value(3.0)
    outer, inner = square(x)
    assert outer.parents == ()
    assert inner.parents == (x, x)
    assert is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert is_grad_enabled()


def test_fused_weighted_sum_matches_separate_ops():
    ws = [Value(w) for w in (0.5, -1.5, 2.0)]
    xs = [Value(x) for x in (1.0, 2.0, -3.0)]
    b = Value(0.25)
    fused = weighted_sum(ws, xs, b).tanh()
    fused.backward()
    fused_grads = [v.grad for v in (*ws, *xs, b)]
    for v in (*ws, *xs, b):
        v.grad = 0.0
    plain = (sum((w * x for w, x in zip(ws, xs)), b)).tanh()
    plain.backward()
    assert fused.data == pytest.approx(plain.data, rel=1e-14)
    assert fused_grads == pytest.approx([v.grad for v in (*ws, *xs, b)], rel=1e-14)


def test_weighted_sum_takes_plain_numbers_as_inputs_without_nodes():
    ws = [Value(2.0), Value(3.0)]
    z = weighted_sum(ws, [1.0, 4], bias=1.0)
    assert z.data == 15.0
    assert z.parents == tuple(ws)
    z.backward()
    assert [w.grad for w in ws] == [1.0, 4.0]


def test_weighted_sum_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        weighted_sum([Value(1.0), Value(1.0)], [1.0, 2.0, 3.0])


def test_sum_values_is_one_node_with_unit_local_gradients():
    xs = [Value(float(i)) for i in range(5)]
    total = sum_values([*xs, 10])
    assert total.data == 20.0
    assert total.local_grads == (1.0,) * 5
    total.backward()
    assert [x.grad for x in xs] == [1.0] * 5


# ------------------------------------------------------------ errors


@pytest.mark.parametrize("bad", ["2", None, [1.0], {"a": 1}, 1 + 2j, np.ones(2)])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_bad_operand_raises_type_error_naming_op_and_type(op, bad):
    x = Value(1.0)
    with pytest.raises(TypeError) as error:
        eval(f"x {op} bad", {"x": x, "bad": bad})  # the operator, applied as users write it
    message = str(error.value)
    assert type(bad).__name__ in message
    if "Value" in message.split(":")[0]:
        assert op in message


def test_value_constructor_rejects_non_numbers():
    with pytest.raises(TypeError, match="str"):
        Value("1.0")


def test_value_constructor_accepts_numpy_scalars_as_floats():
    v = Value(np.float32(1.5))
    assert type(v.data) is float and v.data == 1.5


# ------------------------------------------------------------ non-finite numbers


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (lambda: Value(0.0).log(), -math.inf),
        (lambda: Value(-1.0).log(), math.nan),
        (lambda: Value(1.0) / 0.0, math.inf),
        (lambda: Value(-1.0) / 0.0, -math.inf),
        (lambda: Value(0.0) / 0.0, math.nan),
        (lambda: Value(1000.0).exp(), math.inf),
        (lambda: Value(-8.0) ** (1 / 3), math.nan),
        (lambda: Value(0.0) ** -1, math.inf),
        (lambda: Value(10.0) ** 400, math.inf),
    ],
    ids=[
        "log0",
        "log_negative",
        "div_by_zero",
        "negative_div_by_zero",
        "zero_div_zero",
        "exp_overflow",
        "fractional_power_of_negative",
        "zero_to_negative_power",
        "power_overflow",
    ],
)
def test_non_finite_results_follow_ieee_like_numpy(expression, expected):
    out = expression()
    if math.isnan(expected):
        assert math.isnan(out.data)
    else:
        assert out.data == expected
    out.backward()  # never raises


@pytest.mark.parametrize(
    ("value_op", "numpy_op", "point"),
    [
        (lambda v: v.log(), np.log, 0.0),
        (lambda v: v.log(), np.log, -2.0),
        (lambda v: 1.0 / v, lambda a: np.float64(1.0) / a, 0.0),
        (lambda v: v.exp(), np.exp, 800.0),
        (lambda v: v**0.5, lambda a: a**0.5, -4.0),
    ],
)
def test_scalar_engine_agrees_with_numpy_on_non_finite_results(value_op, numpy_op, point):
    with np.errstate(all="ignore"):
        expected = numpy_op(np.float64(point))
    got = value_op(Value(point)).data
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


# ------------------------------------------------------------ gradcheck


def test_gradcheck_passes_for_correct_gradients():
    x, y = Value(0.7), Value(-1.3)
    assert gradcheck(lambda a, b: (a * b + a.exp() / (b * b)).tanh(), [x, y])


def test_gradcheck_reports_a_wrong_derivative_with_a_table(monkeypatch):
    def wrong_tanh(self):
        t = math.tanh(self.data)
        out = Value(t)
        out.parents, out.local_grads = (self,), (1.0 + t * t,)  # sign error on purpose
        return out

    monkeypatch.setattr(Value, "tanh", wrong_tanh)
    with pytest.raises(AssertionError) as error:
        gradcheck(lambda a: a.tanh(), [Value(0.5)])
    report = str(error.value)
    assert "analytic" in report and "numeric" in report and "input 0" in report


def test_gradcheck_rejects_inputs_that_are_not_values():
    with pytest.raises(TypeError, match="input 0"):
        gradcheck(lambda a: a, [1.0])


def test_power_zero_has_zero_derivative_even_at_zero():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    import threading

    inside = threading.Event()
    release = threading.Event()

    def inference():
        with no_grad():
            inside.set()
            release.wait(timeout=10)

    worker = threading.Thread(target=inference)
    worker.start()
    try:
        assert inside.wait(timeout=10)
        x = Value(2.0)
        assert is_grad_enabled()
        assert (x * x).parents == (x, x)
    finally:
        release.set()
        worker.join()
