"""Mini-batches: a seeded shuffle per epoch, uint8 pixels turned into floats one batch at a time.

Keeping the data set in uint8 (47 MB for MNIST's training images) and converting only the
batch in hand costs ~20 µs per 128-image batch, far less than a training step, and keeps
memory at a quarter of a float32 copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["PIXEL_SCALE", "RngLike", "batches", "random_shift", "to_float"]

PIXEL_SCALE = 255.0  # uint8 pixel k becomes k / 255: 0 -> 0.0 (background), 255 -> 1.0 (ink)

RngLike: TypeAlias = np.random.Generator | int | None


def to_float(images: np.ndarray, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """Return uint8 pixels as floats in [0, 1]: ``images / 255`` computed in `dtype`.

    Arrays that are already floating point are taken as scaled and only cast to `dtype`.

    Raises:
        TypeError: `images` is neither uint8 nor floating point, or `dtype` is not floating.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"to_float: dtype must be a floating type, got {dtype}.")
    if images.dtype == np.uint8:
        # Division (not multiplication by 1/255) is correctly rounded: pixel 255 is exactly 1.0.
        return np.divide(images, dtype.type(PIXEL_SCALE), dtype=dtype)
    if images.dtype.kind == "f":
        return images.astype(dtype)
    raise TypeError(f"to_float: expected uint8 or floating images, got {images.dtype}.")


def batches(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = True,
    rng: RngLike = None,
    dtype: npt.DTypeLike = np.float32,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterate over one epoch of ``(x, y)`` mini-batches.

    x is `to_float` of the images (shape (B, 784) for MNIST, float32 in [0, 1] by default), y
    the labels as int64 class indices, shape (B,). Both are fresh arrays the caller may keep or
    modify. With ``shuffle=True`` the order is one permutation drawn from `rng` when iteration
    starts: pass the same ``np.random.Generator`` every epoch to get a new, reproducible order
    each epoch (an int seeds a new Generator, so it repeats the same order each call; None
    draws fresh entropy). The last, smaller batch is kept unless ``drop_last=True``.

    Example::

        rng = np.random.default_rng(0)
        for epoch in range(10):
            for x, y in batches(data.train_images, data.train_labels, 128, rng=rng):
                ...

    Raises (at the call, not at the first batch):
        ValueError: `batch_size` is not a positive int, or images and labels disagree in length.
        TypeError: labels that are not integers, or a bad image dtype or `dtype` (see
            `to_float`).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}.")
    if batch_size <= 0:
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size}.")
    if images.ndim < 1 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"batches: images of shape {images.shape} and labels of shape {labels.shape} "
            "must have the same length (labels one-dimensional)."
        )
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"batches: labels have dtype {labels.dtype}; they must be integer class indices "
            "(e.g. labels.astype(np.int64))."
        )
    to_float(images[:0], dtype)  # validate the dtypes now rather than at the first batch
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return _iterate(images, labels, int(batch_size), shuffle, generator, dtype, drop_last)


def _iterate(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    shuffle: bool,
    rng: np.random.Generator,
    dtype: npt.DTypeLike,
    drop_last: bool,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    count = len(images)
    stop = count - count % batch_size if drop_last else count
    order = rng.permutation(count) if shuffle else None
    for start in range(0, stop, batch_size):
        if order is None:
            chosen = slice(start, start + batch_size)
            x, y = images[chosen], labels[chosen]
        else:
            chosen_indices = order[start : start + batch_size]
            x = np.take(images, chosen_indices, axis=0)
            y = np.take(labels, chosen_indices)
        yield to_float(x, dtype), y.astype(np.int64)


def random_shift(
    images: np.ndarray, max_shift: int, rng: np.random.Generator, *, side: int = 28
) -> np.ndarray:
    """Each image moved by its own random whole-pixel offset, up to ``max_shift`` each way.

    The commonest data augmentation for MNIST: a digit moved by a pixel or two is the same
    digit, so training on moved copies teaches the network that, where a fully connected
    layer would otherwise tie each weight to one exact pixel position. ``images`` is a batch
    of flattened ``side`` x ``side`` images, shape (B, side²), uint8 or floats; the offsets
    (dy, dx) are drawn uniformly from -max_shift..max_shift; pixels moved in from outside are
    0 (background). Returns a new array of the same shape and dtype.

    >>> x = np.zeros((1, 9), dtype=np.uint8); x[0, 4] = 255     # a 3x3 image, centre lit
    >>> moved = random_shift(x, 1, np.random.default_rng(0), side=3)
    >>> int(moved.sum()) in (0, 255), moved.shape                # moved (or out of frame)
    (True, (1, 9))

    Raises:
        ValueError: ``images`` is not (B, side²), or ``max_shift`` is not from 0 to side-1.
    """
    if images.ndim != 2 or images.shape[1] != side * side:
        raise ValueError(
            f"random_shift: images must have shape (batch, {side * side}) (flattened "
            f"{side}x{side} images), got {images.shape}"
        )
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or not 0 <= max_shift < side:
        raise ValueError(
            f"random_shift: max_shift must be a whole number of pixels from 0 to {side - 1}, "
            f"got {max_shift!r}"
        )
    count = len(images)
    if max_shift == 0:
        return images.copy()
    # Pad every image with max_shift zeros on each side, then cut a side x side window from
    # each, starting at its own offset in 0..2*max_shift: the digit moves the other way.
    padded = np.pad(
        images.reshape(count, side, side), ((0, 0), (max_shift, max_shift), (max_shift, max_shift))
    )
    start_y, start_x = rng.integers(0, 2 * max_shift + 1, size=(2, count))
    window = np.arange(side)
    rows = (start_y[:, None] + window)[:, :, None]  # (B, side, 1)
    columns = (start_x[:, None] + window)[:, None, :]  # (B, 1, side)
    moved = padded[np.arange(count)[:, None, None], rows, columns]
    return moved.reshape(count, side * side)
