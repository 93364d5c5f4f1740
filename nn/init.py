"""Where initial weights come from: one seeded generator, or one you pass in.

Every layer draws its initial weights and biases from U(-1/√fan_in, +1/√fan_in), PyTorch's
default for linear layers, so scalar and tensor networks start from the same distribution.
"""

from __future__ import annotations

import math
from typing import TypeAlias

import numpy as np

from nn.module import whole_number

# What every ``rng`` argument accepts: a Generator, an int seed, or None (the global generator).
RngLike: TypeAlias = np.random.Generator | int | None

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generator that layers use when no ``rng`` is given.

    Raises:
        TypeError: ``seed`` is not an int (a float, a string, None, a bool).
        ValueError: ``seed`` is negative.
    """
    global _generator
    _generator = np.random.default_rng(whole_number("nn.manual_seed", "seed", seed, "0", minimum=0))


def generator(rng: RngLike = None) -> np.random.Generator:
    """``rng`` itself, a new generator seeded with it (an int), or the global one (None).

    Raises:
        TypeError: for anything else.
    """
    if rng is None:
        return _generator
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int seed or None, not {type(rng).__name__}"
    )


def uniform_fan_in(shape: tuple[int, ...], fan_in: int, rng: RngLike = None) -> np.ndarray:
    """Float64 samples from U(-1/√fan_in, 1/√fan_in) with the given shape, drawn from ``rng``.

    Raises:
        TypeError: for an ``rng`` that is not a Generator, an int or None.
    """
    bound = 1.0 / math.sqrt(fan_in)
    return generator(rng).uniform(-bound, bound, size=shape)
