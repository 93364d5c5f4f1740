"""``Module``: the base of every network — parameters, gradients, saving and loading.

A module finds its parameters by walking its attributes in the order they were set:
a ``Value`` or a ``Tensor`` is a parameter, a ``Module`` is walked recursively, and lists or
tuples are walked element by element. Names are dotted paths (``layers.0.neurons.1.bias``),
as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import autograd
from autograd import Value


def is_tensor(x: object) -> bool:
    tensor_type = getattr(autograd, "Tensor", None)
    return tensor_type is not None and isinstance(x, tensor_type)


class Module:
    """Base class: subclasses set parameters/submodules as attributes and define ``__call__``."""

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """Yield ``(dotted name, parameter)`` for every parameter, each once, in order."""
        seen: set[int] = set()
        for name, param in _walk(vars(self), prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def parameters(self) -> list[Any]:
        """Every parameter (Values or Tensors), in a fixed order."""
        return [param for _, param in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (gradients accumulate across ``backward`` calls)."""
        for param in self.parameters():
            param.grad = 0.0 if type(param) is Value else None

    def num_parameters(self) -> int:
        """How many numbers the parameters hold."""
        return sum(np.size(param.data) for param in self.parameters())

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{dotted name: NumPy copy of the parameter}``."""
        return {name: np.array(param.data, copy=True) for name, param in self.named_parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into the parameters, after checking that keys and shapes match exactly.

        Raises KeyError for missing or unexpected keys and ValueError for a shape mismatch;
        nothing is changed unless every entry fits.
        """
        own = dict(self.named_parameters())
        check_state_keys(type(self).__name__, own.keys(), state.keys())
        for name, param in own.items():
            check_state_shape(name, np.shape(param.data), np.shape(state[name]))
        for name, param in own.items():
            if type(param) is Value:
                param.data = float(state[name])
            else:
                param.data[...] = state[name]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def check_state_keys(owner: str, expected, given) -> None:
    """Raise KeyError naming the missing and unexpected keys of a state dict."""
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    if missing or unexpected:
        raise KeyError(
            f"{owner}.load_state_dict: keys do not match (missing: {missing}, "
            f"unexpected: {unexpected}); the state dict must come from a network of the "
            "same architecture"
        )


def check_state_shape(name: str, expected: tuple, given: tuple) -> None:
    """Raise ValueError if a state dict entry has the wrong shape."""
    if tuple(expected) != tuple(given):
        raise ValueError(
            f"load_state_dict: {name!r} has shape {tuple(given)} but the parameter has shape "
            f"{tuple(expected)}"
        )


def _walk(item: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(item, Module):
        yield from _walk(vars(item), prefix)
    elif isinstance(item, dict):
        for key, value in item.items():
            if not str(key).startswith("_"):
                yield from _walk(value, f"{prefix}{key}.")
    elif isinstance(item, (list, tuple)):
        for index, value in enumerate(item):
            yield from _walk(value, f"{prefix}{index}.")
    elif type(item) is Value or is_tensor(item):
        yield prefix[:-1], item
