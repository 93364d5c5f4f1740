"""Optimizers: turn gradients into parameter updates.

Both work on Value parameters (floats) and Tensor parameters (NumPy arrays, updated in
place, keeping their dtype). Call ``step()`` after ``backward()``, and ``zero_grad()``
before the next backward (gradients accumulate). The updates are PyTorch's, with one
difference: a Tensor whose ``grad`` is None (backward never reached it) is updated as if its
gradient were zero (momentum and weight decay still move it), where PyTorch skips it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Value
from nn.module import check_state, zero_grads


class Optimizer:
    """Holds the parameters, the learning rate and the step count; subclasses define ``step``.

    Raises:
        ValueError: for no parameters, an ``lr`` that is not positive, or a negative (or NaN)
            ``weight_decay``.
    """

    def __init__(self, params: Iterable[Any], lr: float, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimize")
        if not lr > 0.0:
            raise ValueError(f"{type(self).__name__}: lr must be positive, got {lr}")
        if not weight_decay >= 0.0:
            raise ValueError(
                f"{type(self).__name__}: weight_decay must be 0 or positive, got {weight_decay}"
            )
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.steps = 0
        self._scratch_buffers: dict[np.dtype, np.ndarray] = {}  # see _scratch

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (a Value's to 0.0, a Tensor's to None)."""
        zero_grads(self.params)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The optimizer's running state as arrays (for checkpoints)."""
        state = {"steps": np.array(self.steps)}
        for name, buffers in self._buffers().items():
            for i, buffer in enumerate(buffers):
                state[f"{name}.{i}"] = np.array(buffer, copy=True)
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what ``state_dict`` returned (same parameters, same order).

        Nothing is changed unless every entry fits.

        Raises:
            KeyError: for missing or unexpected keys (e.g. the state of another optimizer).
            ValueError: for an entry of the wrong shape.
        """
        shapes = {key: array.shape for key, array in self.state_dict().items()}
        check_state(
            f"{type(self).__name__}.load_state_dict",
            shapes,
            state,
            source="the same kind of optimizer over the same parameters",
        )
        self.steps = int(state["steps"])
        for name, buffers in self._buffers().items():
            for i, buffer in enumerate(buffers):
                if isinstance(buffer, np.ndarray):
                    buffer[...] = state[f"{name}.{i}"]
                else:
                    buffers[i] = float(state[f"{name}.{i}"])

    def _buffers(self) -> dict[str, list]:
        return {}

    def step(self) -> None:
        raise NotImplementedError


def _zeros_like(p: Any) -> Any:
    return 0.0 if type(p) is Value else np.zeros_like(p.data)


def _scratch(optimizer: Optimizer, like: np.ndarray) -> np.ndarray:
    """A work array shaped and typed like ``like``, shared by all of an optimizer's parameters."""
    buffers = optimizer._scratch_buffers
    flat = buffers.get(like.dtype)
    if flat is None or flat.size < like.size:
        flat = buffers[like.dtype] = np.empty(like.size, dtype=like.dtype)
    return flat[: like.size].reshape(like.shape)


def _grad(p: Any) -> Any:
    """The gradient, or zero when backward never reached the parameter."""
    if p.grad is None:
        return np.zeros_like(p.data)
    return p.grad


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay (as PyTorch).

    g = ∇ + weight_decay·w;  v = momentum·v + g;  w -= lr·v   (v = g when momentum is 0)

    Raises:
        ValueError: as :class:`Optimizer`, or for a momentum outside [0, 1).
    """

    def __init__(
        self, params: Iterable[Any], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr, weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self.velocity = [_zeros_like(p) for p in self.params] if momentum else []

    def _buffers(self) -> dict[str, list]:
        return {"velocity": self.velocity} if self.momentum else {}

    def step(self) -> None:
        """Apply one update to every parameter."""
        self.steps += 1
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            if type(p) is Value:
                g = p.grad + decay * p.data
                if momentum:
                    g = self.velocity[i] = momentum * self.velocity[i] + g
                p.data -= lr * g
                continue
            g = _grad(p)
            if decay:
                g = g + decay * p.data
            if momentum:
                v = self.velocity[i]
                v *= momentum
                v += g
                g = v
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected, with optional L2 weight decay (as PyTorch's Adam).

    g = ∇ + weight_decay·w;  m = β₁m + (1-β₁)g;  v = β₂v + (1-β₂)g²;
    m̂ = m / (1-β₁ᵗ);  v̂ = v / (1-β₂ᵗ);  w -= lr·m̂ / (√v̂ + ε)   (t = the step count)

    Raises:
        ValueError: as :class:`Optimizer`, for betas outside [0, 1), or a negative ``eps``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        beta1, beta2 = betas
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas}")
        if not eps >= 0.0:
            raise ValueError(f"Adam: eps must be 0 or positive, got {eps}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.eps = float(eps)
        self.first_moment = [_zeros_like(p) for p in self.params]
        self.second_moment = [_zeros_like(p) for p in self.params]

    def _buffers(self) -> dict[str, list]:
        return {"first_moment": self.first_moment, "second_moment": self.second_moment}

    def step(self) -> None:
        """Apply one update to every parameter."""
        self.steps += 1
        beta1, beta2, eps, decay = self.beta1, self.beta2, self.eps, self.weight_decay
        correction1 = 1.0 - beta1**self.steps
        correction2 = 1.0 - beta2**self.steps
        step_size = self.lr / correction1
        sqrt_correction2 = math.sqrt(correction2)
        for i, p in enumerate(self.params):
            if type(p) is Value:
                g = p.grad + decay * p.data
                m = self.first_moment[i] = beta1 * self.first_moment[i] + (1.0 - beta1) * g
                v = self.second_moment[i] = beta2 * self.second_moment[i] + (1.0 - beta2) * g * g
                p.data -= step_size * m / (math.sqrt(v) / sqrt_correction2 + eps)
                continue
            g = _grad(p)
            if decay:
                g = g + decay * p.data
            m, v = self.first_moment[i], self.second_moment[i]
            # The same arithmetic as m += (1-β₁)·g etc., written into one reused buffer:
            # no temporary arrays (they cost more than the arithmetic on large layers).
            t = _scratch(self, p.data)
            m *= beta1
            np.multiply(g, 1.0 - beta1, out=t)
            m += t
            v *= beta2
            np.multiply(g, g, out=t)
            t *= 1.0 - beta2
            v += t
            np.sqrt(v, out=t)  # the denominator √v̂ + ε
            t /= sqrt_correction2
            t += eps
            np.divide(m, t, out=t)
            t *= step_size
            p.data -= t
