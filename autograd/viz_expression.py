"""Turning an expression typed on the command line into a graph of Values — never with eval.

``build_expression("(x*y + x).tanh()", {"x": 2.0, "y": -1.0})`` parses the text with
Python's :mod:`ast` and walks the tree itself, allowing only

* numbers, and the variables it is given;
* ``+ - * / **``, unary minus (and plus), parentheses;
* the Value methods of :mod:`autograd.ops` (``.exp() .log() .tanh() ...``), with no arguments.

Anything else — a function call, an attribute, a string, an index, a lambda — is refused
with an :class:`ExpressionError` that names it. Nothing in the text is ever executed.

Constants stay Python floats (``x ** 2`` is the op ``**2``, as in code); an operation
between two constants is done on a ``Value`` so that ``10 ** 10 ** 10`` is ``inf`` at once
instead of a Python integer that never finishes.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any, cast

from autograd.ops import ELEMENTWISE
from autograd.value import Value

METHODS = tuple(ELEMENTWISE)
"""The Value methods an expression may call (with no arguments): autograd.ops's table."""

METHODS_TEXT = " ".join(f".{m}()" for m in METHODS)
"""The methods as they are written in an expression: ``.exp() .log() ...``."""

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_OPERATOR_TEXT = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}
_ALLOWED = (
    "an expression may use numbers, its variables, + - * / **, unary minus, parentheses "
    "and the methods " + METHODS_TEXT
)


class ExpressionError(ValueError):
    """The expression cannot be read, or uses something that is not allowed."""


def build_expression(text: str, variables: Mapping[str, float | Value]) -> Value:
    """Build the graph of Values that ``text`` describes and return its result.

    ``variables`` maps names to numbers (each becomes a ``Value`` labelled with its name)
    or to Values (used as they are).

    Raises:
        ExpressionError: ``text`` is not a Python expression, uses a name not in
            ``variables``, or uses anything besides numbers, ``+ - * / **``, unary minus,
            parentheses and the methods of :mod:`autograd.ops` (``.tanh()``...), or
            has an integer too large for a float (``1e400`` is a float: infinity). The
            message names the offending piece.
    """
    if not text.strip():
        raise ExpressionError('the expression is empty; write one, e.g. "(x*y + x).tanh()"')
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except UnicodeEncodeError:
        raise ExpressionError(
            f"cannot parse {_shorten(text)}: it holds a lone surrogate, which is not text "
            "(a byte that is not UTF-8 on the command line?)"
        ) from None
    except (SyntaxError, ValueError) as error:  # ValueError: a null byte, before Python 3.12
        message = error.msg if isinstance(error, SyntaxError) else str(error)
        raise ExpressionError(f"cannot parse {_shorten(text)}: {message}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"cannot parse {_shorten(text)}: too long or too deeply nested for Python's parser"
        ) from None
    values = {
        name: value if isinstance(value, Value) else Value(float(value), label=name)
        for name, value in variables.items()
    }
    result = _evaluate(tree.body, values, text.strip())
    return result if isinstance(result, Value) else Value(result)


def _evaluate(tree: ast.expr, variables: Mapping[str, Value], source: str) -> Value | float:
    """Post-order walk with an explicit stack: operands first, then the operation.

    Iterative, like every graph walk in chaingrad, so ``x+x+…+x`` of any length is fine.
    ``source`` is the parsed text, quoted (shortened) in error messages.
    """
    results: list[Value | float] = []
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            operands = _operands(node)
            arguments = results[len(results) - len(operands) :]
            del results[len(results) - len(operands) :]
            results.append(_apply(node, arguments, variables))
        else:
            _check(node, variables, source)
            stack.append((node, True))
            # Pushed in reverse so the leftmost operand is evaluated (and its result stored) first.
            stack.extend((operand, False) for operand in reversed(_operands(node)))
    return results[0]


def _operands(node: ast.expr) -> tuple[ast.expr, ...]:
    if isinstance(node, ast.BinOp):
        return (node.left, node.right)
    if isinstance(node, ast.UnaryOp):
        return (node.operand,)
    if isinstance(node, ast.Call):
        # The receiver of .tanh(): _check made sure the call is of an attribute.
        return (cast(ast.Attribute, node.func).value,)
    return ()


def _check(node: ast.expr, variables: Mapping[str, Value], source: str) -> None:
    """Raise ExpressionError unless ``node`` (not its operands) is allowed."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(
                f"only real numbers are allowed as constants, not {_show(node, source)}"
            )
        if isinstance(value, int) and not _fits_a_float(value):
            raise ExpressionError(
                f"the number {_show(node, source)} is too large for a float (the largest is "
                "about 1.8e308); write it as a float, e.g. 1e400, to mean infinity"
            )
    elif isinstance(node, ast.Name):
        if node.id not in variables:
            known = ", ".join(sorted(variables)) or "none"
            raise ExpressionError(
                f"unknown variable {node.id!r}: give it a value (--var {node.id}=NUMBER); "
                f"variables given: {known}"
            )
    elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
        table = _BINARY if isinstance(node, ast.BinOp) else _UNARY
        if type(node.op) not in table:
            symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(
                f"operator {symbol!r} is not allowed in {_show(node, source)}; {_ALLOWED}"
            )
    elif isinstance(node, ast.Call):
        _check_call(node, source)
    elif isinstance(node, ast.Attribute):
        raise ExpressionError(
            "attribute access other than calling a Value method is not allowed: "
            f"{_show(node, source)}; {_ALLOWED}"
        )
    else:
        raise ExpressionError(f"{_describe(node)} not allowed: {_show(node, source)}; {_ALLOWED}")


def _check_call(node: ast.Call, source: str) -> None:
    function = node.func
    if not isinstance(function, ast.Attribute):
        raise ExpressionError(
            f"function calls other than Value methods are not allowed: {_show(function, source)}; "
            f"{_ALLOWED}"
        )
    if function.attr not in METHODS:
        raise ExpressionError(
            f"method {function.attr!r} is not allowed: {_show(node, source)}; the Value methods "
            "allowed are " + METHODS_TEXT
        )
    if node.args or node.keywords:
        raise ExpressionError(f".{function.attr}() takes no arguments: {_show(node, source)}")


def _apply(node: ast.expr, operands: list[Value | float], variables: Mapping[str, Value]) -> Any:
    if isinstance(node, ast.Constant):
        return float(cast(float, node.value))  # _check allowed only numbers
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.BinOp):
        left, right = operands
        if not isinstance(left, Value) and not isinstance(right, Value):
            left = Value(left)  # Value arithmetic: IEEE inf/nan, never a hang or a complex
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](operands[0])
    receiver = operands[0]  # an ast.Call of an allowed method
    if not isinstance(receiver, Value):
        receiver = Value(receiver)
    return getattr(receiver, cast(ast.Attribute, cast(ast.Call, node).func).attr)()


_KINDS = {
    ast.Subscript: "indexing is",
    ast.Lambda: "lambdas are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and'/'or' are",
    ast.IfExp: "conditional expressions are",
    ast.NamedExpr: "assignment expressions are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.JoinedStr: "f-strings are",
}


def _describe(node: ast.expr) -> str:
    return _KINDS.get(type(node), f"{type(node).__name__} expressions are")


def _fits_a_float(number: int) -> bool:
    """Whether ``float(number)`` is finite (a 400-digit integer literal is not)."""
    try:
        float(number)
    except OverflowError:
        return False
    return True


def _show(node: ast.AST, source: str) -> str:
    """The source text of a piece of the expression, quoted and shortened.

    Cut from ``source`` by the node's position, not rebuilt with ``ast.unparse``: that
    recurses once per level and raises RecursionError on a few hundred chained terms.
    """
    segment = ast.get_source_segment(source, node)
    return _shorten(segment if segment is not None else type(node).__name__)


def _shorten(text: str, limit: int = 40) -> str:
    """``text`` quoted, cut to about ``limit`` characters."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)
