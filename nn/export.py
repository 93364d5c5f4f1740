"""Leaving chaingrad for a bigger engine: the same network in PyTorch and in ONNX.

A learner who outgrows chaingrad takes the trained weights along::

    torch_model = nn.export.to_torch(model)            # a torch.nn.Sequential, same outputs
    state = nn.export.to_torch_state_dict(model)       # for a torch.nn.Sequential you built
    nn.export.from_torch_state_dict(torch_model, model)  # and back, after training in PyTorch
    model = nn.export.from_torch(torch_model)          # or a new chaingrad network from it
    nn.export.to_onnx(model, "model.onnx", (784,))     # for ONNX Runtime and its kin

**One convention differs.** chaingrad's ``Linear`` stores its weight as (in, out), the
article's w_ij from input i to output j, so that a layer is ``x @ W + b``; PyTorch's stores
(out, in) and computes ``x @ W.T + b``. The keys are the same (``"0.weight"``, ``"0.bias"``,
``"2.weight"``: position k in the Sequential, activations and dropout layers counted too), so
a chaingrad state dict loads into a ``torch.nn.Sequential`` of a square layer without any
error, transposed and wrong. Every function here transposes.

**What maps.** A :class:`nn.Sequential` (nested ones too) of ``Linear``, the activations of
:data:`nn.layers.ACTIVATIONS` (``ReLU``, ``Sigmoid``, ``Tanh``, ``Activation("softplus")``,
``Identity``) and ``Dropout``; and a scalar :class:`nn.MLP`, whose equivalent is
``Linear, activation, Linear, ..., Linear[, output activation]`` (a hidden "linear"
activation is an ``Identity``, so its Linears keep the positions 0, 2, 4 of its state dict).
Anything else is refused with its name (ValueError): an export that silently dropped a layer
would give other numbers.

**Numbers.** Weights keep their dtype (the scalar MLP's are float64). PyTorch's ``Softplus``
returns x itself above x = 20, where log(1 + eˣ) differs from x by less than 2.1e-9.
Dropout draws its masks from another generator in PyTorch, so only evaluation mode
(``model.eval()``) gives the same numbers in both.

PyTorch, ``onnx`` and ONNX Runtime are chaingrad's ``interop`` extra; they are imported only
when a function needs them, and their absence is an ImportError naming the extra.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from autograd.files import write_atomically
from nn.layers import Activation, Dropout, Identity, Linear, ReLU, Sequential, Sigmoid, Tanh
from nn.mlp import MLP
from nn.module import Module, validated_state

__all__ = [
    "ONNX_OPSET",
    "from_torch",
    "from_torch_state_dict",
    "to_onnx",
    "to_torch",
    "to_torch_state_dict",
]

ONNX_OPSET = 17
"""The ONNX operator set the exported models declare (ONNX Runtime 1.14 and later run it)."""

INSTALL = "pip install 'chaingrad[interop]' (or pip install -e '.[interop]' in a checkout)"

# chaingrad's activation name -> PyTorch's module class and ONNX's operator (same names in both).
_ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus"}
_ONNX_OPERATORS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus"}
_ACTIVATION_CLASSES = (Activation, ReLU, Sigmoid, Tanh)
_KNOWN = (
    "Linear, ReLU, Sigmoid, Tanh, Activation('softplus'), Identity, Dropout and Sequential "
    "(or a scalar MLP)"
)


@dataclass
class _Layer:
    """One layer of the network as the export sees it, whichever engine it came from.

    ``kind`` is "linear" (``weight`` (in, out) and ``bias`` (out,), chaingrad's layout),
    "activation" (``name`` from ``_ACTIVATIONS``), "identity", "dropout" (``p``) or
    "sequential" (``children``).
    """

    kind: str
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    name: str = ""
    p: float = 0.0
    children: list[_Layer] = field(default_factory=list)


def _layers(model: Any, who: str) -> list[_Layer]:
    """The layers of a Sequential or a scalar MLP, in order.

    Raises:
        ValueError: a layer (or the model) that has no PyTorch and ONNX counterpart here.
    """
    if type(model) is Sequential:
        return [_sequential_layer(module, str(index), who) for index, module in enumerate(model)]
    if type(model) is MLP:
        return _mlp_layers(model, who)
    raise ValueError(
        f"{who}: cannot export a {type(model).__name__} ({model!r:.80}); the export maps an "
        f"nn.Sequential of {_KNOWN}"
    )


def _sequential_layer(module: Module, key: str, who: str) -> _Layer:
    kind = type(module)  # exact classes: a subclass may compute something else
    if kind is Linear:
        linear: Any = module
        return _Layer("linear", weight=linear.weight.data, bias=linear.bias.data)
    if kind in _ACTIVATION_CLASSES and getattr(module, "function", None) in _ACTIVATIONS:
        return _Layer("activation", name=getattr(module, "function", ""))
    if kind is Identity:
        return _Layer("identity")
    if kind is Dropout:
        return _Layer("dropout", p=getattr(module, "p", 0.0))
    if kind is Sequential:
        inner: Any = module
        return _Layer(
            "sequential",
            children=[
                _sequential_layer(child, f"{key}.{index}", who) for index, child in enumerate(inner)
            ],
        )
    raise ValueError(
        f"{who}: layer {key} is {module!r:.80} (a {kind.__name__}), which has no PyTorch and "
        f"ONNX counterpart here; the export maps {_KNOWN}. Replace it, or export the layers "
        "before it"
    )


def _mlp_layers(model: MLP, who: str) -> list[_Layer]:
    """``Linear, activation, ..., Linear[, output activation]``: the MLP's state-dict keys."""
    layers: list[_Layer] = []
    last = len(model.layers) - 1
    for k, layer in enumerate(model.layers):
        names = {neuron.activation for neuron in layer.neurons}
        if len(names) != 1 or not names <= {*_ACTIVATIONS, "linear"}:
            raise ValueError(
                f"{who}: MLP layer {k} has neurons with the activations {sorted(names)}; the "
                f"export maps one activation per layer, one of {sorted(_ACTIVATIONS)} or linear"
            )
        layers.append(_Layer("linear", weight=layer.weight_matrix(), bias=layer.bias_vector()))
        (name,) = names
        if name != "linear":
            layers.append(_Layer("activation", name=name))
        elif k < last:  # keeps the next Linear at the even position its state-dict key names
            layers.append(_Layer("identity"))
    return layers


def _named(layers: list[_Layer], prefix: str = "") -> Iterator[tuple[str, _Layer]]:
    """``(key prefix, layer)`` for every layer, nested ones flattened, in order: the prefix is
    what PyTorch's Sequential puts before ``weight`` ("0.", "2.", "1.0.")."""
    for index, layer in enumerate(layers):
        if layer.kind == "sequential":
            yield from _named(layer.children, f"{prefix}{index}.")
        else:
            yield f"{prefix}{index}.", layer


def _linears(layers: list[_Layer]) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """``(key prefix, weight (in, out), bias)`` for every Linear."""
    for prefix, layer in _named(layers):
        if layer.kind == "linear":
            assert layer.weight is not None and layer.bias is not None
            yield prefix, layer.weight, layer.bias


def _import(package: str, who: str) -> Any:
    """``importlib.import_module(package)``, or an ImportError saying how to install it.

    (Imported by name, so the type checker does not read all of PyTorch for this module.)
    """
    try:
        return importlib.import_module(package)
    except ImportError as error:
        raise ImportError(
            f"{who} needs {package}, which is not installed: it is part of chaingrad's "
            f"`interop` extra; {INSTALL}. For PyTorch take the CPU wheel: pip install "
            "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
        ) from error


# ---------------------------------------------------------------------------------- PyTorch


def to_torch_state_dict(model: Module, *, numpy: bool = False) -> dict[str, Any]:
    """The state dict of the equivalent ``torch.nn.Sequential``: weights transposed to
    PyTorch's (out, in), keys by position ("0.weight", "0.bias", "2.weight", ...), dtypes
    as the model's.

    The values are ``torch.Tensor``s, as ``torch.nn.Module.load_state_dict`` needs; with
    ``numpy=True`` they are NumPy arrays (to save or inspect without PyTorch). Either way
    they are copies: changing them leaves ``model`` alone.

    Raises:
        ValueError: ``model`` holds a layer with no PyTorch counterpart (named in the message).
        ImportError: PyTorch is not installed (and ``numpy`` is False).
    """
    who = "nn.export.to_torch_state_dict"
    state: dict[str, Any] = {}
    for prefix, weight, bias in _linears(_layers(model, who)):
        state[prefix + "weight"] = np.array(weight.T, order="C")  # (in, out) -> (out, in)
        state[prefix + "bias"] = np.array(bias)
    if numpy:
        return state
    torch = _import("torch", who)
    # torch.from_numpy refuses arrays in the other byte order (big-endian weights here)
    return {key: torch.from_numpy(_native_order(array)) for key, array in state.items()}


def _native_order(array: np.ndarray) -> np.ndarray:
    """``array`` in the machine's byte order (itself when it already is)."""
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def to_torch(model: Module) -> Any:
    """A ``torch.nn.Sequential`` computing what ``model`` computes, with its weights.

    Layer for layer: ``Linear`` → ``torch.nn.Linear``; ``ReLU``, ``Sigmoid``, ``Tanh``,
    ``Activation("softplus")``, ``Identity`` → the ``torch.nn`` module of that name;
    ``Dropout(p)`` → ``torch.nn.Dropout(p)``; a nested ``Sequential`` → a nested one. A
    scalar MLP becomes ``Linear, activation, ..., Linear[, output activation]``. The torch
    module is in training or evaluation mode as ``model`` is, and its parameters have the
    model's dtypes. PyTorch's random generator is not used.

    Raises:
        ValueError: ``model`` holds a layer with no PyTorch counterpart (named in the message).
        ImportError: PyTorch is not installed.
    """
    who = "nn.export.to_torch"
    layers = _layers(model, who)
    torch = _import("torch", who)
    module = _torch_module(torch, _Layer("sequential", children=layers))
    module.load_state_dict(to_torch_state_dict(model))  # strict: every key and shape checked
    return module.train(model.training)


def _torch_module(torch: Any, layer: _Layer) -> Any:
    if layer.kind == "linear":
        assert layer.weight is not None
        n_in, n_out = layer.weight.shape
        # The weight's dtype in torch's terms, from an empty array: the weight itself may
        # have negative strides or big-endian numbers, which torch.from_numpy refuses.
        dtype = torch.from_numpy(np.empty(0, layer.weight.dtype.newbyteorder("="))).dtype
        # skip_init: no random initial weights (they are loaded next), PyTorch's RNG untouched.
        return torch.nn.utils.skip_init(torch.nn.Linear, n_in, n_out, dtype=dtype)
    if layer.kind == "activation":
        return getattr(torch.nn, _ACTIVATIONS[layer.name])()
    if layer.kind == "identity":
        return torch.nn.Identity()
    if layer.kind == "dropout":
        return torch.nn.Dropout(layer.p)
    return torch.nn.Sequential(*(_torch_module(torch, child) for child in layer.children))


def from_torch_state_dict(source: Any, model: Module) -> Module:
    """Load PyTorch's weights into the chaingrad ``model`` (in place) and return it.

    ``source`` is the ``torch.nn.Sequential`` itself (its ``state_dict()`` is read) or a
    state dict: a mapping of keys to ``torch.Tensor``s or NumPy arrays in PyTorch's layout,
    such as :func:`to_torch_state_dict` gives, ``torch.load`` reads, or a
    DistributedDataParallel run's ``ddp.module.state_dict()``. A state dict holds no
    activations, so the network it goes into is given: one whose :func:`to_torch` twin has
    exactly these keys. Weights are transposed back to (in, out) and stored in the model's
    dtypes. Every entry is checked (key, shape, real numbers that fit the dtype) before any
    weight changes.

    Raises:
        ValueError: ``model`` holds a layer with no PyTorch counterpart, or an entry has the
            wrong shape or values that overflow the model's dtype.
        KeyError: keys are missing or unexpected (the message lists both).
        TypeError: ``source`` is neither a module nor a mapping, or an entry is not numbers.
    """
    who = "nn.export.from_torch_state_dict"
    layers = _layers(model, who)
    state = source.state_dict() if callable(getattr(source, "state_dict", None)) else source
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{who}: expected a torch.nn.Module or its state_dict(), got {type(source).__name__}"
        )
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for prefix, weight, bias in _linears(layers):
        expected[prefix + "weight"] = (weight.shape[::-1], weight.dtype)
        expected[prefix + "bias"] = (bias.shape, bias.dtype)
    origin = "the torch.nn.Sequential that nn.export.to_torch(model) builds, or its state_dict()"
    if all(str(key).startswith("module.") for key in state) and state:
        origin += " (these keys start with 'module.': pass ddp.module, not the DDP wrapper)"
    arrays = {key: _as_numpy(value) for key, value in state.items()}
    checked = validated_state(who, expected, arrays, source=origin)
    weights = {prefix + "weight" for prefix, _, _ in _linears(layers)}
    model.load_state_dict(
        {key: value.T if key in weights else value for key, value in checked.items()}
    )
    return model


def from_torch(module: Any) -> Sequential:
    """The chaingrad :class:`nn.Sequential` computing what the ``torch.nn.Sequential``
    ``module`` computes, with its weights: the way back from :func:`to_torch`.

    Layer for layer: ``torch.nn.Linear`` (with a bias) → ``Linear`` (weight transposed to
    (in, out), dtype float32 or float64 as PyTorch's); ``ReLU``, ``Sigmoid``, ``Tanh``,
    ``Identity`` → the chaingrad layer of that name; ``Softplus()`` (beta 1) →
    ``Activation("softplus")``; ``Dropout(p)`` → ``Dropout(p)``; a nested Sequential → a
    nested one. The result is in training or evaluation mode as ``module`` is. chaingrad's
    global generator is not used.

    Raises:
        ValueError: a layer with no chaingrad counterpart (named in the message): another
            module, a Linear without bias or of another dtype, a Softplus with beta ≠ 1.
        TypeError: ``module`` is not a ``torch.nn.Sequential``.
    """
    who = "nn.export.from_torch"
    torch = _import("torch", who)
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            f"{who}: expected a torch.nn.Sequential, got {type(module).__name__}; for a "
            "state dict, build the chaingrad network and use from_torch_state_dict"
        )
    model = _chaingrad_module(torch, module, "", who)
    from_torch_state_dict(module, model)
    return model.train(module.training)


def _chaingrad_module(torch: Any, layer: Any, key: str, who: str) -> Any:
    kinds: dict[Any, type[Module]] = {torch.nn.ReLU: ReLU, torch.nn.Sigmoid: Sigmoid}
    kinds.update({torch.nn.Tanh: Tanh, torch.nn.Identity: Identity})
    problem = "has no chaingrad counterpart"
    if type(layer) is torch.nn.Sequential:
        return Sequential(
            *(
                _chaingrad_module(torch, child, f"{key}.{index}" if key else str(index), who)
                for index, child in enumerate(layer)
            )
        )
    if type(layer) is torch.nn.Linear:
        dtype = np.dtype(str(layer.weight.dtype).removeprefix("torch."))
        if layer.bias is not None and dtype in (np.float32, np.float64):
            # rng=0: a generator of its own (the weights are overwritten next), so the
            # global one that nn.manual_seed seeds is left where it was.
            return Linear(layer.in_features, layer.out_features, rng=0, dtype=dtype)
        problem = "has no bias" if layer.bias is None else f"holds {dtype} weights"
        problem += ", but chaingrad's Linear has a bias and float32 or float64 weights"
    elif type(layer) in kinds:
        return kinds[type(layer)]()
    elif type(layer) is torch.nn.Softplus and layer.beta == 1 and layer.threshold >= 20:
        return Activation("softplus")
    elif type(layer) is torch.nn.Dropout:
        return Dropout(layer.p)
    raise ValueError(
        f"{who}: layer {key} is {layer!r:.80} (torch.nn.{type(layer).__name__}), which "
        f"{problem}; the way back maps torch.nn.Linear, ReLU, Sigmoid, Tanh, Softplus(), "
        "Identity, Dropout and Sequential"
    )


def _as_numpy(value: Any) -> Any:
    """A torch.Tensor as a NumPy array (detached, on the CPU); anything else unchanged."""
    if callable(getattr(value, "detach", None)) and callable(getattr(value, "numpy", None)):
        return value.detach().cpu().numpy()
    return value


# ------------------------------------------------------------------------------------- ONNX


def to_onnx(
    model: Module, path: str | os.PathLike[str], input_shape: int | tuple[int | None, ...]
) -> Path:
    """Write ``model`` as an ONNX model to ``path`` (atomically) and return the path.

    ``input_shape`` is the shape of one example, ``(784,)`` (or ``784``, or ``(None, 784)``
    with the batch dimension written out); the batch dimension is always free, named
    "batch". The graph reads the input "input" of shape (batch, features) and gives "output"
    (batch, outputs): each ``Linear`` is a ``Gemm`` node (the weight kept in chaingrad's
    (in, out) layout, so Y = X·W + b as in the article), each activation the ONNX operator
    of its name (Relu, Sigmoid, Tanh, Softplus); ``Identity`` and ``Dropout`` (which does
    nothing at inference) leave no node. The weights are the graph's initializers, named
    by their state-dict keys. Opset :data:`ONNX_OPSET`; element type float32 or float64
    as the model's. The model passes ``onnx.checker.check_model(full_check=True)`` before
    it is written; the file is written as checkpoints are (a temporary file renamed over
    ``path``), so a failure leaves the old file, or none.

    Raises:
        ValueError: ``model`` holds a layer with no ONNX counterpart (named in the message),
            its layers have different dtypes or one other than float32 and float64, or
            ``input_shape`` does not fit the first Linear.
        TypeError: ``input_shape`` is not a positive int or a tuple of them.
        ImportError: the ``onnx`` package is not installed.
        OSError: ``path`` cannot be written.
    """
    who = "nn.export.to_onnx"
    named = list(_named(_layers(model, who)))  # nested Sequentials flattened
    flat = [layer for _, layer in named]
    features = _features(input_shape, flat, who)
    dtype = _one_dtype(flat, who)
    onnx = _import("onnx", who)
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    nodes, initializers = [], []
    current, outputs = "input", features
    for index, (prefix, layer) in enumerate(named):
        produced = f"{prefix}output"
        if layer.kind == "linear":
            assert layer.weight is not None and layer.bias is not None
            weight, bias = prefix + "weight", prefix + "bias"
            initializers.append(numpy_helper.from_array(np.asarray(layer.weight), weight))
            initializers.append(numpy_helper.from_array(np.asarray(layer.bias), bias))
            nodes.append(helper.make_node("Gemm", [current, weight, bias], [produced], f"{index}"))
            outputs = layer.weight.shape[1]
        elif layer.kind == "activation" and layer.name == "softplus" and dtype == np.float64:
            nodes.extend(_softplus_nodes(helper, current, produced, f"{index}"))
            if not any(tensor.name == "one" for tensor in initializers):
                initializers.append(numpy_helper.from_array(np.ones((), np.float64), "one"))
        elif layer.kind == "activation":
            operator = _ONNX_OPERATORS[layer.name]
            nodes.append(helper.make_node(operator, [current], [produced], f"{index}"))
        else:  # identity, dropout: nothing happens at inference
            continue
        current = produced
    if nodes:
        nodes[-1].output[0] = "output"
    else:  # no computing layer at all: the output is the input
        nodes.append(helper.make_node("Identity", ["input"], ["output"], "identity"))
    element = helper.np_dtype_to_tensor_dtype(dtype)
    graph = helper.make_graph(
        nodes,
        "chaingrad",
        [helper.make_tensor_value_info("input", element, ["batch", features])],
        [helper.make_tensor_value_info("output", element, ["batch", outputs])],
        initializer=initializers,
    )
    opsets = [helper.make_opsetid("", ONNX_OPSET)]
    onnx_model = helper.make_model(
        graph,
        opset_imports=opsets,
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="chaingrad",
        producer_version=autograd.__version__,
        doc_string=f"Exported by chaingrad's nn.export.to_onnx from {type(model).__name__}",
    )
    onnx.checker.check_model(onnx_model, full_check=True)
    return write_atomically(path, onnx_model.SerializeToString())


def _softplus_nodes(helper: Any, x: str, y: str, name: str) -> list[Any]:
    """Softplus in float64 from primitives: ONNX Runtime has Softplus for float32 only.

    log(1 + eˣ) = max(x, 0) + log(1 + e^-|x|), as chaingrad computes it: e^-|x| never
    overflows. (The initializer "one" holds 1.0.)
    """
    steps = [
        ("Relu", [x], "positive"),
        ("Abs", [x], "magnitude"),
        ("Neg", ["magnitude"], "negated"),
        ("Exp", ["negated"], "exponential"),
        ("Add", ["one", "exponential"], "sum"),
        ("Log", ["sum"], "logarithm"),
    ]
    nodes = [
        helper.make_node(
            op,
            [f"{name}.{i}" if i not in (x, "one") else i for i in inputs],
            [f"{name}.{out}"],
            f"{name}.{out}",
        )
        for op, inputs, out in steps
    ]
    nodes.append(helper.make_node("Add", [f"{name}.positive", f"{name}.logarithm"], [y], name))
    return nodes


def _features(input_shape: Any, layers: list[_Layer], who: str) -> int:
    """The number of input features ``input_shape`` names, checked against the first Linear.

    Raises:
        TypeError: not a positive int or a tuple of them (the batch entry may be None).
        ValueError: more than one feature dimension, or not the first Linear's inputs.
    """
    shape = input_shape if isinstance(input_shape, tuple) else (input_shape,)
    if len(shape) == 2 and shape[0] is None:  # (None, 784): the batch written out
        shape = shape[1:]
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(
            f"{who}: input_shape must be the shape of one example, such as (784,), got "
            f"{input_shape!r:.60}"
        )
    if len(shape) != 1 or shape[0] < 1:
        raise ValueError(
            f"{who}: input_shape {input_shape!r:.60} is not the shape of one example as a "
            "Linear reads it: one positive number of features, such as (784,) (the batch "
            "dimension is left free; flatten images to rows first)"
        )
    first = next((layer for layer in layers if layer.kind == "linear"), None)
    if first is not None and first.weight is not None and first.weight.shape[0] != shape[0]:
        raise ValueError(
            f"{who}: input_shape {input_shape!r:.60} gives {shape[0]} features, but the first "
            f"Linear reads {first.weight.shape[0]}; pass ({first.weight.shape[0]},)"
        )
    return int(shape[0])


def _one_dtype(layers: list[_Layer], who: str) -> np.dtype:
    """The dtype all the Linears share (float32 when there is none): ONNX types the graph once.

    Raises:
        ValueError: the Linears differ in dtype, or have one other than float32 and float64.
    """
    dtypes = {
        np.dtype(array.dtype)
        for layer in layers
        if layer.kind == "linear"
        for array in (layer.weight, layer.bias)
        if array is not None
    }
    if len(dtypes) > 1:
        raise ValueError(
            f"{who}: the layers hold {sorted(map(str, dtypes))} weights; an ONNX graph has one "
            "element type: build the network in one dtype (Linear(..., dtype=np.float32))"
        )
    dtype = dtypes.pop() if dtypes else np.dtype(np.float32)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{who}: weights of dtype {dtype}; the export writes float32 or float64")
    return dtype
