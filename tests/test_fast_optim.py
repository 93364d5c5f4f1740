"""Optimizer steps check their hyper-parameters at every step (a schedule may change them),
with a fast path for the usual float: the checks refuse exactly what they refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor


def optimizer() -> nn.optim.SGD:
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    w.grad = np.ones(3, dtype=np.float32)
    return nn.optim.SGD([w], lr=0.5, momentum=0.5)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("lr", math.nan, ValueError),
        ("lr", -0.1, ValueError),
        ("lr", math.inf, ValueError),
        ("lr", True, TypeError),
        ("lr", "0.1", TypeError),
        ("momentum", 1.0, ValueError),
        ("weight_decay", -1e-3, ValueError),
    ],
)
def test_a_hyperparameter_changed_between_steps_is_still_checked(name, value, error) -> None:
    sgd = optimizer()
    setattr(sgd, name, value)
    with pytest.raises(error, match=name):
        sgd.step()
    assert sgd.params[0].data.tolist() == [1.0, 1.0, 1.0]  # nothing was updated


@pytest.mark.parametrize("value", [np.float32(0.25), 0.25, 1])
def test_real_numbers_of_any_type_are_accepted_and_stored_as_floats(value) -> None:
    sgd = optimizer()
    sgd.lr = value
    sgd.step()
    assert type(sgd.lr) is float and sgd.lr == float(value)
