"""SGD and Adam: two steps on a Value against hand-computed updates, then the Tensor path
(in-place buffers) against the Value path, number for number."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

# The same two gradients everywhere: g₁ = 0.5, then g₂ = -1.0, starting from w = 2.
GRADIENTS = (0.5, -1.0)


def two_steps(optimizer_class, **options) -> list[float]:
    """w after each of two steps with GRADIENTS, starting from 2.0."""
    w = Value(2.0)
    optimizer = optimizer_class([w], **options)
    trajectory = []
    for g in GRADIENTS:
        optimizer.zero_grad()
        w.grad = g
        optimizer.step()
        trajectory.append(w.data)
    return trajectory


def test_sgd_subtracts_lr_times_the_gradient():
    # 2 - 0.1·0.5 = 1.95;  1.95 - 0.1·(-1) = 2.05
    assert two_steps(nn.optim.SGD, lr=0.1) == pytest.approx([1.95, 2.05], abs=1e-15)


def test_sgd_with_momentum_accumulates_a_velocity():
    # v = 0.5, w = 1.95;  v = 0.9·0.5 - 1 = -0.55, w = 1.95 + 0.055 = 2.005
    result = two_steps(nn.optim.SGD, lr=0.1, momentum=0.9)
    assert result == pytest.approx([1.95, 2.005], abs=1e-15)


def test_sgd_weight_decay_adds_decay_times_weight_to_the_gradient():
    # g = 0.5 + 0.1·2 = 0.7, w = 1.93;  g = -1 + 0.1·1.93 = -0.807, w = 1.93 + 0.0807
    result = two_steps(nn.optim.SGD, lr=0.1, weight_decay=0.1)
    assert result == pytest.approx([1.93, 2.0107], abs=1e-15)


def test_adam_takes_bias_corrected_steps():
    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    # Step 1: m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25; w = 2 - 0.1·0.5/(0.5 + ε).
    first = 2.0 - lr * 0.5 / (0.5 + eps)
    # Step 2: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975.
    m_hat = -0.055 / (1 - beta1**2)
    v_hat = 0.00124975 / (1 - beta2**2)
    second = first - lr * m_hat / (math.sqrt(v_hat) + eps)
    result = two_steps(nn.optim.Adam, lr=lr, betas=(beta1, beta2), eps=eps)
    assert result == pytest.approx([first, second], abs=1e-12)
    assert result[0] == pytest.approx(1.9, abs=1e-7)  # Adam's first step is ≈ lr


def test_adam_weight_decay_adds_decay_times_weight_to_the_gradient():
    # g₁ = 0.5 + 0.5·2 = 1.5: the first step is still ≈ lr in size (m̂/√v̂ = 1)
    result = two_steps(nn.optim.Adam, lr=0.1, weight_decay=0.5)
    assert result[0] == pytest.approx(1.9, abs=1e-7)
    plain = two_steps(nn.optim.Adam, lr=0.1)
    assert result[1] != pytest.approx(plain[1], abs=1e-6)


def test_step_uses_the_gradient_that_backward_left():
    w = Value(3.0)
    optimizer = nn.optim.SGD([w], lr=0.25)
    (w * w).backward()  # ∂(w²)/∂w = 6
    optimizer.step()
    assert w.data == 3.0 - 0.25 * 6.0


def test_zero_grad_resets_the_gradients_of_its_parameters():
    params = [Value(1.0), Value(2.0)]
    optimizer = nn.optim.SGD(params, lr=0.1)
    (params[0] * params[1]).backward()
    optimizer.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [(nn.optim.SGD, {"lr": 0.1, "momentum": 0.9}), (nn.optim.Adam, {"lr": 0.1})],
)
def test_state_dict_round_trip_continues_training_identically(optimizer_class, options):
    w = Value(2.0)
    original = optimizer_class([w], **options)
    w.grad = 0.5
    original.step()

    copy_w = Value(w.data)
    restored = optimizer_class([copy_w], **options)
    restored.load_state_dict(original.state_dict())
    for param, optimizer in ((w, original), (copy_w, restored)):
        param.grad = -1.0
        optimizer.step()
    assert copy_w.data == w.data
    assert restored.steps == original.steps == 2


def test_load_state_dict_rejects_a_state_from_another_optimizer():
    sgd = nn.optim.SGD([Value(1.0)], lr=0.1, momentum=0.9)
    adam = nn.optim.Adam([Value(1.0)])
    with pytest.raises(KeyError, match="missing"):
        adam.load_state_dict(sgd.state_dict())


def test_load_state_dict_with_a_wrong_shape_raises_value_error():
    optimizer = nn.optim.SGD([Value(1.0)], lr=0.1, momentum=0.9)
    state = optimizer.state_dict()
    state["velocity.0"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"velocity\.0"):
        optimizer.load_state_dict(state)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.optim.SGD([], lr=0.1), "no parameters"),
        (lambda: nn.optim.SGD([Value(1.0)], lr=0.0), "lr must be positive"),
        (lambda: nn.optim.SGD([Value(1.0)], lr=0.1, momentum=1.0), "momentum"),
        (lambda: nn.optim.Adam([Value(1.0)], betas=(0.9, 1.0)), "betas"),
        (lambda: nn.optim.SGD([Value(1.0)], lr=0.1, weight_decay=-0.1), "weight_decay"),
        (lambda: nn.optim.Adam([Value(1.0)], weight_decay=float("nan")), "weight_decay"),
        (lambda: nn.optim.Adam([Value(1.0)], eps=-1e-8), "eps"),
    ],
)
def test_invalid_hyperparameters_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [
        (nn.optim.SGD, {"lr": 0.1}),
        (nn.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
        (nn.optim.Adam, {"lr": 0.1, "weight_decay": 0.05}),
    ],
    ids=["sgd", "sgd-momentum-decay", "adam-decay"],
)
def test_tensor_parameters_follow_the_same_updates_as_value_parameters(optimizer_class, options):
    rng = np.random.default_rng(0)
    start = rng.standard_normal((2, 3))
    gradients = rng.standard_normal((4, 2, 3))
    tensor = Tensor(start.copy(), requires_grad=True)
    values = [Value(float(w)) for w in start.flat]
    tensor_optimizer = optimizer_class([tensor], **options)
    value_optimizer = optimizer_class(values, **options)
    for gradient in gradients:
        tensor.grad = gradient.copy()
        for value, g in zip(values, gradient.flat):
            value.grad = float(g)
        tensor_optimizer.step()
        value_optimizer.step()
    expected = np.array([value.data for value in values]).reshape(start.shape)
    np.testing.assert_allclose(tensor.data, expected, rtol=1e-13, atol=1e-15)
