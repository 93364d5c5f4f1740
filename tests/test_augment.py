"""nn.datasets.random_shift: each image moved by a whole-pixel offset, nothing else changed."""

from __future__ import annotations

import numpy as np
import pytest

from nn.datasets import random_shift


def offset_of(original: np.ndarray, moved: np.ndarray, max_shift: int) -> tuple[int, int]:
    """The (dy, dx) by which ``moved`` is ``original`` moved (zeros coming in); fails if none."""
    image = original.reshape(28, 28)
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            expected = np.zeros_like(image)
            expected[max(dy, 0) : 28 + min(dy, 0), max(dx, 0) : 28 + min(dx, 0)] = image[
                max(-dy, 0) : 28 + min(-dy, 0), max(-dx, 0) : 28 + min(-dx, 0)
            ]
            if np.array_equal(expected.reshape(-1), moved):
                return dy, dx
    raise AssertionError("the output is not a shifted copy of the input")


def test_every_image_is_a_shifted_copy_and_all_offsets_occur() -> None:
    rng = np.random.default_rng(0)
    images = np.zeros((400, 784), dtype=np.uint8)
    images[:, 5 * 28 + 5 : 5 * 28 + 23] = rng.integers(1, 256, size=(400, 18), dtype=np.uint8)
    moved = random_shift(images, 2, np.random.default_rng(1))
    assert moved.shape == images.shape and moved.dtype == np.uint8
    offsets = {offset_of(a, b, 2) for a, b in zip(images, moved)}
    assert offsets == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}
    # Away from the border nothing is lost: the ink is the same, only moved.
    assert np.array_equal(images.sum(axis=1), moved.sum(axis=1))


def test_floats_keep_their_dtype_and_the_input_is_not_changed() -> None:
    images = np.random.default_rng(2).random((8, 784), dtype=np.float32)
    before = images.copy()
    moved = random_shift(images, 1, np.random.default_rng(3))
    assert moved.dtype == np.float32
    assert np.array_equal(images, before)


def test_the_same_generator_state_gives_the_same_shifts() -> None:
    images = np.random.default_rng(4).random((16, 784))
    first = random_shift(images, 2, np.random.default_rng(5))
    again = random_shift(images, 2, np.random.default_rng(5))
    assert np.array_equal(first, again)


def test_no_shift_is_a_copy() -> None:
    images = np.arange(784.0).reshape(1, 784)
    moved = random_shift(images, 0, np.random.default_rng(0))
    assert np.array_equal(moved, images) and moved is not images


@pytest.mark.parametrize(
    ("shape", "max_shift", "message"),
    [
        ((4, 783), 2, r"images must have shape \(batch, 784\)"),
        ((4, 28, 28), 2, r"images must have shape \(batch, 784\)"),
        ((4, 784), -1, "max_shift must be a whole number of pixels from 0 to 27"),
        ((4, 784), 28, "max_shift must be a whole number of pixels from 0 to 27"),
        ((4, 784), 1.5, "max_shift must be a whole number"),
    ],
)
def test_bad_arguments_are_refused_naming_the_function(shape, max_shift, message) -> None:
    with pytest.raises(ValueError, match=message):
        random_shift(np.zeros(shape), max_shift, np.random.default_rng(0))
