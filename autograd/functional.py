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
:func:`jacobian`. On Values they give nested lists of floats.

Gradients as graphs are built for the scalar engine (``Value``); on Tensors, :func:`grad`
gives first derivatives (``create_graph=False``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.grad_mode import enable_grad
from autograd.gradcheck import GradcheckError
from autograd.graph import topological_order
from autograd.tensor import Tensor, _check_unchanged
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
    ``create_graph=True`` (Values only) the gradients are nodes of a graph built from the
    inputs, so they can be differentiated again, to any order.

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
        NotImplementedError: ``create_graph=True`` with Tensors.
    """
    if isinstance(inputs, (Value, Tensor)):
        raise TypeError("autograd.grad: inputs must be a list of nodes, e.g. grad(y, [x])")
    nodes: list[Any] = list(inputs)
    engine = _engine_of(output, nodes)
    gradients: dict[Any, Any]
    forward_nodes: set[Any] = set()
    if isinstance(output, Value):
        gradients = _value_gradients(output, grad_output, create_graph)
        if create_graph:
            forward_nodes = set(topological_order(output))
    else:
        if create_graph:
            raise NotImplementedError(
                "autograd.grad(create_graph=True): gradients as graphs are built for Values so "
                "far; for Tensors call it with create_graph=False (first derivatives)"
            )
        gradients = _tensor_gradients(output, grad_output)
    results: list[Any] = []
    for index, x in enumerate(nodes):
        gradient = gradients.get(x)
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
        else:
            results.append(Tensor(np.array(gradient, copy=True)))  # rules may share arrays
    return results


def hessian(f: Callable[..., Any], inputs: Sequence[Any]) -> Any:
    """The matrix of second derivatives ∂²f/∂xᵢ∂xⱼ of a scalar ``f(*inputs)``.

    ``inputs`` are Values or numbers (the point); ``f`` is called on new leaf Values holding
    them, so no graph of the caller's is extended. Returns a list of rows of floats,
    ``H[i][j] = ∂²f/∂xᵢ∂xⱼ``.

    >>> from autograd import hessian
    >>> hessian(lambda x, y: x * x * y, [3.0, 2.0])      # [[2y, 2x], [2x, 0]]
    [[4.0, 6.0], [6.0, 0.0]]

    Raises:
        TypeError: an input is neither a Value nor a real number, or ``f`` does not return
            a Value.
    """
    leaves = _leaves(inputs, "hessian")
    output = _scalar_output(f, leaves, "hessian")
    first = grad(output, leaves, create_graph=True, allow_unused=True)
    return [_row(derivative, leaves) for derivative in first]


def hvp(f: Callable[..., Any], inputs: Sequence[Any], v: Sequence[float]) -> list[float]:
    """The Hessian of a scalar ``f(*inputs)`` times the vector ``v``, without forming the Hessian.

    H·v = ∇(∇f · v): one gradient as a graph, its dot product with v, and one more gradient,
    so the cost is a few backward passes whatever the number of inputs (the Hessian itself
    needs one pass per input). (∇(∇f · v) is Hᵀv, which is H·v because a Hessian is
    symmetric.) Returns a list of floats.

    >>> from autograd import hvp
    >>> hvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0])   # the first column of H
    [4.0, 6.0]

    Raises:
        TypeError: as :func:`hessian`.
        ValueError: ``v`` does not have one number per input.
    """
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

    Returns a list of rows of floats, one row per output (one row for a scalar ``f``).

    >>> from autograd import jacobian
    >>> jacobian(lambda x, y: [x * y, x + y], [3.0, 2.0])
    [[2.0, 3.0], [1.0, 1.0]]

    Raises:
        TypeError: an input is neither a Value nor a real number, or ``f`` returns anything
            but a Value or a sequence of Values.
    """
    leaves = _leaves(inputs, "jacobian")
    with enable_grad():
        result = f(*leaves)
    outputs = [result] if isinstance(result, Value) else list(result)
    for index, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(
                f"jacobian: f returned {type(out).__name__} at position {index}; f must return "
                "a Value or a list of Values"
            )
    return [_row(out, leaves) for out in outputs]


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
    ``fn`` takes Values (``inputs``: Values or numbers) and returns a scalar Value.

    Returns:
        True when every second derivative agrees (otherwise it raises).

    Raises:
        GradcheckError: a second derivative disagrees; the message lists every pair (i, j)
            with the analytic and the numeric value.
        TypeError: as :func:`hessian`.
    """
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


# -------------------------------------------------------------------- the sweeps


def _value_gradients(output: Value, grad_output: Any, create_graph: bool) -> dict[Any, Any]:
    """∂L/∂node for every node of ``output``'s graph: the reverse sweep of Value.backward,
    into a dict. With ``create_graph`` each local derivative is an expression on the nodes
    (:func:`autograd.value.local_derivatives`), so every gradient is a graph node too."""
    seed: Any = 1.0 if grad_output is None else grad_output
    if not isinstance(seed, Value):
        seed = _as_number(seed, "grad (grad_output)")
    gradients: dict[Any, Any] = {output: seed}
    with enable_grad():
        for node in reversed(topological_order(output)):
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


def _tensor_gradients(output: Tensor, grad_output: Any) -> dict[Any, np.ndarray]:
    """∂L/∂node as arrays: Tensor.backward's sweep into a dict (no ``.grad`` is written)."""
    seed = output._seed(grad_output)
    order = topological_order(output)
    for node in order:
        if node.parents:
            _check_unchanged(node)
    gradients: dict[Any, np.ndarray] = {output: seed}
    with np.errstate(all="ignore"):
        for node in reversed(order):
            gradient = gradients.get(node)
            if gradient is None or not node.parents:
                continue
            for parent, parent_grad in zip(node.parents, node._backward(node, gradient)):
                if parent_grad is None:
                    continue
                parent_grad = np.asarray(parent_grad, dtype=parent.data.dtype)
                previous = gradients.get(parent)
                gradients[parent] = parent_grad if previous is None else previous + parent_grad
    return gradients


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
