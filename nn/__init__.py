"""chaingrad's networks, built only on :mod:`autograd`'s public API.

Scalar networks (every number a ``Value``): :class:`Neuron`, :class:`Layer`, :class:`MLP`.
Tensor networks (a batch at a time): :class:`Linear`, :class:`Sequential`, the activations
:class:`ReLU`, :class:`Sigmoid`, :class:`Tanh`, :class:`Identity`, :class:`Dropout`, and
:func:`feedforward` (the Tensor twin of ``MLP``); both kinds exchange weights through one
state dict. Every :class:`Module` has ``train()`` and ``eval()`` (training or evaluation
mode, for the model and all its submodules, as in PyTorch; only ``Dropout`` reads it).
Losses: :func:`mse_loss`, :func:`quadratic_cost`, :func:`binary_cross_entropy`,
:func:`binary_cross_entropy_with_logits`, :func:`cross_entropy`. Optimizers and
learning-rate schedules: :mod:`nn.optim` (``SGD``, ``Adam``, ``AdamW``; ``StepLR``,
``CosineAnnealingLR``). Checkpoints: :func:`save`, :func:`load`. Data: :mod:`nn.datasets`
(``mnist``, ``xor``). Initial weights: :func:`manual_seed`. The same network in PyTorch
or ONNX: :mod:`nn.export`.
"""

import autograd as _autograd


def _check_autograd_is_ours() -> None:
    """Stop with an explanation if ``import autograd`` found another package of that name.

    HIPS autograd (pulled in by PennyLane, lifelines and others) is also imported as
    ``autograd``. Installed beside chaingrad it either comes first on ``sys.path`` or, with a
    regular install, overwrites our ``autograd/__init__.py``; either way ``nn`` would fail
    with a puzzling "cannot import name 'Value'". Uninstalling it afterwards takes the shared
    ``__init__.py`` away, leaving a directory that Python imports as an empty namespace.

    Raises:
        ImportError: naming where the other (or the damaged) ``autograd`` is, and the fix.
    """
    if getattr(_autograd, "__chaingrad__", False):
        return
    own_environment = (
        "give chaingrad a virtual environment of its own (`make setup` in the chaingrad "
        "checkout, or python -m venv .venv && .venv/bin/pip install -e .)"
    )
    if getattr(_autograd, "__file__", None) is None:  # a namespace package: no __init__.py
        where = ", ".join(getattr(_autograd, "__path__", []))
        raise ImportError(
            f"nn: the autograd package at {where} has no __init__.py: chaingrad's install is "
            "damaged (uninstalling another package named autograd, such as HIPS autograd, "
            "removes the file they shared). Fix: reinstall chaingrad (pip install "
            f"--force-reinstall -e . from its checkout), and {own_environment}."
        )
    raise ImportError(
        f"nn: `import autograd` loaded another package named autograd, from "
        f"{_autograd.__file__}, not chaingrad's engine. (HIPS autograd, a dependency of "
        "PennyLane and lifelines, has the same name; two packages of one name cannot share an "
        f"environment.) Fix: {own_environment}. If the other package was installed over "
        "chaingrad, also uninstall it (pip uninstall autograd) and reinstall chaingrad "
        "(pip install --force-reinstall -e .)."
    )


_check_autograd_is_ours()

# The rest of nn imports from autograd, so it comes after the check.
from nn import datasets, export, optim
from nn.checkpoint import CheckpointError, load, save
from nn.init import manual_seed
from nn.layers import Dropout, Identity, Linear, ReLU, Sequential, Sigmoid, Tanh, feedforward
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    quadratic_cost,
)
from nn.mlp import MLP, Layer, Neuron
from nn.module import Module

__all__ = [
    "MLP",
    "CheckpointError",
    "Dropout",
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
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "datasets",
    "export",
    "feedforward",
    "load",
    "manual_seed",
    "mse_loss",
    "optim",
    "quadratic_cost",
    "save",
]

__version__ = _autograd.__version__  # one distribution, one version
