"""``Module``: the base of every network — parameters, gradients, saving and loading.

A module finds its parameters by walking its attributes in the order they were set:
a ``Value`` or a ``Tensor`` is a parameter, a ``Module`` is walked recursively, and lists or
tuples are walked element by element; attributes whose names start with ``_`` are skipped.
Names are dotted paths (``layers.0.neurons.1.bias``), as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd import Tensor, Value


def is_tensor(x: object) -> bool:
    """True if ``x`` is an :class:`autograd.Tensor` (the batch engine), not a scalar Value."""
    return isinstance(x, Tensor)


def zero_grads(params: Iterable[Any]) -> None:
    """Reset gradients: a Value's to 0.0, a Tensor's to None (allocated again by backward)."""
    for param in params:
        param.grad = 0.0 if type(param) is Value else None


class Module:
    """Base class: subclasses set parameters/submodules as attributes and define ``__call__``."""

    if TYPE_CHECKING:  # for the type checker only: every subclass defines its own

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """Yield ``(dotted name, parameter)`` for every parameter, each once, in order."""
        seen: set[int] = set()
        for name, param in _walk(self, prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def parameters(self) -> list[Any]:
        """Every parameter (Values or Tensors), in a fixed order."""
        return [param for _, param in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (gradients accumulate across ``backward`` calls)."""
        zero_grads(self.parameters())

    def num_parameters(self) -> int:
        """How many numbers the parameters hold."""
        return sum(np.size(param.data) for param in self.parameters())

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{dotted name: NumPy copy of the parameter}``."""
        return {name: np.array(param.data, copy=True) for name, param in self.named_parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into the parameters, after checking that keys and shapes match exactly.

        Nothing is changed unless every entry fits.

        Raises:
            KeyError: for missing or unexpected keys.
            ValueError: for an entry of the wrong shape.
        """
        own = dict(self.named_parameters())
        shapes = {name: np.shape(param.data) for name, param in own.items()}
        check_state(f"{type(self).__name__}.load_state_dict", shapes, state)
        for name, param in own.items():
            if type(param) is Value:
                param.data = float(state[name])
            else:
                param.data[...] = state[name]

    def _named_children(self) -> Mapping[Any, Any]:
        """What ``named_parameters`` walks: the attributes, in the order they were set."""
        return vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def check_state(
    owner: str,
    expected: Mapping[str, tuple[int, ...]],
    given: Mapping[str, Any],
    *,
    source: str = "a network of the same architecture",
) -> None:
    """Check a state dict against ``{key: expected shape}`` before anything is loaded from it.

    Shared by modules, optimizers and checkpoints, so all report a mismatch the same way.
    ``owner`` starts the message (e.g. ``"MLP.load_state_dict"``); ``source`` says where a
    fitting state comes from.

    Raises:
        KeyError: keys are missing or unexpected (the message lists both).
        ValueError: an entry has another shape than expected (the message names it).
    """
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    if missing or unexpected:
        raise KeyError(
            f"{owner}: keys do not match (missing: {missing}, unexpected: {unexpected}); "
            f"the state must come from {source}"
        )
    for key, shape in expected.items():
        if np.shape(given[key]) != tuple(shape):
            raise ValueError(
                f"{owner}: {key!r} has shape {np.shape(given[key])}, expected {tuple(shape)}"
            )


def _walk(item: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(item, Module):
        yield from _walk(item._named_children(), prefix)
    elif isinstance(item, dict):
        for key, value in item.items():
            if not str(key).startswith("_"):
                yield from _walk(value, f"{prefix}{key}.")
    elif isinstance(item, (list, tuple)):
        for index, value in enumerate(item):
            yield from _walk(value, f"{prefix}{index}.")
    elif type(item) is Value or isinstance(item, Tensor):
        yield prefix[:-1], item
