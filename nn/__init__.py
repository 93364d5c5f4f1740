"""chaingrad's networks, built only on :mod:`autograd`'s public API.

Scalar networks (every number a ``Value``): :class:`Neuron`, :class:`Layer`, :class:`MLP`.
Losses: :func:`mse_loss`, :func:`binary_cross_entropy`, :func:`cross_entropy`.
Optimizers: :mod:`nn.optim` (``SGD``, ``Adam``).
"""

from nn import optim
from nn.init import manual_seed
from nn.losses import binary_cross_entropy, cross_entropy, mse_loss
from nn.mlp import MLP, Layer, Neuron
from nn.module import Module

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "binary_cross_entropy",
    "cross_entropy",
    "manual_seed",
    "mse_loss",
    "optim",
]
