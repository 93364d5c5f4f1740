"""Tensor layers: a batch at a time, one graph node per layer.

``Linear`` is the article's z = Σ wᵢxᵢ + b for a whole layer and a whole batch at once,
Z = X·W + b, computed by one fused :func:`autograd.linear` node (so backward visits one node,
not a matmul and a broadcast add). Activations are modules too, so a network reads as the
list of what happens to the data::

    net = nn.Sequential(nn.Linear(784, 16), nn.Sigmoid(), nn.Linear(16, 10))

``Sequential`` names its parameters by position ("0.weight", "0.bias", "2.weight", ...): the
same keys a scalar :class:`nn.MLP` of the same sizes uses, so the two exchange weights.

``Dropout`` is the one layer that behaves differently while training: put the model in
training mode with ``net.train()`` and in evaluation mode with ``net.eval()`` (see
:class:`nn.Module`)::

    net = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Dropout(0.2), nn.Linear(100, 10))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from numbers import Real
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.ops import ELEMENTWISE
from nn.init import RngLike, generator, uniform_fan_in
from nn.module import Module, layer_sizes, whole_number


class Linear(Module):
    """A fully connected layer: ``x @ weight + bias`` for a batch ``x`` of shape (B, in).

    ``weight`` has shape (in, out) (the article's w_ij: input i to output j) and ``bias``
    (out,). Both start from U(±1/√in), PyTorch's default, drawn in float64 from ``rng`` (a
    Generator, an int seed, or None for the global generator of :func:`nn.manual_seed`) —
    weight first, then bias — and stored in ``dtype``.

    Raises:
        ValueError: for sizes that are not positive.
        TypeError: for a size that is not an int, or a ``dtype`` that is not floating.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        rng: RngLike = None,
        dtype: Any = np.float32,
    ) -> None:
        in_features = whole_number("Linear", "in_features", in_features, "16")
        out_features = whole_number("Linear", "out_features", out_features, "16")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be floating (float32 or float64), got {dtype}")
        rng = generator(rng)
        self.in_features, self.out_features = in_features, out_features
        weight = uniform_fan_in((in_features, out_features), in_features, rng)
        bias = uniform_fan_in((out_features,), in_features, rng)
        self.weight = Tensor(weight.astype(dtype), requires_grad=True)
        self.bias = Tensor(bias.astype(dtype), requires_grad=True)

    def __call__(self, x: Tensor, activation: str | None = None) -> Tensor:
        """``x @ weight + bias`` as one graph node; ``x`` is a Tensor (or array) (B, in).

        With ``activation`` (a name of :data:`ACTIVATIONS`), that activation of the result,
        fused into the same node (see :func:`autograd.linear`)."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.data.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): input has shape "
                f"{x.data.shape}, expected (batch, {self.in_features})"
            )
        return autograd.linear(x, self.weight, self.bias, activation)

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.weight.data.dtype})"


class Activation(Module):
    """An elementwise function of autograd's op table, as a layer: ``Activation("softplus")``.

    ``ReLU()``, ``Sigmoid()`` and ``Tanh()`` are the article's three, by name; they take no
    argument.

    Raises:
        ValueError: ``function`` is not an activation of the table (the message lists them).
        TypeError: an argument is given to ``ReLU``, ``Sigmoid``, ``Tanh`` (or another
            subclass naming its function): ``nn.ReLU("tanh")`` would compute tanh under the
            name ReLU, and ``nn.ReLU(True)`` is PyTorch's ``inplace``, which has no meaning here.
    """

    function = ""

    def __init__(self, function: str | None = None) -> None:
        fixed = type(self).function
        if fixed and function is not None:
            raise TypeError(
                f"nn.{type(self).__name__}() takes no argument, got {function!r}: it always "
                f"computes {fixed}; for another function write nn.layers.Activation(NAME), "
                'e.g. nn.layers.Activation("softplus") (PyTorch\'s inplace=True has no '
                "counterpart here)"
            )
        name = function if function is not None else fixed
        if name not in ELEMENTWISE or not ELEMENTWISE[name].activation:
            raise ValueError(
                f"Activation({name!r}): not an activation; choose one of {sorted(_TABLE_NAMES)}"
            )
        self.function = name

    def __call__(self, x: Tensor) -> Tensor:
        return getattr(x, self.function)()

    def __repr__(self) -> str:
        if type(self) is Activation:
            return f"Activation({self.function!r})"
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """max(x, 0), elementwise."""

    function = "relu"


class Sigmoid(Activation):
    """σ(x) = 1 / (1 + e^{-x}), elementwise."""

    function = "sigmoid"


class Tanh(Activation):
    """tanh(x), elementwise."""

    function = "tanh"


class Identity(Module):
    """x unchanged (the "linear" activation)."""

    def __call__(self, x: Tensor) -> Tensor:
        return x


class Dropout(Module):
    """Inverted dropout: while training, zero each entry with probability ``p``.

    In training mode (``model.train()``, the default) the output is ``x · mask``, where each
    entry of ``mask`` is 0 with probability ``p`` and 1/(1-p) otherwise (a Bernoulli(1-p)
    draw, scaled so that the expected output is ``x``): the survivors are scaled up now, so
    nothing needs rescaling at test time. The mask is a constant Tensor (no gradient, not a
    parameter, not saved) in ``x``'s dtype, so ∂out/∂x is the mask itself. A new mask is
    drawn at every call from ``rng``: a Generator, an int seed (a generator of this layer's
    own, seeded once), or None for the global generator of :func:`nn.manual_seed`.

    In evaluation mode (``model.eval()``), and for ``p=0``, it returns ``x`` itself.

    Raises:
        TypeError: ``p`` is not a real number, or ``rng`` is not a Generator, an int or None.
        ValueError: ``p`` is not in [0, 1) (p=1 would zero every entry and divide by 0).
    """

    def __init__(self, p: float = 0.5, *, rng: RngLike = None) -> None:
        if isinstance(p, bool) or not isinstance(p, Real):
            raise TypeError(
                f"Dropout: p must be a real number in [0, 1), got {type(p).__name__} ({p!r:.40})"
            )
        if not 0.0 <= float(p) < 1.0:  # NaN fails too
            raise ValueError(
                f"Dropout: p is the probability of zeroing an entry and must be in [0, 1), "
                f"got {p}; use e.g. Dropout(0.5), or Dropout(0.0) for no dropout"
            )
        self.p: float = float(p)
        # None stays None: the global generator is looked up at each call, so a later
        # nn.manual_seed reseeds this layer's masks too. Assign another Generator to `rng`
        # to reseed this layer alone (a training loop does it each epoch to repeat a run).
        self.rng: np.random.Generator | None = None if rng is None else generator(rng)

    def __call__(self, x: Tensor) -> Tensor:
        """``x`` times a fresh mask while training; ``x`` itself in evaluation mode or for p=0."""
        if not self.training or self.p == 0.0:
            return x
        if not isinstance(x, Tensor):
            x = Tensor(x)
        dtype = x.data.dtype
        keep = generator(self.rng).random(x.data.shape) >= self.p  # True with probability 1-p
        mask = keep.astype(dtype) * dtype.type(1.0 / (1.0 - self.p))
        return x * Tensor(mask)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


_TABLE_NAMES = [name for name, op in ELEMENTWISE.items() if op.activation]
_NAMED: dict[str, type[Activation]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}

#: Activation name -> a function making the layer: every activation of autograd's op table,
#: and "linear" (none).
ACTIVATIONS: dict[str, Callable[[], Module]] = {
    name: _NAMED.get(name, partial(Activation, name)) for name in _TABLE_NAMES
}
ACTIVATIONS["linear"] = Identity


def _fused_activation(module: Module, following: Module) -> str | None:
    """The activation to fuse into ``module`` when ``module`` then ``following`` may run as
    one node (a Linear layer, then an Activation layer, as this module defines them); None
    otherwise (a subclass that changes what either computes is called as it is)."""
    if (
        type(module).__call__ is Linear.__call__
        and isinstance(following, Activation)
        and type(following).__call__ is Activation.__call__
    ):
        return following.function
    return None


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Parameters are named by position: module k's ``weight`` is ``"k.weight"``.

    Raises:
        TypeError: if an argument is not a Module.
    """

    def __init__(self, *modules: Module) -> None:
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, not a Module "
                    "(write nn.ReLU(), not nn.ReLU or a function)"
                )
        self._modules = list(modules)

    def __call__(self, x: Tensor) -> Tensor:
        """Apply the modules in order. A :class:`Linear` followed by an :class:`Activation`
        (not the last module) runs as one fused node (``autograd.linear(x, w, b, "relu")``):
        the same numbers and gradients as the two modules one after the other, with one
        graph node instead of two. The last activation stays a node of its own, so that a
        loss can fuse with it (``nn.quadratic_cost`` reads a final sigmoid's input)."""
        modules = self._modules
        last = len(modules) - 1
        k = 0
        while k <= last:
            module = modules[k]
            activation = _fused_activation(module, modules[k + 1]) if k < last - 1 else None
            if activation is not None:
                x = module(x, activation=activation)
                k += 2
                continue
            x = module(x)
            k += 1
        return x

    def _named_children(self) -> dict[int, Module]:
        """Walked by ``named_parameters``: position k names module k ("k.weight", ...)."""
        return dict(enumerate(self._modules))

    def __getitem__(self, index: int) -> Module:
        return self._modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {module!r}" for i, module in enumerate(self._modules))
        return f"Sequential({inner}\n)"


def feedforward(
    nin: int,
    nouts: Sequence[int],
    activation: str = "relu",
    output_activation: str | None = None,
    *,
    rng: RngLike = None,
    dtype: Any = np.float32,
) -> Sequential:
    """The Tensor twin of :class:`nn.MLP`: ``Linear, activation, Linear, ..., Linear``.

    Same arguments and the same state-dict keys as ``nn.MLP(nin, nouts, activation,
    output_activation)``; weights are drawn layer by layer from ``rng`` (weight, then bias).
    ``feedforward(784, [16, 10], "sigmoid")`` is the article's MNIST network.

    Raises:
        ValueError: for an unknown activation name, no layers, or a size below 1.
        TypeError: for ``nouts`` that is not a list of sizes (``[3]``, not ``3``), or a size
            that is not an int.
    """
    sizes = layer_sizes("feedforward", nin, nouts)
    for name in (activation, output_activation):
        if name is not None and name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    rng = generator(rng)
    modules: list[Module] = []
    for k in range(len(nouts)):
        modules.append(Linear(sizes[k], sizes[k + 1], rng=rng, dtype=dtype))
        if k < len(nouts) - 1:  # an activation after every hidden layer keeps Linears at 2k
            modules.append(ACTIVATIONS[activation]())
        elif output_activation not in (None, "linear"):
            modules.append(ACTIVATIONS[output_activation]())
    return Sequential(*modules)
