"""``Module``: the base of every network — parameters, gradients, saving and loading.

A module finds its parameters by walking its attributes in the order they were set:
a ``Value``, or a ``Tensor`` with ``requires_grad=True``, is a parameter; a ``Module`` is walked
recursively, and lists or tuples are walked element by element; attributes whose names start
with ``_`` are skipped. Names are dotted paths (``layers.0.neurons.1.bias``), as in PyTorch.
An instance of a subclass of ``Value`` or ``Tensor`` is a parameter like any other: modules,
optimizers and checkpoints ask ``isinstance``, never for the exact class.

A Tensor attribute with ``requires_grad=False`` is a *constant* (a scale, a mask, a fixed
mean): it is not a parameter, so optimizers never move it (weight decay does not shrink it),
and it is not in ``state_dict()``: the constructor that set it sets it again when the model is
rebuilt. (PyTorch calls such tensors buffers and saves them; here the state is the parameters
only.) Freezing a parameter by setting its ``requires_grad`` to False therefore also takes it
out of ``parameters()`` and ``state_dict()``.

**Training and evaluation mode.** Every module has a ``training`` flag, True for a new module.
``model.train()`` and ``model.eval()`` set it on the model and on every submodule (found by
the same walk as the parameters), as in PyTorch. Only layers that behave differently while
training read it (:class:`nn.Dropout`); it is a plain bool, so it is neither a parameter nor
part of ``state_dict()`` or a checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from autograd import Tensor, Value

# train() and eval() return the module itself, typed as its own class (Python 3.10 has no Self).
ModuleT = TypeVar("ModuleT", bound="Module")


def is_tensor(x: object) -> bool:
    """True if ``x`` is an :class:`autograd.Tensor` (the batch engine), not a scalar Value."""
    return isinstance(x, Tensor)


def zero_grads(params: Iterable[Any]) -> None:
    """Reset gradients: a Value's to 0.0, a Tensor's to None (allocated again by backward)."""
    for param in params:
        param.grad = 0.0 if isinstance(param, Value) else None


def whole_number(owner: str, name: str, value: Any, example: str, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum`` (a layer size, a seed, a number of epochs),
    or an error naming ``owner``'s argument ``name`` with ``example`` of a good value.

    Raises:
        TypeError: ``value`` is not an int (a float such as 16.0, a string, None, a bool).
        ValueError: ``value`` is below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{owner}: {name} must be a whole number, such as {example}, not "
            f"{type(value).__name__} ({value!r:.40})"
        )
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be {minimum} or more, got {value}")
    return int(value)


def layer_sizes(owner: str, nin: Any, nouts: Any) -> list[int]:
    """``[nin, *nouts]`` checked: ``nouts`` is a list (or tuple) of at least one size.

    Raises:
        TypeError: ``nouts`` is not a list of sizes (a lone int: write ``[3]``), or a size
            is not an int.
        ValueError: ``nouts`` is empty, or a size is below 1.
    """
    if isinstance(nouts, str) or not isinstance(nouts, (Sequence, np.ndarray)):
        raise TypeError(
            f"{owner}: nouts must be a list of layer sizes, one per layer, the last the "
            f"outputs (e.g. [16, 10]; one layer of 3 is [3]), not {type(nouts).__name__} "
            f"({nouts!r})"
        )
    if len(nouts) == 0:
        raise ValueError(f"{owner}: nouts must name at least one layer size")
    sizes = [whole_number(owner, "nin", nin, "16")]
    sizes += [whole_number(owner, f"nouts[{k}]", size, "16") for k, size in enumerate(nouts)]
    return sizes


class Module:
    """Base class: subclasses set parameters/submodules as attributes and define ``__call__``."""

    if TYPE_CHECKING:  # for the type checker only: every subclass defines its own

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    # A class attribute, so a new module is in training mode even when its subclass's
    # __init__ does not call Module.__init__; train() and eval() set it on the instance.
    training: bool = True

    def train(self: ModuleT, mode: bool = True) -> ModuleT:
        """Set training mode (``mode=True``) or evaluation mode on this module and every
        submodule; return this module, so ``model = Net().train()`` reads naturally.

        Raises:
            TypeError: ``mode`` is not True or False.
        """
        if not isinstance(mode, (bool, np.bool_)):  # "False" or 0.5 would be true
            raise TypeError(
                f"{type(self).__name__}.train: mode must be True or False, not "
                f"{type(mode).__name__} ({mode!r:.40}); use model.eval() for evaluation mode"
            )
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self: ModuleT) -> ModuleT:
        """Set evaluation mode on this module and every submodule (``train(False)``); return it.

        In evaluation mode :class:`nn.Dropout` passes its input through unchanged.
        """
        return self.train(False)

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, each once, in the order parameters are named."""
        seen: set[int] = set()
        for _, item in _walk(self, ""):
            if isinstance(item, Module) and id(item) not in seen:
                seen.add(id(item))
                yield item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """Yield ``(dotted name, parameter)`` for every parameter, each once, in order."""
        seen: set[int] = set()
        for name, param in _walk(self, prefix):
            if _is_parameter(param) and id(param) not in seen:
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
        """``{dotted name: NumPy copy of the parameter}`` (parameters only, not constants)."""
        return {name: np.array(param.data, copy=True) for name, param in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy arrays into the parameters, after checking every entry.

        Each entry must have the parameter's key and shape and hold real numbers (integers or
        floats, as an array or a nested list) that fit in the parameter's dtype.
        Everything is checked before anything is copied: on any error no parameter changes.

        Raises:
            KeyError: for missing or unexpected keys.
            TypeError: ``state`` is not a mapping, or an entry holds no real numbers (strings,
                None, booleans, complex numbers, objects).
            ValueError: an entry has the wrong shape or holds NaN or infinity (also after
                conversion, e.g. 1e300 into float32), or a parameter is read-only.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        own = dict(self.named_parameters())
        expected = {name: _shape_and_dtype(owner, name, param) for name, param in own.items()}
        checked = validated_state(owner, expected, state)
        for name, param in own.items():
            if isinstance(param, Value):
                param.data = float(checked[name])
            else:
                param.data[...] = checked[name]

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
    check_keys(owner, expected, given, source=source)
    for key, shape in expected.items():
        if np.shape(given[key]) != tuple(shape):
            raise ValueError(
                f"{owner}: {key!r} has shape {np.shape(given[key])}, expected {tuple(shape)}"
            )


def check_keys(
    owner: str,
    expected: Iterable[str],
    given: Iterable[str],
    *,
    source: str = "a network of the same architecture",
) -> None:
    """Check that a state has exactly the expected keys (see :func:`check_state`).

    Raises:
        KeyError: keys are missing or unexpected (the message lists both).
    """
    expected, given = set(expected), set(given)
    missing = sorted(expected - given, key=str)
    unexpected = sorted(given - expected, key=str)
    if missing or unexpected:
        raise KeyError(
            f"{owner}: keys do not match (missing: {missing}, unexpected: {unexpected}); "
            f"the state must come from {source}"
        )


def validated_state(
    owner: str,
    expected: Mapping[str, tuple[tuple[int, ...], np.dtype]],
    given: Any,
    *,
    source: str = "a network of the same architecture",
) -> dict[str, np.ndarray]:
    """Check a state dict entry by entry and return it as arrays of the expected dtypes.

    ``expected`` maps each key to ``(shape, dtype)``. Every entry is converted (a Tensor's
    ``data``, a NumPy array, a number or a nested list of numbers) and checked before the
    caller changes anything, so a bad last entry cannot leave the first ones loaded.

    Raises:
        KeyError: keys are missing or unexpected (the message lists both).
        TypeError: ``given`` is not a mapping, or an entry does not hold real numbers.
        ValueError: an entry has another shape, or finite values that overflow the expected dtype.
    """
    if not isinstance(given, Mapping):
        raise TypeError(
            f"{owner}: expected a dict of arrays (from state_dict()), got {type(given).__name__}"
        )
    check_keys(owner, expected, given, source=source)
    checked: dict[str, np.ndarray] = {}
    for key, (shape, dtype) in expected.items():
        checked[key] = _validated_entry(owner, key, shape, np.dtype(dtype), given[key], source)
    return checked


def _validated_entry(
    owner: str, key: str, shape: tuple[int, ...], dtype: np.dtype, value: Any, source: str
) -> np.ndarray:
    wanted = f"real numbers of shape {tuple(shape)} (stored as {dtype})"
    fix = f"the state must come from {source}"
    if isinstance(value, Tensor):
        value = value.data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # e.g. a ragged nested list
        raise ValueError(
            f"{owner}: {key!r} is not an array ({error}); expected {wanted}; {fix}"
        ) from None
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{owner}: {key!r} holds {_kind_name(array.dtype)} (dtype {array.dtype}, "
            f"{value!r:.60}), expected {wanted}; {fix}"
        )
    if array.shape != tuple(shape):
        raise ValueError(
            f"{owner}: {key!r} has shape {array.shape}, expected {tuple(shape)}; {fix}"
        )
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below
        converted = array.astype(dtype)
    # NaN and infinity that were saved are data (a diverged run can be inspected); a finite
    # number that only became infinite in the conversion (1e300 into float32) is corruption.
    overflowed = np.isfinite(array) & ~np.isfinite(converted)
    if np.any(overflowed):
        raise ValueError(
            f"{owner}: {key!r} holds values too large for {dtype} (got {value!r:.60}); "
            f"expected {wanted}; {fix}"
        )
    return converted


def _kind_name(dtype: np.dtype) -> str:
    names = {"U": "strings", "S": "bytes", "O": "Python objects such as None", "b": "booleans"}
    return names.get(dtype.kind, "complex numbers" if dtype.kind == "c" else "non-numbers")


def _shape_and_dtype(owner: str, name: str, param: Any) -> tuple[tuple[int, ...], np.dtype]:
    """What a state entry for ``param`` must look like; a read-only Tensor cannot be loaded."""
    if isinstance(param, Value):
        return (), np.dtype(np.float64)
    if not param.data.flags.writeable:
        raise ValueError(
            f"{owner}: parameter {name!r} holds a read-only array, so nothing can be loaded "
            "into it; give it a writable array (param.data = param.data.copy())"
        )
    return param.data.shape, param.data.dtype


def _is_parameter(item: Any) -> bool:
    """A Value, or a Tensor that needs a gradient (one that needs none is a constant)."""
    return isinstance(item, Value) or (isinstance(item, Tensor) and item.requires_grad)


def _walk(item: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted name, item)`` for every module and every leaf below ``item``, in order.

    A module comes before what it holds; attributes whose names start with ``_`` are skipped.
    """
    if isinstance(item, Module):
        yield prefix[:-1], item
        item = item._named_children()
    if isinstance(item, dict):
        for key, value in item.items():
            if not str(key).startswith("_"):
                yield from _walk(value, f"{prefix}{key}.")
    elif isinstance(item, (list, tuple)):
        for index, value in enumerate(item):
            yield from _walk(value, f"{prefix}{index}.")
    else:
        yield prefix[:-1], item
