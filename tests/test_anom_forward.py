"""detect_anomaly() in the forward pass: the first non-finite result raises AnomalyError naming
the op, its operands and the line of the test that made it, on both engines."""

import inspect
import math

import numpy as np
import pytest

import nn
from autograd import AnomalyError, Tensor, Value, detect_anomaly

ENGINES = ["Value", "Tensor"]


def leaf(engine: str, number: float, label: str = "") -> Value | Tensor:
    """A leaf holding ``number``: a Value, or a Tensor [1, number] that requires grad."""
    if engine == "Value":
        return Value(number, label=label)
    return Tensor([1.0, number], requires_grad=True, label=label)


def next_line() -> int:
    """The line number after the caller's line."""
    return inspect.currentframe().f_back.f_lineno + 1


def assert_made_here(error: AnomalyError, line: int, function: str) -> None:
    assert error.location is not None
    assert (error.location.file, error.location.line) == (__file__, line)
    assert error.location.function == function
    assert f"{__file__}:{line} in {function}" in str(error)


@pytest.mark.parametrize("engine", ENGINES)
def test_log_of_zero_names_the_op_the_operand_and_the_line(engine):
    x = leaf(engine, 0.0, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        line = next_line()
        x.log()
    error = caught.value
    assert error.phase == "forward"
    assert error.op == "log"
    assert error.node.op == "log" and error.node.parents == (x,)
    assert error.root is None
    assert_made_here(error, line, "test_log_of_zero_names_the_op_the_operand_and_the_line")
    message = str(error)
    assert "'log' gave a non-finite value in the forward pass" in message
    assert "log(0) = -inf" in message
    assert "keep x positive" in message  # the fix
    if engine == "Tensor":
        assert "at index (1,)" in message
        assert "array of shape (2,) (float32), 1 of 2 non-finite (1 -inf)" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_times_infinity_is_blamed_on_the_product(engine):
    zero = leaf(engine, 0.0)
    infinity = leaf(engine, math.inf)  # an infinite input is allowed: the product makes the nan
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        line = next_line()
        zero * infinity
    error = caught.value
    assert (error.phase, error.op) == ("forward", "*")
    assert error.node.parents == (zero, infinity)
    assert_made_here(error, line, "test_zero_times_infinity_is_blamed_on_the_product")
    assert "0 * inf = nan" in str(error)


@pytest.mark.parametrize("engine", ENGINES)
def test_square_root_of_minus_one(engine):
    x = leaf(engine, -1.0)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        y = x * 1.0
        line = next_line()
        y.sqrt()
    error = caught.value
    assert (error.phase, error.op) == ("forward", "sqrt")
    assert error.node.parents == (y,)
    assert_made_here(error, line, "test_square_root_of_minus_one")
    assert "sqrt(-1) = nan" in str(error)
    op = "'*c' (x * c, c a number)" if engine == "Value" else "'*'"
    assert f"operand 1: the result of {op}" in str(error)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_overflow_is_blamed_on_the_op_that_overflowed(engine):
    x = leaf(engine, 1000.0)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        y = x.tanh()  # finite: no error here
        line = next_line()
        (x * y).exp()
    error = caught.value
    assert (error.phase, error.op) == ("forward", "exp")
    assert_made_here(error, line, "test_an_overflow_is_blamed_on_the_op_that_overflowed")
    assert "exp(1000) = inf" in str(error)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_nan_input_is_reported_as_the_input_not_blamed_on_the_op(engine):
    weight = leaf(engine, math.nan, label="w")
    x = leaf(engine, 2.0)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        y = x + 1.0
        line = next_line()
        y * weight
    error = caught.value
    assert error.phase == "input"
    assert error.node is weight
    assert error.op == "*"  # the op that used it
    assert_made_here(error, line, "test_a_nan_input_is_reported_as_the_input_not_blamed_on_the_op")
    message = str(error)
    assert "operand 2 'w' of '*'" in message
    assert "as an input (a leaf" in message


def test_an_infinite_input_passed_on_unchanged_is_reported_as_the_input():
    x = Value(math.inf, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        x + 1.0
    assert caught.value.phase == "input"
    assert caught.value.node is x


def test_a_nan_number_written_in_a_formula_is_reported_as_an_input():
    x = Value(2.0)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        x * float("nan")
    error = caught.value
    assert error.phase == "input"
    assert error.node.op == "" and math.isnan(error.node.data)


def test_a_node_computed_before_the_block_is_an_input_to_it():
    x = Value(0.0)
    y = x.log()  # -inf, silently: outside the block
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        y * 2.0
    error = caught.value
    assert (error.phase, error.node) == ("input", y)
    assert "computed before detect_anomaly() was entered" in str(error)


def test_a_tensor_result_that_requires_no_grad_is_checked_too():
    data = Tensor([1.0, 0.0])  # requires no grad: its results record no graph
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        line = next_line()
        data.log()
    error = caught.value
    assert (error.phase, error.op) == ("forward", "log")
    assert_made_here(error, line, "test_a_tensor_result_that_requires_no_grad_is_checked_too")
    assert "log(0) = -inf" in str(error)  # the operand is named though no graph is kept


def test_a_value_layer_is_placed_at_the_line_that_called_the_model():
    model = nn.MLP(2, [1], activation="relu")
    for parameter in model.parameters():
        parameter.data = 1e300
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        line = next_line()
        model([1e300, 1e300])
    error = caught.value
    assert error.phase == "forward"
    assert error.op.startswith("weighted_sum")
    assert_made_here(error, line, "test_a_value_layer_is_placed_at_the_line_that_called_the_model")


def test_a_tensor_layer_is_placed_at_the_line_that_called_the_model():
    model = nn.feedforward(2, [3], activation="relu")
    for parameter in model.parameters():
        parameter.data = np.full_like(parameter.data, 1e30)
    x = Tensor([[1e30, 1e30]])
    # The fused linear's forward warns of its overflow (autograd.tensor): not the subject here.
    with np.errstate(over="ignore"), detect_anomaly(), pytest.raises(AnomalyError) as caught:
        line = next_line()
        model(x)
    error = caught.value
    assert (error.phase, error.op) == ("forward", "linear")
    assert_made_here(error, line, "test_a_tensor_layer_is_placed_at_the_line_that_called_the_model")


@pytest.mark.parametrize("engine", ENGINES)
def test_finite_work_gives_the_same_numbers_and_gradients_as_without_the_mode(engine):
    def run() -> tuple:
        x = leaf(engine, 0.5)
        w = leaf(engine, -1.5)
        loss = ((x * w).tanh() + x.exp() / w - (w**2).sqrt() + x.sigmoid()).abs().log()
        if engine == "Tensor":
            loss = loss.sum()
        loss.backward()
        return (
            np.asarray(loss.data).tolist(),
            np.asarray(x.grad).tolist(),
            np.asarray(w.grad).tolist(),
        )

    plain = run()
    with detect_anomaly():
        checked = run()
    assert checked == plain
