"""Anomaly mode: find the operation that made the first NaN or infinity.

A NaN in a loss says that something went wrong, not where: it spreads through every value
computed from it. Inside ``with detect_anomaly():`` (or in a function decorated with
``@detect_anomaly()``) both engines watch for the first one:

* every node an operation makes remembers the line of *your* code that made it (file, line,
  function: the first caller outside the ``autograd`` and ``nn`` packages, so for a layer it
  is the line that called the model), and its value is checked;
* ``backward()`` checks each gradient a node passes back to its operands, and each sum
  ``parent.grad`` it is added into.

The first non-finite number (``nan``, ``inf`` or ``-inf``) raises :class:`AnomalyError`,
which names the operation, its operands' values, the pass it happened in and your line::

    >>> from autograd import Value, detect_anomaly
    >>> x = Value(0.0, label="x")
    >>> with detect_anomaly():
    ...     y = x.log()                                 # doctest: +ELLIPSIS
    Traceback (most recent call last):
    autograd.anomaly.AnomalyError: 'log' gave a non-finite value in the forward pass, at ...
      log(0) = -inf
      result: -inf
      operand 1: a leaf 'x': 0
    log(x) is -inf at 0 and nan below 0: keep x positive ...

A non-finite value that comes *into* the block (an input, a parameter, a number in a
formula, a node computed before the block) is blamed on itself, not on the first operation
that uses it: the error's ``phase`` is then ``"input"``. An infinite input that an operation
turns into a NaN (``0 * inf``) is blamed on that operation, which made the NaN.

Outside the block nothing is checked or recorded, and it costs nothing: every operation
asks anyway whether some thread has switched the grad mode (:mod:`autograd.grad_mode`'s
``SWITCHED`` count, for ``no_grad()``). Inside this block the mode holds the marker
:data:`CHECKING` in place of ``True``, so the common branch (record, no mode read) is not
taken; only the other branch asks whether the mode is ``False`` or the marker. Nodes made
in the block remember their line in a slot ``_origin``: a Tensor has that slot, and a Value
made here is of a subclass that adds it (a slot on every Value would make every node
bigger). Like
``no_grad``, the mode is per thread.

What is not checked: operations inside ``no_grad()`` (they record nothing and have no
backward), and the gradients that ``autograd.grad`` returns (it does not run ``backward()``;
with ``create_graph=True`` its gradients are graph nodes, checked as they are made). The
backward checks are an observer of :func:`autograd.graph.watching_backward`, which nests:
an observer installed before the block is still called (first), and one installed inside it
(``animate_backward``, say) is called after the checks. The numbers stay IEEE's
(:mod:`autograd.numerics`): this mode only raises on them.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from types import CodeType
from typing import Any, NamedTuple

import numpy as np

from autograd import ops
from autograd.grad_mode import GRAD_MODE, runs_later, set_enabled
from autograd.graph import _WATCH, watching_backward

# -------------------------------------------------------------------- the marker


class _Checking:
    """The type of :data:`CHECKING`, the grad mode inside detect_anomaly() (falsy, as False)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "CHECKING"


# ``GRAD_MODE.enabled`` inside detect_anomaly(): record the graph, and check each result.
CHECKING = _Checking()


# -------------------------------------------------------------------- where a node was made


class Location(NamedTuple):
    """A line of the user's code: where a node was made."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} in {self.function}"


_HERE = os.path.dirname(os.path.abspath(__file__))
# The library's own code: autograd, and nn next to it. A node's line is the first caller
# outside these, so that a layer's operations are placed at the line that called the model.
_LIBRARY = (_HERE + os.sep, os.path.join(os.path.dirname(_HERE), "nn") + os.sep)


def _user_line() -> tuple[CodeType, int] | None:
    """The code object and line of the first caller outside the library, or None.

    The code object, not the frame: a frame would keep every local variable of the caller
    alive as long as the node.
    """
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(_LIBRARY):
            return code, frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]  # None ends the loop
    return None


def location_of(node: Any) -> Location | None:
    """Where ``node`` was made, if it was made by an operation inside ``detect_anomaly()``."""
    made = getattr(node, "_origin", None)  # only anomaly mode sets it
    if made is None:
        return None
    code, line = made
    return Location(code.co_filename, line, getattr(code, "co_qualname", code.co_name))


# -------------------------------------------------------------------- the error


class AnomalyError(FloatingPointError):
    """The first non-finite number (``nan``, ``±inf``) met inside :func:`detect_anomaly`.

    Attributes:
        node: the culprit: the node whose value or gradient is the first non-finite
            number (for an ``"input"``, the non-finite input itself).
        phase: ``"forward"`` (an operation's result), ``"backward"`` (a gradient), or
            ``"input"`` (a value that was already non-finite when it came into the block:
            an input, a parameter, or a node computed outside the checks).
        location: the line of the user's code that made ``node`` (for an ``"input"``, the
            line that used it), or None where it was not recorded.
        root: for ``"backward"``, the node ``backward()`` was called on; otherwise None.
        op: the name of the operation (``"log"``, ``"*"``…) to blame; for an ``"input"``,
            the operation that used it.
    """

    def __init__(
        self,
        message: str,
        *,
        node: Any,
        phase: str,
        location: Location | None,
        op: str,
        root: Any = None,
        drawn_from: Any = None,
    ) -> None:
        super().__init__(message)
        self.node = node
        self.phase = phase
        self.location = location
        self.op = op
        self.root = root
        # The node whose graph draw() shows: the root of the sweep, the operation that used
        # a non-finite input, or the culprit itself.
        self._drawn_from = drawn_from if drawn_from is not None else node

    def draw(self, **options: Any) -> Any:
        """The graph around the culprit, drawn with :func:`autograd.draw_graph`, the culprit
        and its path to the output marked: ``draw_graph(root, highlight=error.node)``.

        ``options`` go to ``draw_graph`` (``rankdir="TB"``, ``max_nodes=...``).

        Raises:
            what ``draw_graph`` raises (ImportError without graphviz, ValueError for a
            graph above ``max_nodes``).
        """
        from autograd.viz_graph import draw_graph  # graphviz only when drawing

        return draw_graph(self._drawn_from, highlight=self.node, **options)


# -------------------------------------------------------------------- forward checks
# Called by the engines' node-making functions, only inside detect_anomaly().


def check_value(node: Any, operands: Sequence[Any]) -> None:
    """Remember where the Value ``node`` was made, and check its number.

    Raises:
        AnomalyError: the number is ``nan`` or ``±inf`` (and ``node`` is an operation's
            result, not a leaf made from a number).
    """
    node._origin = _user_line()
    if not math.isfinite(node.data) and operands:
        raise _forward_error(node, operands)


def check_tensor(node: Any, operands: Sequence[Any]) -> None:
    """Remember where the Tensor ``node`` was made, and check its array.

    ``operands`` are the operation's inputs, also for a result that records none (one that
    does not require grad).

    Raises:
        AnomalyError: the array holds a ``nan`` or ``±inf``.
    """
    node._origin = _user_line()
    if operands and not np.isfinite(node._data).all():
        raise _forward_error(node, operands)


def _forward_error(node: Any, operands: Sequence[Any]) -> AnomalyError:
    """The error for a non-finite result: blamed on an operand that brought the non-finite
    number in, or else on the operation that made it."""
    result = node.data
    # A NaN from a NaN operand, an infinity from a non-finite operand: passed on, not made.
    made_nan = bool(np.isnan(result).any())
    for index, operand in enumerate(operands):
        data = operand.data
        brought_in = np.isnan(data).any() if made_nan else not np.isfinite(data).all()
        if brought_in:
            return _input_error(node, operand, index)
    where = location_of(node)
    lines = [
        f"{_op_name(node.op)} gave a non-finite value in the forward pass, at {_at(where)}",
        *_first_bad_expression(node, operands),
        f"  result: {_describe(result)}",
        *_operand_lines(operands),
        _FORWARD_HINTS.get(_hint_key(node.op), _FORWARD_HINT),
    ]
    return AnomalyError("\n".join(lines), node=node, phase="forward", location=where, op=node.op)


def _input_error(node: Any, operand: Any, index: int) -> AnomalyError:
    """The error for a non-finite operand that came into the block from outside."""
    where = location_of(node)
    name = f" {operand.label!r}" if operand.label else ""
    lines = [
        f"a non-finite input: operand {index + 1}{name} of {_op_name(node.op)}, used at "
        f"{_at(where)}, was non-finite already. It came into detect_anomaly() as "
        f"{_origin_phrase(operand)}",
        f"  operand {index + 1}: {_describe(operand.data)}",
        f"  result of {_op_name(node.op)}: {_describe(node.data)}",
        "Check the data and parameters you feed in (np.isfinite(x).all()), or enter "
        "detect_anomaly() earlier, so that the operation which made it is found.",
    ]
    return AnomalyError(
        "\n".join(lines),
        node=operand,
        phase="input",
        location=where,
        op=node.op,
        # The graph of the operation that used it, if that operation recorded one.
        drawn_from=node if node.parents else operand,
    )


def _origin_phrase(node: Any) -> str:
    """How a non-finite node came into the block, in words."""
    if node.parents:
        return f"the result of {_op_name(node.op)} computed before detect_anomaly() was entered"
    if node.op:  # a Tensor operation that recorded no graph
        return f"the result of {_op_name(node.op)} computed where nothing is checked (no_grad())"
    return "an input (a leaf: data, a parameter, or a number in the formula)"


# -------------------------------------------------------------------- backward checks


class _BackwardChecker:
    """The observer detect_anomaly() installs with :func:`autograd.graph.watching_backward`.

    It checks each contribution passed back and each sum it lands in. It finds the node
    ``backward()`` was called on as the first node a sweep visits that nothing passed a
    gradient to; ``pending`` holds the nodes passed to and not yet visited, so it is empty
    between sweeps. (An observer installed before is called first: watching_backward nests.)
    """

    def __init__(self) -> None:
        self.root: Any = None
        self.pending: set[Any] = set()

    def visit(self, node: Any) -> None:
        if node in self.pending:
            self.pending.discard(node)
        elif node.grad is not None:  # a new sweep starts at its root
            self.pending.clear()
            self.root = node
            if not _finite(node.grad):
                raise self._error(
                    f"backward() on {_op_name(node.op)} (made at {_at(location_of(node))}) was "
                    "seeded with a non-finite gradient",
                    node,
                    [f"  seed ∂L/∂out: {_describe(node.grad)}"],
                    "Pass a finite gradient to backward() (or none, for one element), and reset "
                    "a .grad that an earlier backward() left non-finite.",
                )
        if not self.pending and not node.parents:  # the sweep is over
            self.root = None

    def passed(self, node: Any, parent: Any, local: Any, contribution: Any) -> None:
        self.pending.add(parent)
        if not _finite(contribution):
            index = _index_of(parent, node.parents)
            if getattr(node, "constant", None) is not None and ops.number_first(node.op):
                index += 1  # c / x: the Value is the second operand as written
            detail = [f"  upstream ∂L/∂out: {_describe(node.grad)}"]
            if local is not None:
                detail.append(f"  local derivative ∂out/∂(operand {index}): {_describe(local)}")
            detail.append(f"  gradient passed to operand {index}: {_describe(contribution)}")
            raise self._error(
                f"the backward pass of {_op_name(node.op)} gave a non-finite gradient for its "
                f"operand {index}; it was made at {_at(location_of(node))}",
                node,
                detail + _operand_lines(node.parents),
                _BACKWARD_HINT,
            )
        if not _finite(parent.grad):
            where = _at(location_of(parent))
            made = f"the result of {_op_name(parent.op)} made at {where}" if parent.op else ""
            raise self._error(
                f"the gradient of {made or 'an input (a leaf)'} became non-finite when the "
                f"finite gradient from {_op_name(node.op)} was added to it: either the sum "
                "overflowed, or its .grad was already non-finite before this backward()",
                parent,
                [
                    f"  gradient added: {_describe(contribution)}",
                    f"  sum .grad: {_describe(parent.grad)}",
                ],
                "Leaves accumulate .grad across backward() calls: reset them between steps "
                "(zero_grad()). " + _BACKWARD_HINT,
            )

    def _error(self, headline: str, culprit: Any, detail: list[str], hint: str) -> AnomalyError:
        root, self.root = self.root, None
        self.pending.clear()  # the sweep stops here
        lines = [headline, *detail]
        if root is not None:
            lines.append(f"  backward() was called on: {_describe_node(root)}")
        lines.append(hint)
        return AnomalyError(
            "\n".join(lines),
            node=culprit,
            phase="backward",
            location=location_of(culprit),
            op=culprit.op,
            root=root,
            drawn_from=root,
        )


def _finite(x: Any) -> bool:
    if type(x) is float:
        return math.isfinite(x)
    return bool(np.isfinite(x).all())


def _index_of(parent: Any, parents: Sequence[Any]) -> int:
    """The 1-based position of ``parent`` among ``parents`` (the first, if used twice)."""
    for index, candidate in enumerate(parents, 1):
        if candidate is parent:
            return index
    return 0


# -------------------------------------------------------------------- the switch


class detect_anomaly:
    """Context manager and decorator (``@detect_anomaly()`` or ``@detect_anomaly``): inside,
    the first non-finite number an operation or ``backward()`` makes raises
    :class:`AnomalyError` naming the operation, its operands and the user's line.

    See the module docstring. The mode is per thread; blocks nest (the outermost one's
    exit switches it off). A ``watching_backward`` observer installed before the block is
    still called, before the checks. Inside ``no_grad()`` nothing is checked.

    Raises:
        TypeError: when decorating something other than a plain function (a generator or
            ``async`` function: use ``with detect_anomaly():`` inside its body).
    """

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        switch = super().__new__(cls)
        if function is None:
            return switch
        cls.__init__(switch)  # not called for us: __new__ returns the decorated function
        return switch(function)  # @detect_anomaly without parentheses

    def __init__(self) -> None:
        # Each thread's stack of what entering saved: one instance may be used in several
        # threads at once, and entered again inside itself (a recursive decorated function).
        self._saved_per_thread = threading.local()

    def __enter__(self) -> detect_anomaly:
        saved = getattr(self._saved_per_thread, "stack", None)
        if saved is None:
            saved = self._saved_per_thread.stack = []
        previous = _WATCH.observer
        if isinstance(previous, _BackwardChecker):  # nested: the outer checks suffice
            watching = None
        else:
            watching = watching_backward(_BackwardChecker())  # `previous` goes on watching
            watching.__enter__()
        saved.append((GRAD_MODE.enabled, GRAD_MODE.recording, watching))
        GRAD_MODE.recording = CHECKING
        if GRAD_MODE.enabled is not False:  # inside no_grad() it stays off, until enable_grad()
            set_enabled(CHECKING)
        return self

    def __exit__(self, *exc_info: object) -> None:
        enabled, recording, watching = self._saved_per_thread.stack.pop()
        set_enabled(enabled)
        GRAD_MODE.recording = recording
        if watching is not None:
            watching.__exit__(None, None, None)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate ``function``: every call runs in anomaly mode."""
        if not callable(function):
            raise TypeError(
                "detect_anomaly() takes no arguments; use `with detect_anomaly():`, "
                f"`@detect_anomaly()` or `@detect_anomaly`, not detect_anomaly({function!r:.40})"
            )
        if runs_later(function):
            raise TypeError(
                f"@detect_anomaly cannot decorate {function.__qualname__}, a generator or async "
                "function (its body runs after the call returns); use `with detect_anomaly():` "
                "inside its body"
            )

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return checked


# -------------------------------------------------------------------- describing numbers


def _op_name(op: str) -> str:
    """An op as the messages name it: ``'*'``, ``'c/' (c / x, c a number)``, a leaf."""
    if not op:
        return "a leaf"
    operator = ops.NUMBER_OPERATORS.get(op)
    if operator is None:
        return repr(op)
    written = f"c {operator} x" if ops.number_first(op) else f"x {operator} c"
    return f"{op!r} ({written}, c a number)"


def _at(where: Location | None) -> str:
    return str(where) if where is not None else "a line not recorded (made outside anomaly mode)"


def _number(x: Any) -> str:
    return f"{float(x):.6g}"


def _describe(x: Any) -> str:
    """A number, or an array's shape, dtype and (non-)finite values, in one line."""
    if type(x) is float:
        return _number(x)
    array = np.asarray(x)
    head = f"array of shape {array.shape} ({array.dtype})"
    if array.size == 0:
        return f"{head}, empty"
    if array.size == 1:
        return f"{head}, value {_number(array.item())}"
    finite = np.isfinite(array)
    bad = array.size - int(np.count_nonzero(finite))
    if bad == 0:
        return f"{head}, all finite, from {_number(array.min())} to {_number(array.max())}"
    counts = [
        f"{count} {name}"
        for name, count in (
            ("nan", np.count_nonzero(np.isnan(array))),
            ("inf", np.count_nonzero(array == np.inf)),
            ("-inf", np.count_nonzero(array == -np.inf)),
        )
        if count
    ]
    first = tuple(int(i) for i in np.argwhere(~finite)[0])
    return (
        f"{head}, {bad} of {array.size} non-finite ({', '.join(counts)}), "
        f"the first at index {first}: {_number(array[first])}"
    )


def _describe_node(node: Any) -> str:
    """What a node is: its op (or leaf), label, value and where it was made."""
    kind = f"the result of {_op_name(node.op)}" if node.parents else "a leaf"
    label = f" {node.label!r}" if node.label else ""
    where = location_of(node)
    made = f", made at {where}" if where is not None else ""
    return f"{kind}{label}: {_describe(node.data)}{made}"


def _operand_lines(operands: Sequence[Any]) -> list[str]:
    return [
        f"  operand {index}: {_describe_node(operand)}" for index, operand in enumerate(operands, 1)
    ]


# Operations whose result element i is computed from element i of each (broadcast) operand:
# for these the error shows the first non-finite element as the expression that made it.
_UNARY = frozenset(ops.ELEMENTWISE)
_INFIX = frozenset({"+", "-", "*", "/", "**"})


def _first_bad_expression(node: Any, operands: Sequence[Any]) -> list[str]:
    """``["  log(0) = -inf"]`` for the first non-finite element of an elementwise result
    (``at index (1,): ...`` for an array); no line for other operations."""
    op, result = node.op, np.asarray(node.data)
    infix = op in _INFIX and len(operands) == 2
    constant_power = op.startswith("**") and op != "**" and len(operands) == 1
    if not (infix or constant_power or ((op in _UNARY or op == "neg") and len(operands) == 1)):
        return []
    try:  # each operand's element at the result's index, where the shapes broadcast
        arrays = [np.broadcast_to(operand.data, result.shape) for operand in operands]
    except ValueError:
        return []
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(result))[0])
    numbers = [_number(array[index]) for array in arrays]
    if infix:
        expression = f"{numbers[0]} {op} {numbers[1]}"
    elif constant_power:
        expression = f"{numbers[0]} ** {op[2:]}"
    elif op == "neg":
        expression = f"-({numbers[0]})"
    else:
        expression = f"{op}({numbers[0]})"
    at = f"at index {index}: " if result.ndim else ""
    return [f"  {at}{expression} = {_number(result[index])}"]


def _hint_key(op: str) -> str:
    return "**" if op.startswith("**") else op


_FORWARD_HINT = (
    "Look at the operands above: which of them is out of the operation's domain, or too large?"
)
_FORWARD_HINTS = {
    "log": "log(x) is -inf at 0 and nan below 0: keep x positive (x.clip, or x + a small "
    "epsilon), or use a fused loss (log_softmax, sigmoid_binary_cross_entropy, "
    "binary_cross_entropy), which never takes log(0).",
    "sqrt": "sqrt(x) is nan below 0: keep x non-negative (and at 0 its gradient is infinite: "
    "add a small epsilon, as in sqrt(x + 1e-12)).",
    "exp": "exp(x) overflows above x ≈ 709 in float64 (≈ 88 in float32): subtract the maximum "
    "first, as softmax and log_softmax do, or scale the inputs down.",
    "/": "a division by 0 gives ±inf, and 0/0 or inf/inf gives nan: keep the divisor away "
    "from 0 (add a small epsilon).",
    "*": "0 × inf is nan, and a product of large numbers overflows: find where the infinite "
    "or huge operand came from.",
    "+": "inf + (-inf) is nan, and a sum of large numbers overflows.",
    "-": "inf - inf is nan, and a difference of large numbers overflows.",
    "**": "a negative base to a fractional power is nan, 0 to a negative power is inf, and "
    "large powers overflow.",
}
_BACKWARD_HINT = (
    "A gradient overflowed or met 0 × inf: a function with an unbounded slope (sqrt at 0, log "
    "or 1/x near 0), a long chain of large weights, or too large a learning rate. Keep inputs "
    "away from such points, or scale them."
)
