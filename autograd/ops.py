"""The table of elementwise operations: each one's forward and its derivative, written once.

An entry holds what an operation *is*: its forward computation, for a float and for a NumPy
array, and its local derivative ∂out/∂x as **one expression in the input ``x`` and the
output ``out``**::

    tanh:     out = tanh x            ∂out/∂x = 1 - out * out
    softplus: out = log(1 + eˣ)       ∂out/∂x = sigmoid(x)

The derivative is ordinary arithmetic (``+ - * /``) and calls of the functions below, so the
same expression evaluates on floats (the scalar engine's local derivative), on arrays (the
Tensor engine's), and on ``Value``s or ``Tensor``s (a derivative that is itself a graph, which
can be differentiated again).

``Value`` and ``Tensor`` make their methods (``x.tanh()``...) from this table, the expression
parser of ``python -m autograd.viz`` accepts its names, ``nn`` offers the entries marked as
activations, and the tests check every entry's gradient on both engines. Adding an operation
means adding one entry here.

This module imports neither engine and not NumPy: the array forwards are given the NumPy
module when they are called.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd import numerics

__all__ = [
    "ADD_DERIVATIVES",
    "ELEMENTWISE",
    "NEG_DERIVATIVES",
    "NUMBER_OPERATORS",
    "SUB_DERIVATIVES",
    "Elementwise",
    "cos",
    "divide_derivatives",
    "exp",
    "log",
    "multiply_derivatives",
    "number",
    "number_first",
    "power",
    "power_base_derivative",
    "power_derivatives",
    "sigmoid",
    "sign",
    "sin",
    "step",
    "step_of_x",
]


@dataclass(frozen=True)
class Elementwise:
    """One elementwise operation.

    Attributes:
        name: the method name (``x.tanh()``) and the node's ``op`` in a drawn graph.
        formula: the forward, as a reader writes it (for docs and drawings).
        derivative_formula: ∂out/∂x, as a reader writes it.
        scalar: the forward on a float, following :mod:`autograd.numerics` (never raises).
        array: the forward on an ndarray, ``array(np, x)`` (NumPy is passed in), keeping
            the array's float dtype.
        derivative: ``derivative(x, out)`` -> ∂out/∂x, on floats, arrays, Values or Tensors.
        domain: where the operation is smooth ("real", "positive" or "nonzero"); tests
            check gradients there.
        activation: offered by ``nn`` as a layer activation.
    """

    name: str
    formula: str
    derivative_formula: str
    scalar: Callable[[float], float]
    array: Callable[[Any, Any], Any]
    derivative: Callable[[Any, Any], Any]
    domain: str = "real"
    activation: bool = False

    @property
    def doc(self) -> str:
        """The docstring of the method made from this entry."""
        return f"{self.formula}, elementwise; ∂out/∂x = {self.derivative_formula}."


# ----------------------------------------------------------------- forwards on floats


def _relu(x: float) -> float:
    if x > 0.0:
        return x
    return 0.0 if x == x else x  # nan stays nan


def _sin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else math.nan  # math.sin(inf) raises


def _cos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else math.nan


def _softplus(x: float) -> float:
    # log(1 + eˣ) = max(x, 0) + log(1 + e^-|x|): e^-|x| never overflows.
    if x != x:
        return x
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _step(x: float) -> float:
    return 1.0 if x > 0.0 else 0.0


def _sign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x if x != x else 0.0  # nan stays nan, as np.sign says


# ----------------------------------------------------------------- forwards on arrays


def _array_sigmoid(np: Any, x: Any) -> Any:
    return 1 / (1 + np.exp(-x))  # as numerics.sigmoid: 0 where e⁻ˣ overflows


def _array_step(np: Any, x: Any) -> Any:
    return (x > 0).astype(x.dtype)


# ----------------------------------------------------------------- the table

ELEMENTWISE: dict[str, Elementwise] = {}


def _entry(op: Elementwise) -> Elementwise:
    ELEMENTWISE[op.name] = op
    return op


def _apply(op: Elementwise, x: Any) -> Any:
    """``op`` on a float, an array or a graph node (a Value or Tensor: its method)."""
    if type(x) is float:
        return op.scalar(x)
    if hasattr(x, "parents"):  # a Value or a Tensor
        return getattr(x, op.name)()
    return op.array(sys.modules["numpy"], x)  # an array exists, so NumPy is loaded


def _constant(function: Callable[[float], float], array: Callable[[Any, Any], Any], x: Any) -> Any:
    """A piecewise-constant function of ``x``. Its derivative is 0, so on a graph node it
    gives a plain number (or array): there is nothing to differentiate through."""
    if hasattr(x, "parents"):
        x = x.data
    if type(x) is float:
        return function(x)
    return array(sys.modules["numpy"], x)


def sigmoid(x: Any) -> Any:
    """σ(x) on a float, an array, a Value or a Tensor (for derivative expressions)."""
    return _apply(SIGMOID, x)


def log(x: Any) -> Any:
    """ln x on a float, an array, a Value or a Tensor."""
    return _apply(LOG, x)


def exp(x: Any) -> Any:
    """eˣ on a float, an array, a Value or a Tensor."""
    return _apply(EXP, x)


def number(x: Any) -> Any:
    """The number (or array) a node holds; a number or an array as it is. Expressions use
    it to decide a special case by value (``b == 0``) without comparing nodes."""
    return x.data if hasattr(x, "parents") else x


def power(a: Any, b: Any) -> Any:
    """``a ** b``. On two numbers by the rule of :mod:`autograd.numerics` (a real result,
    never a complex number or an exception, unlike Python's ``**``); on nodes, their own
    ``**``, which follows the same rule."""
    if type(a) in _NUMBERS and type(b) in _NUMBERS:
        return numerics.power(float(a), float(b))
    return a**b


_NUMBERS = (float, int)


def sin(x: Any) -> Any:
    """sin x on a float, an array, a Value or a Tensor."""
    return _apply(SIN, x)


def cos(x: Any) -> Any:
    """cos x on a float, an array, a Value or a Tensor."""
    return _apply(COS, x)


def step(x: Any) -> Any:
    """1 where x > 0, else 0 (relu's derivative; 0 at the kink, as in PyTorch). A constant."""
    if type(x) is float:  # the scalar engine's every relu: no further call
        return 1.0 if x > 0.0 else 0.0
    return _constant(_step, _array_step, x)


def step_of_x(x: Any, out: Any) -> Any:
    """relu's derivative ``step(x)``, as ``derivative(x, out)`` without a call in between."""
    if type(x) is float:
        return 1.0 if x > 0.0 else 0.0
    return step(x)


def sign(x: Any) -> Any:
    """-1, 0 or 1 (abs's derivative; 0 at 0, as in PyTorch). A constant."""
    return _constant(_sign, lambda np, a: np.sign(a), x)


EXP = _entry(
    Elementwise("exp", "eˣ", "eˣ = out", numerics.exp, lambda np, x: np.exp(x), lambda x, out: out)
)
LOG = _entry(
    Elementwise(
        "log",
        "ln x",
        "1/x",
        numerics.log,
        lambda np, x: np.log(x),
        lambda x, out: 1 / x,
        domain="positive",
    )
)
TANH = _entry(
    Elementwise(
        "tanh",
        "tanh x",
        "1 - tanh² x = 1 - out²",
        math.tanh,
        lambda np, x: np.tanh(x),
        lambda x, out: 1 - out * out,
        activation=True,
    )
)
SIGMOID = _entry(
    Elementwise(
        "sigmoid",
        "σ(x) = 1 / (1 + e⁻ˣ)",
        "σ(x)·(1 - σ(x)) = out·(1 - out)",
        numerics.sigmoid,
        _array_sigmoid,
        lambda x, out: out * (1 - out),
        activation=True,
    )
)
RELU = _entry(
    Elementwise(
        "relu",
        "max(x, 0)",
        "1 if x > 0 else 0",
        _relu,
        lambda np, x: np.maximum(x, 0),
        step_of_x,
        domain="nonzero",
        activation=True,
    )
)
SIN = _entry(
    Elementwise("sin", "sin x", "cos x", _sin, lambda np, x: np.sin(x), lambda x, out: cos(x))
)
COS = _entry(
    Elementwise("cos", "cos x", "-sin x", _cos, lambda np, x: np.cos(x), lambda x, out: -sin(x))
)
ABS = _entry(
    Elementwise(
        "abs",
        "|x|",
        "sign(x)",
        abs,
        lambda np, x: np.abs(x),
        lambda x, out: sign(x),
        domain="nonzero",
    )
)
SQRT = _entry(
    Elementwise(
        "sqrt",
        "√x",
        "1 / (2√x) = 0.5 / out",
        numerics.sqrt,
        lambda np, x: np.sqrt(x),
        lambda x, out: 0.5 / out,
        domain="positive",
    )
)
SOFTPLUS = _entry(
    Elementwise(
        "softplus",
        "log(1 + eˣ)",
        "σ(x)",
        _softplus,
        lambda np, x: np.logaddexp(0, x),
        lambda x, out: sigmoid(x),
        activation=True,
    )
)


# ----------------------------------------------------------------- binary operations
# The local derivatives of the arithmetic operators, as expressions in the operands ``a``, ``b``
# and the result ``out``, on numbers or on Values (the Tensor engine writes its broadcasting
# rules itself). The scalar engine's operators use them (``+ - neg`` share the constant
# tuples; ``*`` writes its ``(b, a)`` inline, for speed, and a test holds it to the function
# below); derivatives as graphs evaluate them on nodes.

# Operations of a Value and a plain number (``x + 1``, ``2 * x``): the operator each stands
# for. "c" marks where the number stood: "+c" is x + c, "c-" is c - x (a constant power
# writes its exponent instead: "**2").
NUMBER_OPERATORS = {
    **{"+c": "+", "c+": "+", "-c": "-", "c-": "-", "*c": "*", "c*": "*"},
    **{"/c": "/", "c/": "/", "c**": "**"},
}


def number_first(op: str) -> bool:
    """Whether the number of a number operation (see NUMBER_OPERATORS) was written first."""
    return op.startswith("c")


ADD_DERIVATIVES = (1.0, 1.0)  # ∂(a+b)/∂a, ∂(a+b)/∂b
SUB_DERIVATIVES = (1.0, -1.0)  # ∂(a-b)/∂a, ∂(a-b)/∂b
NEG_DERIVATIVES = (-1.0,)  # ∂(-a)/∂a


def multiply_derivatives(a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    """∂(a·b)/∂a = b, ∂(a·b)/∂b = a."""
    return b, a


def divide_derivatives(a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    """∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = -a/b² = -out/b."""
    return 1 / b, -out / b


def power_derivatives(a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    """∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·ln a.

    Where the value of ``b`` is 0, aᵇ = 1 is constant and ∂/∂a is 0 (b·aᵇ⁻¹ would give nan
    at a = 0); where aᵇ is 0, ∂/∂b is its limit 0 (aᵇ·ln a would give 0·(-inf)), as PyTorch.
    """
    d_exponent = 0.0 if number(out) == 0.0 else out * log(a)
    return power_base_derivative(a, b), d_exponent


def power_base_derivative(a: Any, b: Any) -> Any:
    """∂(aᵇ)/∂a = b·aᵇ⁻¹ alone (the only one for a constant exponent b).

    For a number b = 0 it is the constant 0 (b·aᵇ⁻¹ would give 0·inf = nan at a = 0). An
    exponent node keeps the expression wherever it can be evaluated, so that its own
    derivative by b (aᵇ⁻¹ at b = 0) survives: only at a = b = 0 is it the constant 0.
    """
    if number(b) == 0.0 and (not hasattr(b, "parents") or number(a) == 0.0):
        return 0.0
    return b * power(a, b - 1.0)
