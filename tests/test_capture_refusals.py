"""Graph capture refuses what it cannot replay, and shows the limit of tracing."""

from __future__ import annotations

import pytest

from autograd import CaptureError, Tensor, Value, capture, no_grad, weighted_sum
from autograd.value import _result


def test_inputs_of_another_structure_are_refused_naming_both():
    w = Value(1.0)
    replay = capture(lambda xs: sum(w * x for x in xs), [w], [1.0, 2.0, 3.0])
    with pytest.raises(CaptureError, match=r"traced with 3 numbers, called with 4 numbers"):
        replay([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(CaptureError, match="capture the step again"):
        replay(1.0)


def test_inputs_that_are_not_numbers_are_refused():
    w = Value(1.0)
    replay = capture(lambda x: w * x[0], [w], [1.0])
    with pytest.raises(TypeError, match="got str"):
        replay(["1.0"])
    with pytest.raises(TypeError, match="got bool"):
        replay([True])


def test_a_step_that_returns_a_number_is_refused():
    w = Value(1.0)
    with pytest.raises(TypeError, match=r"returned float, not a Value"):
        capture(lambda x: (w * x).data, [w], 1.0)


def test_an_unknown_op_is_refused_at_capture_naming_it():
    w = Value(1.0)

    def step(x):
        made_by_hand = _result(w.data * 2.0, (w,), (2.0,), "double")
        return made_by_hand * x

    with pytest.raises(CaptureError, match=r"cannot replay op 'double'"):
        capture(step, [w], 1.0)


def test_weighted_sum_of_numbers_is_refused_at_capture():
    w1, w2 = Value(0.5), Value(-0.25)
    with pytest.raises(CaptureError, match=r"cannot replay op 'weighted_sum'"):
        capture(lambda x: weighted_sum([w1, w2], [1.0, 2.0]) * x, [w1, w2], 1.0)


def test_weighted_sum_with_numbers_among_the_pairs_is_refused_at_capture():
    # Parents (w1, x, y): shaped like one pair and a bias, computed otherwise; the
    # verification replay on the traced numbers tells them apart.
    w1 = Value(0.5)
    with pytest.raises(CaptureError, match="replay gives loss"):
        capture(lambda xs: weighted_sum([w1, 2.0], xs), [w1], [1.5, 3.0])


def branchy(w: Value):
    """Python control flow on the data: not part of the graph."""

    def step(x):
        if x.data > 0:
            return w * x
        return (w * x).exp()

    return step


def test_the_replay_follows_the_branch_taken_when_traced():
    w = Value(2.0)
    replay = capture(branchy(w), [w], 1.0)  # traced on the `x > 0` branch
    uncompiled = branchy(w)(Value(-1.0)).data  # exp(-2)
    assert replay(-1.0) == -2.0  # w * x: the traced branch, not exp(w * x)
    assert replay(-1.0) != uncompiled


def test_check_mode_detects_a_different_branch():
    w = Value(2.0)
    replay = capture(branchy(w), [w], 1.0, check=True)
    assert replay(3.0) == 6.0
    with pytest.raises(CaptureError, match=r"different graph.*control flow"):
        replay(-1.0)


def test_check_mode_detects_a_changed_constant():
    w = Value(2.0)

    def step(x):
        scale = 2.0 if x.data > 0 else 3.0  # same ops, another constant
        return w * x * scale

    replay = capture(step, [w], 1.0, check=True)
    changed = r"op '\*c' of node 2 and the constant 2\.0 when traced, is now .* the constant 3\.0"
    with pytest.raises(CaptureError, match=changed):
        replay(-1.0)


def test_check_mode_leaves_gradients_as_the_replay_gives_them():
    w = Value(2.0)
    replay = capture(branchy(w), [w], 1.0, check=True)
    replay(3.0)
    assert w.grad == 3.0


def test_capture_inside_no_grad_is_refused():
    w = Value(1.0)
    with no_grad(), pytest.raises(CaptureError, match=r"grad mode is off"):
        capture(lambda x: w * x, [w], 1.0)


def test_a_step_returning_a_tensor_for_value_parameters_is_refused_naming_the_fix():
    w = Value(1.0)
    with pytest.raises(TypeError, match=r"returned Tensor.*captured when its parameters are"):
        capture(lambda x: Tensor([1.0, 2.0]) * x.data, [w], 1.0)
