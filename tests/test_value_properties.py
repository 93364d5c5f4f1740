"""Property: on random expression trees over every scalar op, backprop == finite differences.

A tree is plain data (nested tuples), drawn by hypothesis and then evaluated on Values.
Each op is applied on a safe domain, so finite differences are meaningful: log and
fractional powers see only positive numbers, relu is never evaluated near its kink,
exp never overflows, and no division comes near zero.
"""

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value, gradcheck, sum_values, weighted_sum

N_VARIABLES = 3
UNARY = ("neg", "exp", "log", "tanh", "sigmoid", "relu", "pow_number", "rpow")
BINARY = ("+", "-", "*", "/", "pow_value", "radd", "rsub", "rmul", "rdiv", "weighted_sum", "sum")


class Unsafe(Exception):
    """An op's argument fell outside the domain where finite differences are reliable."""


def evaluate(tree, xs):
    kind = tree[0]
    if kind == "var":
        return xs[tree[1]]
    if kind == "const":
        return Value(tree[1])
    if kind in UNARY:
        return apply_unary(kind, evaluate(tree[1], xs), tree[2])
    return apply_binary(kind, evaluate(tree[1], xs), evaluate(tree[2], xs), tree[3])


def apply_unary(op, a, number):
    if op == "neg":
        return -a
    if op == "exp":
        return (a.tanh() * 3).exp() if abs(a.data) > 3 else a.exp()  # bounded exp
    if op == "log":
        return (a * a + 0.5).log()  # log of a positive number, away from 0
    if op == "tanh":
        return a.tanh()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "relu":
        if abs(a.data) < 1e-2:
            raise Unsafe
        return a.relu()
    if op == "pow_number":
        base = a * a + 0.5 if number != int(number) or number < 0 else a
        return base**number
    return abs(number) ** a.tanh() if number else 2.0 ** a.tanh()  # rpow: number ** Value


def apply_binary(op, a, b, number):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if abs(b.data) < 0.2:
            raise Unsafe
        return a / b
    if op == "pow_value":
        return (a * a + 0.5) ** b.tanh()
    if op == "radd":
        return number + b
    if op == "rsub":
        return number - b
    if op == "rmul":
        return number * b
    if op == "rdiv":
        if abs(b.data) < 0.2:
            raise Unsafe
        return number / b
    if op == "weighted_sum":
        return weighted_sum([a, b], [b, number], a)
    return sum_values([a, b, number, a])


numbers = st.floats(-2.0, 2.0, allow_nan=False).map(lambda x: round(x, 3))
leaves = st.one_of(
    st.tuples(st.just("var"), st.integers(0, N_VARIABLES - 1)),
    st.tuples(st.just("const"), numbers),
)


def extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children, st.sampled_from([2.0, 3.0, -1.0, 0.5, 1.5])),
        st.tuples(st.sampled_from(BINARY), children, children, numbers),
    )


trees = st.recursive(leaves, extend, max_leaves=12)


@given(trees, st.lists(numbers, min_size=N_VARIABLES, max_size=N_VARIABLES))
def test_random_expression_gradients_match_finite_differences(tree, point):
    xs = [Value(x) for x in point]
    try:
        out = evaluate(tree, xs)
    except Unsafe:
        assume(False)
    assume(math.isfinite(out.data) and abs(out.data) < 1e4)
    assert gradcheck(lambda *vs: evaluate(tree, vs), xs, atol=1e-4, rtol=1e-3)


def test_the_strategy_covers_every_op():
    # Guards the property above against a strategy that silently stops drawing some ops.
    seen = set()

    @settings(max_examples=500, derandomize=True)
    @given(trees)
    def collect(tree):
        stack = [tree]
        while stack:
            node = stack.pop()
            seen.add(node[0])
            stack.extend(child for child in node[1:] if isinstance(child, tuple))

    collect()
    assert set(UNARY) | set(BINARY) <= seen
