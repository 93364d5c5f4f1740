"""Graph capture of Tensor steps: the replay equals the uncompiled step bit for bit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.capture_tensor import CapturedTensorStep, capture_tensor

SIZES = (30, 16, 10)


def bits(array: np.ndarray | None) -> tuple | None:
    """What bit-for-bit equality compares: dtype, shape and bytes."""
    if array is None:
        return None
    return (str(array.dtype), array.shape, array.tobytes())


def grads(model: nn.Module) -> list:
    return [bits(p.grad) for p in model.parameters()]


def weights(model: nn.Module) -> list:
    return [bits(p.data) for p in model.parameters()]


def twin_models(output: str | None, hidden: str = "sigmoid") -> tuple[nn.Module, nn.Module]:
    """Two networks with the same float32 weights: one run uncompiled, one captured."""
    return tuple(  # type: ignore[return-value]
        nn.feedforward(SIZES[0], SIZES[1:], hidden, output, rng=7) for _ in range(2)
    )


def batch(rng: np.random.Generator, rows: int = 8) -> tuple[np.ndarray, np.ndarray]:
    images = rng.random((rows, SIZES[0]), dtype=np.float32)
    return images, rng.integers(0, SIZES[-1], rows)


ONE_HOT = np.eye(SIZES[-1], dtype=np.float32)


def cross_entropy_step(model: nn.Module) -> Callable:
    return lambda x, labels: nn.cross_entropy(model(x), labels)


def quadratic_cost_step(model: nn.Module) -> Callable:
    # The target as integer labels (made into one-hot rows by the loss) or as those rows.
    return lambda x, target: nn.quadratic_cost(model(x), target)


def inputs_for(loss: str, x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (x, ONE_HOT[labels]) if loss == "mse-one-hot" else (x, labels)


def train_side_by_side(
    loss: str, optimizer: str, hidden: str, steps: int = 4, check: bool = False
) -> None:
    """Train twin networks, one uncompiled and one captured; compare every step's bits."""
    plain, captured = twin_models(None if loss == "ce" else "sigmoid", hidden)
    make_step = cross_entropy_step if loss == "ce" else quadratic_cost_step
    rng = np.random.default_rng(0)
    replay = capture_tensor(
        make_step(captured), captured.parameters(), inputs_for(loss, *batch(rng)), check=check
    )
    assert isinstance(replay, CapturedTensorStep)
    optimizers = []
    for model in (plain, captured):
        if optimizer == "sgd":
            optimizers.append(nn.optim.SGD(model.parameters(), lr=0.5, momentum=0.5))
        else:
            optimizers.append(nn.optim.Adam(model.parameters(), lr=0.01))
    for _ in range(steps):
        inputs = inputs_for(loss, *batch(rng))
        optimizers[0].zero_grad()
        expected = make_step(plain)(*inputs)
        expected.backward()
        optimizers[1].zero_grad()
        got = replay(*inputs)
        assert got == float(expected.data)
        assert grads(captured) == grads(plain)
        for opt in optimizers:
            opt.step()
        assert weights(captured) == weights(plain)
    assert replay.traces == 1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("loss", ["ce", "mse", "mse-one-hot"])
def test_feedforward_steps_replay_bit_for_bit(loss: str, optimizer: str) -> None:
    train_side_by_side(loss, optimizer, "sigmoid")


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_check_mode_finds_nothing_to_report_in_a_training_step(loss: str) -> None:
    # The labels change every call, and so do the one-hot rows quadratic_cost makes from
    # them: both are inputs of the graph, not constants that changed.
    train_side_by_side(loss, "sgd", "sigmoid", check=True)


def test_relu_network_with_adam_replays_bit_for_bit() -> None:
    train_side_by_side("ce", "adam", "relu")


def test_the_loss_is_float_and_the_graph_is_counted() -> None:
    model = nn.feedforward(SIZES[0], SIZES[1:], "sigmoid", rng=1)
    x, labels = batch(np.random.default_rng(1))
    replay = capture_tensor(cross_entropy_step(model), model.parameters(), (x, labels))
    assert type(replay(x, labels)) is float
    # x, W1, b1, linear_sigmoid (fused by Sequential), W2, b2, linear, cross-entropy
    assert replay.node_count == 8


def test_capturing_leaves_the_gradients_as_they_were() -> None:
    model = nn.feedforward(SIZES[0], SIZES[1:], "sigmoid", rng=1)
    marker = np.full(model.parameters()[0].data.shape, 3.0, dtype=np.float32)
    model.parameters()[0].grad = marker
    capture_tensor(cross_entropy_step(model), model.parameters(), batch(np.random.default_rng(1)))
    assert model.parameters()[0].grad is marker
    assert all(p.grad is None for p in model.parameters()[1:])


def test_gradients_accumulate_across_calls_as_backward_accumulates() -> None:
    plain, captured = twin_models(None)
    rng = np.random.default_rng(2)
    replay = capture_tensor(cross_entropy_step(captured), captured.parameters(), batch(rng))
    for _ in range(3):  # no zero_grad in between
        x, labels = batch(rng)
        cross_entropy_step(plain)(x, labels).backward()
        replay(x, labels)
    assert grads(captured) == grads(plain)


def test_parameters_changed_in_place_or_replaced_between_calls_are_read_anew() -> None:
    plain, captured = twin_models(None)
    rng = np.random.default_rng(3)
    replay = capture_tensor(cross_entropy_step(captured), captured.parameters(), batch(rng))
    for model in (plain, captured):
        first, second = model.parameters()[:2]
        first.data -= np.float32(0.25)  # in place, as an optimizer does
        second.data = second.data * np.float32(2.0)  # a new array
    x, labels = batch(rng)
    expected = cross_entropy_step(plain)(x, labels)
    expected.backward()
    assert replay(x, labels) == float(expected.data)
    assert grads(captured) == grads(plain)


def test_a_step_of_plain_ops_replays_bit_for_bit() -> None:
    rng = np.random.default_rng(4)
    w = Tensor(rng.standard_normal((5, 3)), requires_grad=True)  # float64
    b = Tensor(rng.standard_normal(3), requires_grad=True)

    def step(x, y):
        h = (Tensor(x) @ w + b).tanh()
        return nn.mse_loss(h * h - h / 3.0, y)

    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    replay = capture_tensor(step, [w, b], (x, y))
    for _ in range(3):
        x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
        w.grad = b.grad = None
        expected = step(x, y)
        expected.backward()
        expected_grads = [bits(w.grad), bits(b.grad)]
        w.grad = b.grad = None
        assert replay(x, y) == float(expected.data)
        assert [bits(w.grad), bits(b.grad)] == expected_grads


def test_a_step_of_reductions_powers_and_indexing_replays_bit_for_bit() -> None:
    # A cross-entropy written by hand: log_softmax, then each row's label picked by indexing
    # with the labels input; and a squared error written with ** and sum.
    rng = np.random.default_rng(6)
    w = Tensor(rng.standard_normal((6, 4)).astype(np.float32), requires_grad=True)

    def step(x, labels):
        logits = (Tensor(x) @ w).reshape(-1, 4)
        picked = logits.log_softmax(axis=1)[np.arange(len(labels)), labels]
        penalty = (w**2).sum() * 0.01 + (-logits[labels]).mean()
        return -picked.mean() + penalty

    replay = capture_tensor(step, [w], (rng.random((5, 6)), rng.integers(0, 4, 5)))
    for _ in range(3):
        x, labels = rng.random((5, 6)), rng.integers(0, 4, 5)
        w.grad = None
        expected = step(x, labels)
        expected.backward()
        expected_grad = bits(w.grad)
        w.grad = None
        assert replay(x, labels) == float(expected.data)
        assert bits(w.grad) == expected_grad


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_new_labels_are_checked_as_the_loss_checks_them(loss: str) -> None:
    model = nn.feedforward(SIZES[0], SIZES[1:], "sigmoid", "sigmoid", rng=1)
    make_step = cross_entropy_step if loss == "ce" else quadratic_cost_step
    x, labels = batch(np.random.default_rng(5))
    replay = capture_tensor(make_step(model), model.parameters(), (x, labels))
    name = "softmax_cross_entropy" if loss == "ce" else "quadratic_cost"
    for wrong in (-1, 10):
        labels[0] = wrong
        with pytest.raises(ValueError, match=rf"{name}: labels must be in \[0, 10\)"):
            replay(x, labels)
