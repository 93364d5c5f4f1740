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

A sum of products used nowhere else, such as a neuron ``b + w₁·x₁ + w₂·x₂ + …`` written with
``+`` and ``*``, is one line; its gradients, where the weights' and inputs' slots are evenly
spaced, one statement over slices (``∂L/∂wₖ += xₖ · ∂L/∂z`` for every k at once)::

    v[36] = v[0] + v[1] * v[2] + v[5] * v[6] + v[9] * v[10]
    g[1:10:4] = map(add, g[1:10:4], map(mul, v[2:11:4], repeat(grad)))

Calling the captured step with new input numbers runs that code: the loss and every
parameter's ``.grad`` come out **bit for bit** equal to the uncompiled step's, because the
replay calls the same functions the engine calls (the op table's forwards and derivatives,
:mod:`autograd.numerics`, ``sum(map(mul, ...))`` for a neuron's weighted sum) on the same
numbers in the same order (forward in topological order; backward giving each gradient the
same contributions in the same order as :meth:`Value.backward`).

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
import zlib
from collections.abc import Callable, Sequence
from itertools import pairwise, repeat
from numbers import Real
from operator import add, mul
from typing import TYPE_CHECKING, Any

from autograd import numerics, ops
from autograd.gc_control import gc_paused
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

        return capture_tensor(step, given, example_inputs, check=check)  # (one array: one input)
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
        self.parameters: tuple[Value, ...] = each_once(parameters, Value, "capture")
        numbers: list[float] = []
        self._shape = _flatten(example_inputs, numbers, "example_inputs")
        # Tracing and planning keep a whole graph alive and make many objects, none in a
        # cycle: the collector would walk them again and again for nothing (see gc_paused).
        with gc_paused():
            self._compile(numbers)

    def _compile(self, numbers: list[float]) -> None:
        """Trace the step on ``numbers``, generate and compile the replay, verify it."""
        loss, input_values = self._trace(numbers)
        self._signature = _signature(loss, self.parameters, input_values) if self._check else None
        expected = _engine_result(loss, self.parameters)
        plan = _Plan(loss, self.parameters, input_values)
        self.node_count = len(plan.order)
        sources = plan.source()
        self._constants = tuple(plan.constants)
        del plan, loss, input_values  # the traced graph: not needed to compile the replay
        namespace = dict(_NAMESPACE)
        # Each part's source is kept compressed once compiled: it is only read to be shown
        # (.source), and as text it would take a quarter of the memory the replay needs.
        self._sources: list[bytes] = []
        for k, source in enumerate(sources):
            exec(compile(source, "<captured step>", "exec"), namespace)
            self._sources.append(zlib.compress(source.encode(), 1))
            sources[k] = ""
        del source, sources
        self._replay: Callable[[list[float], tuple[Value, ...], tuple[float, ...]], float]
        self._replay = namespace["replay"]
        _verify(self, expected, numbers)

    @property
    def source(self) -> str:
        """The generated Python source of the replay (for reading and teaching)."""
        return "\n".join(zlib.decompress(source).decode() for source in self._sources)

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
        signature = _signature(loss, self.parameters, input_values)
        if signature != traced:
            raise CaptureError(
                "captured step: the step builds a different graph on these inputs: "
                f"{first_difference(traced, signature)}. Python control flow "
                "that depends on the data (if x.data > 0: ...) cannot be captured; write "
                "it with operations (relu, abs) or capture each branch separately"
            )


def each_once(parameters: Sequence[Any], kind: type, who: str) -> tuple[Any, ...]:
    """The parameters, each once, in the order given; each must be a ``kind`` (Value or
    Tensor), or a TypeError names what it is."""
    unique: dict[int, Any] = {}
    for p in parameters:
        if not isinstance(p, kind):
            raise TypeError(
                f"{who}: parameters must be {kind.__name__}s, got {type(p).__name__}; "
                "pass model.parameters()"
            )
        unique.setdefault(id(p), p)
    return tuple(unique.values())


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
    "add": add,
    "repeat": repeat,
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
    """The traced graph, flattened: one slot per node, in topological order.

    Three economies make the generated code shorter (so quicker to compile and to run),
    all exact, bit for bit:

    * **Sums written as one line.** A chain of additions ``b + w₁·x₁ + w₂·x₂ + …`` (what
      ``sum((w * x for ...), b)`` builds), whose partial sums and products are used nowhere
      else, is one line, ``v[9] = v[2] + v[3] * v[4] + v[5] * v[6]``: Python adds left to
      right, as the chain did. Those partial sums and products are *folded*: they get no
      line of their own, and their slots in ``v`` stay unused.
    * **Shared gradients.** A node used once, by a node whose derivative with respect to it
      is 1 (a term of a sum), has that node's gradient, bit for bit (``0.0 + 1.0·g`` is
      ``g``: an intermediate gradient is never -0.0). It reads that gradient where it is
      instead of copying it: ``gradient_slot[i]`` is where node i's gradient is kept.
    * **A chain's backward in one place.** The backward of a folded chain runs where its
      line is, all at once, when that changes the order of no two contributions to the
      same gradient (checked: ``broken`` holds the chains where it would, which keep the
      engine's node-by-node order). A run of products whose weights and inputs lie evenly
      spaced in ``v`` then becomes one statement over slices (``_SLICE_RUN`` or more)::

          g[402:448:3] = map(add, g[402:448:3], map(mul, v[56161:56267:7], repeat(grad)))

      which adds ``xₖ · grad`` to each ``∂L/∂wₖ``, as ``g[w] += v[x] * grad`` would one by
      one. (A fused ``weighted_sum`` keeps one line per gradient: its code is short already,
      and lines replay quicker than slices.)
    """

    def __init__(self, loss: Value, parameters: tuple[Value, ...], inputs: list[Value]) -> None:
        self.order: list[Value] = topological_order(loss)
        order = self.order
        # Keyed by the Values themselves (hashed by identity): no id() numbers to allocate.
        self.slot: dict[Value, int] = {node: i for i, node in enumerate(order)}
        self.parameter_index: dict[Value, int] = {p: k for k, p in enumerate(parameters)}
        self.input_index: dict[Value, int] = {x: j for j, x in enumerate(inputs)}
        self.constants: list[float] = []
        slot = self.slot
        size = len(order)
        uses = [0] * size  # how many times each node is a parent
        # Which nodes lead to a parameter (the others need no gradient).
        self.needs_grad = needs = [False] * size
        for i, node in enumerate(order):
            parents = node.parents
            if not parents:
                needs[i] = node in self.parameter_index
                continue
            for parent in parents:
                p = slot[parent]
                uses[p] += 1
                if needs[p]:
                    needs[i] = True
        self.folded = folded = [False] * size
        self.gradient_slot = gradient_slot = list(range(size))
        links = [0] * size  # a folded partial sum: how many additions below the line's
        # A chain's backward runs at once, where its line is (see source()), when that moves
        # no contribution past another one to the same gradient: no node outside the chain,
        # between its lowest node and its line, uses a parent the chain passes a gradient to.
        # Checked on neighbours: the nearest use above of each node (as the scan goes down).
        self.chain = chain = [-1] * size  # the line (chain) whose backward holds node i's
        lowest: dict[int, int] = {}  # each chain's lowest node so far
        self.broken: set[int] = set()  # chains whose backward stays node by node
        suspects: list[tuple[int, int]] = []  # (chain, node below it using the same parent)
        next_use = [size] * size
        for i in reversed(range(size)):  # consumers before their parents
            node = order[i]
            parents = node.parents
            op = node.op
            if op == "+" and len(parents) == 2 and chain[i] < 0:
                chain[i] = lowest[i] = i  # the line of a chain (perhaps of one addition)
            mine = chain[i]
            for parent in parents:
                q = slot[parent]
                above = next_use[q]
                next_use[q] = i
                if above in (i, size):  # used twice here (w * w), or not used above
                    continue
                theirs = chain[above]
                if theirs == mine:
                    continue
                if mine >= 0 and above <= mine:  # a use inside this chain, not of it
                    self.broken.add(mine)
                if theirs >= 0:
                    if i >= lowest[theirs]:  # a use inside that chain, not of it
                        self.broken.add(theirs)
                    else:  # below it so far: check again when the chain is complete
                        suspects.append((theirs, i))
            if op != "+" or len(parents) != 2:
                for k in _passing_through(op, len(parents)):
                    p = slot[parents[k]]
                    if uses[p] == 1 and parents[k].parents:  # used only here, not a leaf
                        gradient_slot[p] = gradient_slot[i]
                continue
            # a + b: both pass the gradient through; a chain's links and products fold.
            left, right = parents
            p = slot[right]
            if uses[p] == 1 and right.parents:
                gradient_slot[p] = gradient_slot[i]
                if right.op == "*" and len(right.parents) == 2:
                    folded[p] = True
                    chain[p] = mine
                    lowest[mine] = min(lowest[mine], p)
            p = slot[left]
            if uses[p] == 1 and left.parents:
                gradient_slot[p] = gradient_slot[i]
                if left.op == "+" and len(left.parents) == 2 and links[i] < _LINKS_PER_LINE:
                    folded[p] = True
                    links[p] = links[i] + 1
                    chain[p] = mine
                    lowest[mine] = min(lowest[mine], p)
        for theirs, i in suspects:
            if i >= lowest[theirs]:
                self.broken.add(theirs)

    # -- forward

    def _forward(self, i: int, node: Value) -> str:
        """Node i's number, as source (the right-hand side of ``v[i] = ...``)."""
        slot = self.slot
        op = node.op
        if not node.parents:
            if node in self.parameter_index:
                return f"P[{self.parameter_index[node]}].data"
            if node in self.input_index:
                return f"X[{self.input_index[node]}]"
            self.constants.append(node.data)
            return f"C[{len(self.constants) - 1}]"
        number = node.constant
        if number is not None:  # an operation with a plain number, written in as a literal
            return _with_number(op, f"v[{slot[node.parents[0]]}]", _literal(number))
        if op == "+" and len(node.parents) == 2:
            return self._sum_line(node)
        names = [f"v[{slot[p]}]" for p in node.parents]
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
            parents = [slot[p] for p in node.parents]
            weights = _slots_source(parents[:pairs])
            inputs = _slots_source(parents[pairs : 2 * pairs])
            start = names[2 * pairs] if len(names) > 2 * pairs else "0.0"
            return f"{start} + sum(map(mul, {weights}, {inputs}))"
        raise CaptureError(
            f"capture: cannot replay op {op!r} with {len(names)} parent(s); the replay knows "
            "Value's operators, the op table's methods, sum_values and weighted_sum of Values "
            "(pass Values, not numbers, to weighted_sum)"
        )

    def _sum_line(self, node: Value) -> str:
        """``a + b``, or a whole chain of folded additions ``b + w₁ * x₁ + … + t``."""
        slot, folded = self.slot, self.folded
        terms = []
        while True:
            left, right = node.parents
            r = slot[right]
            if folded[r]:  # a product w * x, used only by this addition
                w, x = right.parents
                terms.append(f"v[{slot[w]}] * v[{slot[x]}]")
            else:
                terms.append(f"v[{r}]")
            if not folded[slot[left]]:
                break
            node = left  # the partial sum below, folded into this line
        terms.append(f"v[{slot[left]}]")
        return " + ".join(reversed(terms))

    # -- backward

    def _locals(self, i: int, node: Value, lines: list[str]) -> list[str]:
        """∂node/∂parent for each parent, as source; helper lines go into ``lines``."""
        op = node.op
        names = [f"v[{self.slot[p]}]" for p in node.parents]
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
        """The replay's source, as functions of a few hundred lines each.

        ``replay(X, P, C)`` makes the lists of numbers ``v`` and gradients ``g`` (one slot
        per node) and calls the parts in turn: forward, then backward, then the gradients
        out. Parts are compiled one by one: a single function of 100,000 lines would take
        hundreds of megabytes to compile.
        """
        # Lines are joined into a part's source as soon as the part is full: the lines of
        # every part at once would double the memory the capture needs.
        sources: list[str] = []
        part: list[str] = []
        characters = 0

        def add(block: list[str]) -> None:
            nonlocal part, characters
            if characters >= _PART_CHARACTERS:
                sources.append(_part_source(len(sources), part))
                part = []
                characters = 0
            part += block
            characters += sum(map(len, block))

        order, folded, needs_grad = self.order, self.folded, self.needs_grad
        block = []
        for i, node in enumerate(order):
            if not folded[i]:
                block.append(f"    v[{i}] = {self._forward(i, node)}")
                if len(block) == 100:
                    add(block)
                    block = []
        add(block)
        root = len(order) - 1
        parameters = [i for i, node in enumerate(order) if not node.parents and needs_grad[i]]
        # Leaves' gradients accumulate from their current .grad. Every other node's starts
        # at 0, as in Value.backward: its first contribution is written `g = 0.0 + ...`
        # (the same bits: 0.0 + -0.0 is 0.0).
        started = [False] * len(order)
        lines: list[str] = []
        for i in parameters:
            lines.append(f"    g[{i}] = P[{self.parameter_index[order[i]]}].grad")
            started[i] = True
        if needs_grad[root]:
            lines.append(f"    g[{root}] {'+=' if started[root] else '='} 1.0")
            started[root] = True
        add(lines)
        lines = []
        append = lines.append
        slot, gradient_slot = self.slot, self.gradient_slot

        def contribute(p: int, contribution: str) -> None:
            """``g[p] += contribution``, or ``g[p] = 0.0 + ...`` for its first."""
            if started[p]:
                append(f"    g[{p}] += {contribution}")
            else:
                append(f"    g[{p}] = 0.0 + {contribution}")
                started[p] = True

        def emit(i: int, node: Value, gradient: str) -> None:
            """Node i's contributions to its parents' gradients, its own being ``gradient``."""
            parents = node.parents
            op = node.op
            if len(parents) == 2 and (op == "*" or op == "+"):  # the commonest: inline
                a, b = slot[parents[0]], slot[parents[1]]
                # A parent receives a contribution if it needs a gradient and does not
                # share this node's (see gradient_slot).
                to_a = needs_grad[a] and gradient_slot[a] == a
                to_b = needs_grad[b] and gradient_slot[b] == b
                if op == "+":  # ∂(a+b)/∂a = ∂(a+b)/∂b = 1, and 1.0 · g is g, bit for bit
                    if to_a:
                        contribute(a, gradient)
                    if to_b:
                        contribute(b, gradient)
                else:
                    if to_a:
                        contribute(a, f"v[{b}] * {gradient}")
                    if to_b:
                        contribute(b, f"v[{a}] * {gradient}")
                return
            helpers: list[str] = []
            local_sources = self._locals(i, node, helpers)
            receiving = [
                (p, local)
                for p, local in zip(map(slot.__getitem__, parents), local_sources)
                if needs_grad[p] and gradient_slot[p] == p
            ]
            if not receiving:
                return
            lines.extend(helpers)
            if len(receiving) > 2 and gradient != "grad":  # read once, into a local
                append(f"    grad = {gradient}")
                gradient = "grad"
            for p, local in receiving:
                # 1.0 · g is g, bit for bit
                contribute(p, gradient if local == "1.0" else f"{local} * {gradient}")

        def add_products(to: list[int], by: list[int], start: int, stop: int) -> None:
            """``g[to[k]] += v[by[k]] * grad`` for k in range(start, stop), evenly spaced
            slots: one slice statement when the run is long, else a line each."""
            if stop - start < _SLICE_RUN:
                for k in range(start, stop):
                    p = to[k]
                    if needs_grad[p] and gradient_slot[p] == p:
                        contribute(p, f"v[{by[k]}] * grad")
            elif any(needs_grad[p] for p in to[start:stop]):
                target, source = _slice(to[start:stop]), _slice(by[start:stop])
                append(
                    f"    g[{target}] = map(add, g[{target}], map(mul, v[{source}], repeat(grad)))"
                )
                for p in to[start:stop]:
                    started[p] = True

        def chain_backward(i: int, node: Value) -> None:
            """The backward of chain i: its line's node and the nodes folded into it."""
            append(f"    grad = g[{gradient_slot[i]}]")
            members: list[Value] = []  # from the line down: the engine's order
            products: list[Value] = []
            while True:
                members.append(node)
                left, right = node.parents
                if folded[slot[right]]:
                    members.append(right)
                    products.append(right)
                if not folded[slot[left]]:
                    break
                node = left
            # The gradients receiving a contribution (w · w gives w two, one after the other).
            receivers = []
            for member in members:
                pair = {slot[member.parents[0]], slot[member.parents[1]]}
                receivers += [p for p in pair if needs_grad[p] and gradient_slot[p] == p]
            if len(set(receivers)) < len(receivers):  # one receives two: the engine's order
                for member in members:
                    emit(slot[member], member, "grad")
                return
            # Each receives one contribution: in any order, the same bits.
            for member in members:
                if member.op == "+":  # the bias, the terms that are not products
                    emit(slot[member], member, "grad")
            products.reverse()  # w₁·x₁ first: the slots ascend
            weights = [slot[product.parents[0]] for product in products]
            inputs = [slot[product.parents[1]] for product in products]
            for start, stop in _runs(weights, inputs):
                add_products(weights, inputs, start, stop)  # ∂(w·x)/∂w = x
                add_products(inputs, weights, start, stop)  # ∂(w·x)/∂x = w

        chain, broken = self.chain, self.broken
        for i in reversed(range(len(order))):
            node = order[i]
            if not node.parents or not needs_grad[i]:
                continue
            line = chain[i]
            if line < 0 or line in broken:
                emit(i, node, f"g[{gradient_slot[i]}]")
            elif line == i:  # a chain's line: the backward of the whole chain, from here
                left, right = node.parents
                if folded[slot[left]] or folded[slot[right]]:
                    chain_backward(i, node)
                else:  # a single addition
                    emit(i, node, f"g[{gradient_slot[i]}]")
            # else: folded into a chain whose line has done its backward
            if len(lines) >= 100:
                add(lines)
                lines.clear()
        add(lines)
        add([f"    P[{self.parameter_index[order[i]]}].grad = g[{i}]" for i in parameters])
        sources.append(_part_source(len(sources), part))
        calls = "".join(f"    part{k}(v, g, X, P, C)\n" for k in range(len(sources)))
        size = len(order)
        driver = (
            f"def replay(X, P, C):\n    v = [0.0] * {size}\n    g = [0.0] * {size}\n"
            f"{calls}    return v[{root}]\n"
        )
        return [*sources, driver]


def _with_number(op: str, x: str, c: str) -> str:
    """The forward of an operation of a Value (source ``x``) and a plain number ``c``."""
    operator = ops.NUMBER_OPERATORS.get(op)
    if operator is None:
        raise CaptureError(f"capture: cannot replay op {op!r} with a number")
    a, b = (c, x) if ops.number_first(op) else (x, c)
    if operator == "/":  # IEEE's result at b = 0, as the engine computes it
        return f"divide({a}, {b})"
    if operator == "**":
        return f"power({a}, {b})"
    return f"{a} {operator} {b}"


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


_LINKS_PER_LINE = 50  # additions folded into one line at most (Python's compiler recurses)
_PART_CHARACTERS = 10_000  # source characters per compiled part (about 300 lines)


def _passing_through(op: str, parent_count: int) -> Sequence[int]:
    """The parents whose local derivative is the constant 1: a sum's terms, a bias."""
    if op == "sum":
        return range(parent_count)
    constant_locals = _CONSTANT_LOCALS.get(op, ())
    if len(constant_locals) == parent_count:  # +, -, neg: from the table's derivatives
        return [k for k, local in enumerate(constant_locals) if local == 1.0]
    if op.startswith("weighted_sum"):
        pairs = _weighted_sum_pairs(op, parent_count)
        if pairs is not None and parent_count == 2 * pairs + 1:
            return (parent_count - 1,)
    return ()  # products, the op table's functions, powers, quotients


_SLICE_RUN = 8  # products of a chain whose gradients go in one slice statement, at least


def _runs(first: list[int], second: list[int]) -> list[tuple[int, int]]:
    """``range(len(first))`` cut into stretches ``(start, stop)`` where both lists of slots
    ascend by a constant step (each stretch as long as it can be, from the left)."""
    runs = []
    start = 0
    size = len(first)
    while start < size:
        stop = start + 1
        if stop < size:
            step_first = first[stop] - first[start]
            step_second = second[stop] - second[start]
            if step_first > 0 and step_second > 0:
                while (
                    stop + 1 < size
                    and first[stop + 1] - first[stop] == step_first
                    and second[stop + 1] - second[stop] == step_second
                ):
                    stop += 1
                stop += 1
        runs.append((start, stop))
        start = stop
    return runs


def _slice(slots: list[int]) -> str:
    """Evenly ascending slots as a slice: ``3:19``, ``40:71:2``."""
    step = slots[1] - slots[0]
    stop = slots[-1] + 1
    return f"{slots[0]}:{stop}" if step == 1 else f"{slots[0]}:{stop}:{step}"


def _slots_source(slots: list[int]) -> str:
    """The numbers of ``slots`` as source: a slice of ``v`` when they are evenly spaced
    (``v[3:19]``, ``v[40:71:2]``), else a tuple ``(v[3], v[8], ...)``."""
    if len(slots) >= 2:
        step = slots[1] - slots[0]
        if step > 0 and all(b - a == step for a, b in pairwise(slots)):
            stop = slots[-1] + 1
            return f"v[{slots[0]}:{stop}]" if step == 1 else f"v[{slots[0]}:{stop}:{step}]"
    return f"({', '.join(f'v[{s}]' for s in slots)},)"


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


def _signature(
    loss: Value, parameters: tuple[Value, ...], inputs: list[Value]
) -> list[tuple[Any, ...]]:
    """The graph's structure, node by node in topological order: each leaf's role
    (parameter k, input j, or a constant and its number), each other node's op and the
    positions of its parents."""
    order = topological_order(loss)
    position = {node: i for i, node in enumerate(order)}
    parameter_index = {p: k for k, p in enumerate(parameters)}
    input_index = {x: j for j, x in enumerate(inputs)}
    signature: list[tuple[Any, ...]] = []
    for node in order:
        if node.parents and node.constant is not None:  # an operation with a plain number
            signature.append(("with a number", node.op, position[node.parents[0]], node.constant))
        elif node.parents:
            signature.append((node.op, *[position[p] for p in node.parents]))
        elif node in parameter_index:
            signature.append(("parameter", parameter_index[node]))
        elif node in input_index:
            signature.append(("input", input_index[node]))
        else:
            signature.append(("constant", node.data))
    return signature


def first_difference(
    traced: list[tuple[Any, ...]],
    now: list[tuple[Any, ...]],
    words: Callable[[tuple[Any, ...]], str] | None = None,
) -> str:
    """Where two graph signatures first differ, in words (``words`` says what one entry is;
    by default, an entry of a Value graph's signature)."""
    words = words or _node_words
    for i, (a, b) in enumerate(zip(traced, now)):
        if a != b:
            return f"node {i} was {words(a)} when traced, is now {words(b)}"
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
