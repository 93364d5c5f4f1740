"""Differential fuzz: ``Value`` and ``Tensor`` follow one rule for non-finite numbers.

Hypothesis builds small random expression graphs over inputs drawn from finite numbers, ±0,
±inf and nan, builds each graph once on Values and once on float64 Tensors of one element
(0-d or shape (1,)), runs backward on both, and compares every node's forward value and
gradient. Both engines must agree (up to rounding of finite numbers, with nan equal to nan
and the sign of every zero and infinity kept), and neither may emit a NumPy warning. The rule
itself is written down in :mod:`autograd.numerics`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value, topological_order
from autograd.ops import ELEMENTWISE

INF = math.inf
NAN = math.nan

# The numbers where the rule matters most, and a few ordinary ones. Hypothesis also draws
# any float64 (subnormals, ±1e308, integers, ...) for the rest.
SPECIAL = [0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 1e308, -1e308]
numbers = st.one_of(st.sampled_from(SPECIAL), st.floats(width=64))

Node = Value | Tensor


@dataclass(frozen=True)
class Op:
    """An operation with the same meaning on a Value and on a Tensor."""

    name: str
    arity: int  # nodes it takes: 1, or 2
    takes_number: bool  # whether it also takes a plain number (drawn from ``numbers``)
    apply: Callable[..., Node]

    def __repr__(self) -> str:
        return repr(self.name)


def _method(name: str) -> Callable[[Node], Node]:
    return lambda a: getattr(a, name)()


OPS = [
    Op("neg", 1, False, lambda a: -a),
    # every elementwise operation of the op table
    *(Op(name, 1, False, _method(name)) for name in ELEMENTWISE),
    Op("a ** c", 1, True, lambda a, c: a**c),
    Op("a + c", 1, True, lambda a, c: a + c),
    Op("c + a", 1, True, lambda a, c: c + a),
    Op("a - c", 1, True, lambda a, c: a - c),
    Op("c - a", 1, True, lambda a, c: c - a),
    Op("a * c", 1, True, lambda a, c: a * c),
    Op("c * a", 1, True, lambda a, c: c * a),
    Op("a / c", 1, True, lambda a, c: a / c),
    Op("c / a", 1, True, lambda a, c: c / a),
    Op("c ** a", 1, True, lambda a, c: c**a),
    Op("a + b", 2, False, lambda a, b: a + b),
    Op("a - b", 2, False, lambda a, b: a - b),
    Op("a * b", 2, False, lambda a, b: a * b),
    Op("a / b", 2, False, lambda a, b: a / b),
    Op("a ** b", 2, False, lambda a, b: a**b),
]
# Exponents worth trying for ``a ** c`` besides any number: NumPy and PyTorch treat 0.5 as a
# square root, and the integers decide the sign of a negative base.
EXPONENTS = st.one_of(st.sampled_from([0.0, 0.5, -0.5, 1.0, 2.0, -1.0, -2.0, 3.0, 1.5]), numbers)


@dataclass(frozen=True)
class Step:
    op: Op
    operands: tuple[int, ...]  # indices of earlier nodes
    number: float


@st.composite
def programs(draw) -> tuple[list[float], list[Step]]:
    """Input numbers, then a few operations, each on nodes made earlier."""
    inputs = draw(st.lists(numbers, min_size=1, max_size=3))
    steps = []
    for _ in range(draw(st.integers(1, 5))):
        made = len(inputs) + len(steps)
        op = draw(st.sampled_from(OPS))
        # Lean towards the newest node, so graphs are chains with some reuse, not forests.
        operands = tuple(
            draw(st.one_of(st.just(made - 1), st.integers(0, made - 1))) for _ in range(op.arity)
        )
        number = draw(EXPONENTS if op.name == "a ** c" else numbers) if op.takes_number else 0.0
        steps.append(Step(op, operands, number))
    return inputs, steps


def run(inputs: list[float], steps: list[Step], make_leaf: Callable[[float], Node]) -> list[Node]:
    """Build the graph on leaves made by ``make_leaf``, backpropagate from the last node."""
    nodes = [make_leaf(x) for x in inputs]
    for step in steps:
        operands = [nodes[i] for i in step.operands]
        if step.op.takes_number:
            operands.append(step.number)
        nodes.append(step.op.apply(*operands))
    nodes[-1].backward()
    return nodes


def agree(value: float, tensor: float, signed_zero: bool = True) -> bool:
    """Equal, or both nan, or both finite and equal up to rounding.

    ``signed_zero``: 0.0 and -0.0 differ (forward values); gradients leave the sign of a zero
    unspecified (see :mod:`autograd.numerics`).
    """
    if math.isnan(value) or math.isnan(tensor):
        return math.isnan(value) and math.isnan(tensor)
    if value == 0.0 and tensor == 0.0:
        return not signed_zero or math.copysign(1.0, value) == math.copysign(1.0, tensor)
    if math.isinf(value) or math.isinf(tensor):
        return value == tensor
    # exp, log and tanh may differ in the last bits between libm (Value) and NumPy (Tensor).
    # A gradient may also subtract two nearly equal numbers (tanh' = 1 - tanh², about 6e-8
    # at 9): one ulp of difference in tanh(9) is then 4e-9 of the result, so gradients are
    # also allowed a few ulps of 1 (2.2e-16 each) in absolute terms.
    absolute = 1e-300 if signed_zero else 1e-15
    return math.isclose(value, tensor, rel_tol=1e-9, abs_tol=absolute)


def tensor_number(array: np.ndarray | None) -> float:
    assert array is not None
    assert array.dtype == np.float64 and array.size == 1
    return float(array.reshape(()))


# Disagreements hide in corners (about 1 graph in 100 before the rule was enforced): draw more
# examples than the default 100, about a second's worth, or the profile's if that is more.
@settings(max_examples=max(500, settings.default.max_examples))
@given(program=programs(), shape=st.sampled_from([(), (1,)]))
def test_value_and_tensor_graphs_agree_on_every_forward_value_and_gradient(program, shape):
    inputs, steps = program
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning fails the test
        values = run(inputs, steps, Value)
        tensors = run(
            inputs,
            steps,
            lambda x: Tensor(np.full(shape, x, dtype=np.float64), requires_grad=True),
        )
    reachable = {id(node) for node in topological_order(values[-1])}
    for index, (v, t) in enumerate(zip(values, tensors)):
        where = f"node {index} ({'input' if index < len(inputs) else steps[index - len(inputs)]})"
        assert agree(v.data, tensor_number(t.data)), f"{where}: {v.data!r} vs {t.data!r}"
        if id(v) in reachable:
            assert agree(v.grad, tensor_number(t.grad), signed_zero=False), (
                f"{where} grad: {v.grad!r} vs {t.grad!r}"
            )
