"""detect_anomaly() in the backward pass: the first non-finite gradient raises AnomalyError
naming the op whose backward made it, the line of the test that made that op, and the root."""

import inspect
import math

import numpy as np
import pytest

from autograd import AnomalyError, Tensor, Value, detect_anomaly
from autograd.graph import watching_backward

ENGINES = ["Value", "Tensor"]


def leaf(engine: str, number: float) -> Value | Tensor:
    """A leaf holding ``number``: a Value, or a float32 Tensor [1, number] that requires grad."""
    if engine == "Value":
        return Value(number)
    return Tensor([1.0, number], requires_grad=True)


def total(y: Value | Tensor) -> Value | Tensor:
    return y if isinstance(y, Value) else y.sum()


def next_line() -> int:
    """The line number after the caller's line."""
    return inspect.currentframe().f_back.f_lineno + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_gradient_that_overflows_only_in_backward_names_the_division(engine):
    # 1/x is finite for a tiny x (1e160; 1e20 in float32), its gradient -1/x² overflows.
    x = leaf(engine, 1e-160 if engine == "Value" else 1e-20)
    with detect_anomaly():
        line = next_line()
        y = 1.0 / x  # the line that made the culprit
        loss = total(y) * 2.0
        assert math.isfinite(float(np.asarray(loss.data)))  # the forward pass is finite
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    error = caught.value
    assert error.phase == "backward"
    assert error.node is y
    assert error.root is loss
    assert error.op == ("c/" if engine == "Value" else "/")  # c / x, c the number 1.0
    assert (error.location.file, error.location.line) == (__file__, line)
    assert error.location.function == (
        "test_a_gradient_that_overflows_only_in_backward_names_the_division"
    )
    message = str(error)
    op, times = ("'c/' (c / x, c a number)", "'*c' (x * c, c a number)")
    if engine != "Value":
        op, times = "'/'", "'*'"
    assert f"the backward pass of {op} gave a non-finite gradient for its operand 2" in message
    assert f"{__file__}:{line}" in message
    assert f"backward() was called on: the result of {times}" in message
    assert "-inf" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_the_gradient_of_a_norm_at_zero_is_blamed_on_sqrt(engine):
    x = leaf(engine, 0.0)
    with detect_anomaly():
        norm = (x * x).sqrt()  # 0: finite
        loss = total(norm)
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    error = caught.value
    assert (error.phase, error.node, error.op) == ("backward", norm, "sqrt")
    if engine == "Value":  # the scalar engine shows the local derivative ∂out/∂in
        assert "local derivative ∂out/∂(operand 1): inf" in str(error)


def test_a_non_finite_seed_gradient_is_reported():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = x * 3.0
        with pytest.raises(AnomalyError) as caught:
            y.backward(np.array([1.0, np.nan]))
    error = caught.value
    assert (error.phase, error.node, error.root) == ("backward", y, y)
    assert "seeded with a non-finite gradient" in str(error)


def test_a_leaf_gradient_already_infinite_is_reported_when_added_to():
    x = Value(1.0)
    x.grad = math.inf  # left over from an earlier step, never reset
    with detect_anomaly():
        y = x * 2.0
        with pytest.raises(AnomalyError) as caught:
            y.backward()
    error = caught.value
    assert (error.phase, error.node, error.root) == ("backward", x, y)
    assert "zero_grad()" in str(error)


@pytest.mark.parametrize("engine", ENGINES)
def test_backward_outside_the_block_checks_nothing(engine):
    x = leaf(engine, 1e-160 if engine == "Value" else 1e-20)
    with detect_anomaly():
        loss = total(1.0 / x)
    loss.backward()  # IEEE results, as ever
    assert np.isneginf(np.asarray(x.grad)).any()


def test_an_observer_installed_before_the_block_still_sees_every_step():
    class Recorder:
        def __init__(self):
            self.steps = []

        def visit(self, node):
            self.steps.append(("visit", node))

        def passed(self, node, parent, local, contribution):
            self.steps.append(("passed", node, parent, contribution))

    x = Value(3.0)
    recorder = Recorder()
    with watching_backward(recorder):
        with detect_anomaly():
            y = x * x
            y.backward()
            seen_inside = list(recorder.steps)
        from autograd.graph import _WATCH

        assert _WATCH.observer is recorder  # restored on leaving the block
    assert seen_inside == [("visit", y), ("passed", y, x, 3.0), ("passed", y, x, 3.0), ("visit", x)]
    assert x.grad == 6.0


def test_finite_backward_in_the_block_gives_the_engines_gradients():
    w = Tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3), requires_grad=True)
    x = Tensor(np.ones((4, 2)))
    with detect_anomaly():
        loss = (x @ w).tanh().log_softmax().mean()
        loss.backward()
    checked = w.grad.copy()
    w.grad = None
    loss = (x @ w).tanh().log_softmax().mean()
    loss.backward()
    np.testing.assert_array_equal(checked, w.grad)
