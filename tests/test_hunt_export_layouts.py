"""nn.export to PyTorch whatever the memory layout or byte order of the weights: a weight
with negative strides (a reversed view) or in big-endian byte order is exported as its
numbers, as a C-ordered native one is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nn
from autograd import Tensor, no_grad
from nn import export


def reversed_view(array: np.ndarray) -> np.ndarray:
    """The same numbers, held by a view with negative strides."""
    return array[::-1].copy()[::-1]


def big_endian(array: np.ndarray) -> np.ndarray:
    return array.astype(array.dtype.newbyteorder(">"))


@pytest.mark.parametrize("relayout", [reversed_view, big_endian], ids=["reversed", "big-endian"])
def test_to_torch_of_weights_in_any_layout_gives_the_same_outputs(relayout):
    model = nn.feedforward(3, [4, 2], "tanh", rng=0)
    x = np.random.default_rng(1).random((5, 3)).astype(np.float32)
    with no_grad():
        expected = model(Tensor(x)).data
    for parameter in model.parameters():
        parameter.data = relayout(parameter.data)
    module = export.to_torch(model)
    with torch.no_grad():
        got = module(torch.from_numpy(x)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_to_torch_state_dict_of_big_endian_weights_holds_their_numbers():
    model = nn.feedforward(3, [2], rng=0)
    weight, bias = (p.data.copy() for p in model.parameters())
    for parameter in model.parameters():
        parameter.data = big_endian(parameter.data)
    state = export.to_torch_state_dict(model)
    np.testing.assert_array_equal(state["0.weight"].numpy(), weight.T)
    np.testing.assert_array_equal(state["0.bias"].numpy(), bias)
