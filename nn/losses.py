"""Loss functions: how far the network's outputs are from what they should be.

``mse_loss``, ``quadratic_cost`` and ``cross_entropy`` work on scalar Values (lists of them)
and on Tensors (a batch at a time, each one fused graph node); ``binary_cross_entropy`` works
on Values.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Value, sum_values
from nn.module import is_tensor


def mse_loss(prediction: Any, target: Any) -> Any:
    """Mean squared error: mean of (prediction - target)² over every element.

    ``prediction`` is a Value, a list of Values or a Tensor; ``target`` the same shape in
    numbers (or Values/Tensors).

    Raises:
        ValueError: for an empty prediction or a target of another length (or shape).
    """
    if is_tensor(prediction):
        return autograd.mse(prediction, target)
    predictions, targets = _as_lists("mse_loss", prediction, target)
    squares = [(p - t) ** 2 for p, t in zip(predictions, targets)]
    return sum_values(squares) * (1.0 / len(squares))


def quadratic_cost(prediction: Any, target: Any) -> Any:
    """½‖prediction − target‖², summed over the classes and averaged over the batch.

    The article's (and Nielsen's) MSE cost for a network with sigmoid outputs. ``target`` is
    either integer class labels — one per example, turned into one-hot rows — or an array of
    the prediction's shape. Tensor form: ``prediction`` (batch, classes). Scalar form: a list
    of Values (one example) and an int label or a list of numbers. For a batch of B rows and
    C classes this is C/2 times :func:`mse_loss`; on Tensors it is one node
    (``autograd.squared_error``).

    Raises:
        ValueError: for labels out of range or a target of another shape.
        TypeError: for labels that are not integers.
    """
    if is_tensor(prediction):
        shape = prediction.data.shape
        rows = shape[0] if len(shape) == 2 else 1
        target = _one_hot_target("quadratic_cost", target, shape, prediction.data.dtype)
        return autograd.squared_error(prediction, target, 0.5 / rows)
    predictions = list(prediction) if isinstance(prediction, (list, tuple)) else [prediction]
    target = _one_hot_target("quadratic_cost", target, (len(predictions),), np.float64)
    return mse_loss(predictions, list(target)) * (0.5 * len(predictions))


def _one_hot_target(op: str, target: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Integer labels as one-hot rows of ``shape``; any other target as a float array."""
    if is_tensor(target):
        target = target.data
    target = np.asarray(target)
    kind = target.dtype.kind
    if kind == "f":
        return target.astype(dtype, copy=False)
    if kind not in "iu":
        raise TypeError(
            f"{op}: target has dtype {target.dtype}; give integer class labels or a float "
            "array of the prediction's shape"
        )
    rows_and_classes = shape if len(shape) == 2 else (1, shape[-1])
    labels = autograd.check_labels(target.reshape(-1), rows_and_classes, op)
    one_hot = _identity(shape[-1], np.dtype(dtype))[labels]
    return one_hot.reshape(shape)  # row k of the identity is onehot(k)


@functools.lru_cache(maxsize=16)
def _identity(classes: int, dtype: np.dtype) -> np.ndarray:
    identity = np.eye(classes, dtype=dtype)
    identity.flags.writeable = False
    return identity


def binary_cross_entropy(probability: Any, target: Any) -> Value:
    """-[y·log p + (1-y)·log(1-p)], averaged over the elements.

    ``probability`` holds Values in (0, 1) (a sigmoid's output); ``target`` 0s and 1s.

    Raises:
        ValueError: for an empty ``probability`` or a ``target`` of another length.
    """
    probabilities, targets = _as_lists("binary_cross_entropy", probability, target)
    terms = []
    for p, y in zip(probabilities, targets):
        terms.append(-(y * p.log() + (1.0 - y) * (1.0 - p).log()))
    return sum_values(terms) * (1.0 / len(terms))


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Softmax cross-entropy: -log softmax(logits)[label], averaged over the batch.

    Scalar form: ``logits`` is a list of Values (one example) and ``labels`` an int, or a
    list of such lists and a list of ints. Tensor form: logits (batch, classes) and an
    integer array of labels (batch,). Computed stably (the largest logit is subtracted
    before exponentiating).

    Raises:
        ValueError: for a label that is not a class index (or, scalar form, a batch with
            another number of labels); Tensor form as :func:`autograd.softmax_cross_entropy`.
        TypeError: Tensor form, for labels that are not integers.
    """
    if is_tensor(logits):
        return autograd.softmax_cross_entropy(logits, labels)
    if logits and isinstance(logits[0], (list, tuple)):
        if len(logits) != len(labels):
            raise ValueError(f"cross_entropy: {len(logits)} examples but {len(labels)} labels")
        losses = [_one_cross_entropy(row, label) for row, label in zip(logits, labels)]
        return sum_values(losses) * (1.0 / len(losses))
    return _one_cross_entropy(logits, labels)


def _one_cross_entropy(logits: Sequence[Value], label: int) -> Value:
    is_index = isinstance(label, (int, np.integer)) and not isinstance(label, bool)
    if not is_index or not 0 <= label < len(logits):
        raise ValueError(
            f"cross_entropy: label {label!r} is not a class index in [0, {len(logits)})"
        )
    shift = max(z.data for z in logits)
    # log Σ exp(z) = shift + log Σ exp(z - shift); the largest term is exp(0) = 1.
    log_sum_exp = sum_values([(z - shift).exp() for z in logits]).log() + shift
    return log_sum_exp - logits[label]


def _as_lists(op: str, prediction: Any, target: Any) -> tuple[list, list]:
    predictions = list(prediction) if isinstance(prediction, (list, tuple)) else [prediction]
    targets = list(target) if isinstance(target, (list, tuple, np.ndarray)) else [target]
    if len(predictions) != len(targets):
        raise ValueError(
            f"{op}: {len(predictions)} predictions but {len(targets)} targets; give one target "
            "per output"
        )
    if not predictions:
        raise ValueError(f"{op}: empty prediction")
    return predictions, targets
