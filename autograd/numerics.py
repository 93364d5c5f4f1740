"""The one rule for non-finite numbers, shared by ``Value`` and ``Tensor``.

**Rule: IEEE 754 arithmetic, as NumPy computes it.** An operation whose exact result is
infinite or undefined returns ``inf``, ``-inf`` or ``nan``, and those propagate through later
operations and through backward. No operation raises for them, and no NumPy warning is
printed:

===================  ============  ======================
expression           result        derivative(s)
===================  ============  ======================
``log(0)``           ``-inf``      ``inf``
``log(-1)``          ``nan``       ``-1.0``
``1 / 0``            ``inf``       ``inf``, ``-inf``
``0 / 0``            ``nan``       ``inf``, ``nan``
``exp(1000)``        ``inf``       ``inf``
``(-8) ** (1/3)``    ``nan``       ``nan``
``(-inf) ** 0.5``    ``nan``       ``0.0``
===================  ============  ======================

In detail, for every operation of both engines:

* **Forward values** are the IEEE results: ``+ - * /`` exactly, ``exp``, ``log`` and ``tanh``
  to within the last bit (the scalar engine uses Python's ``math``, the Tensor engine NumPy).
  ``a ** b`` is C99 ``pow`` (``(-inf) ** 3`` is ``-inf``, ``0 ** -1`` is ``inf``), except
  that ``a ** 0.5`` is ``sqrt(a)``: ``nan`` for every negative ``a`` including ``-inf``, and
  ``-0.0`` for ``-0.0``. NumPy and PyTorch compute ``x ** 0.5`` as a square root; NumPy's
  ``np.power`` does so only for a broadcast exponent, so the Tensor engine applies the rule
  itself, and gives the same result for every layout.
* **Gradients**: ∂L/∂parent = ∂L/∂out × local derivative. The local derivative is computed
  first, from the forward values, by the formula next to the operation (``1/b`` and
  ``-(a/b)/b`` for ``a / b``, ``c·a**(c-1)`` with the power rule above for ``a ** c``, ``1/x``
  for ``log``, ``s·(1-s)`` for ``sigmoid``...), then multiplied by ∂L/∂out; a node used twice
  adds its contributions in the order backward visits them. So a local derivative of 0 (relu
  left of 0, ``x ** 0``) times an infinite ∂L/∂out gives ``nan``, as in PyTorch. The sign of
  a zero gradient is not specified (a ``Value``'s ``grad`` accumulates from ``+0.0``).
* **Sums of many terms** (``Tensor.sum``, ``mean``, ``@``, ``linear``, ``weighted_sum``,
  ``sum_values``) add in NumPy's (or the BLAS library's) order, so they may round, or
  overflow to ``inf``, differently from a chain of ``+``.

Plain Python floats would raise instead (``ZeroDivisionError``, ``ValueError: math domain
error``, ``OverflowError``); the scalar engine converts those cases to the IEEE results
with the helpers below, so both engines agree (``tests/test_hostile_numerics_differential.py``
checks it on random graphs). Use ``math.isfinite(loss.data)`` (or ``np.isfinite``) where a
training loop should stop on a diverging loss.
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
    """``a ** b`` as a real number with IEEE results (never a complex number, never raises).

    C99 ``pow``, except that ``a ** 0.5`` is ``sqrt(a)``: see the module's rule.
    """
    if b == 0.5:
        return sqrt(a)
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


def sqrt(x: float) -> float:
    """Square root: ``nan`` below 0 (``-inf`` included), and ``sqrt(-0.0)`` is ``-0.0``."""
    if x >= 0.0:
        return math.sqrt(x)  # -0.0 >= 0.0, and math.sqrt(-0.0) is -0.0, as IEEE 754 says
    return NAN


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


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e⁻ˣ), as the Tensor engine computes it with NumPy: 1.0 at ``inf``, and
    0.0 at ``-inf`` and wherever e⁻ˣ overflows (x < -709.78, where σ(x) < 1e-308)."""
    return 1.0 / (1.0 + exp(-x))
