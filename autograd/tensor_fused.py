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

import functools
from typing import Any

import numpy as np

from autograd import ops
from autograd.tensor import (
    ArrayLike,
    Tensor,
    _ieee,
    _operand,
    _quiet,
    _result,
    _result_without_graph,
)


def linear(
    x: ArrayLike, weight: Tensor, bias: Tensor | None = None, activation: str | None = None
) -> Tensor:
    """``x @ weight + bias`` as one node: a fully connected layer; with ``activation``, the
    layer's activation too (``linear(x, w, b, "sigmoid")`` is ``σ(x @ w + b)``).

    ``weight`` is shaped (in, out), so each column holds one neuron's weights; ``bias`` is
    (out,). ``x`` is (in,) or (..., in) (a batch), a Tensor or an array. With z = x W + b:
    ∂L/∂x = ∂L/∂z Wᵀ, ∂L/∂W = xᵀ ∂L/∂z, ∂L/∂b = Σ over the batch of ∂L/∂z.

    ``activation`` names an activation of the op table (``"sigmoid"``, ``"relu"``,
    ``"tanh"``, ``"softplus"``): the node's op is then ``"linear_sigmoid"`` (and so on), its
    array a = f(z), and its rule first turns ∂L/∂a into ∂L/∂z = ∂L/∂a · f'(z) with the
    table's derivative, then applies the three formulas above. The numbers, and their
    gradients, are bit for bit those of ``linear(x, w, b).sigmoid()``, with one node instead
    of two. ``nn.Sequential`` uses it for a Linear layer followed by its activation.

    Raises:
        TypeError: an operand is not a Tensor or array of numbers, or ``activation`` is
            not a string.
        ValueError: ``weight`` is not 2-D, the shapes do not fit together, or
            ``activation`` is not an activation of the op table.
    """
    rule, op = _linear_backward, "linear"
    if activation is not None:
        if not isinstance(activation, str):
            raise TypeError(
                f"linear: activation must be the name of an activation (e.g. 'sigmoid') or "
                f"None, got {type(activation).__name__}"
            )
        rule, op = _linear_activation_rule(activation), f"linear_{activation}"
    weight = _operand(weight, op)
    x = _operand(x, op, weight)
    x_data, w_data = x._data, weight._data
    if w_data.ndim != 2 or x_data.ndim == 0 or x_data.shape[-1] != w_data.shape[0]:
        raise ValueError(
            f"{op}: x has shape {x_data.shape} and weight {w_data.shape}; weight must be "
            "(in, out) and x (in,) or (batch, in) with the same in"
        )
    parents: tuple[Tensor, ...] = (x, weight)
    bias_data = None
    if bias is not None:
        bias = _operand(bias, op, weight)
        bias_data = bias._data
        if bias_data.shape != (w_data.shape[1],):
            raise ValueError(
                f"{op}: bias has shape {bias_data.shape} but weight {w_data.shape} has "
                f"{w_data.shape[1]} outputs; bias must be ({w_data.shape[1]},)"
            )
        parents = (x, weight, bias)
    out = linear_forward(x_data, w_data, bias_data)
    if activation is None:
        return _result(out, parents, rule, op)
    activated, z = _ieee(linear_activation_forward, out, activation)  # exp may overflow
    return _result(activated, parents, rule, op, z)


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> Any:
    """The arithmetic of :func:`linear` on checked arrays: ``x @ weight + bias``.

    Split from the node's making so that graph capture (:mod:`autograd.capture_tensor`)
    replays the same computation.
    """
    out = x @ weight
    if bias is None:
        return out
    if bias.dtype == out.dtype:
        out += bias  # out is new: add in place, no second array
    else:
        out = out + bias
    return out


def linear_activation_forward(z: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """The activation of a fused layer on its pre-activation ``z``: ``(f(z), z)``, computed
    as the table's Tensor method computes it (``z.sigmoid()``), and ``z`` kept for the rule.

    Call it inside ``np.errstate`` (``_ieee``, or graph capture's replay, which runs all its
    kernels in one): sigmoid's e⁻ᶻ overflows to inf for very negative z, and σ is then 0."""
    return ops.ELEMENTWISE[activation].array(np, z), z


#: The fused layers' ops, by the activation they apply: {"linear_sigmoid": "sigmoid", ...}.
LINEAR_ACTIVATIONS = {
    f"linear_{name}": name for name, entry in ops.ELEMENTWISE.items() if entry.activation
}


@functools.cache
def _linear_activation_rule(activation: str) -> Any:
    """The backward rule of ``linear_<activation>`` (one function per activation, made once).

    On arrays: ∂L/∂z = ∂L/∂a · f'(z, a), the table's derivative as the unfused activation
    node computes it, then :func:`_linear_backward`'s formulas with ∂L/∂z. Evaluated on
    nodes (``create_graph``), z is made again as a node from the parents, so that a
    derivative reading z (softplus' σ(z)) is differentiated through it too.
    """
    if f"linear_{activation}" not in LINEAR_ACTIVATIONS:
        choices = ", ".join(map(repr, LINEAR_ACTIVATIONS.values()))
        raise ValueError(
            f"linear: activation={activation!r} is not an activation of the op table; "
            f"choose one of {choices}, or None for none"
        )
    derivative = ops.ELEMENTWISE[activation].derivative

    def rule(node: Tensor, grad: Any) -> tuple:
        z = node._saved
        if isinstance(grad, Tensor):  # evaluated on nodes: z as a node of x, w and b
            z = linear(*(parent.data for parent in node.parents))
        return _linear_backward(node, grad * derivative(z, node._data))

    rule.__name__ = f"_linear_{activation}_backward"
    return rule


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
    if not node.parents[2].requires_grad:
        return d_x, d_weight, None
    if isinstance(grad_rows, Tensor):  # the rule evaluated on nodes (create_graph)
        return d_x, d_weight, grad_rows.sum(axis=0)
    return d_x, d_weight, np.add.reduce(grad_rows, axis=0)


def softmax_cross_entropy(logits: Tensor, labels: Any) -> Tensor:
    """Mean over the batch of -log softmax(logits)[i, labels[i]], as one node.

    ``logits`` is (batch, classes); ``labels`` an integer array of shape (batch,) with values
    in [0, classes). Computed as log-sum-exp minus the label's logit after subtracting each
    row's maximum, so it is finite for logits of any magnitude (±1e4 in float32 included).
    ∂L/∂logits = (softmax(logits) - onehot(labels)) / batch. An empty batch gives nan, the
    mean of no losses (as ``Tensor.mean``), and an empty gradient.

    Raises:
        TypeError: ``labels`` is not of an integer dtype, or ``logits`` is not numeric.
        ValueError: ``logits`` is not 2-D, ``labels`` has the wrong shape, or a label is out
            of range.
    """
    logits = _operand(logits, "softmax_cross_entropy")
    x = logits._data
    labels = check_labels(labels, x.shape, "softmax_cross_entropy")
    loss, saved = softmax_cross_entropy_forward(x, labels)
    return _result(loss, (logits,), _softmax_cross_entropy_backward, "softmax_cross_entropy", saved)


def softmax_cross_entropy_forward(x: np.ndarray, labels: np.ndarray) -> tuple[Any, tuple]:
    """The arithmetic of :func:`softmax_cross_entropy` on logits ``x`` and checked labels:
    the loss, and what its rule needs (the softmax probabilities, where each row's label
    sits in them when flattened, the labels)."""
    batch, classes = x.shape
    if batch == 0:  # the mean of no losses is nan, as Tensor.mean gives it (0/0 would warn)
        return x.dtype.type(np.nan), (np.zeros(x.shape, x.dtype), np.arange(0), labels)
    # Row i's label is element i·classes + labels[i] of the flattened (batch, classes) array:
    # one index picks every row's entry (faster than indexing by rows and labels).
    where = np.arange(0, batch * classes, classes)
    np.add(where, labels, out=where, casting="unsafe")  # checked labels fit any integer dtype
    # No overflow: shifted ≤ 0, so exp ≤ 1, and total ≥ 1, so its log is finite. (Infinite
    # logits give nan, and NumPy's warning about inf - inf: not worth an errstate per step.)
    # In C order whatever x's layout (a transposed x would give a Fortran-ordered result), so
    # that reshape(-1) is a view, here and in the rule, which writes through it.
    row_max = np.maximum.reduce(x, axis=1, keepdims=True)  # x.max(...), without its wrapper
    shifted = np.subtract(x, row_max, order="C")
    picked = shifted.reshape(-1).take(where)  # each row's shifted logit at its label
    exp = np.exp(shifted, out=shifted)  # shifted is not needed any more: exponentiate in place
    total = np.add.reduce(exp, axis=1, keepdims=True)
    losses = np.log(total.reshape(-1))  # log Σ exp − the label's logit: −log softmax[label]
    losses -= picked
    exp /= total  # now the softmax probabilities, which the derivative needs
    return np.add.reduce(losses) / batch, (exp, where, labels)


def _softmax_cross_entropy_backward(node: Tensor, grad: np.ndarray) -> tuple:
    probabilities, where, _ = node._saved  # (the labels are kept for graph capture)
    if isinstance(grad, Tensor):  # evaluated on nodes (create_graph): softmax as a node
        logits = node.parents[0].data
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        onehot.reshape(-1)[where] = 1
        return ((logits.softmax(axis=1) - onehot) * (grad / logits.shape[0]),)
    scale = grad / probabilities.shape[0]
    d_logits = np.multiply(probabilities, scale, order="C")  # (softmax − onehot) · grad / batch
    d_logits.reshape(-1)[where] -= scale  # a view of d_logits (C order), written through
    return (d_logits,)


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}  # by item size


def check_labels(labels: Any, shape: tuple[int, ...], op: str = "labels") -> np.ndarray:
    """Integer class labels for a prediction of ``shape`` (rows, classes), checked.

    Returns ``labels`` as a native-endian integer ndarray of shape (rows,). Used by
    :func:`softmax_cross_entropy`, and by losses that turn labels into one-hot rows.
    ``op`` names the caller in the error messages.

    Raises:
        TypeError: the labels are not of an integer dtype.
        ValueError: ``shape`` is not (rows, classes) with at least one class, there is not
            one label per row (the labels have the prediction's shape: one-hot rows are not
            labels), or a label is outside [0, classes).
    """
    if len(shape) != 2:
        raise ValueError(f"{op}: the prediction has shape {shape}; it must be (batch, classes)")
    if shape[1] == 0:
        raise ValueError(
            f"{op}: the prediction has shape {shape}: no classes for a label to name; "
            "give it one column per class"
        )
    if isinstance(labels, Tensor):
        labels = labels.data
    labels = np.asarray(labels)
    if labels.shape == tuple(shape) and labels.dtype.kind in "biuf":
        raise ValueError(
            f"{op}: labels have the prediction's shape {labels.shape} (one-hot rows or "
            f"probabilities?); give one class index per row, shape ({shape[0]},), e.g. "
            "target.argmax(axis=1)"
        )
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


def one_hot(labels: np.ndarray, classes: int, dtype: Any) -> np.ndarray:
    """One-hot rows (a new array of shape (rows, classes)) for checked integer ``labels``."""
    # Row k of the identity is onehot(k). ndarray.take picks the rows as identity[labels]
    # does, several times faster per batch than that fancy indexing.
    return _identity(classes, np.dtype(dtype)).take(labels, axis=0)


@functools.lru_cache(maxsize=16)
def _identity(classes: int, dtype: np.dtype) -> np.ndarray:
    identity = np.eye(classes, dtype=dtype)
    identity.flags.writeable = False
    return identity


def one_hot_constant(rows: np.ndarray, labels: np.ndarray) -> Tensor:
    """The one-hot ``rows`` made from ``labels`` (by :func:`one_hot`), as a constant Tensor
    that remembers those labels: its ``op`` is "one_hot" and it keeps ``labels`` (as given,
    the same array). It needs no gradient; graph capture (:mod:`autograd.capture_tensor`)
    makes it again from each call's labels."""
    node = _result_without_graph(rows)
    node.op = "one_hot"
    node._saved = labels
    return node


def _out_of_range(labels: np.ndarray, classes: int) -> bool:
    """True if a label is negative or ≥ classes (labels: native-endian integers)."""
    dtype = labels.dtype
    unsigned = _UNSIGNED[dtype.itemsize]
    # The largest signed integer of this size (np.iinfo(dtype).max, without building an
    # iinfo per batch): 127 for int8, 2**63 - 1 for int64.
    largest_signed = (1 << (8 * dtype.itemsize - 1)) - 1
    if dtype.kind == "u" or classes <= largest_signed:
        # Seen as unsigned, a negative label is larger than any signed value, so larger than
        # classes: one reduction checks both ends.
        return bool(np.maximum.reduce(labels.view(unsigned), axis=None) >= classes)
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
    prediction, target = _same_shape_operands(op, "prediction", prediction, target, empty=True)
    loss, saved = squared_error_forward(prediction.data, target.data, scale)
    return _result(loss, (prediction, target), _squared_error_backward, op, saved)


def squared_error_forward(
    prediction: np.ndarray, target: np.ndarray, scale: float | None
) -> tuple[Any, tuple]:
    """The arithmetic of :func:`squared_error` (``scale`` None: of :func:`mse`) on arrays of
    one shape: the loss, and what its rule needs (the difference, the scale)."""
    difference = prediction - target
    if scale is None:  # the mean
        scale = 1.0 / max(difference.size, 1)
    return _sum_of_squares(difference, scale), (difference, scale)


def _sum_of_squares(difference: np.ndarray, scale: float) -> np.ndarray:
    """``scale · Σ difference²``, in the difference's dtype."""
    flat = difference.reshape(-1)
    return (flat @ flat) * difference.dtype.type(scale)


def _squared_error_backward(node: Tensor, grad: np.ndarray) -> tuple:
    prediction, target = node.parents
    difference, scale = node._saved
    if isinstance(grad, Tensor):  # evaluated on nodes (create_graph): the difference as one
        difference = prediction.data - target.data
    d_prediction = difference * (2 * scale * grad)
    return (
        d_prediction if prediction.requires_grad else None,
        -d_prediction if target.requires_grad else None,
    )


def sigmoid_squared_error(
    logits: ArrayLike, target: ArrayLike, scale: float = 1.0, *, sigmoid: Tensor | None = None
) -> Tensor:
    """``scale · Σ (σ(logits) - target)²`` as one node: the sigmoid and the squared error.

    Gives the numbers of ``squared_error(logits.sigmoid(), target, scale)``, value and
    gradients alike, with one node fewer to backpropagate through. With a = σ(z), the
    chain rule through both: ∂L/∂z = ∂L/∂a · ∂a/∂z = 2·scale·(a - y) · a(1 - a), the
    second factor being the sigmoid's derivative from the op table (:mod:`autograd.ops`);
    ∂L/∂y = -2·scale·(a - y). Shapes must be equal, as for :func:`squared_error`.

    ``sigmoid`` is the node ``logits.sigmoid()`` when the caller has made it already (a
    network whose last layer is a sigmoid): its values are reused, not computed again.
    :func:`nn.quadratic_cost` does so, through :func:`sigmoid_input`.

    Raises:
        TypeError: an operand is not a Tensor, array or number.
        ValueError: the shapes differ, or ``sigmoid`` is not ``logits.sigmoid()`` (a node of
            the graph whose data nothing has assigned since it was made).
    """
    op = "sigmoid_squared_error"
    logits, target = _same_shape_operands(op, "logits", logits, target, empty=True)
    z, y = logits.data, target.data
    a: np.ndarray | None = None
    if sigmoid is not None:
        if sigmoid_input(sigmoid) is not logits:
            raise ValueError(
                f"{op}: sigmoid must be the node logits.sigmoid() (made in this graph, its "
                f"data unchanged since); got a Tensor made by {sigmoid.op or 'no op'!r}. Leave "
                "sigmoid out and it is computed from the logits"
            )
        a = sigmoid.data
    loss, saved = sigmoid_squared_error_forward(z, y, float(scale), a)
    return _result(loss, (logits, target), _sigmoid_squared_error_backward, op, saved)


def sigmoid_squared_error_forward(
    logits: np.ndarray, target: np.ndarray, scale: float, sigmoid: np.ndarray | None = None
) -> tuple[Any, tuple]:
    """The arithmetic of :func:`sigmoid_squared_error` on arrays of one shape (``sigmoid``:
    σ(logits) when already computed): the loss, and what its rule needs."""
    a = sigmoid
    if a is None:
        with _quiet():  # e^-z overflows to inf for very negative z: σ = 0, as Tensor.sigmoid
            a = ops.SIGMOID.array(np, logits)
    difference = a - target
    return _sum_of_squares(difference, scale), (a, difference, scale)


def _sigmoid_squared_error_backward(node: Tensor, grad: np.ndarray) -> tuple:
    logits, target = node.parents
    a, difference, scale = node._saved
    if isinstance(grad, Tensor):  # evaluated on nodes (create_graph): σ(z) as a node
        a = logits.data.sigmoid()
        difference = a - target.data
    d_prediction = difference * (2 * scale * grad)  # ∂L/∂a, as squared_error's rule
    d_logits = None
    if logits.requires_grad:  # times ∂a/∂z, the table's sigmoid derivative
        d_logits = d_prediction * ops.SIGMOID.derivative(logits.data, a)
    return d_logits, -d_prediction if target.requires_grad else None


def sigmoid_input(prediction: Any) -> Tensor | None:
    """``z`` when ``prediction`` is the node ``z.sigmoid()`` recorded in a graph, else None.

    None too when the data of ``prediction`` or of ``z`` was assigned since the sigmoid was
    computed (``t.data = ...``, an optimizer step): then the values may no longer be σ(z),
    and only the unfused graph can say so (its backward raises). Used to fuse a sigmoid with
    the loss that follows it.
    """
    if not isinstance(prediction, Tensor) or prediction.op != "sigmoid":
        return None
    if not prediction.parents:  # not recorded: requires no grad, or made under no_grad()
        return None
    (logits,) = prediction.parents
    made_at = prediction._made_at
    if prediction._changed_at > made_at or logits._changed_at > made_at:
        return None
    return logits


# Natural-log floor of the binary cross-entropy, as in PyTorch: log p is clamped at ≥ -100, so
# a probability of exactly 0 or 1 (a saturated sigmoid) costs at most 100, never inf or nan.
LOG_FLOOR = -100.0


def binary_cross_entropy(probability: ArrayLike, target: ArrayLike) -> Tensor:
    """Mean of -[y·log p + (1-y)·log(1-p)] over the elements, as one node.

    ``probability`` holds values in [0, 1] (a sigmoid's output), ``target`` the same shape
    (0s and 1s, or soft targets in between). Each log is clamped at ≥ -100 (``LOG_FLOOR``),
    as PyTorch does, so p = 0 or 1 exactly gives a finite loss and finite gradients. Where a
    log is clamped its derivative is 0; elsewhere ∂L/∂p = (-y/p + (1-y)/(1-p)) / n and
    ∂L/∂y = -(log p - log(1-p)) / n. Through a saturated sigmoid the gradient is then 0:
    :func:`sigmoid_binary_cross_entropy` (from logits) keeps it, and is the better choice.

    Raises:
        TypeError: an operand is not a Tensor, array or number.
        ValueError: the shapes differ, the prediction is empty, or a probability lies
            outside [0, 1].
    """
    op = "binary_cross_entropy"
    probability, target = _same_shape_operands(op, "probability", probability, target)
    p, y = probability.data, target.data
    outside = (p < 0) | (p > 1)  # nan is neither: it propagates, as everywhere else
    if outside.any():
        where = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"{op}: probabilities must be in [0, 1]; got {float(p[where])!r} at index "
            f"{where}. Pass a sigmoid's output, or pass the logits to "
            "sigmoid_binary_cross_entropy (nn.binary_cross_entropy_with_logits)"
        )
    with _quiet():  # log 0 = -inf until the clamp; nan · 0 and inf · 0 are IEEE too
        log_p = np.log(p)
        log_q = np.log1p(-p)  # log(1 - p), accurate for small p
        terms = y * np.maximum(log_p, LOG_FLOOR) + (1 - y) * np.maximum(log_q, LOG_FLOOR)
    scale = 1.0 / p.size
    # -mean(terms); adding +0.0 makes a perfect prediction cost 0.0, not -0.0
    loss = np.add.reduce(terms.reshape(-1)) * terms.dtype.type(-scale) + 0.0
    saved = (log_p, log_q, scale)
    return _result(loss, (probability, target), _binary_cross_entropy_backward, op, saved)


def _binary_cross_entropy_backward(node: Tensor, grad: np.ndarray) -> tuple:
    probability, target = node.parents
    log_p, log_q, scale = node._saved
    p, y = probability.data, target.data
    grad = grad * scale
    if isinstance(grad, Tensor):  # evaluated on nodes (create_graph)
        return _binary_cross_entropy_on_nodes(p, y, log_p, log_q, grad, node.parents)
    d_probability = d_target = None
    if probability.requires_grad:
        # d/dp max(log p, -100) is 1/p, or 0 where the clamp holds (no division there).
        d_log_p = np.divide(1, p, out=np.zeros_like(p), where=~(log_p < LOG_FLOOR))
        d_log_q = np.divide(1, 1 - p, out=np.zeros_like(p), where=~(log_q < LOG_FLOOR))
        with _quiet():  # inf or nan targets: IEEE results
            d_probability = (y * d_log_p - (1 - y) * d_log_q) * -grad
    if target.requires_grad:
        with _quiet():
            d_target = (np.maximum(log_p, LOG_FLOOR) - np.maximum(log_q, LOG_FLOOR)) * -grad
    return d_probability, d_target


def _binary_cross_entropy_on_nodes(
    p: Tensor, y: Tensor, log_p: np.ndarray, log_q: np.ndarray, grad: Tensor, parents: tuple
) -> tuple:
    """The rule above with p and y as nodes. Where a log is clamped (the masks, constants
    from the forward pass) p is replaced by 1 before dividing or taking its log, and the
    term by the constant floor, so no 0/0 or 0·(-inf) turns a masked 0 into nan."""
    keep_p = (log_p >= LOG_FLOOR).astype(log_p.dtype)
    keep_q = (log_q >= LOG_FLOOR).astype(log_q.dtype)
    p_safe = p * keep_p + (1 - keep_p)  # p where log p is kept, else 1
    q_safe = (1 - p) * keep_q + (1 - keep_q)  # 1 - p where log(1 - p) is kept, else 1
    d_probability = d_target = None
    if parents[0].requires_grad:
        d_probability = (y * (keep_p / p_safe) - (1 - y) * (keep_q / q_safe)) * -grad
    if parents[1].requires_grad:
        clamped_p = p_safe.log() * keep_p + LOG_FLOOR * (1 - keep_p)
        clamped_q = q_safe.log() * keep_q + LOG_FLOOR * (1 - keep_q)
        d_target = (clamped_p - clamped_q) * -grad
    return d_probability, d_target


def sigmoid_binary_cross_entropy(logits: ArrayLike, target: ArrayLike) -> Tensor:
    """Binary cross-entropy of σ(logits), from the logits, as one node.

    Gives the numbers of ``binary_cross_entropy(logits.sigmoid(), target)`` but never
    rounds σ(z) to exactly 0 or 1, so it stays exact where the sigmoid saturates (PyTorch's
    ``binary_cross_entropy_with_logits``). Each element's loss is
    max(z, 0) - z·y + log(1 + e^(-|z|)): the exponent is ≤ 0, so nothing overflows.
    ∂L/∂z = (σ(z) - y) / n, ∂L/∂y = -z / n.

    Raises:
        TypeError: an operand is not a Tensor, array or number.
        ValueError: the shapes differ or the prediction is empty.
    """
    op = "sigmoid_binary_cross_entropy"
    logits, target = _same_shape_operands(op, "logits", logits, target)
    z, y = logits.data, target.data
    with _quiet():  # infinite logits give nan (inf - inf), as the unfused form would
        exp_minus_abs = np.exp(-np.abs(z))  # e^(-|z|) in [0, 1]
        terms = np.maximum(z, 0) - z * y + np.log1p(exp_minus_abs)
    scale = 1.0 / z.size
    loss = np.add.reduce(terms.reshape(-1)) * terms.dtype.type(scale)
    saved = (exp_minus_abs, scale)
    return _result(loss, (logits, target), _sigmoid_binary_cross_entropy_backward, op, saved)


def _sigmoid_binary_cross_entropy_backward(node: Tensor, grad: np.ndarray) -> tuple:
    logits, target = node.parents
    exp_minus_abs, scale = node._saved
    z = logits.data
    grad = grad * scale
    if isinstance(grad, Tensor):  # evaluated on nodes (create_graph): σ(z) as a node
        return (
            (z.sigmoid() - target.data) * grad if logits.requires_grad else None,
            z * -grad if target.requires_grad else None,
        )
    d_logits = d_target = None
    with _quiet():  # inf or nan operands: IEEE results
        if logits.requires_grad:
            # σ(z) = 1 / (1 + e^-z) for z ≥ 0 and e^z / (1 + e^z) for z < 0: with e = e^(-|z|)
            # both are a quotient of numbers in [0, 2], so neither overflows.
            sigmoid = np.where(z >= 0, 1, exp_minus_abs) / (1 + exp_minus_abs)
            d_logits = (sigmoid - target.data) * grad
        if target.requires_grad:
            d_target = z * -grad
    return d_logits, d_target


def _same_shape_operands(
    op: str, name: str, prediction: Any, target: Any, *, empty: bool = False
) -> tuple:
    """``prediction`` and ``target`` as Tensors of one shape (non-empty unless ``empty``),
    or a ValueError."""
    prediction = _operand(prediction, op)
    target = _operand(target, op, prediction)
    if prediction.data.shape != target.data.shape:
        raise ValueError(
            f"{op}: {name} has shape {prediction.data.shape} and target "
            f"{target.data.shape}; they must be equal (reshape one of them)"
        )
    if prediction.data.size == 0 and not empty:
        raise ValueError(f"{op}: {name} is empty (shape {prediction.data.shape})")
    return prediction, target
