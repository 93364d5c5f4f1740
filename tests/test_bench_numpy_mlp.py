"""The hand-written NumPy MLP the MNIST benchmark measures against computes what chaingrad does.

A yardstick that is fast because it is wrong would flatter nobody honestly: its loss and
gradients must equal chaingrad's on the same batch, and its folded-in updates (−lr/B scaled
into δ, momentum, Adam over one flat array) must move the weights as ``nn.optim`` does.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from benchmarks.mnist_epoch import initial_state
from benchmarks.numpy_mlp import NumpyMLP

SIZES = (20, 7, 5, 4)
NAMES = [f"{2 * k}.{kind}" for k in range(len(SIZES) - 1) for kind in ("weight", "bias")]


def _batch(seed: int = 0, batch: int = 9) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((batch, SIZES[0])).astype(np.float32)
    return x, rng.integers(0, SIZES[-1], batch)


def _chaingrad(activation: str, loss: str, state: dict[str, np.ndarray]):
    output = "sigmoid" if loss == "mse" else None
    model = nn.feedforward(SIZES[0], list(SIZES[1:]), activation, output)
    model.load_state_dict(state)
    loss_fn = nn.cross_entropy if loss == "ce" else nn.quadratic_cost
    return model, loss_fn


@pytest.mark.parametrize(
    ("activation", "loss"),
    [("sigmoid", "ce"), ("sigmoid", "mse"), ("relu", "ce"), ("tanh", "ce"), ("relu", "mse")],
)
def test_loss_and_gradients_equal_chaingrads_on_one_batch(activation: str, loss: str) -> None:
    state = initial_state(SIZES, seed=1)
    x, labels = _batch()
    mlp = NumpyMLP(SIZES, activation=activation, loss=loss)
    mlp.load_state_dict(state)
    numpy_loss, numpy_grads = mlp.gradients(x, labels)

    model, loss_fn = _chaingrad(activation, loss, state)
    total = loss_fn(model(autograd.Tensor(x)), labels)
    total.backward()

    assert numpy_loss == pytest.approx(float(total.data), rel=1e-5)
    for name, parameter in zip(NAMES, model.parameters()):
        np.testing.assert_allclose(numpy_grads[name], parameter.grad, rtol=1e-4, atol=1e-6)


def test_last_partial_batch_uses_its_own_buffers() -> None:
    state = initial_state(SIZES, seed=2)
    mlp = NumpyMLP(SIZES, activation="relu", loss="ce")
    mlp.load_state_dict(state)
    x, labels = _batch(seed=3, batch=5)
    mlp.gradients(*_batch(seed=4, batch=9))
    small_loss, small_grads = mlp.gradients(x, labels)

    model, loss_fn = _chaingrad("relu", "ce", state)
    total = loss_fn(model(autograd.Tensor(x)), labels)
    total.backward()
    assert small_loss == pytest.approx(float(total.data), rel=1e-5)
    np.testing.assert_allclose(small_grads["0.weight"], model.parameters()[0].grad, atol=1e-6)


@pytest.mark.parametrize(
    ("optimizer", "momentum", "lr"), [("sgd", 0.0, 0.5), ("sgd", 0.9, 0.1), ("adam", 0.0, 1e-2)]
)
def test_three_training_steps_move_the_weights_as_nn_optim_does(
    optimizer: str, momentum: float, lr: float
) -> None:
    state = initial_state(SIZES, seed=5)
    mlp = NumpyMLP(
        SIZES, activation="sigmoid", loss="ce", optimizer=optimizer, lr=lr, momentum=momentum
    )
    mlp.load_state_dict(state)
    model, loss_fn = _chaingrad("sigmoid", "ce", state)
    params = model.parameters()
    if optimizer == "sgd":
        reference = nn.optim.SGD(params, lr=lr, momentum=momentum)
    else:
        reference = nn.optim.Adam(params, lr=lr)

    for step in range(3):
        x, labels = _batch(seed=10 + step)
        numpy_loss = mlp.train_step(x, labels)
        total = loss_fn(model(autograd.Tensor(x)), labels)
        reference.zero_grad()
        total.backward()
        reference.step()
        assert numpy_loss == pytest.approx(float(total.data), rel=1e-5)

    after = mlp.state_dict()
    for name, parameter in zip(NAMES, params):
        np.testing.assert_allclose(after[name], parameter.data, rtol=1e-4, atol=1e-6)
