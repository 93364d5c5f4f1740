"""``nn.manual_seed`` takes a whole number ≥ 0 and names itself when it gets anything else."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.init


@pytest.fixture(autouse=True)
def _global_generator_restored():
    """Each test reseeds the layers' global generator; the tests after it get it back."""
    saved = nn.init._generator
    yield
    nn.init._generator = saved


@pytest.mark.parametrize("seed", [1.5, "0", None, True])
def test_a_seed_that_is_not_an_int_is_refused_by_name(seed):
    with pytest.raises(TypeError, match=r"nn\.manual_seed: seed must be a whole number"):
        nn.manual_seed(seed)


def test_a_negative_seed_is_refused_by_name():
    with pytest.raises(ValueError, match=r"nn\.manual_seed: seed must be 0 or more, got -1"):
        nn.manual_seed(-1)


def test_a_refused_seed_leaves_the_generator_as_it_was():
    nn.manual_seed(4)
    expected = nn.Linear(3, 2).weight.data.copy()
    nn.manual_seed(4)
    with pytest.raises(ValueError):
        nn.manual_seed(-1)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.data, expected)


def test_numpy_integers_and_large_ints_are_seeds():
    nn.manual_seed(np.int64(7))
    first = nn.Linear(3, 2).weight.data.copy()
    nn.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.data, first)
    nn.manual_seed(2**70)
