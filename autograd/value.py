"""``Value``: one number that remembers how it was computed.

Every operation on Values returns a new Value holding three things:

* ``data`` - the number computed (the forward pass);
* ``parents`` - the Values it was computed from, in order;
* ``local_grads`` - for each parent, the local derivative ∂out/∂parent at this point.

Backpropagation is then the article's weighted sum, applied once per node in reverse
topological order::

    parent.grad += local_grad * node.grad      # ∂L/∂parent = Σ ∂out/∂parent · ∂L/∂out

Each operation below computes its result and its local derivatives side by side, in a few
lines. The derivatives are numbers, computed during the forward pass: backward needs no
per-node function, so a node holds no closure and no reference back to itself, and Python's
garbage collector has no cycles to chase.

Non-finite results follow :mod:`autograd.numerics` (IEEE 754: ``inf``/``nan``, never an
exception).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from operator import mul
from typing import TYPE_CHECKING, Any, Union, cast

from autograd import numerics, ops
from autograd.errors import unsupported_operand
from autograd.grad_mode import GRAD_MODE, SWITCHED
from autograd.graph import _WATCH, BackwardObserver, topological_order

Number = int | float
Operand = Union["Value", int, float]

_new = object.__new__


class Value:
    """A scalar in a computation graph.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + x.tanh()
    >>> y.backward()
    >>> round(x.grad, 4)   # d/dx (x² + tanh x) = 2x + 1 - tanh² x
    4.0707

    Attributes:
        data: the number (a Python float).
        grad: ∂(root)/∂(this value) after ``root.backward()``; accumulates across calls.
        parents: the Values this one was computed from (empty for inputs and parameters).
        local_grads: ∂(this)/∂(parent) for each parent, in the same order.
        op: the name of the operation that made this Value ("" for a leaf). An operation
            with a plain number says where the number stood: "+c" (x + c), "c-" (c - x),
            "*c", "/c", "c/", "c**"...; a constant power is "**2".
        constant: that plain number (the 1 of ``x + 1``), or None (also for a constant
            power, whose exponent is written in its op). A number in a formula is not a
            node: it has no gradient to receive.
        label: an optional name, used when the graph is drawn.

    **Changing data.** The local derivatives are numbers computed in the forward pass, so
    ``backward()`` always gives the gradient at the values of the forward pass: assigning
    ``x.data = 3.0`` afterwards changes nothing in the graph already built (only operations
    computed after it see the new number).
    """

    __slots__ = ("_constant", "data", "grad", "label", "local_grads", "op", "parents")
    _constant: float  # set only on the node of an operation with a number: see ``constant``
    # Make NumPy hand ``np.float64(2) * value`` back to our reflected operators instead of
    # building an object array.
    __array_ufunc__ = None

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float:
            data = _as_float(data, "Value()")
        self.data = data
        self.grad = 0.0
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.op = ""
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __bool__(self) -> bool:
        """The truth of the number, as for a float (and a one-element Tensor): 0.0 is False."""
        return self.data != 0.0

    # ---------------------------------------------------------------- arithmetic
    # Each operator has two cases. Two Values: a node with both as parents. A Value and a
    # plain number (``x + 1``, ``2 * x``): a node with the Value as its only parent, which
    # keeps the number as ``.constant`` (nothing learns a number, so it needs no node of its
    # own). The op then says where the number stood: "+c" is x + c, "c-" is c - x.

    # ∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1
    def __add__(self, other: Operand) -> Value:
        if type(other) is Value or isinstance(other, Value):
            return _result(self.data + other.data, (self, other), ops.ADD_DERIVATIVES, "+")
        c = _as_float(other, "+", "Value")
        return _with_number(self.data + c, self, _ONE, "+c", c)

    # ∂(a-b)/∂a = 1, ∂(a-b)/∂b = -1
    def __sub__(self, other: Operand) -> Value:
        if type(other) is Value or isinstance(other, Value):
            return _result(self.data - other.data, (self, other), ops.SUB_DERIVATIVES, "-")
        c = _as_float(other, "-", "Value")
        return _with_number(self.data - c, self, _ONE, "-c", c)

    # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
    def __mul__(self, other: Operand) -> Value:
        if type(other) is Value or isinstance(other, Value):
            a, b = self.data, other.data
            return _result(a * b, (self, other), (b, a), "*")  # ops.multiply_derivatives, inline
        c = _as_float(other, "*", "Value")
        return _with_number(self.data * c, self, (c,), "*c", c)

    # ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = -a/b² = -(a/b)/b
    def __truediv__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _divide(self.data, other.data, (self, other), "/")
        c = _as_float(other, "/", "Value")
        return _divide(self.data, c, (self,), "/c")

    # ∂(a^b)/∂a = b·a^(b-1); with a Value exponent also ∂(a^b)/∂b = a^b·ln a
    def __pow__(self, exponent: Operand) -> Value:
        a = self.data
        if isinstance(exponent, Value):
            b = exponent.data
            out = numerics.power(a, b)
            return _result(out, (self, exponent), ops.power_derivatives(a, b, out), "**")
        b = _as_float(exponent, "**", "Value")
        out = numerics.power(a, b)
        return _result(out, (self,), (ops.power_base_derivative(a, b),), _power_op(b))

    # ∂(-a)/∂a = -1
    def __neg__(self) -> Value:
        return _result(-self.data, (self,), ops.NEG_DERIVATIVES, "neg")

    def __pos__(self) -> Value:
        return self

    # Reflected operators: ``2 * x`` calls ``x.__rmul__(2)``; the number comes first.
    def __radd__(self, other: Number) -> Value:
        c = _as_float(other, "+", "Value", reflected=True)
        return _with_number(c + self.data, self, _ONE, "c+", c)

    def __rmul__(self, other: Number) -> Value:
        c = _as_float(other, "*", "Value", reflected=True)
        return _with_number(c * self.data, self, (c,), "c*", c)

    def __rsub__(self, other: Number) -> Value:
        c = _as_float(other, "-", "Value", reflected=True)
        return _with_number(c - self.data, self, ops.NEG_DERIVATIVES, "c-", c)

    def __rtruediv__(self, other: Number) -> Value:
        c = _as_float(other, "/", "Value", reflected=True)
        return _divide(c, self.data, (self,), "c/")

    # ∂(c^x)/∂x = c^x·ln c
    def __rpow__(self, base: Number) -> Value:
        c = _as_float(base, "**", "Value", reflected=True)
        x = self.data
        out = numerics.power(c, x)
        local = ops.power_derivatives(c, x, out)[1]
        return _with_number(out, self, (local,), "c**", c)

    @property
    def constant(self) -> float | None:
        """The plain number of an operation with one (the 1 of ``x + 1``), else None; a
        constant power keeps its exponent in its op instead (``"**2"``)."""
        return getattr(self, "_constant", None)

    # ---------------------------------------------------------------- functions
    # exp, log, tanh, sigmoid, relu, sin, cos, abs, sqrt, softplus: made from the table of
    # autograd.ops, at the end of this module (see _elementwise_method).
    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Callable[[], Value]: ...

    def __abs__(self) -> Value:
        """``abs(x)``: the table's ``abs`` (∂|x|/∂x = sign x)."""
        return self.abs()

    # ---------------------------------------------------------------- backward
    @staticmethod
    def _backward(node: Value, grad: float) -> tuple[float, ...]:
        """∂L/∂parent for each parent, from ∂L/∂node: the node's rule, as a Tensor node has.

        Both engines' nodes answer ``node._backward(node, grad)`` with one gradient per
        parent; a Value's rule is its local derivatives times ``grad``. (``backward`` below
        writes the same products inline, for speed.)
        """
        return tuple(local_grad * grad for local_grad in node.local_grads)

    def backward(self) -> None:
        """Backpropagate from this Value: fill ``.grad`` of every Value it depends on.

        ``self.grad`` is seeded with 1 (∂self/∂self). Gradients of leaves (inputs and
        parameters) *accumulate*: call ``zero_grad()`` on a module, or set ``.grad = 0``,
        between steps. Intermediate Values get fresh gradients on every call, so calling
        ``backward()`` twice on the same graph is correct: the leaves receive the gradient
        twice, exactly as two separate graphs would give them.

        Python's garbage collector is left alone: its on/off switch is shared by every
        thread, so pausing it here would override what other code (in any thread) set
        meanwhile. It is not needed either: the walk allocates nothing per node that the
        collector tracks, so a deep graph triggers no collections over it.
        """
        observer = _WATCH.observer
        if observer is not None:  # inside watching_backward(): the same sweep, reported
            order = topological_order(self)
            for node in order:
                if node.parents:  # intermediate values start again from zero
                    node.grad = 0.0
            self.grad += 1.0
            _reported_sweep(order, observer)
            return
        order = _computed_nodes(self)  # (intermediate values start again from zero)
        self.grad += 1.0
        # The article's weighted sum, from the output back to the inputs.
        for node in reversed(order):
            parents = node.parents
            count = len(parents)
            if count == 2:  # binary ops, most nodes: the loop below, unrolled (2x faster)
                a, b = parents
                local_a, local_b = node.local_grads
                grad = node.grad
                a.grad += local_a * grad
                b.grad += local_b * grad
            elif count == 1:  # functions, and operations with a number: unrolled too
                parents[0].grad += node.local_grads[0] * node.grad
            else:
                grad = node.grad
                for parent, local_grad in zip(parents, node.local_grads):
                    parent.grad += local_grad * grad


class _Zero(float):
    """0.0, as an object of its own: the mark :func:`_computed_nodes` leaves on a node.

    It adds as 0.0 does (``zero + c`` is a plain float, bit for bit ``0.0 + c``). Unlike a
    plain float, whose identity Python leaves to the implementation, each instance is a
    distinct object, so ``node.grad is zero`` tells one walk's marks from any other 0.0.
    """

    __slots__ = ()


def _computed_nodes(root: Value) -> list[Value]:
    """The nodes of ``root``'s graph that have parents, each after its parents (``root``
    last, if it has any), with their ``grad`` reset to 0.0: what backward's sweep visits.

    The order is :func:`topological_order`'s with the leaves left out (the sweep has
    nothing to do at a leaf), so gradients are summed in the same order, bit for bit. The
    walk is the same depth-first walk, made cheaper for Values in three ways:

    * where ``topological_order`` remembers the nodes it placed in a set, this walk resets
      each node's grad to this call's own zero (a :class:`_Zero`) as it places it, and
      knows a placed node by that mark: no set to grow and no pass afterwards to reset the
      gradients (the sweep's first ``+=`` into the node replaces the mark);
    * a node is looked at once: when some of its parents wait, it goes back on the stack
      under them with a ``None`` above it, which says, when it is popped, that they are
      all placed now and the node comes next;
    * a run of one-parent nodes (``x + 1 + 1 + ...``, ``x.exp().tanh()``) is followed down
      in a tight loop (:func:`_walk_run`).
    """
    order: list[Value] = []
    if not root.parents:  # a leaf: nothing to sweep
        return order
    zero = _Zero()
    stack: list[Any] = [root]  # nodes, and the markers (None) described above
    pop, push, place = stack.pop, stack.append, order.append
    # A parent waits (is pushed) if it has parents itself and is not placed yet.
    while stack:
        node = pop()
        if node is None:  # the parents of the node below are placed: place it
            node = pop()
        elif node.grad is zero:  # pushed by two of its children, and placed already
            continue
        else:
            parents = node.parents
            count = len(parents)
            if count == 2:  # binary operations, most nodes: unrolled
                first, second = parents
                second_waits = second.grad is not zero and second.parents
                first_waits = first.grad is not zero and first.parents
                if first_waits or second_waits:
                    push(node)
                    push(None)
                    if second_waits:
                        push(second)
                    if first_waits:  # on top: the first parent is placed first
                        push(first)
                    continue
            elif count == 1:  # functions, and operations with a number
                parent = parents[0]
                grandparents = parent.parents
                if parent.grad is not zero and grandparents:
                    if len(grandparents) == 1:  # a run of one-parent nodes
                        _walk_run(node, stack, zero, order)
                    else:  # (relu of a sum, say)
                        push(node)
                        push(None)
                        push(parent)
                    continue
            else:
                push(node)
                push(None)
                height = len(stack)
                for parent in reversed(parents):
                    if parent.grad is not zero and parent.parents:
                        push(parent)
                if len(stack) > height:
                    continue
                del stack[-2:]  # no parent waits after all: place the node now
        node.grad = zero
        place(node)
    return order


def _walk_run(node: Value, stack: list[Any], zero: _Zero, order: list[Value]) -> None:
    """:func:`_computed_nodes`'s step at a one-parent ``node`` whose parent waits and has
    one parent too: follow the run of one-parent nodes down from ``node``.

    If the run starts at a node whose parent is placed (or a leaf), the whole run is ready:
    it is placed at once, from that node up to ``node``, as the walk would place it node by
    node. Otherwise the run reaches a node with several parents, which waits: the run goes
    on the stack (each node with a ``None`` above it) and that node on top, to be placed
    first.
    """
    run = [node]  # from node down: one list per run, not per node
    add = run.append
    parent = node.parents[0]
    parents = parent.parents
    while len(parents) == 1:
        grandparent = parents[0]
        if grandparent.grad is zero or not grandparent.parents:  # parent starts the run
            add(parent)
            run.reverse()
            for member in run:
                member.grad = zero
            order += run
            return
        add(parent)
        parent = grandparent
        parents = parent.parents
    push = stack.append
    for member in run:
        push(member)
        push(None)
    push(parent)


def _reported_sweep(order: list[Value], observer: BackwardObserver) -> None:
    """:meth:`Value.backward`'s loop, written as the article writes it, telling ``observer``
    each step (see :func:`autograd.graph.watching_backward`)."""
    for node in reversed(order):
        grad = node.grad
        observer.visit(node)
        for parent, local_grad in zip(node.parents, node.local_grads):
            contribution = local_grad * grad
            parent.grad += contribution
            observer.passed(node, parent, local_grad, contribution)


# -------------------------------------------------------------------- fused operations


def weighted_sum(
    weights: Sequence[Operand], inputs: Sequence[Operand], bias: Operand | None = None
) -> Value:
    """The article's z = w₁x₁ + w₂x₂ + … + b, as one node.

    ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1. One node in place of 2n of ``+`` and ``*`` gives
    the same numbers and gradients as ``sum(w * x for ...) + b``, several times faster, and
    draws as one neuron's sum. Plain numbers are allowed (the data a network is fed) and
    become no nodes.

    Raises:
        ValueError: ``weights`` and ``inputs`` differ in length.
        TypeError: an element (or ``bias``) is neither a Value nor a real number.
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"weighted_sum: {len(weights)} weights but {len(inputs)} inputs; "
            "give one weight per input"
        )
    # Parents are laid out as: the weights wᵢ that meet a Value input, those inputs xᵢ (in
    # the same order), then every parent whose partner is a number, then the bias. The op
    # records how many pairs there are ("weighted_sum:3"), so that a derivative as a graph
    # finds each parent's partner: ∂z/∂wᵢ is the node xᵢ, not only its number.
    parents: list[Value] = []
    local_grads: list[float] = []
    pairs = 0
    total = 0.0
    bias_is_value = type(bias) is Value or isinstance(bias, Value)
    if bias_is_value:
        total = bias.data  # type: ignore[union-attr]  # a Value, checked just above
    elif bias is not None:
        total = _as_float(bias, "weighted_sum")
    weights_are_values = all(type(w) is Value for w in weights)
    if weights_are_values and all(type(x) is Value for x in inputs):
        value_weights = cast("Sequence[Value]", weights)  # as checked just above
        value_inputs = cast("Sequence[Value]", inputs)
        w_data = [w.data for w in value_weights]
        x_data = [x.data for x in value_inputs]
        parents += value_weights
        parents += value_inputs
        local_grads += x_data
        local_grads += w_data
        pairs = len(w_data)
        total += sum(map(mul, w_data, x_data))
    elif weights_are_values and all(type(x) is float for x in inputs):
        value_weights = cast("Sequence[Value]", weights)
        float_inputs = cast("Sequence[float]", inputs)
        parents += value_weights
        local_grads += float_inputs
        total += sum(map(mul, [w.data for w in value_weights], float_inputs))
    else:  # the general case: any mix of Values and numbers on either side
        paired_weights: list[Value] = []
        paired_inputs: list[Value] = []
        alone: list[Value] = []
        alone_grads: list[float] = []
        for w, x in zip(weights, inputs):
            w_number = w.data if isinstance(w, Value) else _as_float(w, "weighted_sum")
            x_number = x.data if isinstance(x, Value) else _as_float(x, "weighted_sum")
            if isinstance(w, Value) and isinstance(x, Value):
                paired_weights.append(w)
                paired_inputs.append(x)
            elif isinstance(w, Value):
                alone.append(w)
                alone_grads.append(x_number)
            elif isinstance(x, Value):
                alone.append(x)
                alone_grads.append(w_number)
            total += w_number * x_number
        parents = paired_weights + paired_inputs + alone
        local_grads = [x.data for x in paired_inputs] + [w.data for w in paired_weights]
        local_grads += alone_grads
        pairs = len(paired_weights)
    if bias_is_value:
        parents.append(bias)  # type: ignore[arg-type]  # a Value, checked above
        local_grads.append(1.0)
    op = _PAIRED_SUM_OPS.get(pairs) or _paired_sum_op(pairs)
    return _result(total, tuple(parents), tuple(local_grads), op)


_PAIRED_SUM_OPS: dict[int, str] = {0: "weighted_sum"}  # filled as sizes are met


def _paired_sum_op(pairs: int) -> str:
    """``"weighted_sum:n"`` (n pairs of Values), one shared string per n."""
    op = _PAIRED_SUM_OPS[pairs] = f"weighted_sum:{pairs}"
    return op


def sum_values(values: Iterable[Operand]) -> Value:
    """Σ values as one node (∂/∂vᵢ = 1 for each); ``sum()`` would chain n additions.

    Raises:
        TypeError: an element is neither a Value nor a real number.
    """
    parents = []
    total = 0.0
    for v in values:
        if type(v) is Value or isinstance(v, Value):
            parents.append(v)
            total += v.data
        else:
            total += _as_float(v, "sum_values")
    return _result(total, tuple(parents), (1.0,) * len(parents), "sum")


# -------------------------------------------------------------------- helpers


def _result(
    data: float, parents: tuple, local_grads: tuple, op: str, number: float | None = None
) -> Value:
    """Make an operation's output node (without ``__init__``'s checks: data is a float).

    ``number`` is the plain number of an operation with one (see :func:`_with_number`): only
    anomaly mode, which checks the operands, needs to see it here."""
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    # Record the graph, unless this thread is inside no_grad() or detect_anomaly(). While no
    # thread is (SWITCHED[0] == 0), the thread's own mode need not be read at all.
    if not SWITCHED[0] or GRAD_MODE.enabled is True:
        node.parents = parents
        node.local_grads = local_grads
    elif GRAD_MODE.enabled is False:  # inside no_grad(): a constant, nothing to backpropagate
        node.parents = ()
        node.local_grads = ()
    else:  # inside detect_anomaly(): its marker, CHECKING (see autograd.anomaly)
        return _checked_result(data, parents, local_grads, op, number)
    node.op = op
    node.label = ""
    return node


def _with_number(data: float, parent: Value, local_grads: tuple, op: str, number: float) -> Value:
    """The output node of an operation of ``parent`` and a plain ``number`` (see ``op``)."""
    node = _result(data, (parent,), local_grads, op, number)
    node._constant = number
    return node


def _divide(a: float, b: float, parents: tuple, op: str) -> Value:
    """``a / b`` as a node: op "/" (two Values), "/c" (b is a number) or "c/" (a is)."""
    out = numerics.divide(a, b)
    try:
        local_grads = ops.divide_derivatives(a, b, out)
    except ZeroDivisionError:  # b is ±0: IEEE's ±inf (or nan) instead
        local_grads = _ieee_derivative(ops.divide_derivatives, a, b, out)
    if op == "/":
        return _result(out, parents, local_grads, op)
    if op == "/c":
        return _with_number(out, parents[0], local_grads[:1], op, b)
    return _with_number(out, parents[0], local_grads[1:], op, a)


class _CheckedValue(Value):
    """A Value made inside ``detect_anomaly()``: one slot more, for the line that made it.

    Only anomaly mode makes these. A slot on every Value would make every node 8 bytes
    larger (16 with the allocator's rounding), and every program a little slower.
    """

    __slots__ = ("_origin",)


def _checked_result(
    data: float, parents: tuple, local_grads: tuple, op: str, number: float | None
) -> Value:
    """:func:`_result` inside ``detect_anomaly()``: the node also remembers the user's line
    that made it, and its number is checked (raises AnomalyError if it is not finite)."""
    from autograd.anomaly import check_value  # (and NumPy) only in anomaly mode

    node = _new(_CheckedValue)
    node.data = data
    node.grad = 0.0
    node.parents = parents
    node.local_grads = local_grads
    node.op = op
    node.label = ""
    operands = parents
    if number is not None:  # the number too, as a leaf, where it stood: a nan typed in a formula
        node._constant = number
        written = Value(number)
        operands = (written, *parents) if ops.number_first(op) else (*parents, written)
    check_value(node, operands)
    return node


_ACCEPTED = "a real number (int, float, NumPy scalar) or a Value"


def _as_float(x: object, op: str, engine: str = "", reflected: bool = False) -> float:
    """A real number as a float, or a TypeError that names the op and the operand's type.

    ``engine`` is "Value" when ``x`` is an operand of a Value operator (see
    :func:`autograd.errors.unsupported_operand`).
    """
    kind = type(x)
    if kind is float or kind is int:  # the common cases, without isinstance's ABC check
        return float(x)  # type: ignore[arg-type]  # x is an int or a float, checked above
    if isinstance(x, Real):  # bool, NumPy scalars (np.float32, np.int64, ...)
        return float(x)
    raise unsupported_operand(x, op, engine, _ACCEPTED, reflected=reflected)


# -------------------------------------------------------------------- the table's operations


def local_derivatives(node: Value) -> tuple[Any, ...]:
    """∂node/∂parent for each parent, as expressions on the graph's own nodes.

    The same expressions that gave ``node.local_grads`` as numbers in the forward pass, now
    evaluated on the parents and on ``node`` itself: each is a Value computed from them (or
    a number, where the derivative is a constant), so a gradient built from them is a graph
    that can be differentiated again. Used by ``autograd.grad(..., create_graph=True)``.

    Raises:
        NotImplementedError: for an op this module does not make (a node built by hand).
    """
    op, parents = node.op, node.parents
    entry = ops.ELEMENTWISE.get(op)
    if entry is not None:
        return (entry.derivative(parents[0], node),)
    number = node.constant
    if number is not None:  # an operation of a Value and a plain number
        return _number_derivatives(op, parents[0], number, node)
    if op == "+":
        return ops.ADD_DERIVATIVES
    if op == "-":
        return ops.SUB_DERIVATIVES
    if op == "neg":
        return ops.NEG_DERIVATIVES
    if op == "*":
        return ops.multiply_derivatives(parents[0], parents[1], node)
    if op == "/":
        return ops.divide_derivatives(parents[0], parents[1], node)
    if op == "**":
        return ops.power_derivatives(parents[0], parents[1], node)
    if op.startswith("**"):  # a constant exponent, written exactly in the op (_power_op)
        return (ops.power_base_derivative(parents[0], float(op[2:])),)
    if op == "sum":
        return node.local_grads  # all 1
    if op.startswith("weighted_sum"):
        # ∂z/∂wᵢ = xᵢ and ∂z/∂xᵢ = wᵢ for the paired parents; numbers for the others.
        pairs = int(op.partition(":")[2] or 0)
        weights, inputs = parents[:pairs], parents[pairs : 2 * pairs]
        return (*inputs, *weights, *node.local_grads[2 * pairs :])
    raise NotImplementedError(
        f"local_derivatives: no derivative expressions for op {op!r}; build the graph with "
        "Value's operations, the op table's methods, weighted_sum or sum_values"
    )


_ONE = (1.0,)
_ZERO = (0.0,)


def _number_derivatives(op: str, x: Value, c: float, out: Value) -> tuple[Any, ...]:
    """∂out/∂x for an operation of the node ``x`` and the number ``c`` (see ``Value.op``):
    the two-operand rules with the number in its place, keeping the derivative by ``x``."""
    if op in ("+c", "c+", "-c"):
        return _ONE
    if op == "c-":
        return ops.NEG_DERIVATIVES
    if op in ("*c", "c*"):
        return (c,)
    if op == "/c":  # 1/c, a number (IEEE's ±inf for c = ±0, as the forward pass had it)
        return (numerics.divide(1.0, c),)
    if op == "c/":
        return ops.divide_derivatives(c, x, out)[1:]
    if op == "c**":
        return ops.power_derivatives(c, x, out)[1:]
    raise NotImplementedError(f"local_derivatives: no rule for op {op!r} with a number")


def _power_op(exponent: float) -> str:
    """The op of ``x ** c``: ``"**2"``, ``"**0.5"``; exact, as derivatives as graphs read c."""
    short = f"**{exponent:g}"
    return short if float(short[2:]) == exponent else f"**{exponent!r}"


def _elementwise_method(op: ops.Elementwise) -> Callable[[Value], Value]:
    """The Value method for a table entry: the forward and the local derivative, on floats.

    The derivative is the table's expression in ``x`` and ``out``, evaluated on the two
    floats. Where Python's float arithmetic raises instead of giving IEEE's answer (``1/x``
    at 0, an overflow), the same expression is evaluated in NumPy's float64, which gives it.
    """
    forward, derivative, name = op.scalar, op.derivative, op.name

    def method(self: Value) -> Value:
        x = self.data
        out = forward(x)
        try:
            local = derivative(x, out)
        except ArithmeticError:  # ZeroDivisionError, OverflowError
            local = _ieee_derivative(derivative, x, out)
        # The two commonest derivatives (relu's) share one tuple: nothing to allocate.
        if local == 1.0:
            return _result(out, (self,), _ONE, name)
        if local == 0.0:
            return _result(out, (self,), _ZERO, name)
        return _result(out, (self,), (local,), name)

    method.__name__ = name
    method.__qualname__ = f"Value.{name}"
    method.__doc__ = op.doc
    return method


def _ieee_derivative(derivative: Callable[..., Any], *numbers: float) -> Any:
    """``derivative(*numbers)`` where Python's float arithmetic raised: in NumPy's float64,
    which gives IEEE's inf and nan instead. A tuple of derivatives comes back as floats."""
    import numpy as np  # only here: the scalar engine does not need NumPy otherwise

    with np.errstate(all="ignore"):
        result = derivative(*(np.float64(x) for x in numbers))
    return tuple(map(float, result)) if type(result) is tuple else float(result)


for _op in ops.ELEMENTWISE.values():
    setattr(Value, _op.name, _elementwise_method(_op))
