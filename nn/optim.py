"""Optimizers: turn gradients into parameter updates; schedules: change the learning rate.

``SGD``, ``Adam`` and ``AdamW`` work on Value parameters (floats) and Tensor parameters
(NumPy arrays, updated in place, keeping their dtype). Call ``step()`` after ``backward()``,
and ``zero_grad()`` before the next backward (gradients accumulate). The updates are
PyTorch's, with one difference: a Tensor whose ``grad`` is None (backward never reached it)
is updated as if its gradient were zero (momentum and weight decay still move it), where
PyTorch skips it.

Weight decay pulls every weight towards 0 a little at each step. ``SGD`` and ``Adam`` add it
to the gradient (L2 regularisation, *coupled*: g = ∇ + weight_decay·w); in Adam that term then
goes through the moments, so weights with large gradients are barely decayed. ``AdamW``
shrinks the weights directly (*decoupled*: w -= lr·weight_decay·w, then the Adam step on the
gradient alone), as Loshchilov & Hutter propose; it is the usual choice with Adam.

``StepLR`` and ``CosineAnnealingLR`` set ``optimizer.lr`` from the learning rate it had when
the schedule was made: call the schedule's ``step()`` once per epoch, after that epoch's
optimizer steps (or once per batch, counting ``step_size`` and ``T_max`` in batches).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real
from typing import Any

import numpy as np
from numpy import ndarray

from autograd import Tensor, Value
from nn.module import check_state, whole_number, zero_grads


class Optimizer:
    """Holds the parameters, the learning rate and the step count; subclasses define ``step``.

    Hyper-parameters are checked when the optimizer is made and again at every ``step``
    (a schedule may change ``lr`` between steps). Before a step changes anything, every
    parameter is checked to be able to take its update, so a step either updates all
    parameters or raises and updates none.

    An ``lr`` of 0 is refused when the optimizer is made (it would never move a parameter)
    but accepted at a step: a schedule such as :class:`CosineAnnealingLR` may anneal to 0.

    Raises:
        ValueError: for no parameters, a parameter given twice, an ``lr`` that is not
            positive and finite, or a ``weight_decay`` that is negative, infinite or NaN.
        TypeError: for a parameter that is neither a Value nor a Tensor, or a
            hyper-parameter that is not a real number.
    """

    def __init__(self, params: Iterable[Any], lr: float, weight_decay: float = 0.0) -> None:
        owner = type(self).__name__
        self.params = _checked_parameters(owner, params)
        self.lr = _hyperparameter(owner, "lr", lr, "positive and finite", _positive)
        self.weight_decay = weight_decay
        Optimizer._check_hyperparameters(self)  # a subclass checks its own once they are set
        self.steps = 0
        self._scratch_buffers: dict[np.dtype, np.ndarray] = {}  # see _scratch

    def _check_hyperparameters(self) -> None:
        """Check the hyper-parameters as they are now, and store them as floats.

        Raises:
            TypeError: a hyper-parameter is not a real number.
            ValueError: a hyper-parameter is out of its range (NaN is out of every range).
        """
        owner = type(self).__name__
        self.lr = _hyperparameter(owner, "lr", self.lr, "0 or positive, and finite", _non_negative)
        self.weight_decay = _hyperparameter(
            owner, "weight_decay", self.weight_decay, "0 or positive, and finite", _non_negative
        )

    def _check_before_step(self) -> None:
        """Check that every parameter can take its update, before any is changed.

        Raises:
            TypeError: a parameter's data or gradient is not numbers of the right kind.
            ValueError: a Tensor parameter's data is read-only, or its gradient or one of
                the optimizer's buffers has another shape than its data.
        """
        self._check_hyperparameters()
        owner = f"{type(self).__name__}.step"
        buffers = self._buffers()
        for index, p in enumerate(self.params):
            if isinstance(p, Value):
                if type(p.data) is float and type(p.grad) is float:
                    continue  # the common case, without isinstance's slower ABC check
                if not isinstance(p.data, Real) or not isinstance(p.grad, Real):
                    raise TypeError(
                        f"{owner}: parameter {index} is a Value holding "
                        f"data={p.data!r:.30}, grad={p.grad!r:.30}; both must be real numbers "
                        "(set them to floats); no parameter was updated"
                    )
                continue
            _check_tensor_parameter(owner, index, p, buffers)

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

        Nothing is changed unless every entry fits: every entry is checked and converted
        before the first is loaded.

        Raises:
            KeyError: for missing or unexpected keys (e.g. the state of another optimizer).
            ValueError: for an entry of the wrong shape, or a step count that is not a
                whole number of 0 or more.
            TypeError: for an entry that is not numbers (strings, None, objects).
        """
        owner = f"{type(self).__name__}.load_state_dict"
        shapes = {key: array.shape for key, array in self.state_dict().items()}
        check_state(
            owner, shapes, state, source="the same kind of optimizer over the same parameters"
        )
        steps = _step_count(owner, state["steps"])
        loaded = {key: _numbers(owner, key, state[key]) for key in shapes if key != "steps"}
        # Everything fits: only now is anything changed.
        self.steps = steps
        for name, buffers in self._buffers().items():
            for i, buffer in enumerate(buffers):
                if isinstance(buffer, np.ndarray):
                    buffer[...] = loaded[f"{name}.{i}"]
                else:
                    buffers[i] = float(loaded[f"{name}.{i}"])

    def _buffers(self) -> dict[str, list]:
        return {}

    def step(self) -> None:
        """Apply one update to every parameter: all of them are checked first, then the
        step count goes up and the subclass's ``_update`` changes them.

        Raises:
            ValueError, TypeError: as :meth:`Optimizer._check_before_step`; then nothing
                was changed.
        """
        self._check_before_step()
        self.steps += 1
        self._update()

    def _update(self) -> None:
        """The update rule itself (subclasses), on parameters already checked."""
        raise NotImplementedError


# A diverging run (a learning rate far too large) overflows to inf and then NaN, which the
# loss shows; as everywhere in the engine, that is IEEE arithmetic, not a NumPy warning.
# (A decorator on the update: half the cost of a with-statement per step, and safe in threads.)
_ieee_arithmetic = np.errstate(over="ignore", invalid="ignore", divide="ignore")


def _positive(x: float) -> bool:
    return 0.0 < x < math.inf


def _non_negative(x: float) -> bool:
    return 0.0 <= x < math.inf


def _below_one(x: float) -> bool:
    return 0.0 <= x < 1.0


def _hyperparameter(
    owner: str, name: str, value: Any, rule: str, accept: Callable[[float], bool]
) -> float:
    """``value`` as a float if ``accept`` takes it (NaN fails every comparison), else raise."""
    if type(value) is float and accept(value):  # every step's case, without the ABC check
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} ({value!r:.40})"
        )
    number = float(value)
    if not accept(number):
        raise ValueError(f"{owner}: {name} must be {rule}, got {value}")
    return number


def _checked_parameters(owner: str, params: Iterable[Any]) -> list[Any]:
    """The parameters as a list; each a Value or a Tensor, none twice."""
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: got no parameters to optimize")
    seen: set[int] = set()
    for index, p in enumerate(params):
        if not isinstance(p, (Value, Tensor)):
            raise TypeError(
                f"{owner}: parameter {index} is a {type(p).__name__}; pass Values or Tensors "
                "(e.g. model.parameters())"
            )
        if id(p) in seen:
            raise ValueError(
                f"{owner}: parameter {index} is also an earlier parameter, so each step would "
                "update it twice; pass every parameter once (model.parameters() does)"
            )
        seen.add(id(p))
    return params


def _check_tensor_parameter(owner: str, index: int, p: Any, buffers: dict[str, list]) -> None:
    """Raise if the Tensor parameter ``p`` could not be updated in place (see step)."""
    data, grad = p.data, p.grad
    # Every step's case, in a few comparisons: a writable float array, and a gradient (and
    # buffers) of its dtype and shape, as backward and the optimizer made them.
    if (
        type(data) is ndarray
        and (grad is None or (type(grad) is ndarray and grad.dtype is data.dtype))
        and data.dtype.kind == "f"
        and data.flags.writeable
        and (grad is None or grad.shape == data.shape)
    ):
        for kept in buffers.values():  # velocity, moments: arrays of the parameter's shape
            buffer = kept[index]
            if type(buffer) is not ndarray or buffer.shape != data.shape:
                break
        else:
            return
    where = f"{owner}: parameter {index}"
    if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
        raise TypeError(
            f"{where} holds {type(data).__name__} {getattr(data, 'dtype', '')}, not a float "
            "array; give it float data (e.g. Tensor(array, dtype=np.float32)); "
            "no parameter was updated"
        )
    if not data.flags.writeable:
        raise ValueError(
            f"{where} (shape {data.shape}) has read-only data, so it cannot be updated in "
            "place; no parameter was updated. Give it a writable copy first: "
            "param.data = param.data.copy()"
        )
    grad_fits = grad is None or (
        isinstance(grad, np.ndarray) and grad.dtype.kind in "biuf" and grad.shape == data.shape
    )
    if not grad_fits:
        raise ValueError(
            f"{where} has shape {data.shape} but its gradient is "
            f"{type(grad).__name__} {getattr(grad, 'dtype', '')} of shape {np.shape(grad)}; "
            "a gradient must be a real array of the parameter's shape (as backward makes "
            "it); no parameter was updated"
        )
    for name, per_parameter in buffers.items():
        if np.shape(per_parameter[index]) != data.shape:
            raise ValueError(
                f"{where} has shape {data.shape} but its {name} has shape "
                f"{np.shape(per_parameter[index])}: its data was replaced by another shape "
                "after the optimizer was made; make a new optimizer; no parameter was updated"
            )


def _step_count(owner: str, steps: Any, key: str = "steps") -> int:
    """A saved step (or epoch) count as an int, or a ValueError naming its ``key``."""
    array = np.asarray(steps)
    kind = array.dtype.kind
    whole = array.ndim == 0 and (kind in "iu" or (kind == "f" and float(array).is_integer()))
    if not whole or array < 0:
        raise ValueError(
            f"{owner}: {key!r} is {steps!r:.40}, not a whole number of 0 or more; "
            "the state must come from state_dict()"
        )
    return int(array)


def _numbers(owner: str, key: str, value: Any) -> np.ndarray:
    """A saved buffer as a float64 array, or a TypeError (None would become NaN)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{owner}: {key!r} holds {array.dtype} data, not numbers; "
            "the state must come from state_dict()"
        )
    return array.astype(np.float64)


def _zeros_like(p: Any) -> Any:
    return 0.0 if isinstance(p, Value) else np.zeros_like(p.data)


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
        TypeError: as :class:`Optimizer`.
    """

    def __init__(
        self, params: Iterable[Any], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum
        self._check_hyperparameters()
        self.velocity = [_zeros_like(p) for p in self.params] if self.momentum else []

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        self.momentum = _hyperparameter("SGD", "momentum", self.momentum, "in [0, 1)", _below_one)

    def _buffers(self) -> dict[str, list]:
        if self.momentum and not self.velocity:  # momentum switched on after construction
            self.velocity = [_zeros_like(p) for p in self.params]
        return {"velocity": self.velocity} if self.momentum else {}

    @_ieee_arithmetic
    def _update(self) -> None:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            if isinstance(p, Value):
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
    """Adam (Kingma & Ba), bias-corrected, with optional *coupled* L2 weight decay (as
    PyTorch's Adam).

    g = ∇ + weight_decay·w;  m = β₁m + (1-β₁)g;  v = β₂v + (1-β₂)g²;
    m̂ = m / (1-β₁ᵗ);  v̂ = v / (1-β₂ᵗ);  w -= lr·m̂ / (√v̂ + ε)   (t = the step count)

    The decay term weight_decay·w is added to the gradient, so it is divided by √v̂ like the
    gradient is: a weight with large gradients is hardly decayed. For weight decay that
    shrinks every weight by the same factor, use :class:`AdamW` (decoupled).

    Raises:
        ValueError: as :class:`Optimizer`, for betas outside [0, 1), or an ``eps`` that is
            not positive and finite (ε keeps the denominator √v̂ + ε away from 0).
        TypeError: as :class:`Optimizer`.
    """

    #: False: weight decay is added to the gradient (L2, coupled); :class:`AdamW`: True.
    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        try:
            self.beta1, self.beta2 = betas
        except (TypeError, ValueError):  # not two items
            raise ValueError(
                f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r:.40}"
            ) from None
        self.eps = eps
        self._check_hyperparameters()
        self.first_moment = [_zeros_like(p) for p in self.params]
        self.second_moment = [_zeros_like(p) for p in self.params]

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        owner = type(self).__name__
        in_range = "in [0, 1) (as in betas=(0.9, 0.999))"
        self.beta1 = _hyperparameter(owner, "betas[0]", self.beta1, in_range, _below_one)
        self.beta2 = _hyperparameter(owner, "betas[1]", self.beta2, in_range, _below_one)
        self.eps = _hyperparameter(owner, "eps", self.eps, "positive and finite", _positive)

    def _buffers(self) -> dict[str, list]:
        return {"first_moment": self.first_moment, "second_moment": self.second_moment}

    @_ieee_arithmetic
    def _update(self) -> None:
        beta1, beta2, eps = self.beta1, self.beta2, self.eps
        # Coupled: l2·w joins the gradient. Decoupled: the weight is multiplied by `shrink`.
        l2 = 0.0 if self.decoupled_weight_decay else self.weight_decay
        shrink = 1.0 - self.lr * self.weight_decay if self.decoupled_weight_decay else 1.0
        correction1 = 1.0 - beta1**self.steps
        correction2 = 1.0 - beta2**self.steps
        step_size = self.lr / correction1
        sqrt_correction2 = math.sqrt(correction2)
        for i, p in enumerate(self.params):
            if isinstance(p, Value):
                g = p.grad + l2 * p.data
                m = self.first_moment[i] = beta1 * self.first_moment[i] + (1.0 - beta1) * g
                v = self.second_moment[i] = beta2 * self.second_moment[i] + (1.0 - beta2) * g * g
                p.data = shrink * p.data - step_size * m / (math.sqrt(v) / sqrt_correction2 + eps)
                continue
            g = _grad(p)
            if l2:
                g = g + l2 * p.data
            if shrink != 1.0:
                p.data *= shrink  # before the Adam step, as PyTorch's AdamW
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


class AdamW(Adam):
    """Adam with *decoupled* weight decay (Loshchilov & Hutter; PyTorch's AdamW).

    w -= lr·weight_decay·w;  then the Adam step on the gradient alone:
    m = β₁m + (1-β₁)∇;  v = β₂v + (1-β₂)∇²;  w -= lr·m̂ / (√v̂ + ε)

    Unlike :class:`Adam`'s coupled L2 term, the decay never passes through the moments: every
    weight shrinks by the same factor (1 - lr·weight_decay) per step, however large its
    gradients. The default ``weight_decay`` is 0.01, as in PyTorch. The state (moments and
    step count) is Adam's; a checkpoint of one does not load into the other.

    Raises:
        ValueError, TypeError: as :class:`Adam`.
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class LRScheduler:
    """A learning-rate schedule: ``optimizer.lr`` as a function of the epoch (PyTorch-like).

    The schedule remembers ``base_lr``, the optimizer's ``lr`` when the schedule was made,
    and counts calls to :meth:`step` in ``last_epoch`` (0 when made). Every step sets
    ``optimizer.lr = lr_at(last_epoch)``, a closed formula of ``base_lr`` and the epoch, not
    the previous lr times a factor: no rounding drifts in over a long run, and a run resumed
    with :meth:`load_state_dict` continues the schedule exactly. A subclass defines
    :meth:`lr_at`. An lr set by hand is overwritten at the next step.

    Call ``step()`` once per epoch, after that epoch's optimizer steps (as in PyTorch), or
    once per batch with the schedule's lengths counted in batches.

    Raises:
        TypeError: ``optimizer`` is not one of :mod:`nn.optim`'s optimizers.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: optimizer must be an nn.optim optimizer (SGD, Adam, "
                f"AdamW), got {type(optimizer).__name__}; make the optimizer first and pass it"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:
        """The learning rate the schedule gives after ``epoch`` calls to :meth:`step`."""
        raise NotImplementedError

    def step(self) -> None:
        """Move on by one epoch and set the optimizer's ``lr`` for it."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> float:
        """The learning rate the schedule set last (PyTorch returns a list, one per group)."""
        return self.lr_at(self.last_epoch)

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"last_epoch": ..., "base_lr": ...}`` as arrays, for checkpoints."""
        return {"last_epoch": np.array(self.last_epoch), "base_lr": np.array(self.base_lr)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Continue the schedule saved by :meth:`state_dict`: set the epoch, the base lr, and
        the optimizer's ``lr`` for that epoch. Nothing changes unless every entry fits.

        Raises:
            KeyError: for missing or unexpected keys.
            ValueError: ``last_epoch`` is not a whole number of 0 or more, or ``base_lr`` is
                not one positive finite number.
            TypeError: ``base_lr`` is not a number.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        source = "the state_dict() of the same kind of schedule"
        check_state(owner, {"last_epoch": (), "base_lr": ()}, state, source=source)
        last_epoch = _step_count(owner, state["last_epoch"], "last_epoch")
        base_lr = _numbers(owner, "base_lr", state["base_lr"])
        if not _positive(float(base_lr)):
            raise ValueError(f"{owner}: 'base_lr' must be positive and finite, got {base_lr}")
        self.last_epoch, self.base_lr = last_epoch, float(base_lr)
        self.optimizer.lr = self.lr_at(last_epoch)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr = base_lr · gamma^⌊epoch / step_size⌋   (e.g. 0.1 for epochs 0-9, 0.01 for 10-19, ...)

    Raises:
        TypeError: as :class:`LRScheduler`, a ``step_size`` that is not an int, or a
            ``gamma`` that is not a real number.
        ValueError: a ``step_size`` below 1, or a ``gamma`` that is not positive and finite.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = whole_number("StepLR", "step_size", step_size, "StepLR(opt, 10)")
        self.gamma = _hyperparameter(
            "StepLR", "gamma", gamma, "positive and finite (0.1 divides lr by 10)", _positive
        )

    def lr_at(self, epoch: int) -> float:
        """base_lr · gamma^⌊epoch / step_size⌋."""
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Lower the learning rate from ``base_lr`` to ``eta_min`` along half a cosine.

    lr = eta_min + (base_lr - eta_min) · (1 + cos(π · epoch / T_max)) / 2

    so lr is ``base_lr`` at epoch 0 and ``eta_min`` at epoch ``T_max``; beyond ``T_max`` it
    climbs back along the same cosine, as PyTorch's does (set ``T_max`` to the number of
    calls to ``step()`` in the run). Loshchilov & Hutter's SGDR without restarts.

    Raises:
        TypeError: as :class:`LRScheduler`, a ``T_max`` that is not an int, or an
            ``eta_min`` that is not a real number.
        ValueError: a ``T_max`` below 1, or an ``eta_min`` that is negative, infinite, NaN or
            above the optimizer's lr.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = whole_number(
            "CosineAnnealingLR", "T_max", T_max, "CosineAnnealingLR(opt, T_max=epochs)"
        )
        self.eta_min = _hyperparameter(
            "CosineAnnealingLR", "eta_min", eta_min, "0 or positive, and finite", _non_negative
        )
        if self.eta_min > self.base_lr:
            raise ValueError(
                f"CosineAnnealingLR: eta_min ({eta_min}) is the lowest learning rate and must "
                f"not exceed the optimizer's lr ({self.base_lr}); e.g. eta_min=0.0"
            )

    def lr_at(self, epoch: int) -> float:
        """eta_min + (base_lr - eta_min) · (1 + cos(π · epoch / T_max)) / 2."""
        cosine = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cosine) / 2.0
