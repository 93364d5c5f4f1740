"""The one rule for non-finite numbers, shared by ``Value`` and ``Tensor``.

**Rule: IEEE 754 arithmetic, as NumPy computes it.** An operation whose exact result is
infinite or undefined returns ``inf``, ``-inf`` or ``nan``, and those propagate through later
operations and through backward. No operation raises for them:

===================  ============  ======================
expression           result        derivative(s)
===================  ============  ======================
``log(0)``           ``-inf``      ``inf``
``log(-1)``          ``nan``       ``-1.0``
``1 / 0``            ``inf``       ``inf``, ``-inf``
``0 / 0``            ``nan``       ``inf``, ``nan``
``exp(1000)``        ``inf``       ``inf``
``(-8) ** (1/3)``    ``nan``       ``nan``
===================  ============  ======================

Plain Python floats would raise instead (``ZeroDivisionError``, ``ValueError: math domain
error``, ``OverflowError``); the scalar engine converts those cases to the IEEE results
with the helpers below, so both engines agree. Use ``math.isfinite(loss.data)`` (or
``np.isfinite``) where a training loop should stop on a diverging loss.
"""

from __future__ import annotations

import math

INF = math.inf
NAN = math.nan


def divide(a: float, b: float) -> float:
    """``a / b`` with IEEE results for a zero divisor (``±inf``, or ``nan`` for ``0/0``)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return NAN
        # The sign of an IEEE zero counts: 1 / -0.0 is -inf.
        return math.copysign(INF, a) * math.copysign(1.0, b)


def power(a: float, b: float) -> float:
    """``a ** b`` as a real number with IEEE results (never a complex number, never raises)."""
    try:
        return math.pow(a, b)
    except OverflowError:
        # Only a negative base with an odd integer exponent gives a negative result.
        return -INF if a < 0.0 and _is_odd_integer(b) else INF
    except ValueError:
        if a == 0.0:  # zero to a negative power (Python 3.10 also raises for 0 ** -inf)
            return math.copysign(INF, a) if _is_odd_integer(b) else INF
        return NAN  # negative base, fractional exponent


def _is_odd_integer(b: float) -> bool:
    return math.isfinite(b) and b == int(b) and int(b) % 2 == 1


def log(x: float) -> float:
    """Natural logarithm: ``-inf`` at 0, ``nan`` below 0."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN


def exp(x: float) -> float:
    """``e ** x``, ``inf`` on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF
