"""Where detect_anomaly() is on: only inside its block (or decorated function), per thread,
nested, with no_grad; and AnomalyError.draw()."""

import math
import threading

import numpy as np
import pytest

import autograd.viz_graph
from autograd import (
    AnomalyError,
    Tensor,
    Value,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
)
from autograd.anomaly import location_of
from autograd.graph import _WATCH

ENGINES = ["Value", "Tensor"]


def leaf(engine: str, number: float) -> Value | Tensor:
    if engine == "Value":
        return Value(number)
    return Tensor([number], requires_grad=True)


def anomaly_mode_is_on() -> bool:
    """Whether an operation here raises on a non-finite result."""
    try:
        Value(0.0).log()
    except AnomalyError:
        return True
    return False


@pytest.mark.parametrize("engine", ENGINES)
def test_outside_the_block_results_are_ieee_silently_and_nothing_is_recorded(engine):
    x = leaf(engine, 0.0)
    y = x.log()
    assert np.all(np.asarray(y.data) == -math.inf)
    assert location_of(y) is None
    assert not hasattr(y, "_origin")
    total = y if engine == "Value" else y.sum()
    total.backward()  # ∂log/∂x at 0 is inf: no error either
    assert np.all(np.asarray(x.grad) == math.inf)


def test_outside_the_block_operations_make_plain_values_without_a_slot_for_the_line():
    x = Value(2.0)
    with detect_anomaly():
        inside = x * 3.0
    outside = x * 3.0
    assert type(outside) is Value
    assert "_origin" not in Value.__slots__  # no node pays for the line outside the block
    assert isinstance(inside, Value)
    assert (inside + outside).data == 12.0


@pytest.mark.parametrize("engine", ENGINES)
def test_inside_the_block_each_node_remembers_its_line(engine):
    x = leaf(engine, 2.0)
    with detect_anomaly():
        y = x * 3.0
    assert location_of(y).function == "test_inside_the_block_each_node_remembers_its_line"
    assert location_of(x) is None  # a leaf made by the user, not by an operation


def test_the_mode_ends_with_its_block_even_after_an_error():
    with pytest.raises(AnomalyError), detect_anomaly():
        Value(-1.0).sqrt()
    assert not anomaly_mode_is_on()
    assert _WATCH.observer is None
    assert is_grad_enabled() is True


def test_nested_blocks_leave_the_mode_on_until_the_outer_one_ends():
    with detect_anomaly():
        with detect_anomaly():
            assert anomaly_mode_is_on()
        assert anomaly_mode_is_on()
        assert _WATCH.observer is not None  # backward still checked
    assert not anomaly_mode_is_on()
    assert _WATCH.observer is None


def test_one_instance_can_be_entered_inside_itself():
    mode = detect_anomaly()
    with mode:
        with mode:
            assert anomaly_mode_is_on()
        assert anomaly_mode_is_on()
    assert not anomaly_mode_is_on()


def test_no_grad_inside_the_block_checks_nothing_and_enable_grad_checks_again():
    with detect_anomaly():
        with no_grad():
            assert not is_grad_enabled()
            y = Value(0.0).log()  # a constant: no graph, no check
            assert y.data == -math.inf
            with enable_grad():
                assert is_grad_enabled() is True
                assert anomaly_mode_is_on()
            assert not anomaly_mode_is_on()
        assert anomaly_mode_is_on()


def test_the_block_entered_inside_no_grad_checks_once_enable_grad_records():
    with no_grad(), detect_anomaly():
        assert not anomaly_mode_is_on()
        with enable_grad():
            assert anomaly_mode_is_on()
    assert not anomaly_mode_is_on()


def test_enable_grad_decorated_function_checks_when_called_in_the_block():
    @enable_grad()
    def log_of_zero():
        return Value(0.0).log()

    with detect_anomaly(), no_grad(), pytest.raises(AnomalyError):
        log_of_zero()
    assert log_of_zero().data == -math.inf  # called outside: unchecked


def test_another_thread_is_not_in_anomaly_mode():
    inside = threading.Event()
    done = threading.Event()
    seen = {}

    def other_thread():
        inside.wait(timeout=10)
        seen["other"] = anomaly_mode_is_on()
        seen["other grad mode"] = is_grad_enabled()
        done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with detect_anomaly():
        inside.set()
        done.wait(timeout=10)
        seen["this"] = anomaly_mode_is_on()
    thread.join()
    assert seen == {"other": False, "other grad mode": True, "this": True}


def test_a_thread_in_anomaly_mode_leaves_this_one_alone():
    seen = {}

    def other_thread():
        with detect_anomaly():
            seen["other"] = anomaly_mode_is_on()

    with detect_anomaly():
        pass
    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == {"other": True}
    assert not anomaly_mode_is_on()


@pytest.mark.parametrize("parentheses", [True, False])
def test_a_decorated_function_runs_in_anomaly_mode(parentheses):
    def log_of(x):
        return x.log()

    checked = detect_anomaly()(log_of) if parentheses else detect_anomaly(log_of)
    with pytest.raises(AnomalyError) as caught:
        checked(Value(0.0))
    assert caught.value.location.function.endswith("log_of")  # qualified from Python 3.11
    assert checked.__name__ == "log_of"
    assert not anomaly_mode_is_on()
    assert log_of(Value(0.0)).data == -math.inf


def test_a_generator_function_cannot_be_decorated():
    def steps():
        yield Value(0.0).log()

    with pytest.raises(TypeError, match="with detect_anomaly"):
        detect_anomaly()(steps)


def test_detect_anomaly_takes_no_arguments():
    with pytest.raises(TypeError, match="takes no arguments"):
        detect_anomaly(True)


# ---------------------------------------------------------------- drawing the culprit
# draw_graph(root, highlight=node) draws the culprit and its path to the output in red; here
# draw_graph is replaced by a recorder of its arguments.


@pytest.fixture
def drawn(monkeypatch):
    calls = []

    def record(root, **options):
        calls.append((root, options))
        return "a graph"

    monkeypatch.setattr(autograd.viz_graph, "draw_graph", record)
    return calls


def test_draw_marks_the_culprit_of_a_backward_error_in_the_graph_of_the_root(drawn):
    x = Value(0.0)  # a root whose number is 0 (falsy) is still the root
    with detect_anomaly():
        norm = (x * x).sqrt()
        loss = norm * 0.0
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    error = caught.value
    assert error.draw(rankdir="TB") == "a graph"
    assert drawn == [(loss, {"highlight": norm, "rankdir": "TB"})]


def test_draw_marks_the_culprit_of_a_forward_error_in_its_own_graph(drawn):
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        x.log()
    error = caught.value
    error.draw()
    assert drawn == [(error.node, {"highlight": error.node})]


def test_draw_marks_a_non_finite_input_in_the_graph_of_the_op_that_used_it(drawn):
    w = Value(math.nan)
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        Value(2.0) * w
    error = caught.value
    error.draw()
    ((root, options),) = drawn
    assert options == {"highlight": w}
    assert root.op == "*" and w in root.parents
