"""Layer sizes are whole numbers, and ``nouts`` a list of them: mistakes are named plainly.

``nn.MLP(2, 3)`` (a lone int for ``nouts``) is the likeliest slip after the README's
``nn.MLP(2, [2, 1])``; it used to fail with "Value after * must be an iterable, not int".
"""

from __future__ import annotations

import numpy as np
import pytest

import nn


@pytest.mark.parametrize("build", [nn.MLP, nn.feedforward], ids=["MLP", "feedforward"])
def test_a_lone_int_for_nouts_asks_for_a_list(build):
    name = build.__name__
    with pytest.raises(TypeError, match=rf"^{name}: nouts must be a list of layer sizes.*\[3\]"):
        build(2, 3)


@pytest.mark.parametrize("build", [nn.MLP, nn.feedforward], ids=["MLP", "feedforward"])
@pytest.mark.parametrize("size", [2.0, "2", True, None])
def test_a_size_that_is_not_an_int_is_named(build, size):
    with pytest.raises(TypeError, match=r"nin must be a whole number, such as 16, not"):
        build(size, [1])
    with pytest.raises(TypeError, match=r"nouts\[1\] must be a whole number"):
        build(2, [3, size])


@pytest.mark.parametrize("size", [16.0, "16", False])
def test_linear_names_the_size_that_is_not_an_int(size):
    with pytest.raises(TypeError, match=r"^Linear: out_features must be a whole number"):
        nn.Linear(784, size)


def test_sizes_below_one_are_still_value_errors():
    with pytest.raises(ValueError, match="Linear: in_features must be 1 or more, got 0"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match=r"MLP: nouts\[0\] must be 1 or more, got -1"):
        nn.MLP(2, [-1])
    with pytest.raises(ValueError, match="MLP: nouts must name at least one layer size"):
        nn.MLP(2, [])


def test_numpy_integers_tuples_and_arrays_are_sizes():
    assert nn.Linear(np.int64(3), 2, rng=0).weight.shape == (3, 2)
    assert nn.MLP(2, (3, 1), rng=0)([1.0, 2.0])[0].data == pytest.approx(
        nn.MLP(2, [3, 1], rng=0)([1.0, 2.0])[0].data
    )
    assert nn.feedforward(4, np.array([5, 2]), rng=0)(np.ones((1, 4))).shape == (1, 2)
