"""A plain number in a formula (``x + 1``, ``2 * x``, ``1 / x``) is no node of the graph.

The operation's node has the Value as its only parent and keeps the number as ``.constant``;
its op says where the number stood ("+c" is x + c, "c-" is c - x). The numbers and gradients
are exactly those of the same formula with the number made a leaf Value, as before.
"""

from __future__ import annotations

import math
import threading

import pytest

from autograd import Value, capture, detect_anomaly, grad, no_grad
from autograd.anomaly import AnomalyError
from autograd.grad_mode import SWITCHED
from autograd.graph import topological_order
from autograd.viz_graph import draw_graph

# (op, the formula with a number, the same formula with the number as a leaf Value)
FORMULAS = [
    ("+c", lambda x, c: x + c),
    ("c+", lambda x, c: c + x),
    ("-c", lambda x, c: x - c),
    ("c-", lambda x, c: c - x),
    ("*c", lambda x, c: x * c),
    ("c*", lambda x, c: c * x),
    ("/c", lambda x, c: x / c),
    ("c/", lambda x, c: c / x),
    ("c**", lambda x, c: c**x),
]
POINTS = [(0.7, 2.5), (-1.3, 0.25), (2.0, -3.0), (0.5, 0.0), (-0.0, 1.5)]


def bits(x: float) -> tuple[float, float]:
    return (x, math.copysign(1.0, x)) if x == x else ("nan", 0.0)  # type: ignore[return-value]


@pytest.mark.parametrize(("op", "formula"), FORMULAS, ids=[op for op, _ in FORMULAS])
@pytest.mark.parametrize(("x0", "c"), POINTS)
def test_a_number_is_kept_by_its_node_and_gives_the_leaf_s_numbers(op, formula, x0, c):
    if op == "c**" and c <= 0.0:
        c = abs(c) + 0.5  # a negative or zero base: a real power only at whole exponents
    x = Value(x0)
    out = formula(x, c)
    assert out.op == op
    assert out.parents == (x,)
    assert out.constant == c
    assert len(topological_order(out)) == 2
    out.backward()

    x_leaf, c_leaf = Value(x0), Value(c)
    expected = formula(x_leaf, c_leaf)
    expected.backward()
    assert bits(out.data) == bits(expected.data)
    assert bits(x.grad) == bits(x_leaf.grad)


@pytest.mark.parametrize(("op", "formula"), FORMULAS, ids=[op for op, _ in FORMULAS])
def test_second_derivatives_through_a_number_operation(op, formula):
    c = 1.7
    f = lambda x: formula(x.tanh() * x, c)  # noqa: E731 - a function of one Value
    g = lambda x: formula(x.tanh() * x, Value(c))  # noqa: E731 - the number as a leaf
    for h in (f, g):
        x = Value(0.6)
        (dx,) = grad(h(x), [x], create_graph=True)
        (ddx,) = grad(dx, [x])
        ddx = ddx.data if isinstance(ddx, Value) else ddx
        if h is f:
            first, second = dx.data, ddx
        else:
            assert dx.data == pytest.approx(first, rel=1e-12)
            assert ddx == pytest.approx(second, rel=1e-12)


def test_a_chain_times_a_number_makes_one_node_per_step():
    x = Value(1.0)
    y = x
    for _ in range(1000):
        y = y * 1.0001
    assert len(topological_order(y)) == 1001
    y.backward()
    assert x.grad == pytest.approx(1.0001**1000)


def test_inside_no_grad_the_number_is_kept_but_no_parent():
    x = Value(2.0)
    with no_grad():
        y = 3.0 - x
    assert (y.data, y.parents, y.op, y.constant) == (1.0, (), "c-", 3.0)


def test_a_value_made_from_values_has_no_constant():
    x, y = Value(1.0), Value(2.0)
    assert (x * y).constant is None
    assert x.constant is None
    assert x.tanh().constant is None


def test_a_number_of_the_wrong_type_is_refused_naming_the_op():
    with pytest.raises(TypeError, match=r"\*"):
        Value(1.0) * "2"
    with pytest.raises(TypeError, match="-"):
        "2" - Value(1.0)


def test_the_drawing_shows_the_number_in_a_constant_box_beside_its_operation():
    x = Value(2.0, label="x")
    y = 1.0 - x
    source = draw_graph(y).source
    assert 'class="value constant"' in source
    assert "c1 -> op1" in source  # the number's box feeds the operation
    assert "v0 -> op1" in source
    assert source.index("c1 -> op1") < source.index("v0 -> op1")  # 1 − x: the number first
    legend = source[source.index("label=<<table") :]
    assert "constant" in legend


def test_capture_replays_every_number_operation_bit_for_bit():
    w = Value(0.8)

    def step(inputs):
        x, c = inputs
        return sum((formula(w * x, 1.25) for _, formula in FORMULAS), Value(0.0)) * c

    replay = capture(step, [w], [0.3, 2.0])
    for x, c in [(0.3, 2.0), (-0.9, 0.5), (1.7, -1.0)]:
        w.grad = 0.0
        loss = replay([x, c])
        got = w.grad
        w.grad = 0.0
        expected = step([Value(x), Value(c)])
        expected.backward()
        assert bits(loss) == bits(expected.data)
        assert bits(got) == bits(w.grad)


def test_anomaly_mode_reports_a_nan_number_as_the_operand_it_was():
    x = Value(2.0)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        float("nan") - x
    error = caught.value
    assert error.phase == "input"
    assert math.isnan(error.node.data)
    assert "operand 1" in str(error)


def test_grad_mode_switches_are_counted_and_given_back():
    before = SWITCHED[0]
    with no_grad():
        assert SWITCHED[0] == before + 1
        with no_grad():
            assert SWITCHED[0] == before + 1  # the same thread, still switched once
        with detect_anomaly():
            assert SWITCHED[0] == before + 1
    assert SWITCHED[0] == before
    with detect_anomaly():
        assert SWITCHED[0] == before + 1
    assert SWITCHED[0] == before


def test_another_thread_inside_no_grad_leaves_this_one_recording():
    entered, leave = threading.Event(), threading.Event()
    made = []

    def inference():
        with no_grad():
            entered.set()
            leave.wait(10)
            made.append(Value(1.0) * 2.0)

    thread = threading.Thread(target=inference)
    thread.start()
    try:
        assert entered.wait(10)
        x = Value(3.0)
        y = x * 2.0  # recorded here, while the other thread is switched
        assert y.parents == (x,)
    finally:
        leave.set()
        thread.join(10)
    assert made[0].parents == ()


def test_a_number_operation_made_in_no_grad_is_a_constant_to_capture_and_to_check():
    w = Value(0.5)
    with no_grad():
        frozen = w * 3.0  # no parents: a constant 1.5 for the step below
    replay = capture(lambda x: w * x + frozen, [w], 2.0, check=True)
    assert replay(4.0) == 0.5 * 4.0 + 1.5
