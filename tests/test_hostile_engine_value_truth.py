"""A Value's truth is its number's, as for a float and a one-element Tensor."""

from __future__ import annotations

import math

import pytest

from autograd import Tensor, Value


@pytest.mark.parametrize("number", [0.0, -0.0, 1.0, -2.5, math.inf, math.nan])
def test_truth_of_a_value_is_the_truth_of_its_number(number: float) -> None:
    assert bool(Value(number)) is bool(number)
    assert bool(Value(number)) is bool(Tensor([number]))


def test_a_value_that_computed_to_zero_is_false() -> None:
    x = Value(3.0)
    assert not (x - x)
