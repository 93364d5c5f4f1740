"""Graph capture for the Tensor engine: trace a training step once, replay it on new batches.

A step written on Tensors makes a node per operation on every call, sorts them, and walks
them back. When every call computes the same graph (the same operations on new numbers),
:func:`capture_tensor` traces the step **once** and keeps that graph: its nodes in
topological order, each with its op's forward kernel. Calling the captured step with a new
batch then only computes arrays:

* **forward**, node by node in the cached order: the op's own forward computation (the
  same function the op calls when it makes a node, e.g.
  :func:`autograd.tensor_fused.linear_forward`) on the parents' arrays, stored in the
  traced node;
* **backward**, the engine's own reverse sweep over the same nodes, each node's own
  backward rule (``autograd.tensor._sweep``, without ``backward()``'s sort and
  checks).

No Tensor is made and nothing is sorted per call, and since the kernels and the rules are
the engine's, the loss and every parameter's ``.grad`` equal the uncompiled step's **bit for
bit**. The capture checks that on the traced batch before it returns.

What a trace records, and therefore its limits (as ``torch.jit.trace`` and ``jax.jit``):

* **Inputs** are the arrays given to the captured step (a batch of images, its integer
  labels...). They are found in the traced graph *by identity*: the array itself as a
  leaf's data (``Tensor(x)`` and the layers keep a float array as it is) or as a loss's
  labels (``nn.cross_entropy(logits, labels)``, ``logp[rows, labels]``), or as the labels
  a constant remembers it was made from (the one-hot rows of ``nn.quadratic_cost(a,
  labels)``, see :func:`autograd.tensor_fused.one_hot_constant`). An input the step
  converted first (another dtype, a copy) is not the array the graph holds, so the capture
  refuses it and says so.
* **Parameters** are the Tensors given to :func:`capture_tensor`: their ``.data`` is read
  at every call (an optimizer may update it in place, or assign a new array, between
  calls) and their ``.grad`` accumulates as ``backward()`` accumulates it (call
  ``optimizer.zero_grad()`` between steps, as usual). A leaf that requires grad but is not
  among them is refused.
* **Every other array is frozen** at its traced value: constants written in the step, a
  Dropout mask (drawn once, at the trace), anything computed from the inputs outside the
  graph.
* **Shapes.** Each call compares the inputs' shapes and dtypes (a cheap signature) with the
  traced ones. A new signature (the epoch's last, smaller batch) is traced once more and
  cached next to the first (at most ``MAX_TRACES`` of them, the oldest dropped first); with
  ``retrace=False`` it is refused instead.
* **Python control flow that depends on data is not captured**: ``if x.sum() > 0:`` took
  one branch during the trace, and the replay always follows that branch, whatever the new
  numbers. Branches *inside* operations (``relu``) are fine: they are recomputed.
  ``check=True`` traces the step again on every call and raises :class:`CaptureError`
  naming the first node that differs from the captured graph (slow: a debugging aid).
* **Ops.** The replay knows the operations a training step is made of (listed in
  ``REPLAYABLE_OPS``); a graph with any other op is refused at capture time, by name. A
  new op becomes replayable with one entry in ``_FORWARD`` below, calling the op's own
  forward computation.

The kernels allocate their results as the ops do: NumPy reuses freed blocks, and writing
into preallocated buffers (``out=``) measured no faster for a training step's arrays.

Non-finite numbers are IEEE results, as everywhere in the engine; the replay runs its
kernels inside one ``np.errstate``, so it shows no NumPy warning where the uncompiled fused
ops would warn once about an overflow. Each cached graph keeps its arrays (about the memory
of one uncompiled step's graph). A captured step is not safe to call from several threads at
once: the replay writes its arrays into the traced nodes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import ops
from autograd.capture import CaptureError, each_once, first_difference
from autograd.grad_mode import is_grad_enabled
from autograd.graph import topological_order
from autograd.tensor import (
    Tensor,
    _ieee_arithmetic,
    _log_softmax_forward,
    _mean_forward,
    _power,
    _sum_forward,
    _sweep,
    ndarray,
)
from autograd.tensor_fused import (
    LINEAR_ACTIVATIONS,
    _out_of_range,
    check_labels,
    linear_activation_forward,
    linear_forward,
    one_hot,
    sigmoid_squared_error_forward,
    softmax_cross_entropy_forward,
    squared_error_forward,
)

__all__ = ["MAX_TRACES", "REPLAYABLE_OPS", "CapturedTensorStep", "capture_tensor"]

MAX_TRACES = 8
"""Graphs a captured step keeps at most, one per input signature (shapes and dtypes)."""

Step = Callable[..., Tensor]


def capture_tensor(
    step: Step,
    parameters: Sequence[Tensor],
    example_inputs: np.ndarray | Sequence[np.ndarray],
    *,
    check: bool = False,
    retrace: bool = True,
) -> CapturedTensorStep:
    """The Tensor engine's graph capture: trace ``step`` once, return a callable replaying it.

    ``step(*inputs)`` must compute a one-element loss Tensor from the input arrays (e.g. a
    batch and its labels) and ``parameters``. It is called once here, on
    ``example_inputs``. The captured step, called with new arrays of the same shapes and
    dtypes, runs the forward and backward passes and returns the loss as a float, having
    accumulated each parameter's gradient into its ``.grad``: the same numbers, bit for
    bit, as ``loss = step(*inputs); loss.backward()``.

    >>> import numpy as np, nn
    >>> model = nn.feedforward(4, [3, 2], "sigmoid", rng=0)
    >>> def step(x, labels):
    ...     return nn.cross_entropy(model(x), labels)
    >>> x, labels = np.ones((5, 4), np.float32), np.array([0, 1, 1, 0, 1])
    >>> replay = capture_tensor(step, model.parameters(), (x, labels))
    >>> replay(x, labels) == float(step(x, labels).data)
    True

    Args:
        step: a function of the input arrays returning the loss Tensor.
        parameters: the Tensors whose ``.data`` may change between calls and whose
            ``.grad`` is wanted (``model.parameters()``).
        example_inputs: an array, or a tuple or list of arrays, to trace with.
        check: trace ``step`` again on every call and compare the graph with the captured
            one (catches Python control flow that depends on the data). Slow.
        retrace: trace again, once per new signature, when the inputs' shapes or dtypes
            change; False raises :class:`CaptureError` instead.

    Raises:
        TypeError: a parameter is not a Tensor, an input is not a NumPy array, or ``step``
            did not return a Tensor.
        CaptureError: called inside ``no_grad()``; the loss has more than one element or
            depends on no parameter; the graph uses an op the replay does not know (named
            in the message); an input does not reach the graph as given; a leaf requires
            grad without being a parameter; or the replay does not reproduce the engine's
            numbers bit for bit (then nothing is captured).
    """
    return CapturedTensorStep(step, parameters, example_inputs, check=check, retrace=retrace)


class CapturedTensorStep:
    """A traced Tensor step, replayed (see :func:`capture_tensor`).

    Attributes:
        parameters: the parameters, each once, in the order given.
        node_count: the number of nodes in the graph traced first.
        traces: how many graphs are cached, one per input signature seen.
    """

    def __init__(
        self,
        step: Step,
        parameters: Sequence[Tensor],
        example_inputs: np.ndarray | Sequence[np.ndarray],
        *,
        check: bool = False,
        retrace: bool = True,
    ) -> None:
        self._step = step
        self._check = check
        self._retrace = retrace
        self.parameters: tuple[Tensor, ...] = each_once(parameters, Tensor, "capture_tensor")
        inputs = _input_arrays(example_inputs, "example_inputs")
        self._plans: dict[tuple, _Plan] = {}
        plan = self._capture(inputs)
        self.node_count = len(plan.order)

    @property
    def traces(self) -> int:
        """How many graphs are cached: one per input signature (shapes and dtypes) seen."""
        return len(self._plans)

    def __call__(self, *inputs: np.ndarray) -> float:
        """Replay the step on new input arrays: the loss, with parameter gradients accumulated.

        Raises:
            TypeError: an input is not a NumPy array.
            CaptureError: the number of inputs differs from the traced one; their shapes
                or dtypes changed and ``retrace=False``; or (``check=True``) the step now
                builds a different graph.
            ValueError, TypeError: labels out of range or not integers, as the loss would
                raise them.
        """
        signature = _signature(inputs)
        plan = self._plans.get(signature)
        if plan is None:
            inputs = _input_arrays(inputs, "inputs")
            plan = self._new_signature(inputs, signature)
        elif self._check:
            self._check_graph(plan, inputs)
        return plan.replay(inputs)

    # ---------------------------------------------------------------- tracing

    def _trace(self, inputs: tuple[np.ndarray, ...]) -> Tensor:
        """Run the step on ``inputs``; return its loss Tensor (the graph hangs from it)."""
        if not is_grad_enabled():
            raise CaptureError(
                "capture_tensor: grad mode is off (inside no_grad()), so the step records no "
                "graph to replay; capture it outside no_grad()"
            )
        loss = self._step(*inputs)
        if not isinstance(loss, Tensor):
            raise TypeError(
                f"capture_tensor: the step returned {type(loss).__name__}, not a Tensor; "
                "return the loss Tensor (not loss.data or loss.item())"
            )
        if loss.data.size != 1:
            raise CaptureError(
                f"capture_tensor: the step returned a Tensor of shape {loss.data.shape}; "
                "return a one-element loss (e.g. a mean over the batch)"
            )
        if not loss.parents:
            raise CaptureError(
                "capture_tensor: the loss depends on no parameter (no graph was recorded); "
                "pass the parameters the step uses, with requires_grad=True"
            )
        return loss

    def _capture(self, inputs: tuple[np.ndarray, ...]) -> _Plan:
        """Trace, plan, check the plan against the engine; cache it under its signature.

        At most :data:`MAX_TRACES` graphs are kept (each holds a step's arrays): a new
        signature beyond that drops the one traced first."""
        loss = self._trace(inputs)
        plan = _Plan(loss, self.parameters, inputs)
        _verify(plan, loss, self.parameters, inputs)
        while len(self._plans) >= MAX_TRACES:
            del self._plans[next(iter(self._plans))]
        self._plans[_signature(inputs)] = plan
        return plan

    def _new_signature(self, inputs: tuple[np.ndarray, ...], signature: tuple) -> _Plan:
        traced = next(iter(self._plans))
        if len(signature) != len(traced):
            raise CaptureError(
                f"captured step: traced with {len(traced)} input(s), called with "
                f"{len(signature)}; pass the same inputs as the step takes"
            )
        if not self._retrace:
            raise CaptureError(
                f"captured step: the inputs changed: traced with {_describe(traced)}, called "
                f"with {_describe(signature)}; capture with retrace=True to trace once more "
                "per new shape (e.g. the epoch's last, smaller batch), or drop that batch"
            )
        return self._capture(inputs)

    def _check_graph(self, plan: _Plan, inputs: tuple[np.ndarray, ...]) -> None:
        """Trace the step again (no backward: gradients untouched) and compare the graphs."""
        loss = self._trace(inputs)
        now = _Plan(loss, self.parameters, inputs).structure()
        traced = plan.structure()
        if now != traced:
            where = first_difference(traced, now, _node_words)
            raise CaptureError(
                "captured step: the step builds a different graph on these inputs: "
                f"{where}. Python control flow that depends on "
                "the data (if x.sum() > 0: ...) cannot be captured: write it with "
                "operations (relu, a mask as an input) or capture each branch separately"
            )


# ------------------------------------------------------------------ forward kernels
# One function per op: the node's array (and the state its rule reads) recomputed from its
# parents' arrays by the op's own forward computation. ``labels`` is the call's labels for
# the losses that take them (None: the traced ones).


def _as_data(data: Any) -> np.ndarray:
    """An op's result as node data, as ``_result`` stores it (0-d results as arrays)."""
    return data if type(data) is ndarray else np.asarray(data)


# The replay runs every kernel inside one np.errstate (see _Plan.replay), so the ops that
# wrap their arithmetic in one each (``_ieee``) are called without it here: the same
# numbers, without an errstate per node.


def _binary_forward(ufunc: np.ufunc) -> Callable[[Tensor, Any], None]:
    def forward(node: Tensor, labels: Any) -> None:
        a, b = node.parents
        node._data = _as_data(ufunc(a._data, b._data))

    return forward


def _elementwise_forward(op: ops.Elementwise) -> Callable[[Tensor, Any], None]:
    array = op.array

    def forward(node: Tensor, labels: Any) -> None:
        node._data = _as_data(array(np, node.parents[0]._data))

    return forward


def _unary_forward(function: Callable[[Any], Any]) -> Callable[[Tensor, Any], None]:
    def forward(node: Tensor, labels: Any) -> None:
        node._data = _as_data(function(node.parents[0]._data))

    return forward


def _sum(node: Tensor, labels: Any) -> None:
    axis, keepdims = node._saved
    node._data = _as_data(_sum_forward(node.parents[0]._data, axis, keepdims))


def _mean(node: Tensor, labels: Any) -> None:
    axis, keepdims, _ = node._saved
    data, node._saved = _mean_forward(node.parents[0]._data, axis, keepdims)
    node._data = _as_data(data)


def _log_softmax(node: Tensor, labels: Any) -> None:
    node._data = _log_softmax_forward(node.parents[0]._data, node._saved)


def _power_of_number(node: Tensor, labels: Any) -> None:
    node._data = _as_data(_power(node.parents[0]._data, node._saved))


def _reshape(node: Tensor, labels: Any) -> None:
    # The traced shape: the signature keeps every shape of the graph as it was.
    node._data = node.parents[0]._data.reshape(node._data.shape)


def _getitem(node: Tensor, labels: Any) -> None:
    node._data = _as_data(node.parents[0]._data[node._saved])


def _getitem_with_input(position: int | None) -> Callable[[Tensor, Any], None]:
    """Indexing by an input: the whole index (``x[labels]``, ``position`` None) or its item
    at ``position`` (the labels in ``logp[rows, labels]``)."""

    def forward(node: Tensor, labels: Any) -> None:
        index = labels
        if position is not None:
            items = list(node._saved)
            items[position] = labels
            index = tuple(items)
        node._saved = index
        node._data = _as_data(node.parents[0]._data[index])

    return forward


def _one_hot_leaf(node: Tensor, labels: Any) -> None:
    """A constant made from labels (``one_hot_constant``, as ``nn.quadratic_cost`` makes its
    target): made again from the call's labels."""
    rows, classes = node._data.shape
    if _out_of_range(labels, classes):  # the signature fixed their shape and dtype
        check_labels(labels, (rows, classes), "quadratic_cost")  # raises, naming the loss
    node._saved = labels
    node._data = one_hot(labels, classes, node._data.dtype)


def _linear(node: Tensor, labels: Any) -> None:
    parents = node.parents
    bias = parents[2]._data if len(parents) == 3 else None
    node._data = linear_forward(parents[0]._data, parents[1]._data, bias)


def _linear_activation(activation: str) -> Callable[[Tensor, Any], None]:
    def forward(node: Tensor, labels: Any) -> None:
        _linear(node, labels)
        node._data, node._saved = linear_activation_forward(node._data, activation)

    return forward


def _softmax_cross_entropy(node: Tensor, labels: Any) -> None:
    x = node.parents[0]._data
    if labels is None:
        labels = node._saved[2]
    elif _out_of_range(labels, x.shape[1]):  # the signature fixed their shape and dtype
        check_labels(labels, x.shape, "softmax_cross_entropy")  # raises, naming the op
    loss, node._saved = softmax_cross_entropy_forward(x, labels)
    node._data = _as_data(loss)


def _squared_error(node: Tensor, labels: Any) -> None:
    prediction, target = node.parents
    loss, node._saved = squared_error_forward(prediction._data, target._data, node._saved[1])
    node._data = _as_data(loss)


def _sigmoid_squared_error(node: Tensor, labels: Any) -> None:
    logits, target = node.parents
    scale = node._saved[2]
    loss, node._saved = sigmoid_squared_error_forward(logits._data, target._data, scale)
    node._data = _as_data(loss)


_FORWARD: dict[str, Callable[[Tensor, Any], None]] = {
    "+": _binary_forward(np.add),
    "-": _binary_forward(np.subtract),
    "*": _binary_forward(np.multiply),
    "/": _binary_forward(np.divide),
    "@": _binary_forward(np.matmul),
    "**": _binary_forward(_power),
    "neg": _unary_forward(operator.neg),
    "sum": _sum,
    "mean": _mean,
    "log_softmax": _log_softmax,
    "reshape": _reshape,
    "getitem": _getitem,
    "linear": _linear,
    "softmax_cross_entropy": _softmax_cross_entropy,
    "mse": _squared_error,
    "squared_error": _squared_error,
    "sigmoid_squared_error": _sigmoid_squared_error,
}
for _entry in ops.ELEMENTWISE.values():
    _FORWARD[_entry.name] = _elementwise_forward(_entry)
for _op, _activation in LINEAR_ACTIVATIONS.items():
    _FORWARD[_op] = _linear_activation(_activation)

#: The ops a captured graph may contain (and powers with a number exponent, ``**2``...).
REPLAYABLE_OPS: tuple[str, ...] = tuple(_FORWARD)

# Ops that keep the labels they were given in their saved state, and where.
_LABELS_SAVED_AT = {"softmax_cross_entropy": 2}


# ------------------------------------------------------------------ the plan


class _Plan:
    """One traced graph, ready to replay: the nodes in topological order, each computed
    node with its forward kernel, and where the inputs enter."""

    def __init__(
        self, loss: Tensor, parameters: tuple[Tensor, ...], inputs: tuple[np.ndarray, ...]
    ) -> None:
        self.order: list[Tensor] = topological_order(loss)
        self.loss = loss
        self.parameter_index = {id(p): k for k, p in enumerate(parameters)}
        input_index = {id(array): k for k, array in enumerate(inputs)}
        self.input_leaves: list[tuple[Tensor, int]] = []
        self.forward: list[tuple[Callable[[Tensor, Any], None], Tensor, int | None]] = []
        self.computed: list[Tensor] = []
        self.made_from_input: dict[int, int] = {}  # constants made again from an input
        used: set[int] = set()
        for i, node in enumerate(self.order):
            if not node.parents:
                if id(node) in self.parameter_index:
                    continue
                k = input_index.get(id(node._data))
                made_from = input_index.get(id(node._saved)) if node.op == "one_hot" else None
                if k is not None:
                    self.input_leaves.append((node, k))
                    used.add(k)
                elif made_from is not None:  # one-hot rows of the labels input
                    self.forward.append((_one_hot_leaf, node, made_from))
                    self.made_from_input[id(node)] = made_from
                    used.add(made_from)
                elif node.requires_grad:
                    raise CaptureError(
                        f"capture_tensor: node {i} of the graph is a leaf of shape "
                        f"{node._data.shape} that requires grad but is not among the "
                        "parameters; pass it in parameters (or make it with "
                        "requires_grad=False)"
                    )
                continue
            function = _FORWARD.get(node.op)
            if node.op.startswith("**") and len(node.parents) == 1:  # "**2": a number exponent
                function = _power_of_number
            if function is None:
                raise CaptureError(
                    f"capture_tensor: cannot replay op {node.op!r} (node {i} of the graph, "
                    f"shape {node._data.shape}); the replay knows {', '.join(REPLAYABLE_OPS)}; "
                    "write the step with those, or leave it uncaptured"
                )
            source = None
            if node.op in _LABELS_SAVED_AT:
                source = input_index.get(id(node._saved[_LABELS_SAVED_AT[node.op]]))
            elif node.op == "getitem" and id(node._saved) in input_index:
                source = input_index[id(node._saved)]
                function = _getitem_with_input(None)
            elif node.op == "getitem" and isinstance(node._saved, tuple):
                for position, item in enumerate(node._saved):
                    if id(item) in input_index:  # e.g. the labels in logp[rows, labels]
                        source = input_index[id(item)]
                        function = _getitem_with_input(position)
            if source is not None:
                used.add(source)
            self.forward.append((function, node, source))
            self.computed.append(node)
        for k, array in enumerate(inputs):
            if k not in used:
                raise CaptureError(
                    f"capture_tensor: input {k} ({array.dtype} {array.shape}) does not reach "
                    "the graph as it was given: the step converted it first (another dtype, a "
                    "copy, one-hot rows made by hand) or did not use it. The replay finds "
                    "inputs by identity: pass the array the graph uses (float images as they "
                    "are, integer labels straight to the loss, one-hot targets made before "
                    "the step)"
                )
        self.inputs = tuple((array.shape, array.dtype) for array in inputs)
        self.seed = np.ones(loss._data.shape, dtype=loss._data.dtype)
        self.seed.flags.writeable = False  # shared by every call: nothing may write into it

    # IEEE results (inf, nan) without NumPy warnings, as the engine's ops and backward give
    # them: one errstate for a whole replay, forward and backward.
    @_ieee_arithmetic
    def replay(self, inputs: tuple[np.ndarray, ...]) -> float:
        """Forward, then the engine's backward sweep; the loss."""
        for leaf, k in self.input_leaves:
            leaf._data = inputs[k]
        for function, node, source in self.forward:
            function(node, None if source is None else inputs[source])
        self._backward_sweep()
        return float(self.loss._data)

    @_ieee_arithmetic
    def backward(self) -> None:
        """The engine's reverse sweep over the graph, from the loss (as ``loss.backward()``,
        without its sort and its checks)."""
        self._backward_sweep()

    def _backward_sweep(self) -> None:
        for node in self.computed:
            node.grad = None  # intermediate tensors start again from nothing
        loss = self.loss
        loss.grad = self.seed
        _sweep(self.order, {id(loss)})

    def structure(self) -> list[tuple[Any, ...]]:
        """The graph as comparable entries, one per node (for ``check=True``)."""
        slot = {id(node): i for i, node in enumerate(self.order)}
        inputs = {id(leaf): k for leaf, k in self.input_leaves}
        entries: list[tuple[Any, ...]] = []
        for node in self.order:
            data = node._data
            if not node.parents:
                if id(node) in self.parameter_index:
                    entries.append(("parameter", self.parameter_index[id(node)]))
                elif id(node) in inputs:
                    entries.append(("input", inputs[id(node)]))
                elif id(node) in self.made_from_input:
                    entries.append((node.op, "of input", self.made_from_input[id(node)]))
                else:
                    entries.append(("constant", data.shape, str(data.dtype), data.tobytes()))
                continue
            parents = tuple(slot[id(parent)] for parent in node.parents)
            entries.append((node.op, parents, data.shape, str(data.dtype), _static(node._saved)))
        return entries


def _static(saved: Any) -> tuple[Any, ...]:
    """The numbers a node keeps that are not arrays (a loss's scale): part of its structure."""
    items = saved if isinstance(saved, tuple) else (saved,)
    return tuple(item for item in items if isinstance(item, (int, float, str, type(None))))


# ------------------------------------------------------------------ checking the replay


def _verify(
    plan: _Plan, loss: Tensor, parameters: tuple[Tensor, ...], inputs: tuple[np.ndarray, ...]
) -> None:
    """Compare the replay with the engine's backward sweep on the traced graph, bit for bit.

    The traced arrays are the ops' own; the replay computes them again with the forward
    kernels. (The sweep itself is the engine's in both: ``loss.backward()`` would only add
    its sort and its checks of data assigned since the forward pass, which none was.)

    Raises CaptureError when the loss or a parameter's gradient differs; parameters'
    ``.grad`` are left as they were either way.
    """
    saved = [p.grad for p in parameters]
    try:
        for p in parameters:
            p.grad = None
        plan.backward()
        expected = (_bits(loss.data), [_bits(p.grad) for p in parameters])
        for p in parameters:
            p.grad = None
        plan.replay(inputs)
        got = (_bits(plan.loss.data), [_bits(p.grad) for p in parameters])
    finally:
        for p, grad in zip(parameters, saved):
            p.grad = grad
    if got[0] != expected[0]:
        raise CaptureError(
            "capture_tensor: the replay does not reproduce the engine's loss bit for bit; "
            "the step uses an operation the replay cannot reproduce"
        )
    for k, (a, b) in enumerate(zip(got[1], expected[1])):
        if a != b:
            raise CaptureError(
                f"capture_tensor: the replay does not reproduce parameter {k}'s gradient "
                "bit for bit; the step uses an operation the replay cannot reproduce"
            )


def _bits(array: np.ndarray | None) -> tuple[Any, ...] | None:
    """An array's dtype, shape and bytes (None stays None): equal iff bit for bit equal."""
    if array is None:
        return None
    return (str(array.dtype), array.shape, np.ascontiguousarray(array).tobytes())


# ------------------------------------------------------------------ inputs


def _input_arrays(inputs: Any, name: str) -> tuple[np.ndarray, ...]:
    """The inputs as a tuple of arrays (one array alone is one input), or a TypeError."""
    if isinstance(inputs, ndarray):
        return (inputs,)
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(
            f"capture_tensor: {name} must be a NumPy array or a tuple of them, got "
            f"{type(inputs).__name__}"
        )
    for k, array in enumerate(inputs):
        if not isinstance(array, ndarray):
            raise TypeError(
                f"capture_tensor: {name}[{k}] is a {type(array).__name__}, not a NumPy array; "
                "pass arrays (np.asarray(...)), the same kinds as the step was traced with"
            )
    return tuple(inputs)


def _signature(inputs: tuple[Any, ...]) -> tuple:
    """What must not change between calls for one trace: each input's shape and dtype."""
    try:
        return tuple((array.shape, array.dtype) for array in inputs)
    except AttributeError:  # not arrays: refused by _input_arrays
        return ()


def _describe(signature: tuple) -> str:
    return ", ".join(f"{dtype} {shape}" for shape, dtype in signature) or "no inputs"


def _node_words(entry: tuple[Any, ...]) -> str:
    kind = entry[0]
    if kind in ("parameter", "input"):
        return f"{kind} {entry[1]}"
    if len(entry) == 3:  # a constant made from an input
        return f"{kind} {entry[1]} {entry[2]}"
    if kind == "constant":
        return f"a constant {entry[2]} array of shape {entry[1]} (its values compared too)"
    op, parents, shape, dtype, static = entry
    extra = f", {list(static)}" if static else ""
    return f"op {op!r} of nodes {list(parents)} ({dtype} {shape}{extra})"
