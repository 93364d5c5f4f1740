"""PyTorch as the reference: values, gradients, Hessians and third derivatives, float64.

Random expression trees over two or three scalar inputs, using every operation of the scalar
engine (``+ - * / **``, ``neg``, every entry of ``autograd.ops.ELEMENTWISE``,
``weighted_sum`` and ``sum_values``), are built twice with the same structure: once on
chaingrad's Values and once on PyTorch float64 tensors that require grad. The two must agree
to 1e-6 relative on the value, the gradient (``autograd.grad`` and ``torch.autograd.grad``),
the gradient as a graph and its own gradients, and the Hessian (``autograd.hessian`` and
``torch.autograd.functional.hessian``); chains of tanh and sigmoid on their third
derivatives. The Tensor engine's first derivatives (``autograd.grad`` and ``backward``)
are compared for every table entry, the broadcasting binary operators and ``@``.

PyTorch is part of the ``interop`` extra that ``make test`` installs, so it is imported
unconditionally: without it these tests fail, they are never skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import (
    Tensor,
    Value,
    binary_cross_entropy,
    grad,
    gradgradcheck,
    hessian,
    linear,
    mse,
    ops,
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
    squared_error,
    sum_values,
    weighted_sum,
)

RTOL = 1e-6
# For entries that are 0 in exact arithmetic but come out as rounding residue (say 1e-17)
# on one side: far below anything the relative tolerance would notice on the others.
ATOL = 1e-10

# Beyond this magnitude an intermediate result is rejected: it keeps exp() from overflowing
# and the comparisons about the mathematics rather than about floating-point range.
LIMIT = 50.0
# The smallest |denominator| of a division by an expression, and the nearest an argument
# of relu or abs may come to its kink.
MIN_DENOMINATOR = 0.25
MIN_DISTANCE_TO_KINK = 1e-3

# PyTorch's name for each table entry. softplus: F.softplus returns x itself above a
# threshold (20 by default), an approximation of log(1 + eˣ) whose second derivative is 0
# there; with an infinite threshold it computes log(1 + eˣ) everywhere, as chaingrad does.
TORCH_ELEMENTWISE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "sin": torch.sin,
    "cos": torch.cos,
    "abs": torch.abs,
    "sqrt": torch.sqrt,
    "softplus": lambda t: F.softplus(t, threshold=math.inf),
}


def test_every_table_entry_has_a_torch_counterpart() -> None:
    assert set(TORCH_ELEMENTWISE) == set(ops.ELEMENTWISE)


# ================================================================== expression trees
#
# A tree is a tuple: ("input", i), or (kind, operands...), where an operand is a tree or a
# float constant. The kinds below are every operation of the scalar engine. Where an
# operation has a restricted domain the tree builds a safe argument itself, the same way
# on both engines: positive(t) = t·t + 0.5 under log, sqrt and a fractional power.

POWER_EXPONENTS = (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, 2.5)
BINARY = ("+", "-", "*", "/")
KINDS = (
    *BINARY,
    "neg",
    "**number",  # t ** c
    "number**",  # c ** t
    "**value",  # positive(a) ** b
    "weighted_sum",
    "sum_values",
    *ops.ELEMENTWISE,
)

CONSTANTS = st.one_of(st.floats(-3.0, -0.5), st.floats(0.5, 3.0))
INPUT_POINTS = st.floats(-2.0, 2.0)


@st.composite
def trees(draw: st.DrawFn, n_inputs: int, depth: int, kind: str | None = None) -> tuple:
    """A random tree of at most ``depth`` operations; ``kind`` fixes the root's operation."""
    if kind is None:
        if depth == 0:
            return ("input", draw(st.integers(0, n_inputs - 1)))
        kind = draw(st.sampled_from(("input", *KINDS)))
        if kind == "input":
            return ("input", draw(st.integers(0, n_inputs - 1)))

    def subtree() -> tuple:
        return draw(trees(n_inputs, max(depth - 1, 0)))

    def operand() -> Any:  # a subtree, or (one time in four) a constant
        return draw(CONSTANTS) if draw(st.integers(0, 3)) == 0 else subtree()

    if kind in BINARY:  # a constant on either side, never on both
        left, right = operand(), operand()
        if isinstance(left, float) and isinstance(right, float):
            right = subtree()
        return (kind, left, right)
    if kind == "neg":
        return (kind, subtree())
    if kind == "**number":
        return (kind, subtree(), draw(st.sampled_from(POWER_EXPONENTS)))
    if kind == "number**":
        return (kind, draw(st.floats(0.5, 3.0)), subtree())
    if kind == "**value":
        return (kind, subtree(), subtree())
    if kind == "weighted_sum":
        n = draw(st.integers(1, 3))
        weights = [operand() for _ in range(n)]
        inputs = [subtree()] + [operand() for _ in range(n - 1)]
        bias = draw(st.sampled_from(("none", "constant", "tree")))
        bias_operand = (
            None if bias == "none" else draw(CONSTANTS) if bias == "constant" else subtree()
        )
        return (kind, weights, inputs, bias_operand)
    if kind == "sum_values":
        return (kind, [subtree()] + [operand() for _ in range(draw(st.integers(0, 3)))])
    assert kind in ops.ELEMENTWISE, kind
    return (kind, subtree())


def show(tree: Any) -> str:
    """The tree as an expression a reader can paste (x0, x1, x2 are the inputs)."""
    if isinstance(tree, float):
        return repr(tree)
    kind = tree[0]
    if kind == "input":
        return f"x{tree[1]}"
    if kind in BINARY:
        return f"({show(tree[1])} {kind} {show(tree[2])})"
    if kind == "neg":
        return f"(-{show(tree[1])})"
    if kind == "**number":
        return f"({_power_base_text(tree[1], tree[2])} ** {tree[2]!r})"
    if kind == "number**":
        return f"({tree[1]!r} ** {show(tree[2])})"
    if kind == "**value":
        return f"(positive({show(tree[1])}) ** {show(tree[2])})"
    if kind == "weighted_sum":
        weights = ", ".join(map(show, tree[1]))
        inputs = ", ".join(map(show, tree[2]))
        bias = "" if tree[3] is None else f", {show(tree[3])}"
        return f"weighted_sum([{weights}], [{inputs}]{bias})"
    if kind == "sum_values":
        return f"sum_values([{', '.join(map(show, tree[1]))}])"
    argument = show(tree[1])
    if ops.ELEMENTWISE[kind].domain == "positive":
        argument = f"positive({argument})"
    return f"{kind}({argument})"


def _power_base_text(base: Any, exponent: float) -> str:
    return show(base) if _integer_power(exponent) else f"positive({show(base)})"


def _integer_power(exponent: float) -> bool:
    """An integer exponent takes any base (kept away from 0 if negative); others take
    positive(base)."""
    return exponent == int(exponent)


# ------------------------------------------------------------------ building on an engine


class Chaingrad:
    """Builds a tree on Values, rejecting points outside the operations' safe domains."""

    guarded = True

    @staticmethod
    def elementwise(name: str, x: Value) -> Value:
        return getattr(x, name)()

    weighted_sum = staticmethod(weighted_sum)
    sum_values = staticmethod(sum_values)


class Torch:
    """Builds the same tree on float64 tensors (no checks: the Values made them)."""

    guarded = False

    @staticmethod
    def elementwise(name: str, x: torch.Tensor) -> torch.Tensor:
        return TORCH_ELEMENTWISE[name](x)

    @staticmethod
    def weighted_sum(weights: list, inputs: list, bias: Any = None) -> torch.Tensor:
        total = sum(w * x for w, x in zip(weights, inputs))
        return total if bias is None else total + bias

    @staticmethod
    def sum_values(items: list) -> torch.Tensor:
        return sum(items)


def number_of(x: Any) -> float:
    if isinstance(x, Value):
        return x.data
    return x.item() if isinstance(x, torch.Tensor) else float(x)


def require(condition: bool) -> None:
    """Reject the drawn example (hypothesis draws another) unless ``condition`` holds."""
    if not condition:
        reject()


def array_of(x: Any) -> np.ndarray:
    """The numbers of a Value, a Tensor, a torch tensor or a plain number, as an array."""
    if isinstance(x, Value):
        return np.asarray(x.data, dtype=np.float64)
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x, dtype=np.float64)


def require_all(values: Any, condition: Callable[[np.ndarray], Any]) -> None:
    """Reject the example unless ``condition`` holds for every number of ``values``."""
    require(bool(np.all(condition(array_of(values)))))


def build_node(tree: Any, inputs: list, engine: type, own: Callable) -> Any:
    """The tree's expression on ``inputs`` with ``engine``'s functions: what both engines'
    trees share (inputs, arithmetic, powers, the op table) is built here, and the kinds of
    one engine only by ``own(kind, tree, sub)``, which returns NotImplemented for the rest.

    With a guarded engine (chaingrad's side), examples too close to a pole, a kink or an
    overflow, where finite differences and the two engines cannot agree, are rejected.
    """
    if isinstance(tree, float):
        return tree
    if isinstance(tree, np.ndarray):
        return engine.constant(tree)
    kind = tree[0]
    if kind == "input":
        return inputs[tree[1]]

    def positive(t: Any) -> Any:  # t·t + 0.5 ≥ 0.5: an argument for log, sqrt, x ** 1.5
        return t * t + 0.5

    def sub(t: Any) -> Any:
        return build_node(t, inputs, engine, own)

    guarded = engine.guarded
    if kind in BINARY:
        a, b = sub(tree[1]), sub(tree[2])
        if kind == "/" and guarded:
            require_all(b, lambda b: np.abs(b) >= MIN_DENOMINATOR)
        out = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}
        result = out[kind]()
    elif kind == "neg":
        result = -sub(tree[1])
    elif kind == "**number":
        base, exponent = sub(tree[1]), tree[2]
        if not _integer_power(exponent):
            base = positive(base)
        elif exponent < 0 and guarded:
            require_all(base, lambda base: np.abs(base) >= MIN_DENOMINATOR)
        result = base**exponent
    elif kind == "number**":
        result = tree[1] ** sub(tree[2])
    elif kind in ("**value", "**tensor"):  # a node raised to a node
        base, exponent = positive(sub(tree[1])), sub(tree[2])
        if guarded:  # see test_a_value_exponent_of_exactly_zero_keeps_its_derivative
            require_all(exponent, lambda exponent: exponent != 0.0)
        result = base**exponent
    else:
        result = own(kind, tree, sub)
        if result is NotImplemented:  # an entry of the op table
            argument = sub(tree[1])
            domain = ops.ELEMENTWISE[kind].domain
            if domain == "positive":
                argument = positive(argument)
            elif domain == "nonzero" and guarded:
                require_all(argument, lambda x: np.abs(x) >= MIN_DISTANCE_TO_KINK)
            result = engine.elementwise(kind, argument)
    if guarded:
        require_all(result, lambda data: np.isfinite(data) & (np.abs(data) <= LIMIT))
    return result


def build(tree: Any, inputs: list, engine: type) -> Any:
    """The tree's expression on ``inputs`` (Values or torch scalars)."""
    return build_node(tree, inputs, engine, partial(_scalar_kind, engine))


def _scalar_kind(engine: type, kind: str, tree: tuple, sub: Callable) -> Any:
    """The scalar engine's own kinds: a neuron's weighted sum, a sum of values."""
    if kind == "weighted_sum":
        weights = [sub(w) for w in tree[1]]
        xs = [sub(x) for x in tree[2]]
        bias = None if tree[3] is None else sub(tree[3])
        return engine.weighted_sum(weights, xs, bias)
    if kind == "sum_values":
        return engine.sum_values([sub(item) for item in tree[1]])
    return NotImplemented


# ------------------------------------------------------------------ derivatives on each side


def chaingrad_function(tree: tuple) -> Callable[..., Value]:
    return lambda *xs: build(tree, list(xs), Chaingrad)


def torch_function(tree: tuple) -> Callable[..., torch.Tensor]:
    return lambda *xs: build(tree, list(xs), Torch)


def torch_leaves(point: list[float]) -> list[torch.Tensor]:
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]


def chaingrad_gradient(output: Value, inputs: list[Value], **kwargs: Any) -> list[Any]:
    return grad(output, inputs, allow_unused=True, **kwargs)


def torch_gradient(output: Any, inputs: list[torch.Tensor], create_graph: bool = False) -> list:
    """torch.autograd.grad, with None for an input or an output that is not in the graph.

    The graph is kept (``retain_graph``): the gradients of one gradient graph are taken one
    after another."""
    if not isinstance(output, torch.Tensor) or not output.requires_grad:
        return [None] * len(inputs)
    return list(
        torch.autograd.grad(
            output, inputs, create_graph=create_graph, retain_graph=True, allow_unused=True
        )
    )


def numbers(gradients: list) -> list[float]:
    """Gradients as floats, 0.0 for None (an input the output does not depend on)."""
    return [0.0 if g is None else number_of(g) for g in gradients]


def derivative_table(function: Callable, leaves: list, gradient: Callable, order: int) -> Any:
    """All derivatives of ``order`` (1, 2 or 3) by repeated gradients, as nested lists."""

    def expand(node: Any, remaining: int) -> Any:
        create_graph = remaining > 1
        gradients = [None] * len(leaves) if node is None else gradient(node, leaves, create_graph)
        if remaining == 1:
            return numbers(gradients)
        return [expand(g, remaining - 1) for g in gradients]

    return expand(function(*leaves), order)


def chaingrad_table(tree: tuple, point: list[float], order: int) -> Any:
    def gradient(node: Value, leaves: list, create_graph: bool) -> list:
        return chaingrad_gradient(node, leaves, create_graph=create_graph)

    return derivative_table(chaingrad_function(tree), [Value(x) for x in point], gradient, order)


def torch_table(tree: tuple, point: list[float], order: int) -> Any:
    return derivative_table(torch_function(tree), torch_leaves(point), torch_gradient, order)


def assert_agree(ours: Any, theirs: Any, what: str, tree: tuple, point: list[float]) -> None:
    np.testing.assert_allclose(
        np.array(ours, dtype=np.float64),
        np.array(theirs, dtype=np.float64),
        rtol=RTOL,
        atol=ATOL,
        err_msg=f"{what} of {show(tree)} at {point}: chaingrad (actual) vs PyTorch (desired)",
    )


def compare_with_torch(tree: tuple, point: list[float]) -> None:
    """Value, gradient, gradient as a graph, its gradients, and the Hessian, both ways."""
    xs = [Value(x) for x in point]
    out = build(tree, xs, Chaingrad)
    ts = torch_leaves(point)
    reference = build(tree, ts, Torch)
    assert_agree(out.data, number_of(reference), "value", tree, point)

    expected = numbers(torch_gradient(reference, ts))
    gradient = numbers(chaingrad_gradient(out, xs))
    assert_agree(gradient, expected, "gradient", tree, point)
    as_graph = numbers(chaingrad_gradient(out, xs, create_graph=True))
    assert_agree(as_graph, expected, "gradient with create_graph=True", tree, point)

    second = chaingrad_table(tree, point, order=2)
    assert_agree(second, torch_table(tree, point, order=2), "second derivatives", tree, point)

    ours = hessian(chaingrad_function(tree), point)
    theirs = torch.autograd.functional.hessian(torch_function(tree), tuple(torch_leaves(point)))
    theirs = [[number_of(entry) for entry in row] for row in theirs]
    assert_agree(ours, theirs, "autograd.hessian", tree, point)


# ------------------------------------------------------------------ the properties


@settings(max_examples=150)
@given(data=st.data(), n_inputs=st.integers(2, 3))
def test_random_expression_trees_match_torch(data: st.DataObject, n_inputs: int) -> None:
    tree = data.draw(trees(n_inputs, depth=4), label="tree")
    point = data.draw(st.lists(INPUT_POINTS, min_size=n_inputs, max_size=n_inputs), label="x")
    compare_with_torch(tree, point)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=15)
@given(data=st.data(), n_inputs=st.integers(2, 3))
def test_each_operation_at_the_root_matches_torch(
    kind: str, data: st.DataObject, n_inputs: int
) -> None:
    tree = data.draw(trees(n_inputs, depth=3, kind=kind), label="tree")
    point = data.draw(st.lists(INPUT_POINTS, min_size=n_inputs, max_size=n_inputs), label="x")
    compare_with_torch(tree, point)


# ------------------------------------------------------------------ third derivatives

# Chains such as sigmoid(tanh(x0) * x1): each link applies tanh or sigmoid, or multiplies
# or shifts by an input (so that the chain involves both inputs).
LINKS = st.sampled_from(("tanh", "sigmoid", "*x0", "*x1", "+x1"))


def chain_tree(links: list[str]) -> tuple:
    tree: tuple = ("input", 0)
    for link in links:
        if link in ("tanh", "sigmoid"):
            tree = (link, tree)
        else:
            tree = ("+" if link[0] == "+" else "*", tree, ("input", int(link[-1])))
    return tree


@settings(max_examples=60)
@given(
    links=st.lists(LINKS, min_size=1, max_size=6).filter(
        lambda links: "tanh" in links or "sigmoid" in links
    ),
    point=st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=2),
)
def test_third_derivatives_of_tanh_and_sigmoid_chains_match_torch(
    links: list[str], point: list[float]
) -> None:
    tree = chain_tree(links)
    ours = chaingrad_table(tree, point, order=3)
    assert_agree(ours, torch_table(tree, point, order=3), "third derivatives", tree, point)


def test_third_derivatives_of_sigmoid_of_tanh_times_y() -> None:
    tree = ("sigmoid", ("*", ("tanh", ("input", 0)), ("input", 1)))
    point = [0.3, -1.2]
    ours = chaingrad_table(tree, point, order=3)
    assert_agree(ours, torch_table(tree, point, order=3), "third derivatives", tree, point)
    # and one entry by hand: ∂³/∂y³ σ(t·y) = t³·σ'''(t·y), σ''' = σ(1-σ)(1 - 6σ + 6σ²)
    t = math.tanh(0.3)
    s = 1 / (1 + math.exp(-t * -1.2))
    assert ours[1][1][1] == pytest.approx(t**3 * s * (1 - s) * (1 - 6 * s + 6 * s * s), rel=1e-12)


# ================================================================== the Tensor engine

SMOOTH = st.floats(-2.0, 2.0)
DOMAIN_ELEMENTS = {
    "real": SMOOTH,
    "positive": st.floats(0.1, 3.0),
    "nonzero": st.one_of(st.floats(-2.0, -0.01), st.floats(0.01, 2.0)),
}
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def arrays(elements: st.SearchStrategy[float], shape: Any = SHAPES) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements)


def tensor_pair(array: np.ndarray) -> tuple[Tensor, torch.Tensor]:
    return (
        Tensor(array.copy(), requires_grad=True),
        torch.tensor(array, dtype=torch.float64, requires_grad=True),
    )


def assert_tensor_gradients_agree(
    ours: Callable[..., Tensor],
    theirs: Callable[..., torch.Tensor],
    arrays_in: list[np.ndarray],
    seed: int,
    what: str,
) -> None:
    """``autograd.grad`` and ``backward`` against ``torch.autograd.grad``, for a random ∂L/∂out."""
    pairs = [tensor_pair(a) for a in arrays_in]
    xs, ts = [p[0] for p in pairs], [p[1] for p in pairs]
    out, reference = ours(*xs), theirs(*ts)
    detail = f"{what} at {[a.tolist() for a in arrays_in]}"
    np.testing.assert_allclose(
        out.data, reference.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"value of {detail}"
    )
    upstream = np.random.default_rng(seed).uniform(-1.0, 1.0, size=out.shape)
    expected = torch.autograd.grad(reference, ts, grad_outputs=torch.from_numpy(upstream))
    gradients = grad(out, xs, grad_output=upstream)
    for index, (ours_g, theirs_g) in enumerate(zip(gradients, expected)):
        assert ours_g.shape == tuple(theirs_g.shape)
        np.testing.assert_allclose(
            ours_g.data,
            theirs_g.numpy(),
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"autograd.grad, input {index}, of {detail}",
        )
        assert xs[index].grad is None  # grad leaves .grad alone
    out.backward(upstream)
    for index, (x, theirs_g) in enumerate(zip(xs, expected)):
        np.testing.assert_allclose(
            x.grad,
            theirs_g.numpy(),
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"backward, input {index}, of {detail}",
        )


ENTRIES = list(ops.ELEMENTWISE.values())


@pytest.mark.parametrize("op", ENTRIES, ids=[op.name for op in ENTRIES])
@settings(max_examples=15)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_tensor_table_entries_match_torch(op: ops.Elementwise, data: Any, seed: int) -> None:
    array = data.draw(arrays(DOMAIN_ELEMENTS[op.domain]), label="x")
    assert_tensor_gradients_agree(
        lambda x: getattr(x, op.name)(), TORCH_ELEMENTWISE[op.name], [array], seed, op.name
    )


BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3), (3,)),
    ((3,), ()),
    ((), (2, 2)),
    ((2, 1, 3), (4, 1)),
]
TENSOR_BINARY: dict[str, tuple[Callable[[Any, Any], Any], Any, Any]] = {
    # op: (function, left elements, right elements)
    "+": (lambda a, b: a + b, SMOOTH, SMOOTH),
    "-": (lambda a, b: a - b, SMOOTH, SMOOTH),
    "*": (lambda a, b: a * b, SMOOTH, SMOOTH),
    "/": (lambda a, b: a / b, SMOOTH, DOMAIN_ELEMENTS["nonzero"].filter(lambda v: abs(v) > 0.2)),
    "**": (lambda a, b: a**b, st.floats(0.1, 3.0), SMOOTH),
}


@pytest.mark.parametrize("op", TENSOR_BINARY)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@settings(max_examples=8)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_tensor_broadcasting_binary_ops_match_torch(
    op: str, shapes: tuple, data: Any, seed: int
) -> None:
    function, left, right = TENSOR_BINARY[op]
    a = data.draw(arrays(left, shapes[0]), label="a")
    b = data.draw(arrays(right, shapes[1]), label="b")
    assert_tensor_gradients_agree(function, function, [a, b], seed, f"a {op} b, shapes {shapes}")


@pytest.mark.parametrize("exponent", [2.0, 3.0, -1.0, 0.5, -1.5, 0.0])
@given(array=arrays(st.floats(0.1, 3.0)), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=10)
def test_tensor_power_of_a_number_exponent_matches_torch(
    exponent: float, array: np.ndarray, seed: int
) -> None:
    def power(x: Any) -> Any:
        return x**exponent

    assert_tensor_gradients_agree(power, power, [array], seed, f"x ** {exponent}")


MATMUL_SHAPES = [
    ((2, 3), (3, 4)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3,)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@settings(max_examples=10)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_tensor_matmul_matches_torch(shapes: tuple, data: Any, seed: int) -> None:
    a = data.draw(arrays(SMOOTH, shapes[0]), label="a")
    b = data.draw(arrays(SMOOTH, shapes[1]), label="b")

    def matmul(x: Any, y: Any) -> Any:
        return x @ y

    assert_tensor_gradients_agree(matmul, matmul, [a, b], seed, f"a @ b, shapes {shapes}")


@settings(max_examples=20)
@given(
    x=arrays(SMOOTH, (4, 3)),
    w=arrays(SMOOTH, (3, 2)),
    b=arrays(SMOOTH, (2,)),
    seed=st.integers(0, 2**32 - 1),
)
def test_tensor_layer_of_every_activation_matches_torch(x, w, b, seed: int) -> None:
    # A layer whose activations use every table entry in turn (safe arguments where needed).
    def layer(engine_x: Any, engine_w: Any, engine_b: Any, apply: Callable) -> Any:
        z = engine_x @ engine_w + engine_b
        total = z * 0.0
        for name, entry in ops.ELEMENTWISE.items():
            argument = z * z + 0.5 if entry.domain != "real" else z
            total = total + apply(name, argument)
        return total

    assert_tensor_gradients_agree(
        lambda *t: layer(*t, lambda name, a: getattr(a, name)()),
        lambda *t: layer(*t, lambda name, a: TORCH_ELEMENTWISE[name](a)),
        [x, w, b],
        seed,
        "sum of every activation of x @ w + b",
    )


# ------------------------------------------------------------------ Tensor Hessians


@settings(max_examples=15)
@given(
    x=arrays(SMOOTH, (4, 3)),
    w=arrays(SMOOTH, (3, 2)),
    b=arrays(SMOOTH, (2,)),
)
def test_tensor_hessian_of_a_layer_of_every_activation_matches_torch(x, w, b) -> None:
    # Second derivatives through @, broadcasting +, * and every table entry, against
    # torch.autograd.functional.hessian (float64), block by block and shaped alike.
    def loss(engine_w: Any, engine_b: Any, apply: Callable, inputs: Any) -> Any:
        z = inputs @ engine_w + engine_b
        total = z * 0.0
        for name, entry in ops.ELEMENTWISE.items():
            argument = z * z + 0.5 if entry.domain != "real" else z
            total = total + apply(name, argument)
        return (total * total).mean()

    ours = hessian(
        lambda tw, tb: loss(tw, tb, lambda name, a: getattr(a, name)(), Tensor(x)),
        [Tensor(w), Tensor(b)],
    )
    theirs = torch.autograd.functional.hessian(
        lambda tw, tb: loss(
            tw, tb, lambda name, a: TORCH_ELEMENTWISE[name](a), torch.from_numpy(x)
        ),
        (torch.from_numpy(w), torch.from_numpy(b)),
    )
    for i in range(2):
        for j in range(2):
            assert ours[i][j].shape == tuple(theirs[i][j].shape)
            np.testing.assert_allclose(ours[i][j], theirs[i][j].numpy(), rtol=1e-6, atol=1e-10)


def test_a_value_exponent_of_exactly_zero_keeps_its_derivative() -> None:
    # Where an exponent node is exactly 0, PyTorch replaces ∂(aᵇ)/∂a = b·aᵇ⁻¹ by a constant
    # 0, which also drops its derivative by b (aᵇ⁻¹): its mixed second derivative there is 0.
    # chaingrad keeps the expression, and agrees with finite differences of the gradient;
    # the random trees above therefore avoid that single point.
    def f(a: Any, b: Any) -> Any:
        return (a * a + 0.5) ** b

    ours = hessian(f, [0.7, 0.0])
    base = 0.7 * 0.7 + 0.5
    mixed = 2 * 0.7 / base  # ∂/∂a (aᵇ·ln a) at b = 0, with a = 0.7² + 0.5
    assert ours[0][1] == pytest.approx(mixed) and ours[1][0] == pytest.approx(mixed)
    theirs = torch.autograd.functional.hessian(
        f, (torch.tensor(0.7, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64))
    )
    assert float(theirs[1][0]) == pytest.approx(mixed)  # PyTorch's one order is right...
    assert float(theirs[0][1]) == 0.0  # ...and its other drops the term: not symmetric
    assert gradgradcheck(f, [0.7, 0.0])


def test_hessian_of_an_nn_linear_network_matches_torch() -> None:
    # The fused linear node (nn.Linear) differentiated twice: ½‖tanh(xW₁+b₁)W₂+b₂ − y‖² / n.
    import nn

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    nn.manual_seed(0)
    first, second = nn.Linear(3, 4, dtype=np.float64), nn.Linear(4, 2, dtype=np.float64)
    w2, b2 = second.weight.data, second.bias.data

    def ours(w: Tensor, b: Tensor) -> Tensor:
        first.weight, first.bias = w, b
        out = second(first(Tensor(x)).tanh())
        return ((out - Tensor(y)) ** 2).sum() * (0.5 / len(x))

    def theirs(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        hidden = torch.tanh(torch.from_numpy(x) @ w + b)
        out = hidden @ torch.from_numpy(w2) + torch.from_numpy(b2)
        return ((out - torch.from_numpy(y)) ** 2).sum() * (0.5 / len(x))

    w1, b1 = first.weight.data.copy(), first.bias.data.copy()
    h = hessian(ours, [Tensor(w1), Tensor(b1)])
    expected = torch.autograd.functional.hessian(
        theirs, (torch.from_numpy(w1), torch.from_numpy(b1))
    )
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(h[i][j], expected[i][j].numpy(), rtol=1e-6, atol=1e-10)


def test_hessian_of_a_classifier_with_cross_entropy_matches_torch() -> None:
    # nn.Sequential(Linear, Sigmoid, Linear) with the fused softmax cross-entropy, as in the
    # MNIST demo (on 5 samples of 4 features): Hessian by the output layer's weights and bias.
    import nn

    rng = np.random.default_rng(5)
    x, labels = rng.standard_normal((5, 4)), np.array([0, 2, 1, 2, 0])
    nn.manual_seed(1)
    net = nn.Sequential(
        nn.Linear(4, 3, dtype=np.float64), nn.Sigmoid(), nn.Linear(3, 3, dtype=np.float64)
    )
    w1, b1 = net[0].weight.data, net[0].bias.data

    def ours(w: Tensor, b: Tensor) -> Tensor:
        net[2].weight, net[2].bias = w, b
        return nn.cross_entropy(net(Tensor(x)), labels)

    def theirs(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        hidden = torch.sigmoid(torch.from_numpy(x) @ torch.from_numpy(w1) + torch.from_numpy(b1))
        return F.cross_entropy(hidden @ w + b, torch.from_numpy(labels))

    w2, b2 = net[2].weight.data.copy(), net[2].bias.data.copy()
    h = hessian(ours, [Tensor(w2), Tensor(b2)])
    expected = torch.autograd.functional.hessian(
        theirs, (torch.from_numpy(w2), torch.from_numpy(b2))
    )
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(h[i][j], expected[i][j].numpy(), rtol=1e-6, atol=1e-10)


# ================================================================== Tensor expression trees
#
# The same comparison on the Tensor engine: random trees over two float64 Tensors of small
# shapes, using every Tensor op, each ending in a weighted sum or mean to a scalar. A node is
# a tuple (kind, operands..., settings...); an operand is a subtree, a float or an ndarray.
# The generator tracks each node's shape and fits an operand to the shape an op needs
# (``fit``), so every drawn tree is well formed; the guards of ``build_tensor`` reject
# points outside an op's smooth domain, as for the scalar trees.

TENSOR_INPUT_SHAPES = [((2, 3), (3,)), ((2, 2), (2, 2)), ((3,), (2, 1))]
FUSED = (
    "linear",
    "softmax_cross_entropy",
    "mse",
    "squared_error",
    "binary_cross_entropy",
    "sigmoid_binary_cross_entropy",
)
TENSOR_KINDS = (
    *BINARY,
    "neg",
    "**number",  # t ** c
    "number**",  # c ** t
    "**tensor",  # positive(a) ** b, broadcast
    "@",
    "sum",
    "mean",
    "max",
    "reshape",
    "transpose",
    ".T",
    "slice",  # basic slices
    "take",  # an integer array along the first axis (with a repeated index)
    "softmax",
    "log_softmax",
    *ops.ELEMENTWISE,
    *FUSED,
)
# PyTorch's second derivative of binary_cross_entropy adds 1e-12 to p and to 1 - p in its
# denominators: a relative error of about 2e-12 / (p (1 - p)), which the cancellations
# through a sigmoid amplify. Nearer 0 or 1 than this, the trees compare its approximation.
MIN_PROBABILITY = 0.01
# The nearest two entries a max may compare (a tie splits the gradient differently).
MIN_MAX_GAP = 1e-3


def _size(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _reshapes(size: int) -> list[tuple[int, ...]]:
    """The shapes of at most 2 axes holding ``size`` elements."""
    shapes: list[tuple[int, ...]] = [(size,)]
    shapes += [(rows, size // rows) for rows in range(1, size + 1) if size % rows == 0]
    return shapes + ([()] if size == 1 else [])


@st.composite
def tensor_trees(
    draw: st.DrawFn, shapes: tuple, depth: int, kind: str | None = None
) -> tuple[Any, tuple[int, ...]]:
    """A random Tensor tree over inputs of ``shapes`` and its shape; ``kind`` fixes the root."""
    if kind is None:
        kind = "input" if depth == 0 else draw(st.sampled_from(("input", *TENSOR_KINDS)))
    if kind == "input":
        i = draw(st.integers(0, len(shapes) - 1))
        return ("input", i), tuple(shapes[i])

    def subtree() -> tuple[Any, tuple[int, ...]]:
        return draw(tensor_trees(shapes, max(depth - 1, 0)))

    def constant(shape: tuple[int, ...], elements: Any = CONSTANTS) -> np.ndarray:
        return draw(hnp.arrays(np.float64, shape, elements=elements))

    def fit(tree: Any, shape: tuple, target: tuple) -> Any:
        """``tree`` reshaped to ``target``, or its sum times a constant array of that shape."""
        if shape == target:
            return tree
        if _size(shape) == _size(target):
            return ("reshape", tree, target)
        return ("*", ("sum", tree, None, False), constant(target))

    def subtree_of(target: tuple) -> Any:
        tree, shape = subtree()
        return fit(tree, shape, target)

    def at_least(tree: Any, shape: tuple, ndim: int) -> tuple[Any, tuple]:
        if len(shape) >= ndim:
            return tree, shape
        target = (1,) * (ndim - len(shape)) + shape
        return ("reshape", tree, target), target

    if kind in (*BINARY, "**tensor"):
        (a, a_shape), (b, b_shape) = subtree(), subtree()
        try:
            shape = np.broadcast_shapes(a_shape, b_shape)
        except ValueError:
            b, b_shape = ("sum", b, None, False), ()
            shape = a_shape
        if kind in BINARY and draw(st.integers(0, 3)) == 0:  # a number on one side
            if draw(st.booleans()):
                return (kind, draw(CONSTANTS), b), b_shape
            return (kind, a, draw(CONSTANTS)), a_shape
        return (kind, a, b), shape
    if kind == "neg":
        tree, shape = subtree()
        return (kind, tree), shape
    if kind == "**number":
        tree, shape = subtree()
        return (kind, tree, draw(st.sampled_from(POWER_EXPONENTS))), shape
    if kind == "number**":
        tree, shape = subtree()
        return (kind, draw(st.floats(0.5, 3.0)), tree), shape
    if kind == "@":
        left, left_shape = subtree()
        if not left_shape:
            left, left_shape = ("reshape", left, (1,)), (1,)
        if len(left_shape) > 2:
            left, left_shape = ("reshape", left, (_size(left_shape),)), (_size(left_shape),)
        inner = left_shape[-1]
        right_shape = draw(st.sampled_from([(inner,), (inner, 1), (inner, 2)]))
        shape = left_shape[:-1] + right_shape[1:]
        return (kind, left, subtree_of(right_shape)), shape
    if kind in ("sum", "mean", "max"):
        tree, shape = subtree()
        axis = draw(st.sampled_from((None, *range(len(shape)))))
        keepdims = draw(st.booleans())
        if axis is None:
            out_shape = (1,) * len(shape) if keepdims else ()
        else:
            out_shape = shape[:axis] + ((1,) if keepdims else ()) + shape[axis + 1 :]
        return (kind, tree, axis, keepdims), out_shape
    if kind == "reshape":
        tree, shape = subtree()
        target = draw(st.sampled_from(_reshapes(_size(shape))))
        return (kind, tree, target), target
    if kind in ("transpose", ".T"):
        tree, shape = at_least(*subtree(), 2)
        return (kind, tree), shape[::-1]
    if kind == "slice":
        tree, shape = at_least(*subtree(), 1)
        index = tuple(
            slice(start, None, step)
            for start, step in (
                (draw(st.integers(0, side - 1)), draw(st.integers(1, 2))) for side in shape
            )
        )
        sliced = tuple(len(range(side)[s]) for side, s in zip(shape, index))
        if draw(st.booleans()):  # an integer index on the first axis drops it
            index = (draw(st.integers(0, shape[0] - 1)), *index[1:])
            sliced = sliced[1:]
        return (kind, tree, index), sliced
    if kind == "take":
        tree, shape = at_least(*subtree(), 1)
        rows = draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=3))
        rows.append(rows[0])  # a repeated row: its gradients add up
        return (kind, tree, np.array(rows)), (len(rows), *shape[1:])
    if kind in ("softmax", "log_softmax"):
        tree, shape = at_least(*subtree(), 1)
        return (kind, tree, draw(st.integers(-len(shape), len(shape) - 1))), shape
    if kind == "linear":
        x, shape = at_least(*subtree(), 1)
        if len(shape) > 2:
            x, shape = ("reshape", x, (_size(shape),)), (_size(shape),)
        outputs = draw(st.integers(1, 2))
        weight = subtree_of((shape[-1], outputs))
        bias = subtree_of((outputs,)) if draw(st.booleans()) else None
        return (kind, x, weight, bias), (*shape[:-1], outputs)
    if kind == "softmax_cross_entropy":
        tree, shape = subtree()
        size = _size(shape)
        target = (size // 2, 2) if size % 2 == 0 else (1, size)
        if target == (1, 1):
            tree, target = ("*", ("sum", tree, None, False), constant((2, 2))), (2, 2)
        labels = draw(hnp.arrays(np.int64, target[0], elements=st.integers(0, target[1] - 1)))
        return (kind, fit(tree, shape, target), labels), ()
    if kind in FUSED:  # the losses of a prediction and a target of the same shape
        prediction, shape = subtree()
        if draw(st.booleans()):  # a target that is itself a tree (its gradient is compared)
            target = ("sigmoid", subtree_of(shape))
        else:
            target = constant(shape, st.floats(0.0, 1.0))
        if kind == "binary_cross_entropy":
            prediction = ("sigmoid", prediction)
        if kind == "squared_error":
            return (kind, prediction, target, draw(CONSTANTS)), ()
        return (kind, prediction, target), ()
    assert kind in ops.ELEMENTWISE, kind
    tree, shape = subtree()
    return (kind, tree), shape


def show_tensor_tree(tree: Any) -> str:
    """The tree as nested calls (x0, x1 are the inputs; arrays written as lists)."""
    if isinstance(tree, np.ndarray):
        return f"array({tree.tolist()})"
    if not (isinstance(tree, tuple) and tree and isinstance(tree[0], str)):
        return repr(tree)  # a number, a shape or an index
    if tree[0] == "input":
        return f"x{tree[1]}"
    return f"{tree[0]}({', '.join(show_tensor_tree(part) for part in tree[1:])})"


class ChaingradTensors:
    """The Tensor ops of chaingrad by the names of the tree's kinds."""

    guarded = True
    elementwise = staticmethod(lambda name, x: getattr(x, name)())
    matmul = staticmethod(lambda a, b: a @ b)
    transpose = staticmethod(lambda x: x.transpose(1, 0))
    take = staticmethod(lambda x, rows: x[rows])
    softmax = staticmethod(lambda x, axis: x.softmax(axis=axis))
    log_softmax = staticmethod(lambda x, axis: x.log_softmax(axis=axis))
    linear = staticmethod(linear)
    softmax_cross_entropy = staticmethod(softmax_cross_entropy)
    mse = staticmethod(mse)
    squared_error = staticmethod(squared_error)
    binary_cross_entropy = staticmethod(binary_cross_entropy)
    sigmoid_binary_cross_entropy = staticmethod(sigmoid_binary_cross_entropy)
    constant = staticmethod(lambda array: array)

    @staticmethod
    def reduce(kind: str, x: Tensor, axis: int | None, keepdims: bool) -> Tensor:
        return getattr(x, kind)(axis=axis, keepdims=keepdims)


class TorchTensors:
    """The same ops on float64 torch tensors."""

    guarded = False
    elementwise = staticmethod(lambda name, x: TORCH_ELEMENTWISE[name](x))
    matmul = staticmethod(lambda a, b: a @ b)
    transpose = staticmethod(lambda x: x.permute(1, 0))
    take = staticmethod(lambda x, rows: x[torch.from_numpy(rows)])
    softmax = staticmethod(lambda x, axis: torch.softmax(x, dim=axis))
    log_softmax = staticmethod(lambda x, axis: torch.log_softmax(x, dim=axis))
    softmax_cross_entropy = staticmethod(
        lambda z, labels: F.cross_entropy(z, torch.from_numpy(labels))
    )
    mse = staticmethod(F.mse_loss)
    squared_error = staticmethod(lambda a, y, scale: ((a - y) ** 2).sum() * scale)
    binary_cross_entropy = staticmethod(F.binary_cross_entropy)
    sigmoid_binary_cross_entropy = staticmethod(F.binary_cross_entropy_with_logits)
    constant = staticmethod(torch.from_numpy)

    @staticmethod
    def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        return x @ w if b is None else x @ w + b

    @staticmethod
    def reduce(kind: str, x: torch.Tensor, axis: int | None, keepdims: bool) -> torch.Tensor:
        dims = tuple(range(x.ndim)) if axis is None else (axis,)
        if not dims:  # a 0-d tensor: nothing to reduce
            return x * 1.0
        if kind == "max":
            return torch.amax(x, dim=dims, keepdim=keepdims)
        return getattr(torch, kind)(x, dim=dims, keepdim=keepdims)


def _require_no_near_tie(x: Tensor, axis: int | None) -> None:
    data = x.data.reshape(-1) if axis is None else np.moveaxis(x.data, axis, -1)
    if data.shape[-1] > 1:
        top = np.sort(data, axis=-1)
        require(bool(np.all(top[..., -1] - top[..., -2] >= MIN_MAX_GAP)))


def build_tensor(tree: Any, inputs: list, engine: type) -> Any:
    """The tree's expression on ``inputs`` (Tensors or torch tensors) with ``engine``'s ops."""
    return build_node(tree, inputs, engine, partial(_tensor_kind, engine))


def _tensor_kind(engine: type, kind: str, tree: tuple, sub: Callable) -> Any:
    """The Tensor engine's own kinds: products, reductions, shapes, fused nodes."""
    guarded = engine.guarded
    if kind == "@":
        return engine.matmul(sub(tree[1]), sub(tree[2]))
    if kind in ("sum", "mean", "max"):
        x = sub(tree[1])
        if kind == "max" and guarded:
            _require_no_near_tie(x, tree[2])
        return engine.reduce(kind, x, tree[2], tree[3])
    if kind == "reshape":
        return sub(tree[1]).reshape(tree[2])
    if kind == "transpose":
        return engine.transpose(sub(tree[1]))
    if kind == ".T":
        return sub(tree[1]).T
    if kind == "slice":
        return sub(tree[1])[tree[2]]
    if kind == "take":
        return engine.take(sub(tree[1]), tree[2])
    if kind in ("softmax", "log_softmax"):
        return getattr(engine, kind)(sub(tree[1]), tree[2])
    if kind == "linear":
        bias = None if tree[3] is None else sub(tree[3])
        return engine.linear(sub(tree[1]), sub(tree[2]), bias)
    if kind == "softmax_cross_entropy":
        return engine.softmax_cross_entropy(sub(tree[1]), tree[2])
    if kind == "binary_cross_entropy":
        probability = sub(tree[1])
        if guarded:  # see test_binary_cross_entropy_hessian_near_saturation_is_exact
            require_all(probability, lambda p: (p >= MIN_PROBABILITY) & (p <= 1 - MIN_PROBABILITY))
        return engine.binary_cross_entropy(probability, sub(tree[2]))
    if kind in FUSED:
        return getattr(engine, kind)(*[sub(part) for part in tree[1:3]], *tree[3:])
    return NotImplemented


def to_scalar(tree: Any, shape: tuple[int, ...], weights: np.ndarray, mean: bool) -> Any:
    """The tree reduced to a scalar: the sum or mean of ``weights · tree`` (weights of its
    shape, so that a plain sum of a softmax, 1, does not hide its derivatives)."""
    return ("mean" if mean else "sum", ("*", tree, weights), None, False)


def compare_tensor_tree_with_torch(tree: Any, arrays_in: list[np.ndarray]) -> None:
    """Value, gradient and full Hessian of a scalar Tensor tree, chaingrad against PyTorch."""
    detail = f"{show_tensor_tree(tree)} at {[a.tolist() for a in arrays_in]}"
    xs = [Tensor(a.copy(), requires_grad=True) for a in arrays_in]
    out = build_tensor(tree, xs, ChaingradTensors)
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays_in]
    reference = build_tensor(tree, ts, TorchTensors)
    assert out.shape == () and tuple(reference.shape) == ()
    np.testing.assert_allclose(
        out.data, reference.item(), rtol=RTOL, atol=ATOL, err_msg=f"value of {detail}"
    )

    expected = torch.autograd.grad(reference, ts, allow_unused=True)
    gradients = grad(out, xs, allow_unused=True)
    for index, (ours_g, theirs_g, a) in enumerate(zip(gradients, expected, arrays_in)):
        ours_array = np.zeros(a.shape) if ours_g is None else ours_g.data
        theirs_array = np.zeros(a.shape) if theirs_g is None else theirs_g.numpy()
        assert ours_array.shape == a.shape
        np.testing.assert_allclose(
            ours_array,
            theirs_array,
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"gradient by x{index} of {detail}",
        )

    ours = hessian(
        lambda *t: build_tensor(tree, list(t), ChaingradTensors), [Tensor(a) for a in arrays_in]
    )
    theirs = torch.autograd.functional.hessian(
        lambda *t: build_tensor(tree, list(t), TorchTensors),
        tuple(torch.from_numpy(a.copy()) for a in arrays_in),
    )
    for i in range(len(arrays_in)):
        for j in range(len(arrays_in)):
            assert ours[i][j].shape == tuple(theirs[i][j].shape)
            np.testing.assert_allclose(
                ours[i][j],
                theirs[i][j].numpy(),
                rtol=RTOL,
                atol=ATOL,
                err_msg=f"Hessian block ({i}, {j}) of {detail}",
            )


def draw_tensor_inputs(data: st.DataObject, shapes: tuple) -> list[np.ndarray]:
    return [data.draw(arrays(INPUT_POINTS, shape), label=f"x{i}") for i, shape in enumerate(shapes)]


@settings(max_examples=100)
@given(data=st.data(), shapes=st.sampled_from(TENSOR_INPUT_SHAPES), mean=st.booleans())
def test_random_tensor_expression_trees_match_torch(
    data: st.DataObject, shapes: tuple, mean: bool
) -> None:
    tree, shape = data.draw(tensor_trees(shapes, depth=3), label="tree")
    weights = data.draw(arrays(CONSTANTS, shape), label="weights")
    arrays_in = draw_tensor_inputs(data, shapes)
    compare_tensor_tree_with_torch(to_scalar(tree, shape, weights, mean), arrays_in)


@pytest.mark.parametrize("kind", TENSOR_KINDS)
@settings(max_examples=8)
@given(data=st.data(), shapes=st.sampled_from(TENSOR_INPUT_SHAPES), mean=st.booleans())
def test_each_tensor_op_at_the_root_matches_torch(
    kind: str, data: st.DataObject, shapes: tuple, mean: bool
) -> None:
    tree, shape = data.draw(tensor_trees(shapes, depth=2, kind=kind), label="tree")
    weights = data.draw(arrays(CONSTANTS, shape), label="weights")
    arrays_in = draw_tensor_inputs(data, shapes)
    compare_tensor_tree_with_torch(to_scalar(tree, shape, weights, mean), arrays_in)


def test_binary_cross_entropy_hessian_near_saturation_is_exact() -> None:
    # Through a sigmoid, BCE(σ(z), y) has ∂²/∂z² = σ(z)(1 - σ(z)) / n: the chain rule's
    # terms, p² and p(1 - 2p) for y = 0, cancel down to p(1 - p). chaingrad gets it to
    # rounding at z = 12; PyTorch 2.x adds 1e-12 to p and 1 - p in its second derivative of
    # binary_cross_entropy and returns 5.82e-06 there instead of 6.14e-06, which is why the
    # random trees keep probabilities in [MIN_PROBABILITY, 1 - MIN_PROBABILITY].
    z, target = np.array([12.0, -9.0]), np.array([0.0, 1.0])
    ours = hessian(lambda t: binary_cross_entropy(t.sigmoid(), target), [Tensor(z)])[0][0]
    p = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(ours, np.diag(p * (1 - p) / 2), rtol=1e-9, atol=0.0)
    from_logits = hessian(lambda t: sigmoid_binary_cross_entropy(t, target), [Tensor(z)])
    np.testing.assert_allclose(ours, from_logits[0][0], rtol=1e-9, atol=0.0)
