"""sigmoid_squared_error: the sigmoid and the quadratic cost as one node, with the numbers of
the two nodes it replaces; nn.quadratic_cost uses it on a sigmoid's output."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd
import nn
from autograd import (
    AnomalyError,
    Tensor,
    detect_anomaly,
    gradcheck,
    gradgradcheck,
    no_grad,
    sigmoid_squared_error,
    squared_error,
)

RNG = np.random.default_rng(11)
LABELS = np.array([3, 0, 1, 3, 2])


def leaves(dtype=np.float64, scale=3.0) -> tuple[Tensor, Tensor]:
    """Logits (5, 4) and soft targets (5, 4), both requiring grad."""
    logits = Tensor(RNG.standard_normal((5, 4)) * scale, dtype=dtype, requires_grad=True)
    target = Tensor(RNG.uniform(0, 1, (5, 4)), dtype=dtype, requires_grad=True)
    return logits, target


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_value_and_gradients_equal_the_unfused_composition(dtype) -> None:
    logits, target = leaves(dtype)
    unfused = squared_error(logits.sigmoid(), target, 0.1)
    unfused.backward()
    expected = (unfused.data, logits.grad, target.grad)
    logits.grad = target.grad = None

    fused = sigmoid_squared_error(logits, target, 0.1)
    fused.backward()
    assert fused.op == "sigmoid_squared_error" and fused.parents == (logits, target)
    assert fused.data.dtype == dtype
    np.testing.assert_allclose(fused.data, expected[0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(logits.grad, expected[1], rtol=1e-15, atol=0)
    np.testing.assert_allclose(target.grad, expected[2], rtol=1e-15, atol=0)


def test_the_gradient_is_the_closed_form() -> None:
    # ∂L/∂z = 2·scale·(σ - y)·σ(1 - σ)
    logits, target = leaves()
    sigmoid_squared_error(logits, target, 0.25).backward()
    a = 1 / (1 + np.exp(-logits.data))
    np.testing.assert_allclose(logits.grad, 0.5 * (a - target.data) * a * (1 - a), rtol=1e-14)


def test_gradcheck_passes() -> None:
    logits, target = leaves()
    assert gradcheck(lambda z, y: sigmoid_squared_error(z, y, 0.3), [logits, target])


def test_gradgradcheck_passes() -> None:
    logits, target = leaves(scale=1.0)
    assert gradgradcheck(lambda z, y: sigmoid_squared_error(z, y, 0.3), [logits, target])


def test_second_derivatives_through_quadratic_cost_equal_the_unfused_ones() -> None:
    logits = Tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    onehot = np.eye(4)[LABELS]

    def second(loss_of_sigmoid):
        [first] = autograd.grad(loss_of_sigmoid(logits.sigmoid()), [logits], create_graph=True)
        [hessian_row] = autograd.grad((first * first).sum(), [logits])
        return hessian_row

    fused = second(lambda a: nn.quadratic_cost(a, LABELS))
    unfused = second(lambda a: squared_error(a, onehot, 0.5 / 5))
    np.testing.assert_allclose(fused, unfused, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quadratic_cost_of_a_sigmoid_output_is_one_fused_node(dtype) -> None:
    net = nn.feedforward(6, [5, 4], "sigmoid", "sigmoid", rng=3, dtype=dtype)
    x = Tensor(RNG.standard_normal((5, 6)), dtype=dtype)
    output = net(x)
    loss = nn.quadratic_cost(output, LABELS)
    assert loss.op == "sigmoid_squared_error"
    assert loss.parents[0] is output.parents[0]  # the sigmoid's input, z
    loss.backward()
    fused = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()

    reference = squared_error(net(x), np.eye(4, dtype=dtype)[LABELS], 0.5 / 5)
    reference.backward()
    assert loss.data == reference.data
    for got, want in zip(fused, [p.grad for p in net.parameters()]):
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)


def test_quadratic_cost_of_other_predictions_stays_a_squared_error() -> None:
    z = Tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    assert nn.quadratic_cost(z.tanh(), LABELS).op == "squared_error"
    assert nn.quadratic_cost(z, LABELS).op == "squared_error"
    with no_grad():  # nothing recorded, nothing to fuse: the same value
        unrecorded = nn.quadratic_cost(z.sigmoid(), LABELS)
    assert unrecorded.op == "squared_error"
    assert unrecorded.data == nn.quadratic_cost(z.sigmoid(), LABELS).data


def test_quadratic_cost_does_not_fuse_a_sigmoid_whose_input_changed_since() -> None:
    z = Tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    output = z.sigmoid()
    z.data = z.data + 1.0
    loss = nn.quadratic_cost(output, LABELS)
    assert loss.op == "squared_error"
    with pytest.raises(RuntimeError, match="assigned"):
        loss.backward()  # as without fusing: the gradient would mix old and new values


def test_a_sigmoid_argument_must_be_the_sigmoid_of_the_logits() -> None:
    logits, target = leaves()
    other = Tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    with pytest.raises(ValueError, match="sigmoid_squared_error: sigmoid must be"):
        sigmoid_squared_error(logits, target, sigmoid=other.sigmoid())
    with pytest.raises(ValueError, match="sigmoid_squared_error: sigmoid must be"):
        sigmoid_squared_error(logits, target, sigmoid=logits.tanh())
    given = sigmoid_squared_error(logits, target, sigmoid=logits.sigmoid())
    assert given.data == sigmoid_squared_error(logits, target).data


def test_shapes_must_be_equal() -> None:
    logits, _ = leaves()
    with pytest.raises(ValueError, match=r"sigmoid_squared_error: logits has shape \(5, 4\)"):
        sigmoid_squared_error(logits, np.zeros((5, 1)))


def test_saturated_logits_give_the_unfused_numbers_without_warnings() -> None:
    logits = Tensor(np.array([[-1000.0, 1000.0, 0.0]], dtype=np.float32), requires_grad=True)
    target = np.array([[0.0, 1.0, 1.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fused = sigmoid_squared_error(logits, target, 0.5)
        fused.backward()
    assert fused.data == squared_error(logits.sigmoid(), target, 0.5).data == np.float32(0.125)
    assert logits.grad.tolist() == [[0.0, 0.0, -0.125]]


def test_anomaly_mode_checks_the_fused_node() -> None:
    logits = Tensor(np.zeros((1, 2), dtype=np.float32), requires_grad=True)
    huge = np.array([[1e30, 0.0]], dtype=np.float32)  # (0.5 - 1e30)² overflows float32
    # (The fused forwards do not silence NumPy's overflow warning: errstate does, here.)
    expected = "'sigmoid_squared_error' gave a non-finite"
    with detect_anomaly(), np.errstate(over="ignore"), pytest.raises(AnomalyError, match=expected):
        nn.quadratic_cost(logits.sigmoid(), huge)


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("batched", [True, False])
def test_labels_cost_what_their_one_hot_rows_cost(label_dtype, batched) -> None:
    z = Tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    labels, prediction = LABELS.astype(label_dtype), z.sigmoid()
    if not batched:
        labels, prediction = labels[0], prediction[0]
    one_hot = np.eye(4)[labels]
    assert nn.quadratic_cost(prediction, labels).data == nn.quadratic_cost(prediction, one_hot).data
