"""autograd.graph.watching_backward: the reverse sweep reported step by step, unchanged."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from autograd import Tensor, Value, topological_order
from autograd.graph import watching_backward


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple] = []

    def visit(self, node) -> None:
        self.steps.append(("visit", node, np.copy(node.grad)))

    def passed(self, node, parent, local, contribution) -> None:
        self.steps.append(("passed", node, parent, local, np.copy(contribution)))


def expression(x: Value, y: Value) -> Value:
    a = x * y
    return (a + x).tanh() * a  # a and x are used twice


def test_value_steps_follow_the_reverse_topological_order_with_the_same_gradients() -> None:
    x, y = Value(0.5), Value(-1.5)
    plain = expression(x, y)
    plain.backward()
    expected = (x.grad, y.grad)
    x.grad = y.grad = 0.0
    out = expression(x, y)
    with watching_backward(Recorder()) as recorder:
        out.backward()
    assert (x.grad, y.grad) == expected  # bit for bit
    visited = [step[1] for step in recorder.steps if step[0] == "visit"]
    assert visited == list(reversed(topological_order(out)))
    for step in recorder.steps:
        if step[0] == "passed":
            _, node, parent, local, contribution = step
            assert parent in node.parents
            assert contribution == local * node.grad


def test_a_value_used_twice_is_passed_to_twice_and_its_gradient_grows() -> None:
    x = Value(3.0)
    y = x * x
    with watching_backward(Recorder()) as recorder:
        y.backward()
    passes = [step for step in recorder.steps if step[0] == "passed" and step[2] is x]
    assert [float(step[4]) for step in passes] == [3.0, 3.0]
    assert x.grad == 6.0


def test_tensor_steps_report_each_rule_s_contribution() -> None:
    w = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    x = Tensor(np.array([[0.2, 0.7]]))
    loss = ((x @ w).tanh() * (x @ w)).sum()
    with watching_backward(Recorder()) as recorder:
        loss.backward()
    visited = [step[1] for step in recorder.steps if step[0] == "visit"]
    assert visited == list(reversed(topological_order(loss)))
    to_w = [step[4] for step in recorder.steps if step[0] == "passed" and step[2] is w]
    assert len(to_w) == 2  # w feeds two matmuls
    np.testing.assert_array_equal(to_w[0] + to_w[1], w.grad)


def test_the_observer_is_removed_after_the_block_even_on_error() -> None:
    with pytest.raises(ZeroDivisionError), watching_backward(Recorder()):
        raise ZeroDivisionError
    x = Value(2.0)
    recorder = Recorder()
    (x * x).backward()  # nobody watching: nothing to record, nothing fails
    assert recorder.steps == []


def test_watching_is_per_thread() -> None:
    seen: list[int] = []

    def other_thread() -> None:
        x = Value(2.0)
        (x * x).backward()
        seen.append(len(recorder.steps))

    x = Value(1.0)
    with watching_backward(Recorder()) as recorder:
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        (x + 1.0).backward()
    assert seen == [0]
    assert recorder.steps


def test_blocks_nest_and_the_outer_observer_is_told_first() -> None:
    told: list[str] = []

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        def visit(self, node) -> None:
            told.append(self.name)

        def passed(self, node, parent, local, contribution) -> None:
            pass

    x = Value(2.0)
    y = x * x
    with watching_backward(Named("outer")), watching_backward(Named("inner")):
        y.backward()
    assert told[:2] == ["outer", "inner"] and len(told) == 4  # two nodes, two observers
    with watching_backward(Named("alone")):
        x.grad = 0.0
        y.backward()
    assert told[4:] == ["alone", "alone"]  # the inner block's end removed only its observer
