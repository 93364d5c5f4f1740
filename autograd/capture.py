"""Graph capture for the scalar engine: trace a training step once, replay it as plain code.

A step written on Values builds a new graph of Python objects on every call: one ``Value``
per operation, then a topological sort, then the backward sweep. When the step computes the
same graph every time (the same operations on new numbers), that work is repeated for
nothing. :func:`capture` runs the step **once** on Values (the *trace*), and turns the graph it
recorded into straight-line Python code over a list of floats (one slot per node), compiled
once::

    v[7] = v[3] + v[5]           # forward: each node's number, from its parents' numbers
    ...
    g[3] += g[7]                 # backward: ∂L/∂parent += ∂node/∂parent · ∂L/∂node
    g[5] += g[7]

Calling the captured step with new input numbers runs that code: the loss and every
parameter's ``.grad`` come out **bit for bit** equal to the uncompiled step's, because the
replay calls the same functions the engine calls (the op table's forwards and derivatives,
:mod:`autograd.numerics`, ``sum(map(mul, ...))`` for a neuron's weighted sum) on the same
numbers in the same order (forward in topological order; backward in the reverse order,
parents in order, as :meth:`Value.backward`).

What a trace records, and therefore its limits (as ``torch.jit.trace`` and ``jax.jit``):

* **Inputs** are the numbers passed to the captured step; each call may pass new ones, in
  the same structure (nested lists/tuples of the same lengths).
* **Parameters** are the Values given to :func:`capture`: their ``.data`` is read on every
  call (so an optimizer may change it between calls) and their ``.grad`` accumulates, as
  ``backward()`` does (call ``zero_grad()`` between steps; ``nn.optim.SGD`` works unchanged).
* Every other number the step uses (a label written in the step, a constant, a Value made
  outside it and not given as a parameter) is **frozen** at its traced value.
* **Python control flow that depends on data is not captured**: ``if x.data > 0:`` took one
  branch during the trace, and the replay always follows that branch, whatever the new
  numbers. Branches *inside* operations (``relu``, ``abs``) are fine: they are recomputed.
  ``check=True`` traces the step again on every call and raises :class:`CaptureError` when
  the graph differs from the captured one (slow: a debugging aid).

A step on Tensors (its parameters are Tensors) is captured by
:func:`autograd.capture_tensor.capture_tensor`, which :func:`capture` calls for it: there the
step takes its input arrays as separate arguments (``step(x, labels)``, replayed as
``replay(x, labels)``) and the replay runs the ops' own NumPy kernels over the cached graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real
from operator import mul
from typing import TYPE_CHECKING, Any

from autograd import numerics, ops
from autograd.grad_mode import is_grad_enabled
from autograd.graph import topological_order
from autograd.tensor import Tensor
from autograd.value import Value, _ieee_derivative

if TYPE_CHECKING:
    from autograd.capture_tensor import CapturedTensorStep

__all__ = ["CaptureError", "CapturedStep", "capture"]


class CaptureError(ValueError):
    """A step that :func:`capture` cannot replay, or inputs the captured step cannot take."""


Structure = Any  # a number, or a list/tuple of structures


def capture(
    step: Callable[..., Any],
    parameters: Sequence[Value] | Sequence[Tensor],
    example_inputs: Structure,
    *,
    check: bool = False,
) -> CapturedStep | CapturedTensorStep:
    """The engine's graph capture: trace ``step`` once, return a callable that replays it.

    For a step on Tensors (``parameters`` are Tensors) this is
    :func:`autograd.capture_tensor.capture_tensor`, with ``example_inputs`` the arrays (a
    tuple, or one array) that ``step`` takes as separate arguments. For Values, as follows.

    ``step(inputs)`` must compute a loss Value from ``inputs`` (a structure like
    ``example_inputs``, with a Value in place of each number) and ``parameters``. It is
    called once here, on ``example_inputs``. The captured step, called with new numbers in
    the same structure, returns the loss (a float) after the forward and backward passes,
    having accumulated each parameter's gradient into its ``.grad``: the same numbers,
    bit for bit, as ``loss = step(values); loss.backward()``.

    >>> from autograd import Value
    >>> w = Value(0.5)
    >>> replay = capture(lambda x: (w * x[0] - x[1]) ** 2, [w], [1.0, 2.0])
    >>> replay([3.0, 1.0]), w.grad   # (0.5·3 - 1)² and 2·(0.5·3 - 1)·3
    (0.25, 3.0)

    Args:
        step: a function of the inputs returning the loss Value.
        parameters: the Values whose ``.data`` may change between calls and whose ``.grad``
            is wanted (``model.parameters()``).
        example_inputs: a number, or nested lists/tuples of numbers, to trace with.
        check: trace ``step`` again on every call and compare the graph with the captured
            one (catches Python control flow that depends on the data). Slow.

    Raises:
        TypeError: ``step`` did not return a Value, or an input is not a real number.
        CaptureError: called inside ``no_grad()`` (no graph is recorded), the graph uses
            an operation the replay does not know (named in the message), or the replay of
            the traced graph does not reproduce the engine's numbers exactly (then nothing
            is captured).
    """
    given: list[Any] = list(parameters)
    if any(isinstance(p, Tensor) for p in given):  # a step on Tensors
        from autograd.capture_tensor import capture_tensor  # which imports this module

        inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
        return capture_tensor(step, given, inputs, check=check)
    return CapturedStep(step, given, example_inputs, check=check)


class CapturedStep:
    """A traced step, replayed by compiled code (see :func:`capture`).

    Attributes:
        node_count: the number of nodes in the captured graph.
        parameters: the parameters, each once, in the order given.
    """

    def __init__(
        self,
        step: Callable[[Any], Value],
        parameters: Sequence[Value],
        example_inputs: Structure,
        *,
        check: bool = False,
    ) -> None:
        self._step = step
        self._check = check
        unique: dict[int, Value] = {}
        for p in parameters:
            if not isinstance(p, Value):
                raise TypeError(
                    f"capture: parameters must be Values, got {type(p).__name__}; "
                    "pass model.parameters()"
                )
            unique.setdefault(id(p), p)
        self.parameters: tuple[Value, ...] = tuple(unique.values())
        numbers: list[float] = []
        self._shape = _flatten(example_inputs, numbers, "example_inputs")
        loss, input_values = self._trace(numbers)
        plan = _Plan(loss, self.parameters, input_values)
        self.node_count = len(plan.order)
        self._constants = tuple(plan.constants)
        self._signature = plan.signature if check else None
        expected = _engine_result(loss, self.parameters)
        self._sources = plan.source()
        del plan, loss, input_values  # the traced graph: not needed to compile the replay
        namespace = dict(_NAMESPACE)
        for source in self._sources:
            exec(compile(source, "<captured step>", "exec"), namespace)
        self._replay: Callable[[list[float], tuple[Value, ...], tuple[float, ...]], float]
        self._replay = namespace["replay"]
        _verify(self, expected, numbers)

    @property
    def source(self) -> str:
        """The generated Python source of the replay (for reading and teaching)."""
        return "\n".join(self._sources)

    def _trace(self, numbers: list[float]) -> tuple[Value, list[Value]]:
        """Run the step on Values made from ``numbers``; return the loss and those Values."""
        if not is_grad_enabled():
            raise CaptureError(
                "capture: grad mode is off (inside no_grad()), so the step records no graph "
                "to replay; capture it outside no_grad()"
            )
        input_values = [Value(x) for x in numbers]
        loss = self._step(_rebuild(self._shape, iter(input_values)))
        if not isinstance(loss, Value):
            raise TypeError(
                f"capture: the step returned {type(loss).__name__}, not a Value; "
                "return the loss Value (not loss.data); a step on Tensors is captured "
                "when its parameters are Tensors"
            )
        return loss, input_values

    def __call__(self, inputs: Structure) -> float:
        """Replay the step on new ``inputs``: the loss, with parameter gradients accumulated.

        Raises:
            CaptureError: ``inputs`` differ in structure from the traced inputs, or (with
                ``check=True``) the step now builds a different graph.
            TypeError: an input is not a real number.
        """
        numbers: list[float] = []
        shape = _flatten(inputs, numbers, "inputs")
        if shape != self._shape:
            raise CaptureError(
                f"captured step: the inputs changed structure: traced with "
                f"{_describe(self._shape)}, called with {_describe(shape)}; capture the "
                "step again for inputs of this structure"
            )
        if self._check:
            self._check_graph(numbers)
        return self._replay(numbers, self.parameters, self._constants)

    def _check_graph(self, numbers: list[float]) -> None:
        """Trace the step again (with no effect on gradients) and compare graph signatures."""
        traced = self._signature
        if traced is None:  # captured without check=True: nothing to compare with
            return
        loss, input_values = self._trace(numbers)
        signature = _Plan(loss, self.parameters, input_values).signature
        if signature != traced:
            raise CaptureError(
                "captured step: the step builds a different graph on these inputs: "
                f"{_first_difference(traced, signature)}. Python control flow "
                "that depends on the data (if x.data > 0: ...) cannot be captured; write "
                "it with operations (relu, abs) or capture each branch separately"
            )


# ------------------------------------------------------------------ the plan


def _table_derivative(derivative: Callable[[float, float], Any]) -> Callable[[float, float], Any]:
    """The op table's ``derivative(x, out)`` as a table method of Value evaluates it: where
    Python's float arithmetic raises, in NumPy's float64 (IEEE's inf and nan); a zero as the
    engine stores it (its shared ``0.0``)."""

    def local(x: float, out: float) -> Any:
        try:
            value = derivative(x, out)
        except ArithmeticError:  # ZeroDivisionError, OverflowError
            value = _ieee_derivative(derivative, x, out)
        return 0.0 if value == 0.0 else value

    return local


def _divide_derivatives(a: float, b: float, out: float) -> tuple[float, float]:
    """``ops.divide_derivatives`` as ``Value.__truediv__`` evaluates it."""
    try:
        return ops.divide_derivatives(a, b, out)
    except ZeroDivisionError:  # b is ±0: IEEE's ±inf (or nan) instead
        return _ieee_derivative(ops.divide_derivatives, a, b, out)


def _sequential_sum(numbers: tuple[float, ...]) -> float:
    """``sum_values``' total: 0.0, then each number added in turn."""
    total = 0.0
    for x in numbers:
        total += x
    return total


_NAMESPACE: dict[str, Any] = {
    "divide": numerics.divide,
    "power": numerics.power,
    "divide_derivatives": _divide_derivatives,
    "power_derivatives": ops.power_derivatives,
    "power_base_derivative": ops.power_base_derivative,
    "sequential_sum": _sequential_sum,
    "sum": sum,
    "map": map,
    "mul": mul,
}
for _entry in ops.ELEMENTWISE.values():
    _NAMESPACE[f"forward_{_entry.name}"] = _entry.scalar
    _NAMESPACE[f"derivative_{_entry.name}"] = _table_derivative(_entry.derivative)

_BINARY = {"+": "+", "-": "-", "*": "*"}
_CONSTANT_LOCALS = {"+": ops.ADD_DERIVATIVES, "-": ops.SUB_DERIVATIVES, "neg": ops.NEG_DERIVATIVES}


def _literal(x: float) -> str:
    """A float as exact Python source (repr round-trips; inf and nan by name)."""
    if math.isfinite(x):
        return repr(x)
    return f"float({str(x)!r})"


class _Plan:
    """The traced graph, flattened: one slot per node, in topological order."""

    def __init__(self, loss: Value, parameters: tuple[Value, ...], inputs: list[Value]) -> None:
        self.order: list[Value] = topological_order(loss)
        self.slot = {id(node): i for i, node in enumerate(self.order)}
        self.parameter_index = {id(p): k for k, p in enumerate(parameters)}
        self.input_index = {id(x): j for j, x in enumerate(inputs)}
        self.constants: list[float] = []
        self.signature: list[tuple[Any, ...]] = []
        self.forward: list[str] = []
        for i, node in enumerate(self.order):
            self.forward.append(f"    v[{i}] = {self._forward(node)}")
        self.needs_grad = self._needs_grad()

    # -- forward

    def _forward(self, node: Value) -> str:
        parents = [self.slot[id(p)] for p in node.parents]
        op = node.op
        if not node.parents:
            key = id(node)
            if key in self.parameter_index:
                self.signature.append(("parameter", self.parameter_index[key]))
                return f"P[{self.parameter_index[key]}].data"
            if key in self.input_index:
                self.signature.append(("input", self.input_index[key]))
                return f"X[{self.input_index[key]}]"
            self.signature.append(("constant", node.data))
            self.constants.append(node.data)
            return f"C[{len(self.constants) - 1}]"
        names = [f"v[{p}]" for p in parents]
        number = node.constant
        if number is not None:  # an operation with a plain number, written in as a literal
            self.signature.append(("with a number", op, parents[0], number))
            return _with_number(op, names[0], _literal(number))
        self.signature.append((op, *parents))
        if op in _BINARY and len(names) == 2:
            return f"{names[0]} {_BINARY[op]} {names[1]}"
        if op == "neg" and len(names) == 1:
            return f"-{names[0]}"
        if op == "/" and len(names) == 2:
            return f"divide({names[0]}, {names[1]})"
        if op == "**" and len(names) == 2:
            return f"power({names[0]}, {names[1]})"
        if op.startswith("**") and len(names) == 1:
            return f"power({names[0]}, {_literal(float(op[2:]))})"
        if op in ops.ELEMENTWISE and len(names) == 1:
            return f"forward_{op}({names[0]})"
        if op == "sum":
            return f"sequential_sum(({', '.join(names)},))"
        pairs = _weighted_sum_pairs(op, len(names))
        if pairs is not None:
            weights = ", ".join(names[:pairs])
            inputs = ", ".join(names[pairs : 2 * pairs])
            start = names[2 * pairs] if len(names) > 2 * pairs else "0.0"
            return f"{start} + sum(map(mul, ({weights},), ({inputs},)))"
        raise CaptureError(
            f"capture: cannot replay op {op!r} with {len(names)} parent(s); the replay knows "
            "Value's operators, the op table's methods, sum_values and weighted_sum of Values "
            "(pass Values, not numbers, to weighted_sum)"
        )

    # -- backward

    def _needs_grad(self) -> list[bool]:
        """Which nodes lead to a parameter (the others need no gradient)."""
        needs = [False] * len(self.order)
        for i, node in enumerate(self.order):
            if node.parents:
                needs[i] = any(needs[self.slot[id(p)]] for p in node.parents)
            else:
                needs[i] = id(node) in self.parameter_index
        return needs

    def _locals(self, i: int, node: Value, lines: list[str]) -> list[str]:
        """∂node/∂parent for each parent, as source; helper lines go into ``lines``."""
        op = node.op
        names = [f"v[{self.slot[id(p)]}]" for p in node.parents]
        number = node.constant
        if number is not None:
            return [_number_local(i, op, names[0], _literal(number), lines)]
        if op in _CONSTANT_LOCALS:
            return [_literal(x) for x in _CONSTANT_LOCALS[op]]
        if op == "*":
            # The rule itself, evaluated on the slots' names: (b, a).
            return list(ops.multiply_derivatives(names[0], names[1], f"v[{i}]"))
        if op == "/":
            lines.append(f"    d0, d1 = divide_derivatives({names[0]}, {names[1]}, v[{i}])")
            return ["d0", "d1"]
        if op == "**":
            lines.append(f"    d0, d1 = power_derivatives({names[0]}, {names[1]}, v[{i}])")
            return ["d0", "d1"]
        if op.startswith("**"):
            exponent = _literal(float(op[2:]))
            return [f"power_base_derivative({names[0]}, {exponent})"]
        if op in ops.ELEMENTWISE:
            return [f"derivative_{op}({names[0]}, v[{i}])"]
        if op == "sum":
            return ["1.0"] * len(names)
        pairs = _weighted_sum_pairs(op, len(names))
        assert pairs is not None  # the forward refused every other op
        # ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1
        return names[pairs : 2 * pairs] + names[:pairs] + ["1.0"] * (len(names) - 2 * pairs)

    def source(self) -> list[str]:
        """The replay's source, as functions of a few thousand lines each.

        ``replay(X, P, C)`` makes the lists of numbers ``v`` and gradients ``g`` (one slot
        per node) and calls the parts in turn: forward, then backward, then the gradients
        out. Parts are compiled one by one: a single function of 200,000 lines would take
        hundreds of megabytes to compile.
        """
        # Lines are joined into a part's source as soon as the part is full: the lines of
        # every part at once would double the memory the capture needs.
        sources: list[str] = []
        part: list[str] = []

        def add(block: list[str]) -> None:
            nonlocal part
            if len(part) >= _PART_LINES:
                sources.append(_part_source(len(sources), part))
                part = []
            part += block

        for line in self.forward:
            add([line])
        self.forward = []
        root = len(self.order) - 1
        parameters = [
            i for i, node in enumerate(self.order) if not node.parents and self.needs_grad[i]
        ]
        # Leaves' gradients accumulate from their current .grad. Every other node's starts
        # at 0, as in Value.backward: its first contribution is written `g = 0.0 + ...`
        # (the same bits: 0.0 + -0.0 is 0.0).
        started = [False] * len(self.order)
        lines = []
        for i in parameters:
            lines.append(f"    g[{i}] = P[{self.parameter_index[id(self.order[i])]}].grad")
            started[i] = True
        if self.needs_grad[root]:
            lines.append(f"    g[{root}] {'+=' if started[root] else '='} 1.0")
            started[root] = True
        add(lines)
        for i in reversed(range(len(self.order))):
            node = self.order[i]
            if not node.parents or not self.needs_grad[i]:
                continue
            lines = []
            local_sources = self._locals(i, node, lines)
            for parent, local in zip(node.parents, local_sources):
                p = self.slot[id(parent)]
                if not self.needs_grad[p]:
                    continue
                # 1.0 · g is g, bit for bit
                contribution = f"g[{i}]" if local == "1.0" else f"{local} * g[{i}]"
                if started[p]:
                    lines.append(f"    g[{p}] += {contribution}")
                else:
                    lines.append(f"    g[{p}] = 0.0 + {contribution}")
                    started[p] = True
            add(lines)
        add([f"    P[{self.parameter_index[id(self.order[i])]}].grad = g[{i}]" for i in parameters])
        sources.append(_part_source(len(sources), part))
        calls = "".join(f"    part{k}(v, g, X, P, C)\n" for k in range(len(sources)))
        size = len(self.order)
        driver = (
            f"def replay(X, P, C):\n    v = [0.0] * {size}\n    g = [0.0] * {size}\n"
            f"{calls}    return v[{root}]\n"
        )
        return [*sources, driver]


def _with_number(op: str, x: str, c: str) -> str:
    """The forward of an operation of a Value (source ``x``) and a plain number ``c``."""
    if op in ("/c", "c/"):
        return f"divide({x}, {c})" if op == "/c" else f"divide({c}, {x})"
    if op == "c**":
        return f"power({c}, {x})"
    symbols = {"+c": "+", "c+": "+", "-c": "-", "c-": "-", "*c": "*", "c*": "*"}
    if op not in symbols:
        raise CaptureError(f"capture: cannot replay op {op!r} with a number")
    return f"{x} {symbols[op]} {c}" if op.endswith("c") else f"{c} {symbols[op]} {x}"


def _number_local(i: int, op: str, x: str, c: str, lines: list[str]) -> str:
    """∂node/∂x for an operation of x and a number c, as ``Value``'s operators compute it."""
    if op in ("+c", "c+", "-c"):
        return "1.0"
    if op == "c-":
        return "-1.0"
    if op in ("*c", "c*"):
        return c
    if op == "/c":
        lines.append(f"    d0, d1 = divide_derivatives({x}, {c}, v[{i}])")
        return "d0"
    if op == "c/":
        lines.append(f"    d0, d1 = divide_derivatives({c}, {x}, v[{i}])")
        return "d1"
    lines.append(f"    d0, d1 = power_derivatives({c}, {x}, v[{i}])")  # c ** x
    return "d1"


_PART_LINES = 2000  # lines per compiled part


def _part_source(k: int, lines: list[str]) -> str:
    """One part of the replay: a function of the lists of numbers and gradients."""
    return f"def part{k}(v, g, X, P, C):\n" + "\n".join(lines or ["    pass"]) + "\n"


def _weighted_sum_pairs(op: str, parent_count: int) -> int | None:
    """For ``"weighted_sum:n"`` made from n Value pairs (and perhaps a Value bias): n."""
    name, _, count = op.partition(":")
    if name != "weighted_sum" or not count.isdigit():
        return None
    pairs = int(count)
    if pairs < 1 or parent_count not in (2 * pairs, 2 * pairs + 1):
        return None
    return pairs


def _engine_result(loss: Value, parameters: tuple[Value, ...]) -> tuple[float, list[float]]:
    """The loss and each parameter's gradient from ``loss.backward()`` on the traced graph,
    the parameters' ``.grad`` left as they were."""
    saved = [p.grad for p in parameters]
    try:
        for p in parameters:
            p.grad = 0.0
        loss.backward()
        return loss.data, [p.grad for p in parameters]
    finally:
        for p, grad in zip(parameters, saved):
            p.grad = grad


def _verify(
    captured: CapturedStep, expected: tuple[float, list[float]], numbers: list[float]
) -> None:
    """Replay the traced inputs and compare with the engine's ``expected`` loss and gradients.

    Raises CaptureError when the replay does not reproduce the loss and every parameter's
    gradient bit for bit; parameters' ``.grad`` are left as they were.
    """
    expected_loss, expected_grads = expected
    saved = [p.grad for p in captured.parameters]
    try:
        for p in captured.parameters:
            p.grad = 0.0
        replayed = captured._replay(numbers, captured.parameters, captured._constants)
        got = [p.grad for p in captured.parameters]
    finally:
        for p, grad in zip(captured.parameters, saved):
            p.grad = grad
    if not _same_bits(replayed, expected_loss):
        raise CaptureError(
            f"capture: the replay gives loss {replayed!r}, the engine {expected_loss!r}; the "
            "step uses an operation the replay cannot reproduce (weighted_sum with numbers "
            "mixed into the pairs?)"
        )
    for k, (a, b) in enumerate(zip(got, expected_grads)):
        if not _same_bits(a, b):
            raise CaptureError(
                f"capture: the replay gives parameter {k} the gradient {a!r}, the engine "
                f"{b!r}; the step uses an operation the replay cannot reproduce"
            )


def _same_bits(a: float, b: float) -> bool:
    """Equal as IEEE doubles (0.0 and -0.0 differ; nan equals nan)."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


# ------------------------------------------------------------------ inputs


def _flatten(inputs: Structure, numbers: list[float], name: str) -> Structure:
    """Append every number of ``inputs`` to ``numbers``; return its shape (nested lengths)."""
    kind = type(inputs)
    if kind is float or kind is int:
        numbers.append(float(inputs))
        return None
    if kind is list or kind is tuple:
        return tuple([_flatten(item, numbers, name) for item in inputs])
    if isinstance(inputs, Value):
        numbers.append(inputs.data)
        return None
    if isinstance(inputs, Real) and not isinstance(inputs, bool):
        numbers.append(float(inputs))
        return None
    raise TypeError(
        f"captured step: {name} must be real numbers in (nested) lists or tuples, got "
        f"{type(inputs).__name__}; convert arrays with .tolist()"
    )


def _rebuild(shape: Structure, values: Any) -> Any:
    """The inputs' structure again, with the next of ``values`` in place of each number."""
    if shape is None:
        return next(values)
    return [_rebuild(item, values) for item in shape]


def _describe(shape: Structure) -> str:
    """A shape, as a reader writes it: ``a number``, ``100 items of 2 numbers``..."""
    if shape is None:
        return "a number"
    if shape and all(item == shape[0] for item in shape):
        inner = _describe(shape[0])
        return f"{len(shape)} items of {inner}" if inner != "a number" else f"{len(shape)} numbers"
    return f"a list of {len(shape)} items (of differing structure)"


def _first_difference(traced: list[tuple[Any, ...]], now: list[tuple[Any, ...]]) -> str:
    """Where two graph signatures first differ, in words."""
    for i, (a, b) in enumerate(zip(traced, now)):
        if a != b:
            return f"node {i} was {_node_words(a)} when traced, is now {_node_words(b)}"
    return f"the traced graph has {len(traced)} nodes, the new one {len(now)}"


def _node_words(entry: tuple[Any, ...]) -> str:
    kind = entry[0]
    if kind == "constant":
        return f"the constant {entry[1]!r}"
    if kind in ("parameter", "input"):
        return f"{kind} {entry[1]}"
    if kind == "with a number":
        return f"op {entry[1]!r} of node {entry[2]} and the constant {entry[3]!r}"
    return f"op {kind!r} of nodes {list(entry[1:])}"
