"""A diverging step overflows to inf as IEEE arithmetic does, without a NumPy warning
(the suite turns RuntimeWarnings into errors)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, Value


@pytest.mark.parametrize("make", [nn.optim.SGD, nn.optim.Adam], ids=["SGD", "Adam"])
def test_a_step_that_overflows_gives_inf_without_a_warning(make) -> None:
    weight = Tensor(np.array([1e300, -1e300]), requires_grad=True)
    scalar = Value(-1e300)
    (weight * weight).sum().backward()  # gradient ±2e300
    (scalar * scalar).backward()  # gradient -2e300
    make([weight, scalar], lr=1e300).step()  # g·g overflows inside Adam
    if make is nn.optim.SGD:
        assert not np.isfinite(weight.data).any()
        assert not np.isfinite(scalar.data)


def test_sgd_with_a_huge_learning_rate_and_momentum_overflows_quietly() -> None:
    weight = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    optimizer = nn.optim.SGD([weight], lr=1e300, momentum=0.9, weight_decay=1e300)
    (weight * weight).sum().backward()
    optimizer.step()
    optimizer.step()
    assert np.isinf(weight.data).all() or np.isnan(weight.data).all()
