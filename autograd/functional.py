"""Gradients as values, and gradients of gradients: ``grad``, ``hessian``, ``hvp``,
``jacobian`` and ``gradgradcheck``.

``x.backward()`` fills ``.grad`` with numbers. :func:`grad` returns the gradients instead,
leaving every ``.grad`` alone, and with ``create_graph=True`` it returns them as *nodes of
a new graph*: each local derivative, an expression in the op's inputs and output (see
:mod:`autograd.ops`), is evaluated on the graph's own nodes rather than on numbers. A
derivative is then a computation like any other, and can be differentiated again::

    >>> from autograd import Value, grad
    >>> x = Value(3.0)
    >>> y = x * x * x                          # y = x³
    >>> [dy] = grad(y, [x], create_graph=True)   # 3x² = 27, as a graph
    >>> [d2y] = grad(dy, [x])                     # 6x = 18
    >>> dy.data, d2y.data
    (27.0, 18.0)

The functions on top of it take ``f`` and a point, as ``torch.autograd.functional`` does:
:func:`hessian`, :func:`hvp` (a Hessian-vector product without forming the Hessian) and
:func:`jacobian`. On Values they give nested lists of floats; on Tensors, NumPy arrays shaped
as PyTorch shapes them.

On Tensors, each op's backward rule is evaluated on the nodes themselves (see
:class:`_NodeAsGraph`): the rules of ``+ - * / ** @``, ``sum``,
``mean``, ``max``, ``reshape``, ``transpose``, indexing, ``softmax``, ``log_softmax``, the fused
``linear`` and losses (cross-entropies, ``mse``, ``squared_error``, ``sigmoid_squared_error``)
and the op table are written with operations Tensors support, so one rule serves both the
first-order pass and the gradient graph (a fused rule that reads an array saved by the
forward pass recomputes it from the nodes there). An op added without that care is refused
by name with ``create_graph=True``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.grad_mode import enable_grad
from autograd.gradcheck import GradcheckError
from autograd.graph import topological_order
from autograd.ops import ELEMENTWISE
from autograd.tensor import Tensor, _check_unchanged
from autograd.tensor_fused import LINEAR_ACTIVATIONS
from autograd.value import Value, local_derivatives

__all__ = ["grad", "gradgradcheck", "hessian", "hvp", "jacobian"]


def grad(
    output: Value | Tensor,
    inputs: Sequence[Value] | Sequence[Tensor],
    grad_output: Any = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> list[Any]:
    """The gradients of ``output`` with respect to each of ``inputs``, without touching ``.grad``.

    ``inputs`` may be any nodes of the graph, leaves or not. ``grad_output`` is ∂L/∂output
    (1 by default for a scalar); the result is then ∂L/∂input for each input. With
    ``create_graph=True`` the gradients are nodes of a graph built from the inputs, so they
    can be differentiated again, to any order.

    Returns:
        One gradient per input, in order: Values for Value inputs (constants unless
        ``create_graph``), Tensors for Tensor inputs; ``None`` for an input the output does
        not depend on, if ``allow_unused``.

    Raises:
        TypeError: ``output`` or an input is not a Value or a Tensor, or they mix the engines.
        ValueError: an input does not affect ``output`` (pass ``allow_unused=True`` to get
            None for it), or a Tensor output with more than one element has no
            ``grad_output`` (or one of another shape).
        RuntimeError: with ``create_graph``, the data of a Value in the graph was changed
            after the forward pass (a gradient graph would mix two points).
        NotImplementedError: ``create_graph=True`` through a Tensor op whose rule is not
            written for nodes yet (the message names it and the ops that are).
    """
    if isinstance(inputs, (Value, Tensor)):
        raise TypeError("autograd.grad: inputs must be a list of nodes, e.g. grad(y, [x])")
    nodes: list[Any] = list(inputs)
    engine = _engine_of(output, nodes)
    order = topological_order(output)
    gradients: dict[Any, Any]
    if isinstance(output, Value):
        gradients = _value_gradients(order, grad_output, create_graph)
    else:
        gradients = _tensor_gradients(order, grad_output, create_graph)
    forward_nodes = set(order) if create_graph else set()
    results: list[Any] = []
    for index, x in enumerate(nodes):
        gradient: Any = gradients.get(x)
        if gradient is None:
            if not allow_unused:
                raise ValueError(
                    f"autograd.grad: input {index} ({_describe(x)}) does not affect the output; "
                    "pass allow_unused=True to get None for it"
                )
            results.append(None)
        elif engine is Value:
            if not isinstance(gradient, Value):
                gradient = Value(gradient)
            elif gradient in forward_nodes:  # ∂(x·y)/∂x is y itself: hand out a new node
                gradient = gradient * 1.0
            results.append(gradient)
        elif create_graph:
            results.append(gradient * 1.0 if gradient in forward_nodes else gradient)
        else:
            results.append(Tensor(np.array(gradient, copy=True)))  # rules may share arrays
    return results


def hessian(f: Callable[..., Any], inputs: Sequence[Any]) -> Any:
    """The matrix of second derivatives ∂²f/∂xᵢ∂xⱼ of a scalar ``f(*inputs)``.

    ``inputs`` are Values or numbers (the point); ``f`` is called on new leaf Values holding
    them, so no graph of the caller's is extended. Returns a list of rows of floats,
    ``H[i][j] = ∂²f/∂xᵢ∂xⱼ``. With Tensors as ``inputs`` (``f`` returning a Tensor of one
    element), ``H[i][j]`` is a NumPy array of input i's shape followed by input j's, as
    ``torch.autograd.functional.hessian`` gives it.

    >>> from autograd import hessian
    >>> hessian(lambda x, y: x * x * y, [3.0, 2.0])      # [[2y, 2x], [2x, 0]]
    [[4.0, 6.0], [6.0, 0.0]]

    Raises:
        TypeError: an input is neither a Value nor a real number (or, among Tensors, is not
            a Tensor), or ``f`` does not return a Value (a Tensor of one element).
        NotImplementedError: on Tensors, ``f`` uses an op whose rule cannot build a
            gradient graph (the message names it).
    """
    if _are_tensors(inputs):
        tensors = _tensor_leaves(inputs, "hessian")
        tensor_output = _scalar_tensor_output(f, tensors, "hessian")
        gradients = grad(tensor_output, tensors, create_graph=True, allow_unused=True)
        return [_blocks(g, leaf.shape, leaf.dtype, tensors) for g, leaf in zip(gradients, tensors)]
    leaves = _leaves(inputs, "hessian")
    output = _scalar_output(f, leaves, "hessian")
    first = grad(output, leaves, create_graph=True, allow_unused=True)
    return [_row(derivative, leaves) for derivative in first]


def hvp(f: Callable[..., Any], inputs: Sequence[Any], v: Sequence[float]) -> list[float]:
    """The Hessian of a scalar ``f(*inputs)`` times the vector ``v``, without forming the Hessian.

    H·v = ∇(∇f · v): one gradient as a graph, its dot product with v, and one more gradient,
    so the cost is a few backward passes whatever the number of inputs (the Hessian itself
    needs one pass per input). (∇(∇f · v) is Hᵀv, which is H·v because a Hessian is
    symmetric.) Returns a list of floats; with Tensors as ``inputs``, ``v`` holds one array
    per input, of its shape, and the result is a list of such arrays.

    >>> from autograd import hvp
    >>> hvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0])   # the first column of H
    [4.0, 6.0]

    Raises:
        TypeError: as :func:`hessian`.
        ValueError: ``v`` does not have one number per input (one array of its shape, for
            Tensors).
    """
    if _are_tensors(inputs):
        return _tensor_hvp(f, inputs, v)
    leaves = _leaves(inputs, "hvp")
    v = [float(x) for x in v]
    if len(v) != len(leaves):
        raise ValueError(
            f"hvp: v has {len(v)} numbers for {len(leaves)} inputs; give one per input"
        )
    output = _scalar_output(f, leaves, "hvp")
    first = grad(output, leaves, create_graph=True, allow_unused=True)
    with enable_grad():
        directional = sum((d * weight for d, weight in zip(first, v) if d is not None), Value(0.0))
    return _row(directional, leaves)


def jacobian(f: Callable[..., Any], inputs: Sequence[Any]) -> list[list[float]]:
    """The matrix of first derivatives ∂fᵢ/∂xⱼ of ``f(*inputs)``, a Value or a list of Values.

    Returns a list of rows of floats, one row per output (one row for a scalar ``f``). With
    Tensors as ``inputs`` (``f`` returning a Tensor or a list of Tensors), ``J[i][j]`` is a
    NumPy array of output i's shape followed by input j's, as in PyTorch.

    >>> from autograd import jacobian
    >>> jacobian(lambda x, y: [x * y, x + y], [3.0, 2.0])
    [[2.0, 3.0], [1.0, 1.0]]

    Raises:
        TypeError: an input is neither a Value nor a real number (or, among Tensors, is not
            a Tensor), or ``f`` returns anything but a Value or a sequence of Values (Tensors,
            for Tensor inputs).
    """
    if _are_tensors(inputs):
        return _tensor_jacobian(f, inputs)
    leaves = _leaves(inputs, "jacobian")
    return [_row(out, leaves) for out in _jacobian_outputs(f, leaves, Value)]


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check second derivatives against finite differences of first derivatives.

    For each input j, the analytic column ∂/∂xⱼ (∇f) — the gradient of the gradient graph
    that ``grad(..., create_graph=True)`` builds — is compared with
    (∇f(x + εeⱼ) - ∇f(x - εeⱼ)) / 2ε, where each ∇f comes from an ordinary backward pass.
    ``fn`` takes Values (``inputs``: Values or numbers) and returns a scalar Value, or takes
    Tensors (``inputs``: Tensors, checked in float64) and returns a Tensor of one element.

    Returns:
        True when every second derivative agrees (otherwise it raises).

    Raises:
        GradcheckError: a second derivative disagrees; the message lists every pair (i, j)
            with the analytic and the numeric value.
        TypeError: as :func:`hessian`.
    """
    if _are_tensors(inputs):
        return _tensor_gradgradcheck(fn, inputs, eps, atol, rtol)
    point = [x.data if isinstance(x, Value) else _as_number(x, "gradgradcheck") for x in inputs]
    analytic = hessian(fn, point)

    def gradient_at(numbers: list[float]) -> list[float]:
        leaves = [Value(number) for number in numbers]
        output = _scalar_output(fn, leaves, "gradgradcheck")
        return [0.0 if g is None else g.data for g in grad(output, leaves, allow_unused=True)]

    failures = []
    for j in range(len(point)):
        plus, minus = list(point), list(point)
        plus[j] += eps
        minus[j] -= eps
        column = [(a - b) / (2 * eps) for a, b in zip(gradient_at(plus), gradient_at(minus))]
        for i, numeric in enumerate(column):
            got = analytic[i][j]
            if not abs(got - numeric) <= atol + rtol * abs(numeric):
                failures.append(f"  ∂²f/∂x{i}∂x{j}: analytic {got:.10g}, numeric {numeric:.10g}")
    if failures:
        raise GradcheckError(
            "gradgradcheck: second derivatives disagree with finite differences of the "
            f"gradient (eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(failures)
        )
    return True


# -------------------------------------------------------------------- on Tensors
# Shapes as torch.autograd.functional gives them: H[i][j] has the shape of input i followed
# by that of input j; J[i][j] the shape of output i followed by that of input j.


def _blocks(output: Tensor | None, shape: tuple, dtype: Any, leaves: list[Tensor]) -> list[Any]:
    """∂output/∂leaf_j for every j, each of shape ``shape + leaf_j.shape``: one backward pass
    per element of ``output`` (whose shape and dtype are ``shape`` and ``dtype``; zeros when
    it is None or a constant)."""
    blocks = [np.zeros(shape + leaf.shape, dtype=leaf.dtype) for leaf in leaves]
    if output is None or not output.requires_grad:
        return blocks
    for element in np.ndindex(*shape):
        seed = np.zeros(shape, dtype=dtype)
        seed[element] = 1.0
        for block, g in zip(blocks, grad(output, leaves, grad_output=seed, allow_unused=True)):
            if g is not None:
                block[element] = g.data
    return blocks


def _tensor_hvp(f: Callable[..., Any], inputs: Sequence[Any], v: Sequence[Any]) -> list[Any]:
    tensors = _tensor_leaves(inputs, "hvp")
    directions = [np.asarray(d, dtype=t.dtype) for d, t in zip(v, tensors)]
    if len(directions) != len(tensors) or any(
        d.shape != t.shape for d, t in zip(directions, tensors)
    ):
        raise ValueError(
            f"hvp: v must hold one array per input, of its shape {[t.shape for t in tensors]}; "
            f"got {[np.shape(d) for d in v]}"
        )
    output = _scalar_tensor_output(f, tensors, "hvp")
    first = grad(output, tensors, create_graph=True, allow_unused=True)
    with enable_grad():
        terms = [(g * d).sum() for g, d in zip(first, directions) if g is not None]
    if not terms or not any(term.requires_grad for term in terms):
        return [np.zeros(t.shape, dtype=t.dtype) for t in tensors]
    directional = sum(terms[1:], terms[0])
    second = grad(directional, tensors, allow_unused=True)
    return [np.zeros(t.shape, t.dtype) if g is None else g.data for g, t in zip(second, tensors)]


def _tensor_jacobian(f: Callable[..., Any], inputs: Sequence[Any]) -> list[list[Any]]:
    tensors = _tensor_leaves(inputs, "jacobian")
    outputs = _jacobian_outputs(f, tensors, Tensor)
    return [_blocks(out, out.shape, out.dtype, tensors) for out in outputs]


def _jacobian_outputs(f: Callable[..., Any], leaves: list[Any], engine: type) -> list[Any]:
    """``f(*leaves)`` as a list of outputs, each a node of ``engine`` (Value or Tensor)."""
    with enable_grad():
        result = f(*leaves)
    outputs = [result] if isinstance(result, engine) else list(result)
    for index, out in enumerate(outputs):
        if not isinstance(out, engine):
            name = engine.__name__
            raise TypeError(
                f"jacobian: f returned {type(out).__name__} at position {index}; f must return "
                f"a {name} or a list of {name}s"
            )
    return outputs


def _tensor_gradgradcheck(
    fn: Callable[..., Any], inputs: Sequence[Any], eps: float, atol: float, rtol: float
) -> bool:
    points = [np.array(t.data if isinstance(t, Tensor) else t, dtype=np.float64) for t in inputs]
    analytic = hessian(fn, [Tensor(p) for p in points])

    def gradients_at(arrays: list[np.ndarray]) -> list[np.ndarray]:
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
        output = _scalar_tensor_output(fn, leaves, "gradgradcheck")
        return [
            np.zeros(a.shape) if g is None else g.data
            for g, a in zip(grad(output, leaves, allow_unused=True), arrays)
        ]

    failures = []
    for j, point in enumerate(points):
        for index in np.ndindex(*point.shape):
            plus = [p.copy() for p in points]
            minus = [p.copy() for p in points]
            plus[j][index] += eps
            minus[j][index] -= eps
            for i, (a, b) in enumerate(zip(gradients_at(plus), gradients_at(minus))):
                numeric = (a - b) / (2 * eps)
                got = analytic[i][j][(Ellipsis,) + index]  # noqa: RUF005 (Python 3.10)
                bad = ~(np.abs(got - numeric) <= atol + rtol * np.abs(numeric))
                for where in zip(*np.nonzero(bad)):
                    failures.append(
                        f"  ∂²f/∂x{i}{list(where)}∂x{j}{list(index)}: analytic "
                        f"{got[where]:.10g}, numeric {numeric[where]:.10g}"
                    )
    if failures:
        raise GradcheckError(
            "gradgradcheck: second derivatives disagree with finite differences of the "
            f"gradient (eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(failures[:20])
        )
    return True


def _are_tensors(inputs: Any) -> bool:
    return isinstance(inputs, (list, tuple)) and any(isinstance(x, Tensor) for x in inputs)


def _tensor_leaves(inputs: Sequence[Any], where: str) -> list[Tensor]:
    """New float leaf Tensors (requiring grad) holding copies of the inputs' data."""
    leaves = []
    for index, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"{where}: input {index} is {type(x).__name__} among Tensors; give all inputs "
                "as Tensors (or all as Values or numbers)"
            )
        leaves.append(Tensor(np.array(x.data, copy=True), requires_grad=True))
    return leaves


def _scalar_tensor_output(f: Callable[..., Any], leaves: list[Tensor], where: str) -> Tensor:
    with enable_grad():
        output = f(*leaves)
    if not isinstance(output, Tensor) or output.data.size != 1:
        shape = getattr(output, "shape", None)
        raise TypeError(
            f"{where}: f returned {type(output).__name__}"
            + (f" of shape {shape}" if shape is not None else "")
            + "; f must return a Tensor with one element (e.g. end with .sum())"
        )
    return output


# -------------------------------------------------------------------- the sweeps


def _value_gradients(order: list[Value], grad_output: Any, create_graph: bool) -> dict[Any, Any]:
    """∂L/∂node for every node of the graph in ``order`` (output last): the reverse sweep of
    Value.backward, into a dict. With ``create_graph`` each local derivative is an expression
    on the nodes (:func:`autograd.value.local_derivatives`), so every gradient is a node too."""
    seed: Any = 1.0 if grad_output is None else grad_output
    if not isinstance(seed, Value):
        seed = _as_number(seed, "grad (grad_output)")
    gradients: dict[Any, Any] = {order[-1]: seed}
    with enable_grad():
        for node in reversed(order):
            gradient = gradients.get(node)
            if gradient is None or not node.parents:
                continue
            if create_graph:
                local = local_derivatives(node)
                _check_value_unchanged(node, local)
            else:
                local = node.local_grads
            for parent, local_grad in zip(node.parents, local):
                contribution = _times(gradient, local_grad)
                previous = gradients.get(parent)
                gradients[parent] = contribution if previous is None else previous + contribution
    if not create_graph:  # plain numbers were summed, unless grad_output was a Value
        gradients = {node: _number(g) for node, g in gradients.items()}
    return gradients


def _check_value_unchanged(node: Value, local: tuple[Any, ...]) -> None:
    """Raise if ``local`` (the local derivatives evaluated on the nodes now) differs from
    the numbers the forward pass took: some ``.data`` was changed since, and a gradient
    graph built from it would mix two points. (The same expressions on the same numbers give
    the same floats, so equality is exact.)"""
    for now, then in zip(local, node.local_grads):
        value = now.data if isinstance(now, Value) else now
        if value != then and not (value != value and then != then):  # nan equals nan here
            raise RuntimeError(
                f"autograd.grad(create_graph=True): the {node.op!r} node's derivative is "
                f"{value!r} now but was {then!r} in the forward pass: the data of a Value in "
                "the graph was changed after the forward pass; compute the output again"
            )


def _times(gradient: Any, local_grad: Any) -> Any:
    """gradient · local_grad. A constant factor of 1 or -1 (from + - and neg) makes no node:
    the gradient graph stays the size of the forward one."""
    if type(local_grad) is float:
        if local_grad == 1.0:
            return gradient
        if local_grad == -1.0:
            return -gradient
    elif type(gradient) is float and gradient == 1.0:  # the seed ∂f/∂f = 1, times a node
        return local_grad
    return gradient * local_grad


class _NodeAsGraph:
    """A Tensor node as its backward rule sees it, with Tensors where the rule reads arrays.

    A rule reads ``node.data``, ``node.parents[i].data`` (and ``.requires_grad``, ``.shape``)
    and ``node._saved``, and computes with ``* / - @ .T .reshape .sum`` and
    :func:`~autograd.tensor.unbroadcast`, which Tensors support as arrays do. Handed this
    view and a gradient that is a Tensor, the same rule records its own computation: the
    gradient comes out as a graph. One definition of each rule serves both passes.
    """

    __slots__ = ("_data", "_saved", "data", "parents", "requires_grad", "shape")

    def __init__(self, tensor: Tensor, with_parents: bool = True) -> None:
        self.data = self._data = tensor
        self.shape = tensor.shape
        self.requires_grad = tensor.requires_grad
        self._saved = tensor._saved
        self.parents = (
            tuple(_NodeAsGraph(parent, False) for parent in tensor.parents) if with_parents else ()
        )


# The Tensor ops whose backward rules are written with operations Tensors support, so that
# they can be evaluated on nodes; with create_graph the others are refused by name.
_RULES_ON_NODES = {
    *("+", "-", "*", "/", "neg", "@", "sum", "mean", "max", "reshape", "transpose"),
    *("linear", "softmax", "log_softmax", "softmax_cross_entropy", "mse", "squared_error"),
    *("getitem", "scatter", "binary_cross_entropy", "sigmoid_binary_cross_entropy"),
    "sigmoid_squared_error",
    *LINEAR_ACTIVATIONS,
}


def _tensor_gradients(order: list[Tensor], grad_output: Any, create_graph: bool) -> dict[Any, Any]:
    """∂L/∂node for every node of the graph in ``order`` (output last): Tensor.backward's
    sweep into a dict, so no ``.grad`` is written. Gradients are arrays; with
    ``create_graph`` every backward rule is evaluated on the nodes (:class:`_NodeAsGraph`),
    and they are Tensors in a graph."""
    output = order[-1]
    seed: Any
    if not create_graph:
        seed = output._seed(grad_output)
    elif isinstance(grad_output, Tensor):  # a node: the gradient graph starts from it
        seed = grad_output
    else:
        seed = Tensor(output._seed(grad_output))
    for node in order:
        if node.parents:
            _check_unchanged(node)
            if create_graph:
                _check_rule_on_nodes(node)
    gradients: dict[Any, Any] = {output: seed}
    recording = enable_grad() if create_graph else contextlib.nullcontext()
    with recording, np.errstate(all="ignore"):
        for node in reversed(order):
            gradient = gradients.get(node)
            if gradient is None or not node.parents:
                continue
            seen_by_rule = _NodeAsGraph(node) if create_graph else node
            for parent, parent_grad in zip(node.parents, node._backward(seen_by_rule, gradient)):
                if parent_grad is None:
                    continue
                if not create_graph:
                    parent_grad = np.asarray(parent_grad, dtype=parent.data.dtype)
                elif not isinstance(parent_grad, Tensor):  # a constant (e.g. x⁰'s zero)
                    parent_grad = Tensor(np.asarray(parent_grad, dtype=parent.dtype))
                previous = gradients.get(parent)
                gradients[parent] = parent_grad if previous is None else previous + parent_grad
    return gradients


def _check_rule_on_nodes(node: Tensor) -> None:
    op = node.op
    if op in _RULES_ON_NODES or op in ELEMENTWISE or op.startswith("**"):
        return
    raise NotImplementedError(
        f"autograd.grad(create_graph=True): the backward rule of Tensor op {op!r} is not "
        "written for nodes yet; build the function from + - * / ** @, "
        "sum, mean, max, reshape, transpose, indexing, softmax, log_softmax, the fused "
        "linear and losses, and the op table's functions, or use Values"
    )


# -------------------------------------------------------------------- helpers


def _engine_of(output: Any, inputs: list[Any]) -> type:
    """Value or Tensor: the engine of ``output``, which every input must share."""
    if not isinstance(output, (Value, Tensor)):
        raise TypeError(
            f"autograd.grad: output is {type(output).__name__}; pass the Value or Tensor "
            "computed from the inputs"
        )
    engine = Value if isinstance(output, Value) else Tensor
    if not inputs:
        raise ValueError("autograd.grad: no inputs given; pass the nodes to differentiate by")
    for index, x in enumerate(inputs):
        if not isinstance(x, engine):
            other = "a Tensor" if engine is Tensor else "a Value"
            raise TypeError(
                f"autograd.grad: the output is {other} but input {index} is "
                f"{type(x).__name__}; use one engine: Values with Values, Tensors with Tensors"
            )
    return engine


def _describe(x: Any) -> str:
    name = f"{x.label!r}, " if getattr(x, "label", "") else ""
    if isinstance(x, Tensor):
        hint = "" if x.requires_grad else ", which does not require grad"
        return f"{name}a Tensor of shape {x.shape}{hint}"
    return f"{name}Value {x.data:.6g}"


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _as_number(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected a real number or a Value, got {type(x).__name__}")
    return float(x)


def _leaves(inputs: Sequence[Any], where: str) -> list[Value]:
    """New leaf Values at the point ``inputs`` (Values or numbers)."""
    if isinstance(inputs, (Value, int, float)):
        raise TypeError(f"{where}: inputs must be a list of Values or numbers, e.g. [x, y]")
    return [Value(x.data if isinstance(x, Value) else _as_number(x, where)) for x in inputs]


def _scalar_output(f: Callable[..., Any], leaves: list[Value], where: str) -> Value:
    with enable_grad():
        output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(
            f"{where}: f returned {type(output).__name__}; f must return one Value (a scalar)"
        )
    return output


def _row(derivative: Value | None, leaves: list[Value]) -> list[float]:
    """∂derivative/∂leaf for each leaf, as floats (0.0 where it does not depend on it)."""
    if derivative is None or (not derivative.parents and derivative not in leaves):
        return [0.0] * len(leaves)
    return [0.0 if g is None else g.data for g in grad(derivative, leaves, allow_unused=True)]
