"""Loss functions: how far the network's outputs are from what they should be.

Every loss works on scalar Values (a Value, or a list — or list of lists — of them, with the
targets as numbers in the same nesting) and on Tensors (a batch at a time, each loss one fused
graph node). Both engines follow the same rules:

* a target of the prediction's shape holds *values*, whatever its dtype (``0`` means 0.0);
* class *labels* (integers) are read only where the shapes leave no doubt: see
  :func:`quadratic_cost` and :func:`cross_entropy`;
* shapes are never broadcast: (batch, 1) against (batch,) is an error, not a
  batch × batch comparison. (The scalar form alone accepts a lone number for a one-element
  list of outputs, and the other way round: both hold one number.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np

import autograd
from autograd import Value, sum_values, weighted_sum
from autograd.tensor_fused import (
    LOG_FLOOR,
    one_hot,
    one_hot_constant,
    sigmoid_binary_cross_entropy,
    sigmoid_input,
    sigmoid_squared_error,
)
from autograd.tensor_fused import binary_cross_entropy as _tensor_binary_cross_entropy
from nn.module import is_tensor

Shape = tuple[int, ...]


def mse_loss(prediction: Any, target: Any) -> Any:
    """Mean squared error: mean of (prediction - target)² over every element.

    ``prediction`` is a Value, a (nested) list of Values or a Tensor; ``target`` holds
    numbers (or Values/Tensors) in the same shape.

    Raises:
        ValueError: for an empty prediction or a target of another shape.
        TypeError: for an element that is not a number (or Value).
    """
    if is_tensor(prediction):
        return autograd.mse(prediction, target)
    predictions, targets, _ = _scalar_pair("mse_loss", prediction, target)
    squares = [(p - t) ** 2 for p, t in zip(predictions, targets)]
    return sum_values(squares) * (1.0 / len(squares))


def quadratic_cost(prediction: Any, target: Any) -> Any:
    """½‖prediction − target‖², summed over the classes and averaged over the batch.

    The article's (and Nielsen's) MSE cost for a network with sigmoid outputs. For a batch
    of B rows and C classes it is C/2 times :func:`mse_loss`. ``prediction`` is a Tensor or
    scalar Values (a list of lists for a batch), of shape (B, C) for a batch, (C,) for one
    example, or () for one number. ``target`` is read as:

    * **values** when it has the prediction's shape, whatever its dtype: ``0`` is 0.0, and
      an integer array of shape (B, C) is compared element by element;
    * **class labels**, turned into one-hot rows, only for a prediction of C ≥ 2 classes and
      an *integer* target with one label per example: shape (B,) for (B, C) — an int array,
      or a list of ints — and a single int for (C,).

    Anything else is an error, never a guess: (B, 1) against (B,) is ambiguous (give values
    of shape (B, 1)) and float labels are refused. The scalar form, as :func:`mse_loss`, also
    accepts a lone number for a one-element list of outputs. On Tensors the cost is one node
    (``autograd.squared_error``) and a Tensor target of the prediction's shape gets a gradient.
    When the prediction is a sigmoid's output ``z.sigmoid()`` in the graph (the article's
    network), that node is ``autograd.sigmoid_squared_error(z, ...)``, the sigmoid and the
    cost fused: the same value and gradients, one node fewer to backpropagate through (so
    backward passes from the cost straight to z, and leaves the prediction's ``.grad`` None).

    Raises:
        ValueError: for a target of another shape, labels out of range, a prediction of more
            than two axes, or an empty prediction.
        TypeError: for labels that are not integers, or elements that are not numbers.
    """
    op = "quadratic_cost"
    if is_tensor(prediction):
        shape = prediction.data.shape
        if len(shape) > 2:
            raise ValueError(
                f"{op}: prediction has shape {shape}; it must be (batch, classes), (classes,) "
                "or a scalar (reshape it)"
            )
        if prediction.data.size == 0:
            raise ValueError(f"{op}: empty prediction (shape {shape})")
        target_array = target.data if is_tensor(target) else np.asarray(target)
        if target_array.dtype.kind not in "biuf":
            raise TypeError(
                f"{op}: target has dtype {target_array.dtype}; give numbers of the "
                f"prediction's shape {shape} or integer class labels"
            )
        integer = target_array.dtype.kind in "iu"
        if _target_is_labels(op, shape, target_array.shape, integer):
            target = _one_hot(op, target_array, shape, prediction.data.dtype)
            if len(shape) == 2:  # a batch: the rows remember their labels (graph capture)
                target = one_hot_constant(target, target_array)
        rows = shape[0] if len(shape) == 2 else 1
        logits = sigmoid_input(prediction)
        if logits is not None:  # prediction = σ(z): the sigmoid and the cost as one node
            return sigmoid_squared_error(logits, target, 0.5 / rows, sigmoid=prediction)
        return autograd.squared_error(prediction, target, 0.5 / rows)

    predictions, shape = _flatten(op, "prediction", prediction)
    if len(shape) > 2:
        raise ValueError(
            f"{op}: prediction has shape {shape}; give one list of Values per example "
            "(a list of lists for a batch)"
        )
    if not predictions:
        raise ValueError(f"{op}: empty prediction")
    targets, target_shape = _flatten(op, "target", target)
    integer = all(_is_integer(t) for t in targets)
    if not _one_each(shape, target_shape) and _target_is_labels(op, shape, target_shape, integer):
        targets = _one_hot(op, np.array(targets), shape, np.float64).reshape(-1).tolist()
    else:
        _check_same_shape(op, shape, target_shape)
    rows = shape[0] if len(shape) == 2 else 1
    squares = [(p - t) ** 2 for p, t in zip(predictions, targets)]
    return sum_values(squares) * (0.5 / rows)


def _target_is_labels(op: str, shape: Shape, target_shape: Shape, integer: bool) -> bool:
    """The rule of :func:`quadratic_cost`: True for class labels, False for values.

    ``shape`` is the prediction's; ``integer`` says whether the target holds integers.

    Raises:
        ValueError: the target fits neither reading, or labels would need 2+ classes.
        TypeError: the target is shaped as labels but does not hold integers.
    """
    if target_shape == shape:
        return False
    labels_fit = len(shape) in (1, 2) and target_shape == shape[:-1]
    if not labels_fit:
        labels = f" or integer class labels of shape {shape[:-1]}" if len(shape) in (1, 2) else ""
        raise ValueError(
            f"{op}: prediction has shape {shape} but target {target_shape}; give values of "
            f"shape {shape}{labels}"
        )
    if shape[-1] < 2:
        raise ValueError(
            f"{op}: prediction has shape {shape} (one output per example) and target "
            f"{target_shape}: ambiguous, so refused; give the target values in shape {shape}"
        )
    if not integer:
        raise TypeError(
            f"{op}: a target of shape {target_shape} against a prediction of shape {shape} "
            "must hold integer class labels; give ints (labels.astype(np.int64)), or "
            f"values of shape {shape}"
        )
    return True


def _one_hot(op: str, labels: np.ndarray, shape: Shape, dtype: Any) -> np.ndarray:
    """Checked integer ``labels`` as one-hot rows, an array of ``shape`` (C,) or (B, C)."""
    labels = labels.reshape(-1)
    if len(shape) == 1 and labels.dtype.kind in "iu" and not 0 <= labels[0] < shape[0]:
        raise ValueError(
            f"{op}: label {labels[0]} is not a class index in [0, {shape[0]}) for a "
            f"prediction of shape {shape}"
        )
    rows_and_classes = shape if len(shape) == 2 else (1, shape[-1])
    labels = autograd.check_labels(labels, rows_and_classes, op)
    return one_hot(labels, shape[-1], dtype).reshape(shape)


def binary_cross_entropy(probability: Any, target: Any) -> Any:
    """-[y·log p + (1-y)·log(1-p)], averaged over the elements.

    ``probability`` holds values in [0, 1] (a sigmoid's output): Values (in a list) or a
    Tensor; ``target`` 0s and 1s (or soft targets in between), in the same shape. As in
    PyTorch each log is clamped at ≥ -100, so a saturated sigmoid (σ(40) is exactly 1.0)
    gives a finite loss and finite gradients, never nan. Where the clamp holds the gradient
    is 0, the exact derivative of the clamped loss (PyTorch's backward divides by
    max(p(1-p), 1e-12) instead, which finite differences do not confirm). So a saturated
    sigmoid learns nothing: prefer :func:`binary_cross_entropy_with_logits`, exact there.
    Tensor form: one node (``autograd.binary_cross_entropy``).

    Raises:
        ValueError: for an empty ``probability``, a ``target`` of another shape, or a
            probability outside [0, 1].
        TypeError: for an element that is not a number (or Value).
    """
    op = "binary_cross_entropy"
    if is_tensor(probability):
        return _tensor_binary_cross_entropy(probability, target)
    probabilities, targets, _ = _scalar_pair(op, probability, target)
    terms = []
    for p, y in zip(probabilities, targets):
        p = _as_value(p)
        if not (0.0 <= p.data <= 1.0 or p.data != p.data):  # nan propagates
            raise ValueError(
                f"{op}: probabilities must be in [0, 1]; got {p.data!r}. Pass a sigmoid's "
                "output, or give the logits to binary_cross_entropy_with_logits"
            )
        terms.append(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))
    # -mean(terms) = Σ termᵢ·(-1/n) as one node (the terms are Values, the factors numbers:
    # weighted_sum's fast case). Its sum starts from +0.0: a perfect prediction costs 0.0,
    # not -0.0.
    return weighted_sum(terms, [-1.0 / len(terms)] * len(terms))


def _clamped_log(x: Value) -> Value:
    """max(log x, -100) for x in [0, 1]: a constant where the clamp holds (derivative 0)."""
    data = x.data
    if data > 1e-43 or data != data:  # above e^-100 ≈ 3.7e-44 (the common case), or nan
        return x.log()
    if data <= 0.0 or math.log(data) < LOG_FLOOR:
        return Value(LOG_FLOOR)
    return x.log()


def binary_cross_entropy_with_logits(logits: Any, target: Any) -> Any:
    """Binary cross-entropy of σ(logits), computed from the logits without forming σ.

    The same loss as ``binary_cross_entropy(sigmoid(z), y)`` but stable everywhere: each
    element costs max(z, 0) - z·y + log(1 + e^(-|z|)), whose exponent is ≤ 0, and its
    gradient σ(z) - y never rounds to 0 or nan where the sigmoid saturates. ``logits`` are
    Values (in a list) or a Tensor; ``target`` 0s and 1s (or soft targets) in the same shape.
    Tensor form: one node (``autograd.tensor_fused.sigmoid_binary_cross_entropy``).

    Raises:
        ValueError: for empty ``logits`` or a ``target`` of another shape.
        TypeError: for an element that is not a number (or Value).
    """
    if is_tensor(logits):
        return sigmoid_binary_cross_entropy(logits, target)
    zs, targets, _ = _scalar_pair("binary_cross_entropy_with_logits", logits, target)
    terms = []
    for z, y in zip(zs, targets):
        z = _as_value(z)
        # The two branches of |z| keep e^(-|z|) ≤ 1; both have derivative σ(z) - y.
        if z.data >= 0.0:
            terms.append(z * (1.0 - y) + (1.0 + (-z).exp()).log())
        else:
            terms.append((1.0 + z.exp()).log() - z * y)
    return sum_values(terms) * (1.0 / len(terms))


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Softmax cross-entropy: -log softmax(logits)[label], averaged over the batch.

    Scalar form: ``logits`` is a list of Values (one example) and ``labels`` an int, or a
    list of such lists and a list of ints. Tensor form: logits (batch, classes) and an
    integer array of labels (batch,). Labels are always class indices: a float array, or a
    target of the logits' shape (one-hot rows), is refused. Computed stably (the largest
    logit is subtracted before exponentiating).

    Raises:
        ValueError: for a label that is not a class index (or, scalar form, a batch with
            another number of labels); Tensor form as :func:`autograd.softmax_cross_entropy`.
        TypeError: Tensor form, for labels that are not integers; scalar form, for a batch
            whose labels are not a list.
    """
    if is_tensor(logits):
        return autograd.softmax_cross_entropy(logits, labels)
    if logits and isinstance(logits[0], (list, tuple)):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise TypeError(
                f"cross_entropy: logits hold {len(logits)} examples (a list of lists), so "
                f"labels must be a list of {len(logits)} ints; got {type(labels).__name__}"
            )
        if len(logits) != len(labels):
            raise ValueError(f"cross_entropy: {len(logits)} examples but {len(labels)} labels")
        losses = [_one_cross_entropy(row, label) for row, label in zip(logits, labels)]
        return sum_values(losses) * (1.0 / len(losses))
    return _one_cross_entropy(logits, labels)


def _one_cross_entropy(logits: Sequence[Value], label: int) -> Value:
    if not _is_integer(label) or not 0 <= label < len(logits):
        raise ValueError(
            f"cross_entropy: label {label!r} is not a class index in [0, {len(logits)})"
        )
    shift = max(z.data for z in logits)
    # log Σ exp(z) = shift + log Σ exp(z - shift); the largest term is exp(0) = 1.
    log_sum_exp = sum_values([(z - shift).exp() for z in logits]).log() + shift
    return log_sum_exp - logits[label]


# -------------------------------------------------------------------- the scalar form


def _is_integer(x: Any) -> bool:
    """An int that can be a class label (a bool cannot)."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _scalar_pair(op: str, prediction: Any, target: Any) -> tuple[list, list, Shape]:
    """Flat lists of predictions and targets of one shape, and that shape.

    Raises:
        ValueError: the shapes differ (see :func:`_check_same_shape`), or the prediction
            is empty.
        TypeError: an element is not a number or Value.
    """
    predictions, shape = _flatten(op, "prediction", prediction)
    targets, target_shape = _flatten(op, "target", target)
    _check_same_shape(op, shape, target_shape)
    if not predictions:
        raise ValueError(f"{op}: empty prediction")
    return predictions, targets, shape


def _one_each(shape: Shape, target_shape: Shape) -> bool:
    """A lone number against a one-element list, or the other way round: one number each."""
    return {shape, target_shape} <= {(), (1,)}


def _check_same_shape(op: str, shape: Shape, target_shape: Shape) -> None:
    """Raise a ValueError unless the shapes are equal (or :func:`_one_each`)."""
    if target_shape != shape and not _one_each(shape, target_shape):
        count, target_count = math.prod(shape), math.prod(target_shape)
        if count != target_count:
            what = f"{count} predictions but {target_count} targets (shapes "
        else:
            what = "prediction and target have different shapes ("
        raise ValueError(
            f"{op}: {what}{shape} and {target_shape}); give one target per output, in the "
            "prediction's shape"
        )


def _flatten(op: str, role: str, x: Any) -> tuple[list, Shape]:
    """A Value, a number or a (nested) list of them: its elements in order, and its shape.

    Raises:
        ValueError: a ragged list (rows of different lengths).
        TypeError: an element is neither a Value nor a real number.
    """
    if isinstance(x, (Value, Real)):
        return [x], ()
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return x.reshape(-1).tolist(), x.shape
    if isinstance(x, np.ndarray) and x.dtype.kind == "O":
        x = x.tolist()
    if isinstance(x, (list, tuple)) and all(isinstance(v, (Value, float)) for v in x):
        return list(x), (len(x),)  # the common case, a flat list, without recursion
    if not isinstance(x, (list, tuple)):
        raise TypeError(
            f"{op}: {role} is a {type(x).__name__}; on the scalar engine give a Value, a "
            "number or a (nested) list of them (or Tensors for both operands)"
        )
    elements: list = []
    inner: Shape | None = None
    for item in x:
        flat, item_shape = _flatten(op, role, item)
        if inner is None:
            inner = item_shape
        elif item_shape != inner:
            raise ValueError(
                f"{op}: {role} is a ragged list (items of shapes {inner} and {item_shape}); "
                "give rows of equal length"
            )
        elements += flat
    return elements, (len(x), *(inner or ()))
