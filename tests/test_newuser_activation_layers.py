"""``nn.ReLU``, ``nn.Sigmoid`` and ``nn.Tanh`` compute their name and take no argument."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn.layers import Activation


@pytest.mark.parametrize("layer", [nn.ReLU, nn.Sigmoid, nn.Tanh])
def test_a_named_activation_refuses_another_function(layer):
    with pytest.raises(TypeError, match=rf"nn\.{layer.__name__}\(\) takes no argument, got 'soft"):
        layer("softplus")


def test_pytorchs_positional_inplace_flag_is_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"nn\.ReLU\(\) takes no argument, got True.*inplace"):
        nn.ReLU(True)


def test_activation_by_name_still_takes_any_function_of_the_table():
    hidden = nn.Linear(2, 3, rng=0)(np.ones((1, 2), dtype=np.float32))
    assert Activation("softplus")(hidden).op == "softplus"
    assert nn.ReLU()(hidden).op == "relu"
