"""Error messages shared by both engines, so ``Value`` and ``Tensor`` word them alike."""

from __future__ import annotations

OPERATORS = frozenset({"+", "-", "*", "/", "**", "@"})


def unsupported_operand(
    operand: object, op: str, engine: str, accepted: str, *, reflected: bool = False
) -> TypeError:
    """The TypeError for an operand of the wrong type; the caller raises it.

    The message names the expression as it was written (``Value - str``, or ``str - Value``
    for a reflected operator; ``linear with str`` for a function), the operand's type and
    value, and what to pass instead.

    Args:
        operand: the rejected object.
        op: an operator symbol (``"+"``, ``"@"``, ...) or a function's name (``"linear"``).
        engine: the class on the other side of an operator (``"Value"``, ``"Tensor"``).
        accepted: what the op takes, e.g. ``"a Value or a real number"``.
        reflected: the operand was written on the left (``2 - x`` calls ``x.__rsub__(2)``).
    """
    kind = type(operand).__name__
    if op not in OPERATORS:
        written = f"{op} with {kind}"
    elif reflected:
        written = f"{kind} {op} {engine}"
    else:
        written = f"{engine} {op} {kind}"
    return TypeError(
        f"{written}: unsupported operand of type {kind!r} ({operand!r:.60}). Use {accepted}."
    )
