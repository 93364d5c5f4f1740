"""Fused Tensor operations: several ops computed, and differentiated, as one node.

``linear(x, w, b)`` gives the same numbers as ``x @ w + b`` and ``softmax_cross_entropy`` the
same as ``-logits.log_softmax()[rows, labels].mean()``, but each is one node with one
derivative rule in place of three to five. On small networks the per-node Python work is a
large part of a training step, so fewer nodes is faster; fusing also lets the derivative
use a simpler closed form (softmax - one-hot for the cross-entropy).

Non-finite numbers follow :mod:`autograd.numerics`, with one difference kept for speed: the
forward pass of these ops does not silence NumPy, so an overflow in a diverging model (an
``inf`` activation or logit) shows NumPy's ``RuntimeWarning`` once. Their backward is silent,
as every backward is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.tensor import ArrayLike, Tensor, _operand, _result


def linear(x: ArrayLike, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight + bias`` as one node: a fully connected layer.

    ``weight`` is shaped (in, out), so each column holds one neuron's weights; ``bias`` is
    (out,). ``x`` is (in,) or (..., in) (a batch), a Tensor or an array. With z = x W + b:
    ∂L/∂x = ∂L/∂z Wᵀ, ∂L/∂W = xᵀ ∂L/∂z, ∂L/∂b = Σ over the batch of ∂L/∂z.

    Raises:
        TypeError: an operand is not a Tensor or array of numbers.
        ValueError: ``weight`` is not 2-D, or the shapes do not fit together.
    """
    weight = _operand(weight, "linear")
    x = _operand(x, "linear", weight)
    x_data, w_data = x._data, weight._data
    if w_data.ndim != 2 or x_data.ndim == 0 or x_data.shape[-1] != w_data.shape[0]:
        raise ValueError(
            f"linear: x has shape {x_data.shape} and weight {w_data.shape}; weight must be "
            "(in, out) and x (in,) or (batch, in) with the same in"
        )
    out = x_data @ w_data
    if bias is None:
        return _result(out, (x, weight), _linear_backward, "linear")
    bias = _operand(bias, "linear", weight)
    bias_data = bias._data
    if bias_data.shape != (w_data.shape[1],):
        raise ValueError(
            f"linear: bias has shape {bias_data.shape} but weight {w_data.shape} has "
            f"{w_data.shape[1]} outputs; bias must be ({w_data.shape[1]},)"
        )
    if bias_data.dtype == out.dtype:
        out += bias_data  # out is new: add in place, no second array
    else:
        out = out + bias_data
    return _result(out, (x, weight, bias), _linear_backward, "linear")


def _linear_backward(node: Tensor, grad: np.ndarray) -> tuple:
    x, weight = node.parents[0], node.parents[1]
    x_data = x._data
    d_x = grad @ weight._data.T if x.requires_grad else None
    # ∂L/∂W and ∂L/∂b sum over every sample: flatten any batch axes into one.
    grad_rows = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
    d_weight = None
    if weight.requires_grad:
        x_rows = x_data if x_data.ndim == 2 else x_data.reshape(-1, x_data.shape[-1])
        d_weight = x_rows.T @ grad_rows
    if len(node.parents) == 2:
        return d_x, d_weight
    d_bias = np.add.reduce(grad_rows, axis=0) if node.parents[2].requires_grad else None
    return d_x, d_weight, d_bias


def softmax_cross_entropy(logits: Tensor, labels: Any) -> Tensor:
    """Mean over the batch of -log softmax(logits)[i, labels[i]], as one node.

    ``logits`` is (batch, classes); ``labels`` an integer array of shape (batch,) with values
    in [0, classes). Computed as log-sum-exp minus the label's logit after subtracting each
    row's maximum, so it is finite for logits of any magnitude (±1e4 in float32 included).
    ∂L/∂logits = (softmax(logits) - onehot(labels)) / batch.

    Raises:
        TypeError: ``labels`` is not of an integer dtype, or ``logits`` is not numeric.
        ValueError: ``logits`` is not 2-D, ``labels`` has the wrong shape, or a label is out
            of range.
    """
    logits = _operand(logits, "softmax_cross_entropy")
    x = logits._data
    labels = check_labels(labels, x.shape, "softmax_cross_entropy")
    batch = x.shape[0]
    rows = np.arange(batch)
    # No overflow: shifted ≤ 0, so exp ≤ 1, and total ≥ 1, so its log is finite. (Infinite
    # logits give nan, and NumPy's warning about inf - inf: not worth an errstate per step.)
    shifted = x - x.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = np.add.reduce(np.log(total[:, 0]) - shifted[rows, labels]) / batch
    exp /= total  # now the softmax probabilities, which the derivative needs
    return _result(
        loss,
        (logits,),
        _softmax_cross_entropy_backward,
        "softmax_cross_entropy",
        (exp, rows, labels),
    )


def _softmax_cross_entropy_backward(node: Tensor, grad: np.ndarray) -> tuple:
    probabilities, rows, labels = node._saved
    scale = grad / probabilities.shape[0]
    d_logits = probabilities * scale
    d_logits[rows, labels] -= scale
    return (d_logits,)


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}  # by item size


def check_labels(labels: Any, shape: tuple[int, ...], op: str = "labels") -> np.ndarray:
    """Integer class labels for a prediction of ``shape`` (rows, classes), checked.

    Returns ``labels`` as a native-endian integer ndarray of shape (rows,). Used by
    :func:`softmax_cross_entropy`, and by losses that turn labels into one-hot rows.
    ``op`` names the caller in the error messages.

    Raises:
        TypeError: the labels are not of an integer dtype.
        ValueError: ``shape`` is not (rows, classes), there is not one label per row, or a
            label is outside [0, classes).
    """
    if len(shape) != 2:
        raise ValueError(f"{op}: the prediction has shape {shape}; it must be (batch, classes)")
    if isinstance(labels, Tensor):
        labels = labels.data
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: labels have dtype {labels.dtype}; they must be integers "
            "(class indices), e.g. labels.astype(np.int64)"
        )
    rows, classes = shape
    if labels.shape != (rows,):
        raise ValueError(
            f"{op}: labels have shape {labels.shape} but the prediction {shape}; give one "
            f"label per row, shape ({rows},)"
        )
    if not labels.dtype.isnative:
        labels = labels.astype(labels.dtype.newbyteorder("="))
    if rows and _out_of_range(labels, classes):
        raise ValueError(
            f"{op}: labels must be in [0, {classes}) for a prediction of shape {shape}; "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels


def _out_of_range(labels: np.ndarray, classes: int) -> bool:
    """True if a label is negative or ≥ classes (labels: native-endian integers)."""
    unsigned = _UNSIGNED[labels.dtype.itemsize]
    if labels.dtype.kind == "u" or classes <= np.iinfo(labels.dtype).max:
        # Seen as unsigned, a negative label is larger than any signed value, so larger than
        # classes: one reduction checks both ends.
        return bool(labels.view(unsigned).max() >= classes)
    return bool(labels.min() < 0 or labels.max() >= classes)


def mse(prediction: Tensor, target: ArrayLike) -> Tensor:
    """Mean squared error, mean((prediction - target)²), as one node.

    The shapes must be equal: broadcasting (32, 1) against (32,) would silently compare
    every prediction with every target. ∂L/∂prediction = 2 (prediction - target) / n.

    Raises:
        TypeError: an operand is not a Tensor, array or number.
        ValueError: the shapes differ.
    """
    return _squared_error(prediction, target, None, "mse")


def squared_error(prediction: Tensor, target: ArrayLike, scale: float = 1.0) -> Tensor:
    """``scale · Σ (prediction - target)²`` as one node.

    ``squared_error(a, y, 0.5 / batch)`` is the article's quadratic cost ½‖a - y‖² summed
    over the outputs and averaged over the batch. ∂L/∂prediction = 2·scale·(prediction -
    target). Shapes must be equal, as for :func:`mse`.

    Raises:
        TypeError: an operand is not a Tensor, array or number.
        ValueError: the shapes differ.
    """
    return _squared_error(prediction, target, float(scale), "squared_error")


def _squared_error(prediction: Any, target: Any, scale: float | None, op: str) -> Tensor:
    prediction = _operand(prediction, op)
    target = _operand(target, op, prediction)
    if prediction.data.shape != target.data.shape:
        raise ValueError(
            f"{op}: prediction has shape {prediction.data.shape} and target "
            f"{target.data.shape}; they must be equal (reshape one of them)"
        )
    difference = prediction.data - target.data
    flat = difference.reshape(-1)
    if scale is None:  # the mean
        scale = 1.0 / max(flat.size, 1)
    loss = (flat @ flat) * difference.dtype.type(scale)
    return _result(loss, (prediction, target), _squared_error_backward, op, (difference, scale))


def _squared_error_backward(node: Tensor, grad: np.ndarray) -> tuple:
    prediction, target = node.parents
    difference, scale = node._saved
    d_prediction = difference * (2 * scale * grad)
    return (
        d_prediction if prediction.requires_grad else None,
        -d_prediction if target.requires_grad else None,
    )
