"""Check backpropagation against finite differences.

The engine's gradients come from the chain rule; finite differences come from the
definition of the derivative, (f(x + ε) - f(x - ε)) / 2ε. When both agree on random points,
the derivative rules are right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.grad_mode import no_grad
from autograd.graph import topological_order


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    max_elements: int | None = 200,
    seed: int = 0,
) -> bool:
    """Compare the gradients of ``fn(*inputs)`` with central finite differences.

    ``inputs`` are Values, or Tensors holding float64 data (float32 cannot resolve
    ε = 1e-6). ``fn`` returns a Value or a Tensor. A non-scalar output is reduced to a scalar
    with fixed random weights w, i.e. the check is on Σ w·fn(x) (a vector-Jacobian product).

    Each element is perturbed on its own, unless an input has more than ``max_elements``
    elements: then the check is along one random direction v, comparing ∇f·v with
    (f(x + εv) - f(x - εv)) / 2ε, which needs two evaluations in place of two per element.

    Passes when ``|analytic - numeric| <= atol + rtol·|numeric|`` elementwise. Every
    ``.grad`` in the graph (inputs, parameters) and every input's data is left as it was.

    Returns:
        True.

    Raises:
        GradcheckError: analytic and numeric gradients disagree; the message is a table of
            both for every input that disagrees.
        TypeError: an input is not a Value or Tensor, or a Tensor is not float64.
        ValueError: no inputs are given, or a Tensor input has ``requires_grad=False``.
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("gradcheck: no inputs given; pass the Values or Tensors to differentiate")
    for index, x in enumerate(inputs):
        _check_input(x, index)

    rng = np.random.default_rng(seed)
    with no_grad():
        output = fn(*inputs)
    output_weights = _output_weights(output, rng)

    analytic = _analytic_gradients(fn, inputs, output_weights)

    def objective() -> float:
        with no_grad():
            out = fn(*inputs)
        return float(np.sum(np.asarray(out.data, dtype=np.float64) * output_weights))

    failures = []
    for index, x in enumerate(inputs):
        large = max_elements is not None and np.size(x.data) > max_elements
        if isinstance(x.data, np.ndarray) and large:
            direction = rng.standard_normal(x.data.shape)
            numeric = _directional(objective, x, direction, eps)
            expected = float(np.sum(analytic[index] * direction))
            label = f"input {index} {x.data.shape}, along a random direction"
            if not np.isclose(expected, numeric, rtol=rtol, atol=atol, equal_nan=False):
                failures.append((label, np.array([expected]), np.array([numeric])))
            continue
        numeric = _numeric_gradient(objective, x, eps)
        got = np.asarray(analytic[index], dtype=np.float64).reshape(numeric.shape)
        if not np.allclose(got, numeric, rtol=rtol, atol=atol, equal_nan=False):
            shape = "" if numeric.ndim == 0 else f" {numeric.shape}"
            failures.append((f"input {index}{shape}", got, numeric))
    if failures:
        raise GradcheckError(_report(failures, atol, rtol))
    return True


def _check_input(x: Any, index: int) -> None:
    data = getattr(x, "data", None)
    if data is None or not hasattr(x, "backward"):
        raise TypeError(
            f"gradcheck: input {index} is a {type(x).__name__}; "
            "pass Values or Tensors (with requires_grad=True)"
        )
    if isinstance(data, np.ndarray):
        if data.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {index} has dtype {data.dtype}; finite differences need "
                "float64. Build it with Tensor(array.astype(np.float64), requires_grad=True)"
            )
        if not getattr(x, "requires_grad", True):
            raise ValueError(
                f"gradcheck: input {index} has requires_grad=False, so it gets no gradient; "
                "create it with requires_grad=True"
            )


def _output_weights(output: Any, rng: np.random.Generator) -> np.ndarray:
    data = np.asarray(output.data, dtype=np.float64)
    if data.ndim == 0:
        return np.ones(())
    return rng.standard_normal(data.shape)


def _analytic_gradients(fn, inputs, output_weights) -> list[np.ndarray]:
    output = fn(*inputs)
    # Backward writes .grad all over the graph: keep what was there, to put it back after.
    saved = [(node, node.grad) for node in [*inputs, *topological_order(output)]]
    try:
        for x in inputs:
            x.grad = None if isinstance(x.data, np.ndarray) else 0.0
        if output_weights.ndim == 0:
            output.backward()
        else:
            output.backward(output_weights.astype(output.data.dtype))
        gradients = []
        for x in inputs:
            grad = x.grad
            if grad is None:  # the output does not depend on this input
                grad = np.zeros_like(x.data)
            gradients.append(np.array(grad, dtype=np.float64))
    finally:
        for node, grad in saved:
            node.grad = grad
    return gradients


def _numeric_gradient(objective: Callable[[], float], x: Any, eps: float) -> np.ndarray:
    if not isinstance(x.data, np.ndarray):  # a Value
        original = x.data
        x.data = original + eps
        plus = objective()
        x.data = original - eps
        minus = objective()
        x.data = original
        return np.array((plus - minus) / (2 * eps))
    data = x.data  # perturbed in place, element by element (any memory layout)
    gradient = np.empty(data.shape)
    for position in np.ndindex(data.shape):
        original = data[position]
        data[position] = original + eps
        plus = objective()
        data[position] = original - eps
        minus = objective()
        data[position] = original
        gradient[position] = (plus - minus) / (2 * eps)
    return gradient


def _directional(objective, x, direction: np.ndarray, eps: float) -> float:
    original = x.data.copy()
    x.data[...] = original + eps * direction
    plus = objective()
    x.data[...] = original - eps * direction
    minus = objective()
    x.data[...] = original
    return (plus - minus) / (2 * eps)


def _report(failures, atol: float, rtol: float) -> str:
    lines = [f"gradcheck: analytic and numeric gradients differ (atol={atol}, rtol={rtol})"]
    for label, analytic, numeric in failures:
        lines.append(f"  {label}:")
        lines.append(f"    {'index':>12}  {'analytic':>14}  {'numeric':>14}  {'difference':>11}")
        analytic = np.atleast_1d(analytic)
        numeric = np.atleast_1d(numeric)
        for position in np.ndindex(numeric.shape):
            a, n = float(analytic[position]), float(numeric[position])
            marker = "" if abs(a - n) <= atol + rtol * abs(n) else "  <-"
            where = ",".join(map(str, position))
            lines.append(f"    {where:>12}  {a:>14.8g}  {n:>14.8g}  {a - n:>11.3g}{marker}")
    return "\n".join(lines)
