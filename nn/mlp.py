"""Networks built from scalar ``Value``s: a neuron, a layer of neurons, a stack of layers.

This is the article's picture taken literally: a neuron computes z = Σ wᵢxᵢ + b and passes
it through an activation; a layer is neurons side by side; an MLP is layers in a row. It is
slow next to the Tensor networks of :mod:`nn.layers`, but every number is a node you can
inspect, draw and check by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograd import Value, weighted_sum
from autograd.ops import ELEMENTWISE
from nn.init import RngLike, generator, uniform_fan_in
from nn.module import Module, layer_sizes, validated_state, whole_number

#: Activation name -> the Value method: every activation of autograd's op table, and
#: "linear" (none).
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    name: getattr(Value, name) for name, op in ELEMENTWISE.items() if op.activation
}
ACTIVATIONS["linear"] = None


def _activation(name: str | None) -> Callable[[Value], Value] | None:
    if name is None:
        return None
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None


class Neuron(Module):
    """One unit: ``activation(w·x + b)``.

    Weights and bias start from U(±1/√nin), drawn from ``rng`` (a Generator, an int seed, or
    None for the global generator of :func:`nn.manual_seed`). ``activation`` is "sigmoid",
    "relu", "tanh", "softplus" or "linear" (no activation).

    Raises:
        ValueError: for ``nin`` < 1 or an unknown activation. Calling it with the wrong
            number of inputs raises ValueError too.
        TypeError: for a ``nin`` that is not an int.
    """

    def __init__(self, nin: int, activation: str = "relu", *, rng: RngLike = None) -> None:
        nin = whole_number("Neuron", "nin", nin, "16")
        values = uniform_fan_in((nin + 1,), nin, rng)
        self.weights = [Value(float(w)) for w in values[:nin]]
        self.bias = Value(float(values[nin]))
        self.activation = activation
        self._activate = _activation(activation)

    def __call__(self, inputs: Sequence[Value | float]) -> Value:
        if len(inputs) != len(self.weights):
            raise ValueError(f"Neuron: expected {len(self.weights)} inputs, got {len(inputs)}")
        z = weighted_sum(self.weights, inputs, self.bias)  # the article's z = Σ wᵢxᵢ + b
        return z if self._activate is None else self._activate(z)

    def __repr__(self) -> str:
        return f"Neuron({len(self.weights)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same inputs. Calling it always returns a list.

    Raises:
        ValueError: for ``nin`` or ``nout`` < 1, or an unknown activation.
        TypeError: for a size that is not an int.
    """

    def __init__(
        self, nin: int, nout: int, activation: str = "relu", *, rng: RngLike = None
    ) -> None:
        nout = whole_number("Layer", "nout", nout, "16")
        rng = generator(rng)  # one generator for all neurons: an int seed must not repeat
        self.neurons = [Neuron(nin, activation, rng=rng) for _ in range(nout)]

    def __call__(self, inputs: Sequence[Value | float]) -> list[Value]:
        return [neuron(inputs) for neuron in self.neurons]

    def weight_matrix(self) -> np.ndarray:
        """The weights as an (in, out) array: column j holds neuron j's weights."""
        return np.array([[w.data for w in n.weights] for n in self.neurons]).T

    def bias_vector(self) -> np.ndarray:
        """The biases as an (out,) array: entry j is neuron j's bias."""
        return np.array([n.bias.data for n in self.neurons])

    def __repr__(self) -> str:
        nin = len(self.neurons[0].weights)
        return f"Layer({nin}, {len(self.neurons)}, activation={self.neurons[0].activation!r})"


class MLP(Module):
    """A multilayer perceptron of scalar Values.

    ``MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")`` is the article's
    XOR network. ``activation`` applies to the hidden layers; the last layer is linear unless
    ``output_activation`` is given. Calling the model on a list of numbers or Values returns
    a list of Values (always a list, even for one output).

    State dict mapping (shared with the Tensor networks): layer k's weights are stored as
    an (in, out) array under ``"{2k}.weight"`` and its biases under ``"{2k}.bias"`` — the
    keys of the equivalent ``nn.Sequential(Linear, activation, Linear, ...)``, where each
    Linear sits at an even position with its activation after it.

    Raises:
        ValueError: for no layers (``nouts`` empty), a size < 1, or an unknown activation.
        TypeError: for ``nouts`` that is not a list of sizes (``MLP(2, [3])``, not
            ``MLP(2, 3)``), or a size that is not an int.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str | None = None,
        *,
        rng: RngLike = None,
    ) -> None:
        sizes = layer_sizes("MLP", nin, nouts)
        _activation(activation)
        _activation(output_activation)
        rng = generator(rng)
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < len(nouts) - 1 else (output_activation or "linear"),
                rng=rng,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, inputs: Sequence[Value | float]) -> list[Value]:
        x: list[Any] = [v if isinstance(v, Value) else float(v) for v in inputs]
        for layer in self.layers:
            x = layer(x)
        return x

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"0.weight": (in, out), "0.bias": (out,), "2.weight": ..., ...}`` (float64)."""
        state = {}
        for k, layer in enumerate(self.layers):
            state[f"{2 * k}.weight"] = layer.weight_matrix()
            state[f"{2 * k}.bias"] = layer.bias_vector()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load weights saved by ``state_dict`` (of this MLP or of an equivalent Sequential).

        Every entry must have the right key and shape and hold finite real numbers (any
        float or integer dtype; they are stored as float64). Everything is checked first:
        on any error no weight changes.

        Raises:
            KeyError: for missing or unexpected keys.
            TypeError: ``state`` is not a mapping, or an entry holds no real numbers
                (strings, None, booleans, complex numbers).
            ValueError: an entry has the wrong shape or values that overflow float64.
        """
        expected = {
            name: (array.shape, np.dtype(np.float64)) for name, array in self.state_dict().items()
        }
        checked = validated_state("MLP.load_state_dict", expected, state)
        for k, layer in enumerate(self.layers):
            weights, biases = checked[f"{2 * k}.weight"], checked[f"{2 * k}.bias"]
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.weights):
                    w.data = float(weights[i, j])
                neuron.bias.data = float(biases[j])

    def __repr__(self) -> str:
        return "MLP(" + ", ".join(map(repr, self.layers)) + ")"
