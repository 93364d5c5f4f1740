"""A scalar nn.MLP and a Tensor nn.Sequential of the same shape are the same network.

Loaded with one state dict, they give the same outputs and the same gradients (float64
Tensors, so the only difference is the order of floating-point additions).
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, sum_values

SHAPES = [(3, [4, 2]), (5, [3, 4, 3])]


def pair(nin, nouts, activation, output_activation=None):
    tensor_net = nn.feedforward(nin, nouts, activation, output_activation, rng=1, dtype=np.float64)
    scalar_net = nn.MLP(nin, nouts, activation, output_activation)
    scalar_net.load_state_dict(tensor_net.state_dict())
    return scalar_net, tensor_net


def inputs(rows: int, width: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((rows, width))


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
@pytest.mark.parametrize(("nin", "nouts"), SHAPES)
def test_scalar_and_tensor_networks_give_the_same_outputs(nin, nouts, activation) -> None:
    scalar_net, tensor_net = pair(nin, nouts, activation)
    x = inputs(4, nin)
    scalar_out = np.array([[v.data for v in scalar_net(list(row))] for row in x])
    np.testing.assert_allclose(tensor_net(Tensor(x)).data, scalar_out, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
@pytest.mark.parametrize(("nin", "nouts"), SHAPES)
def test_scalar_and_tensor_networks_give_the_same_gradients(nin, nouts, activation) -> None:
    scalar_net, tensor_net = pair(nin, nouts, activation)
    x = inputs(4, nin)
    labels = np.array([0, 1, 1, 0])
    nn.cross_entropy([scalar_net(list(row)) for row in x], labels.tolist()).backward()
    nn.cross_entropy(tensor_net(Tensor(x)), labels).backward()
    scalar_grads = scalar_gradients(scalar_net)
    for name, param in tensor_net.named_parameters():
        np.testing.assert_allclose(param.grad, scalar_grads[name], rtol=1e-10, atol=1e-14)


def test_quadratic_cost_gradients_agree_across_engines() -> None:
    scalar_net, tensor_net = pair(3, [4, 2], "sigmoid", "sigmoid")
    x, labels = inputs(4, 3), np.array([0, 1, 1, 0])
    costs = [nn.quadratic_cost(scalar_net(list(row)), int(y)) for row, y in zip(x, labels)]
    scalar_loss = sum_values(costs) * (1 / len(costs))
    tensor_loss = nn.quadratic_cost(tensor_net(Tensor(x)), labels)
    assert np.isclose(scalar_loss.data, tensor_loss.data, rtol=1e-12)
    scalar_loss.backward()
    tensor_loss.backward()
    scalar_grads = scalar_gradients(scalar_net)
    for name, param in tensor_net.named_parameters():
        np.testing.assert_allclose(param.grad, scalar_grads[name], rtol=1e-10, atol=1e-14)


def test_state_dict_round_trips_from_tensor_to_scalar_and_back() -> None:
    scalar_net, tensor_net = pair(5, [3, 4, 3], "relu")
    state = scalar_net.state_dict()
    assert list(state) == list(tensor_net.state_dict())
    for key, value in tensor_net.state_dict().items():
        np.testing.assert_array_equal(state[key], value)


def test_training_steps_keep_the_two_engines_together() -> None:
    scalar_net, tensor_net = pair(3, [4, 2], "tanh")
    scalar_opt = nn.optim.SGD(scalar_net.parameters(), lr=0.3, momentum=0.9)
    tensor_opt = nn.optim.SGD(tensor_net.parameters(), lr=0.3, momentum=0.9)
    x, labels = inputs(4, 3), np.array([0, 1, 1, 0])
    for _ in range(5):
        scalar_loss = nn.cross_entropy([scalar_net(list(row)) for row in x], labels.tolist())
        tensor_loss = nn.cross_entropy(tensor_net(Tensor(x)), labels)
        for opt, loss in (
            (scalar_opt, scalar_loss),
            (tensor_opt, tensor_loss),
        ):
            opt.zero_grad()
            loss.backward()
            opt.step()
    for key, value in tensor_net.state_dict().items():
        np.testing.assert_allclose(scalar_net.state_dict()[key], value, rtol=1e-10, atol=1e-13)


def scalar_gradients(mlp: nn.MLP) -> dict[str, np.ndarray]:
    """The scalar network's gradients keyed and shaped like its state dict."""
    gradients = {}
    for k, layer in enumerate(mlp.layers):
        gradients[f"{2 * k}.weight"] = np.array(
            [[w.grad for w in n.weights] for n in layer.neurons]
        ).T
        gradients[f"{2 * k}.bias"] = np.array([n.bias.grad for n in layer.neurons])
    return gradients
