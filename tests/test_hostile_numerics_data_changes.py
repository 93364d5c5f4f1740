"""Changing ``.data`` between a forward pass and its backward: never a mixed gradient.

A Value's local derivatives are numbers taken in the forward pass, so its gradient is the one
at the forward values whatever happens to ``.data`` later. A Tensor's backward rules read the
arrays, so backward refuses (RuntimeError) when ``.data`` of a tensor the graph used was
assigned after the forward pass; a training loop, which changes data only between backward
and the next forward pass, never trips it.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, linear, mse, softmax_cross_entropy


def parameter(values, label: str = "") -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, label=label)


# ------------------------------------------------------------------ Value: the forward point


def test_value_gradient_is_taken_at_the_forward_values_after_data_is_reassigned():
    x = Value(2.0)
    y = x * x * x  # dy/dx = 3x² = 12 at x = 2
    x.data = 5.0
    y.backward()
    assert x.grad == 12.0


def test_value_reassigned_before_the_forward_pass_gives_the_new_point_gradient():
    x = Value(2.0)
    x.data = 5.0
    (x * x).backward()
    assert x.grad == 10.0


# ------------------------------------------------------------------ Tensor: refused


@pytest.mark.parametrize(
    "change",
    [
        lambda t: setattr(t, "data", t.data * 3.0),  # a new array
        lambda t: setattr(t, "data", t.data.__isub__(1.0)),  # what `t.data -= 1.0` runs
    ],
    ids=["new array", "in place"],
)
def test_tensor_backward_refuses_a_leaf_whose_data_was_assigned_after_the_forward_pass(change):
    w = parameter([1.0, 2.0], label="w")
    y = (w * w * w).sum()
    change(w)
    with pytest.raises(RuntimeError, match=r"backward: the data of Tensor 'w' \(shape \(2,\)"):
        y.backward()


def test_tensor_backward_refuses_after_an_in_place_update_written_as_augmented_assignment():
    w = parameter([1.0, 2.0])
    y = (w * w).sum()
    w.data -= 0.5
    with pytest.raises(RuntimeError, match="mix old and new values"):
        y.backward()


def test_tensor_backward_refuses_an_intermediate_result_changed_in_place():
    x = parameter([1.0, 2.0])
    h = x * 2.0
    y = h.exp().sum()
    h.data *= 0.0
    with pytest.raises(RuntimeError, match=r"the result of '\*'"):
        y.backward()


def test_tensor_error_names_the_op_that_used_the_changed_tensor_and_the_fix():
    w = parameter([[1.0]], label="weight")
    y = (w @ w).sum()
    w.data = w.data + 1.0
    with pytest.raises(RuntimeError) as error:
        y.backward()
    message = str(error.value)
    assert "'weight'" in message and "'@' used it" in message
    assert "between a backward() and the next forward pass" in message


@pytest.mark.parametrize(
    "build",
    [
        lambda x, w, b: linear(x, w, b).sum(),
        lambda x, w, b: softmax_cross_entropy(linear(x, w, b), np.array([0, 1])),
        lambda x, w, b: mse(linear(x, w, b), np.zeros((2, 2))),
    ],
    ids=["linear", "softmax_cross_entropy", "mse"],
)
def test_fused_ops_refuse_a_weight_changed_after_the_forward_pass(build):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w, b = parameter([[0.5, -0.5], [0.25, 1.0]]), parameter([0.1, -0.1])
    loss = build(x, w, b)
    w.data -= 0.01
    with pytest.raises(RuntimeError, match="assigned"):
        loss.backward()
    assert w.grad is None  # refused before any gradient was written


def test_refused_backward_changes_no_leaf_gradient():
    a, w = parameter([1.0]), parameter([2.0])
    loss = (a + w * w).sum()  # the root's rule would reach a before '*' reaches w
    w.data += 1.0
    with pytest.raises(RuntimeError):
        loss.backward()
    assert a.grad is None and w.grad is None


def test_backward_on_the_previous_step_graph_after_an_optimizer_step_is_refused():
    w = parameter([1.0, -2.0])
    optimizer = nn.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward()
    optimizer.step()
    with pytest.raises(RuntimeError, match=r"optimizer\.step\(\)"):
        loss.backward()


# ------------------------------------------------------------------ Tensor: allowed


def test_tensor_data_assigned_before_the_forward_pass_gives_the_new_point_gradient():
    w = parameter([1.0, 2.0])
    w.data = np.array([3.0, 4.0])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [6.0, 8.0])


def test_assigning_the_data_of_a_tensor_outside_the_graph_does_not_stop_backward():
    w = parameter([1.0, 2.0])
    other = parameter([5.0])
    y = (w * w).sum()
    other.data -= 1.0
    Tensor([1.0, 2.0])  # a new tensor between forward and backward
    y.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_graph_built_after_a_change_is_accepted_while_the_older_graph_is_refused():
    w = parameter([1.0, 2.0])
    old = (w * w).sum()
    w.data -= 1.0
    new = (w * w).sum()
    new.backward()
    np.testing.assert_array_equal(w.grad, [0.0, 2.0])
    with pytest.raises(RuntimeError):
        old.backward()


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda params: nn.optim.Adam(params, lr=0.01),
    ],
    ids=["sgd", "adam"],
)
def test_a_training_loop_trains_without_tripping_the_check(make_optimizer):
    rng = np.random.default_rng(0)
    model = nn.feedforward(4, [8, 3], "relu")
    optimizer = make_optimizer(model.parameters())
    x = rng.standard_normal((16, 4))
    labels = rng.integers(0, 3, 16)
    losses = []
    for _ in range(20):
        loss = nn.cross_entropy(model(Tensor(x, dtype=np.float32)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.data))
    assert losses[-1] < losses[0]
