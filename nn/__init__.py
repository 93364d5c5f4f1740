"""chaingrad's networks, built only on :mod:`autograd`'s public API.

Scalar networks (every number a ``Value``): :class:`Neuron`, :class:`Layer`, :class:`MLP`.
Tensor networks (a batch at a time): :class:`Linear`, :class:`Sequential`, the activations
:class:`ReLU`, :class:`Sigmoid`, :class:`Tanh`, :class:`Identity`, and :func:`feedforward`
(the Tensor twin of ``MLP``); both kinds exchange weights through one state dict.
Losses: :func:`mse_loss`, :func:`quadratic_cost`, :func:`binary_cross_entropy`,
:func:`cross_entropy`. Optimizers: :mod:`nn.optim` (``SGD``, ``Adam``). Checkpoints:
:func:`save`, :func:`load`. Data: :mod:`nn.datasets` (``mnist``, ``xor``). Initial weights:
:func:`manual_seed`.
"""

import autograd as _autograd
from nn import datasets, optim
from nn.checkpoint import CheckpointError, load, save
from nn.init import manual_seed
from nn.layers import Identity, Linear, ReLU, Sequential, Sigmoid, Tanh, feedforward
from nn.losses import binary_cross_entropy, cross_entropy, mse_loss, quadratic_cost
from nn.mlp import MLP, Layer, Neuron
from nn.module import Module

__all__ = [
    "MLP",
    "CheckpointError",
    "Identity",
    "Layer",
    "Linear",
    "Module",
    "Neuron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "binary_cross_entropy",
    "cross_entropy",
    "datasets",
    "feedforward",
    "load",
    "manual_seed",
    "mse_loss",
    "optim",
    "quadratic_cost",
    "save",
]

__version__ = _autograd.__version__  # one distribution, one version
