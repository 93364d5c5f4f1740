"""``Tensor``: the scalar engine's chain rule, vectorized over NumPy arrays.

A Tensor is a node like a :class:`~autograd.value.Value`, with an array in place of a number:

* ``data`` - the array computed (the forward pass);
* ``parents`` - the Tensors it was computed from, in order;
* a *backward rule* - a static method that turns ∂L/∂out into ∂L/∂parent for each parent.

For scalars the local derivative is a number and ∂L/∂parent = local · ∂L/∂out. For arrays the
same weighted sum is a vector-Jacobian product: an elementwise product for ``*``, a product
with the transposed matrix for ``@``, a sum over the broadcast axes for broadcasting
(:func:`unbroadcast`). The reverse sweep in :meth:`Tensor.backward` is the scalar engine's,
with the per-node product replaced by a call to the rule::

    for parent, parent_grad in zip(node.parents, rule(node, node.grad)):
        parent.grad += parent_grad

Each op below is a method and, right under it, its rule. A rule is a static method, stored on
the node by reference together with the few arrays it needs: no closure per node, so no node
refers back to itself and the garbage collector has no cycles to chase.

The rule contract: ``rule(node, grad)`` returns one entry per parent, ``None`` for a parent that
does not require grad (so no work is spent on inputs and constants), otherwise an array of the
parent's shape that is either new or ``grad`` itself (or a view of it). Backward stores new
arrays without copying and adds into them in place; it never writes into anything else.
A rule reads ``node.data`` and its parents' ``data`` as the forward pass left them: backward
first checks that none of them was assigned since (see "Changing data" in :class:`Tensor`).

Dtypes: float32 stays float32. Python and NumPy scalar operands take the Tensor's dtype; a
gradient always has its Tensor's dtype. Non-finite numbers follow :mod:`autograd.numerics`
(IEEE results, never an exception, no NumPy warnings; the one exception is the forward pass
of the fused ops of :mod:`autograd.tensor_fused`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from numbers import Real
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from autograd import ops
from autograd.anomaly import check_tensor
from autograd.errors import unsupported_operand
from autograd.grad_mode import GRAD_MODE, SWITCHED
from autograd.graph import _WATCH, BackwardObserver, topological_order

ndarray = np.ndarray
ArrayLike = Union["Tensor", np.ndarray, float, int, list]
Axis = int | tuple[int, ...] | None

_new = object.__new__
# How many times any Tensor's ``data`` has been assigned. A Tensor remembers the count at its
# latest assignment (``_changed_at``, 0 if never), a computed node the count when it was made
# (``_made_at``): backward refuses a node whose data or inputs changed after it was made.
_data_assignments = 0
# Used around the ops whose IEEE results (inf, nan) NumPy would otherwise warn about. A new
# errstate each time: one instance cannot be entered twice.
_quiet = partial(np.errstate, divide="ignore", over="ignore", invalid="ignore")
# The same settings as one decorator, for the functions a training step calls at every node
# or sweep (as a decorator np.errstate costs half of what a with-statement costs, and one
# instance may decorate several functions: each call enters a context of its own).
_ieee_arithmetic = _quiet()


@_ieee_arithmetic
def _ieee(function: Callable[..., Any], *operands: Any) -> Any:
    """``function(*operands)`` with IEEE results (inf, nan) and no NumPy warnings.

    The ops a training step runs at every node use this rather than ``with _quiet():``: as a
    decorator np.errstate costs half as much per call (no new errstate each time), and it is
    safe when nested and in threads. (It wraps the arithmetic only, not the node's making:
    anomaly mode finds the user's line by walking out of autograd's own frames.)
    """
    return function(*operands)


class Tensor:
    """An array in a computation graph.

    >>> w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> w.grad            # ∂(Σ w²)/∂w = 2w
    array([[2., 4.],
           [6., 8.]], dtype=float32)

    ``data`` becomes an ndarray: a float ndarray is kept as it is (no copy, same dtype, so
    float64 stays float64); Python numbers, lists and integer or boolean arrays become
    float32; ``dtype=`` forces a floating dtype.

    **Changing data.** ``backward()`` gives the gradient at the values of the forward pass.
    Its rules read the arrays that pass used, so an assignment to ``t.data`` between a
    forward pass and its ``backward()`` - a new array (``t.data = a``) or an update in place
    (``t.data -= x``, as optimizers do) - of a tensor the graph used makes that ``backward()``
    raise ``RuntimeError`` naming the tensor, instead of mixing old and new values. Change
    data after ``backward()`` and before the next forward pass, as a training loop does.
    Writes that do not assign to the attribute are not seen: ``t.data[...] = x``,
    ``t.data[0] += 1``, ``np.copyto(t.data, x)``, or writes through ``t.numpy()``,
    ``t.detach()`` or another reference to the array; do not make them in between.

    Attributes:
        data: the ndarray.
        grad: ∂(root)/∂(this tensor) after ``root.backward()``, an ndarray of ``data``'s shape
            and dtype; None before. Leaves accumulate it across calls (set it to None between
            steps).
        requires_grad: whether gradients flow to this tensor. A result requires grad iff one
            of its inputs does and grad mode is on (see :func:`autograd.no_grad`).
        parents: the Tensors this one was computed from (empty for leaves and for results
            that do not require grad: those record no graph).
        op: the name of the operation that made this tensor ("" for a leaf).
        label: an optional name, used when the graph is drawn.

    NumPy interplay: ``np.asarray(t)`` gives ``t.data`` itself (shared, as ``t.numpy()``) for
    a tensor that requires no grad, and refuses one that does (NumPy functions are not
    recorded in the graph); ``np.float64(2) * t`` and ``array * t`` call the Tensor's own
    operators and give Tensors. ``bool(t)`` is the truth of a one-element tensor's value.

    Raises:
        TypeError: for data that is not made of real numbers (strings, None, complex numbers,
            objects, Values), even with a ``dtype`` (NumPy would read None as nan and parse
            "1.5" as 1.5), for a non-floating ``dtype``, or a ``requires_grad`` that is not
            a bool.
        ValueError: for a Python int too large for any float.
    """

    __slots__ = (
        "__weakref__",
        "_backward",
        "_changed_at",
        "_data",
        "_made_at",
        "_origin",  # where the node was made, set only inside detect_anomaly()
        "_saved",
        "grad",
        "label",
        "op",
        "parents",
        "requires_grad",
    )
    # Make NumPy hand ``array * tensor`` and ``np.float32(2) * tensor`` to our reflected
    # operators instead of building an object array.
    __array_ufunc__ = None

    def __init__(
        self,
        data: ArrayLike,
        requires_grad: bool = False,
        dtype: Any = None,
        label: str = "",
    ) -> None:
        self.data = _as_array(data, dtype, "Tensor()")
        if not isinstance(requires_grad, (bool, np.bool_)):  # "False" would be true
            raise TypeError(
                f"Tensor(): requires_grad must be True or False, not "
                f"{type(requires_grad).__name__} ({requires_grad!r:.40})"
            )
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.parents: tuple[Tensor, ...] = ()
        self.op = ""
        self.label = label
        self._backward: Any = None  # a node's rule: (node, grad) -> one gradient per parent
        self._saved: Any = ()
        self._made_at: int = _data_assignments

    # ---------------------------------------------------------------- data
    @property
    def data(self) -> np.ndarray:
        """The ndarray. Assigning to it (``t.data = a``, ``t.data -= x``) between a forward
        pass and its ``backward()`` makes that backward raise: see the class docstring."""
        return self._data

    @data.setter
    def data(self, array: np.ndarray) -> None:
        # ``t.data -= x`` lands here too: Python changes the array in place, then assigns it.
        global _data_assignments
        _data_assignments += 1
        self._changed_at = _data_assignments
        self._data = array

    # ---------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data`` (and of ``grad``)."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """The number of axes of ``data``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements of ``data``."""
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float.

        Raises:
            ValueError: the tensor has more than one element.
        """
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """``data`` itself (shared, not copied), as ``torch.Tensor.numpy()`` does."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """What ``np.asarray(tensor)`` and ``np.array(tensor)`` see: ``data``.

        As with :meth:`numpy`, the array is ``data`` itself (shared: writing into it changes
        the tensor), unless NumPy asks for a copy (``np.array(t)``, ``copy=True``) or for
        another dtype. As in PyTorch, a tensor that requires grad is refused: whatever NumPy
        computes from it would silently leave the graph.

        Raises:
            TypeError: the tensor requires grad.
            ValueError: ``copy=False`` with a dtype that needs a conversion.
        """
        if self.requires_grad:
            raise TypeError(
                f"np.asarray(Tensor): this Tensor of shape {self.data.shape} requires grad, "
                "and NumPy functions are not recorded in the graph; take the numbers "
                "outside the graph explicitly with tensor.data or tensor.detach()"
            )
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(
                    f"np.asarray(Tensor, dtype={np.dtype(dtype)}, copy=False): the Tensor "
                    f"holds {data.dtype}, so a copy is needed; allow it (copy=None)"
                )
            return data.astype(dtype)
        return data.copy() if copy else data

    def __bool__(self) -> bool:
        """The truth of a one-element tensor's value, as in NumPy and PyTorch.

        Raises:
            ValueError: the tensor has no elements or more than one (which truth is meant?).
        """
        if self.data.size != 1:
            raise ValueError(
                f"bool(Tensor): the truth value of a Tensor of shape {self.data.shape} "
                f"({self.data.size} elements) is ambiguous; say which is meant, e.g. "
                "bool((t.data > 0).any()) or bool((t.data > 0).all())"
            )
        return bool(self.data.item())

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, outside the graph (requires no grad)."""
        return _result_without_graph(self.data)

    def __repr__(self) -> str:
        values = np.array2string(
            self.data, separator=", ", precision=4, threshold=20, edgeitems=2, prefix="Tensor("
        )
        extras = [f"dtype={self.data.dtype}"]
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self.op:
            extras.append(f"op={self.op!r}")
        if self.label:
            extras.append(f"label={self.label!r}")
        return f"Tensor({values}, {', '.join(extras)})"

    # ---------------------------------------------------------------- arithmetic
    # ∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1 (each summed back to its input's shape)
    def __add__(self, other: ArrayLike) -> Tensor:
        return _binary(self, _operand(other, "+", self), np.add, "+", Tensor._add_backward)

    def __radd__(self, other: ArrayLike) -> Tensor:
        other = _operand(other, "+", self, reflected=True)
        return _binary(other, self, np.add, "+", Tensor._add_backward)

    @staticmethod
    def _add_backward(node: Tensor, grad: np.ndarray) -> tuple:
        a, b = node.parents
        return (
            unbroadcast(grad, a.data.shape) if a.requires_grad else None,
            unbroadcast(grad, b.data.shape) if b.requires_grad else None,
        )

    # ∂(a-b)/∂a = 1, ∂(a-b)/∂b = -1
    def __sub__(self, other: ArrayLike) -> Tensor:
        return _binary(self, _operand(other, "-", self), np.subtract, "-", Tensor._sub_backward)

    def __rsub__(self, other: ArrayLike) -> Tensor:
        other = _operand(other, "-", self, reflected=True)
        return _binary(other, self, np.subtract, "-", Tensor._sub_backward)

    @staticmethod
    def _sub_backward(node: Tensor, grad: np.ndarray) -> tuple:
        a, b = node.parents
        return (
            unbroadcast(grad, a.data.shape) if a.requires_grad else None,
            unbroadcast(-grad, b.data.shape) if b.requires_grad else None,
        )

    # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
    def __mul__(self, other: ArrayLike) -> Tensor:
        return _binary(self, _operand(other, "*", self), np.multiply, "*", Tensor._mul_backward)

    def __rmul__(self, other: ArrayLike) -> Tensor:
        other = _operand(other, "*", self, reflected=True)
        return _binary(other, self, np.multiply, "*", Tensor._mul_backward)

    @staticmethod
    def _mul_backward(node: Tensor, grad: np.ndarray) -> tuple:
        a, b = node.parents
        return (
            unbroadcast(grad * b.data, a.data.shape) if a.requires_grad else None,
            unbroadcast(grad * a.data, b.data.shape) if b.requires_grad else None,
        )

    # ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = -a/b² = -(a/b)/b
    def __truediv__(self, other: ArrayLike) -> Tensor:
        return _binary(self, _operand(other, "/", self), np.divide, "/", Tensor._div_backward)

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        other = _operand(other, "/", self, reflected=True)
        return _binary(other, self, np.divide, "/", Tensor._div_backward)

    @staticmethod
    def _div_backward(node: Tensor, grad: np.ndarray) -> tuple:
        a, b = node.parents
        d_a = d_b = None
        if a.requires_grad:
            d_a = unbroadcast(grad * (1 / b.data), a.data.shape)
        if b.requires_grad:
            d_b = unbroadcast(grad * (-node.data / b.data), b.data.shape)
        return d_a, d_b

    # Number exponent b: ∂(aᵇ)/∂a = b·aᵇ⁻¹ (0 where b = 0: x⁰ = 1 is constant).
    # Tensor exponent: also ∂(aᵇ)/∂b = aᵇ·ln a (0 where aᵇ is 0, its limit, as in Value).
    # Powers follow autograd.numerics: C99 pow, and the square root for an exponent of 0.5.
    def __pow__(self, exponent: ArrayLike) -> Tensor:
        if isinstance(exponent, Real):
            exponent = float(exponent)
            data = _power(self.data, exponent)
            return _result(data, (self,), Tensor._pow_number_backward, f"**{exponent:g}", exponent)
        return _binary(self, _operand(exponent, "**", self), _power, "**", Tensor._pow_backward)

    def __rpow__(self, base: ArrayLike) -> Tensor:
        base = _operand(base, "**", self, reflected=True)
        return _binary(base, self, _power, "**", Tensor._pow_backward)

    @staticmethod
    def _pow_number_backward(node: Tensor, grad: np.ndarray) -> tuple:
        (a,) = node.parents
        exponent = node._saved
        if exponent == 0.0:  # x⁰ = 1 is constant (0·0⁻¹ would give nan at 0)
            return (grad * 0.0,)
        return (grad * (exponent * _power(a.data, exponent - 1.0)),)

    @staticmethod
    def _pow_backward(node: Tensor, grad: np.ndarray) -> tuple:
        a, b = node.parents
        out = node.data
        if isinstance(grad, Tensor):  # evaluated on nodes (create_graph)
            return _pow_backward_on_nodes(a, b, out, grad)
        d_base = d_exponent = None
        if a.requires_grad:  # 0 where b = 0, as for a number exponent (not 0·0⁻¹ = nan)
            local = np.where(b.data == 0.0, 0.0, b.data * _power(a.data, b.data - 1.0))
            d_base = unbroadcast(grad * local, a.data.shape)
        if b.requires_grad:
            local = np.where(out == 0.0, 0.0, out * np.log(a.data))
            d_exponent = unbroadcast(grad * local, b.data.shape)
        return d_base, d_exponent

    # ∂(-a)/∂a = -1
    def __neg__(self) -> Tensor:
        return _result(-self.data, (self,), Tensor._neg_backward, "neg")

    @staticmethod
    def _neg_backward(node: Tensor, grad: np.ndarray) -> tuple:
        return (-grad,)

    def __pos__(self) -> Tensor:
        return self

    # ---------------------------------------------------------------- matrix product
    # C = A @ B: ∂L/∂A = ∂L/∂C @ Bᵀ, ∂L/∂B = Aᵀ @ ∂L/∂C (batch axes summed back to each shape)
    def __matmul__(self, other: ArrayLike) -> Tensor:
        return _matmul(self, _operand(other, "@", self))

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _matmul(_operand(other, "@", self, reflected=True), self)

    @staticmethod
    def _matmul_backward(node: Tensor, grad: np.ndarray) -> tuple:
        a, b = node.parents
        a_data, b_data = a.data, b.data
        if a_data.ndim == 2 and b_data.ndim == 2:  # the common case, without reshaping
            return (
                grad @ b_data.T if a.requires_grad else None,
                a_data.T @ grad if b.requires_grad else None,
            )
        # A 1-D operand is a matrix with one row (left) or one column (right), as in NumPy,
        # and the output lacks that axis: put it back, differentiate, and take it out again.
        # (Reshapes and transposes rather than np.newaxis and np.swapaxes: Tensors have them
        # too, so the rule also runs on nodes.)
        if b_data.ndim == 1:
            b_data = b_data.reshape((b_data.shape[0], 1))
            grad = grad.reshape((*grad.shape, 1))
        if a_data.ndim == 1:
            a_data = a_data.reshape((1, a_data.shape[0]))
            grad = grad.reshape((*grad.shape[:-1], 1, grad.shape[-1]))
        d_a = d_b = None
        if a.requires_grad:
            d_a = unbroadcast(grad @ _swap_last_axes(b_data), a_data.shape).reshape(a.shape)
        if b.requires_grad:
            d_b = unbroadcast(_swap_last_axes(a_data) @ grad, b_data.shape).reshape(b.shape)
        return d_a, d_b

    # ---------------------------------------------------------------- reductions
    # ∂(Σ a)/∂aᵢ = 1: the gradient is copied back along the summed axes.
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (an int, a tuple of ints, or None for all axes)."""
        data = _sum_forward(self.data, axis, keepdims)
        return _result(data, (self,), Tensor._sum_backward, "sum", (axis, keepdims))

    @staticmethod
    def _sum_backward(node: Tensor, grad: np.ndarray) -> tuple:
        (a,) = node.parents
        axis, keepdims = node._saved
        return (_spread(grad, axis, keepdims, a.data.shape),)

    # ∂(mean a)/∂aᵢ = 1/n, n the number of elements averaged.
    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (an int, a tuple of ints, or None for all axes)."""
        data, saved = _mean_forward(self.data, axis, keepdims)
        return _result(data, (self,), Tensor._mean_backward, "mean", saved)

    @staticmethod
    def _mean_backward(node: Tensor, grad: np.ndarray) -> tuple:
        (a,) = node.parents
        axis, keepdims, count = node._saved
        return (_spread(grad / count, axis, keepdims, a.data.shape),)

    # ∂(max a)/∂aᵢ = 1 at the maximum, 0 elsewhere. Where several elements tie for the
    # maximum, the gradient is split evenly among them (1/k each), as in PyTorch's max().
    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; the gradient goes to the argmax, split evenly among ties."""
        data = self.data.max(axis=axis, keepdims=keepdims)
        return _result(data, (self,), Tensor._max_backward, "max", (axis, keepdims))

    @staticmethod
    def _max_backward(node: Tensor, grad: np.ndarray) -> tuple:
        (a,) = node.parents
        axis, keepdims = node._saved
        shape = a.data.shape
        # Which elements are the maximum: numbers (ops.number), a constant even on nodes.
        maximum = _spread(ops.number(node.data), axis, keepdims, shape)
        share = (ops.number(a.data) == maximum).astype(grad.dtype)
        # 1/k for each of k tied maxima. A nan maximum matches nothing: 0/0 = nan, as it should be.
        share /= share.sum(axis=axis, keepdims=True)
        return (_spread(grad, axis, keepdims, shape) * share,)

    # ---------------------------------------------------------------- shape
    # Moving elements around moves their gradients back the same way.
    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """The same elements in a new shape (``reshape(2, 3)`` or ``reshape((2, 3))``).

        Raises:
            ValueError: the new shape does not hold the same number of elements.
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"Tensor.reshape: cannot reshape shape {self.data.shape} "
                f"({self.data.size} elements) into shape {shape}"
            ) from None
        return _result(data, (self,), Tensor._reshape_backward, "reshape")

    @staticmethod
    def _reshape_backward(node: Tensor, grad: np.ndarray) -> tuple:
        return (grad.reshape(node.parents[0].data.shape),)

    def transpose(self, *axes: int) -> Tensor:
        """Permute the axes (reverse them when none are given), as ``ndarray.transpose``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        elif len(axes) == 1 and axes[0] is None:  # transpose(None), as for an ndarray
            axes = ()
        data = self.data.transpose(axes or None)
        # The inverse permutation puts each axis back; reversing is its own inverse.
        inverse = tuple(np.argsort([axis % self.data.ndim for axis in axes])) if axes else None
        return _result(data, (self,), Tensor._transpose_backward, "transpose", inverse)

    @staticmethod
    def _transpose_backward(node: Tensor, grad: np.ndarray) -> tuple:
        return (grad.transpose(node._saved),)

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (the matrix transpose for 2-D)."""
        return self.transpose()

    # Each selected element's gradient goes back to where it came from; an element selected
    # several times (integer-array indexing) gets the sum, hence np.add.at.
    def __getitem__(self, index: Any) -> Tensor:
        data = self.data[index]
        return _result(data, (self,), Tensor._getitem_backward, "getitem", index)

    @staticmethod
    def _getitem_backward(node: Tensor, grad: np.ndarray) -> tuple:
        (a,) = node.parents
        index = node._saved
        if isinstance(grad, Tensor):  # evaluated on nodes (create_graph): scatter as a node
            return (_scatter(grad, index, a.shape),)
        return (_scattered(grad, index, a.data.shape, a.data.dtype),)

    # ---------------------------------------------------------------- functions
    # exp, log, tanh, sigmoid, relu, sin, cos, abs, sqrt, softplus: made from the table of
    # autograd.ops, at the end of this module (see _elementwise_method).
    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Callable[[], Tensor]: ...

    def __abs__(self) -> Tensor:
        """``abs(t)``: the table's ``abs`` (∂|x|/∂x = sign x)."""
        return self.abs()

    # log softmax(x)ᵢ = xᵢ - log Σⱼ eˣʲ, computed as (xᵢ - m) - log Σⱼ e^(xⱼ - m), m = max x,
    # so no exponential overflows. ∂L/∂xᵢ = gᵢ - softmax(x)ᵢ · Σⱼ gⱼ.
    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis``, computed without overflow at any magnitude."""
        data = _log_softmax_forward(self.data, axis)
        return _result(data, (self,), Tensor._log_softmax_backward, "log_softmax", axis)

    @staticmethod
    def _log_softmax_backward(node: Tensor, grad: np.ndarray) -> tuple:
        axis = node._saved  # exp(log softmax) = softmax; ops.exp also takes a node
        return (grad - ops.exp(node.data) * grad.sum(axis=axis, keepdims=True),)

    # softmax(x)ᵢ = e^(xᵢ - m) / Σⱼ e^(xⱼ - m); ∂L/∂xᵢ = sᵢ · (gᵢ - Σⱼ gⱼ sⱼ)
    def softmax(self, axis: int = -1) -> Tensor:
        """e^x / Σ e^x along ``axis``, computed without overflow at any magnitude."""
        with _quiet():
            exp = np.exp(self.data - self.data.max(axis=axis, keepdims=True))
            exp /= exp.sum(axis=axis, keepdims=True)
        return _result(exp, (self,), Tensor._softmax_backward, "softmax", axis)

    @staticmethod
    def _softmax_backward(node: Tensor, grad: np.ndarray) -> tuple:
        out, axis = node.data, node._saved
        return (out * (grad - (grad * out).sum(axis=axis, keepdims=True)),)

    # ---------------------------------------------------------------- backward
    def backward(self, gradient: ArrayLike | None = None) -> None:
        """Backpropagate from this tensor: fill ``.grad`` of every tensor it depends on.

        ``gradient`` is ∂L/∂self (the seed); it may be omitted only for a one-element tensor
        (then it is 1). Leaves (inputs and parameters with ``requires_grad``) *accumulate*
        their gradient: set ``.grad = None`` between steps. Intermediate tensors get fresh
        gradients on every call, so calling ``backward()`` twice on the same graph is
        correct: the leaves receive the gradient twice.

        A leaf's ``.grad`` is always an array of its own. An intermediate tensor's ``.grad``
        is shared where that saves a copy (with its child's, or a read-only broadcast view):
        read it freely, copy it before writing into it.

        Raises:
            RuntimeError: if this tensor does not require grad, or it has more than one
                element and no ``gradient`` is given, or the ``data`` of a tensor in the graph
                was assigned after the forward pass used it (see the class docstring); then
                no leaf's ``.grad`` is changed.
            ValueError: if ``gradient`` does not have this tensor's shape.
        """
        seed = self._seed(gradient)
        order = topological_order(self)
        assignments = _data_assignments
        for node in order:
            if node.parents:  # intermediate tensors start again from nothing
                node.grad = None
                if node._made_at != assignments:  # some data was assigned since: whose?
                    _check_unchanged(node)
        # Nodes whose .grad this call allocated: only those may be added into in place.
        owned = set()
        if self.grad is None:
            self.grad = seed
        else:  # NumPy returns a scalar for 0-d arrays, native byte order for big-endian
            self.grad = np.asarray(self.grad + seed, dtype=seed.dtype)
        owned.add(id(self))

        _backpropagate(order, owned, _WATCH.observer)

    def _seed(self, gradient: ArrayLike | None) -> np.ndarray:
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this Tensor does not require grad, so there is no graph to "
                "backpropagate through; create the inputs with Tensor(..., requires_grad=True) "
                "and compute outside no_grad()"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the Tensor has shape {self.data.shape}, not a single element, "
                    "so ∂L/∂tensor cannot be assumed to be 1. Reduce it to a scalar first "
                    "(e.g. out.sum().backward()) or pass the gradient: "
                    f"out.backward(np.ones({self.data.shape}))"
                )
            return np.ones(self.data.shape, dtype=self.data.dtype)
        if isinstance(gradient, Tensor):
            gradient = gradient.data
        # Always a copy in our dtype: the caller's array is never aliased, and a float64 seed
        # does not turn a float32 graph's gradients into float64.
        seed = _as_array(gradient, self.data.dtype, "backward", copy=True)
        if seed.shape != self.data.shape:
            raise ValueError(
                f"backward: gradient has shape {seed.shape} but the Tensor has shape "
                f"{self.data.shape}; pass a gradient of the Tensor's shape"
            )
        return seed


# -------------------------------------------------------------------- forward kernels
# The arithmetic of the ops whose forward is more than one NumPy call, split from the node's
# making so that graph capture (autograd.capture_tensor) replays the same computation.


def _sum_forward(data: np.ndarray, axis: Axis, keepdims: bool) -> Any:
    """:meth:`Tensor.sum`'s array."""
    with _quiet():  # overflow to inf
        return data.sum(axis=axis, keepdims=keepdims)


def _mean_forward(data: np.ndarray, axis: Axis, keepdims: bool) -> tuple[Any, tuple]:
    """:meth:`Tensor.mean`'s array, and what its rule needs (axis, keepdims, count)."""
    # np.add.reduce, not ndarray.mean: the same float32 sum without mean()'s slow wrapper.
    total = np.add.reduce(data, axis=axis, keepdims=keepdims)
    count = data.size // max(np.size(total), 1)
    with _quiet():  # the mean of nothing is nan
        result = total / count
    # count is 0 only for an empty input, whose gradient is empty: dividing by 1 instead
    # gives the same (no) numbers without a division by zero.
    return result, (axis, keepdims, count or 1)


def _log_softmax_forward(data: np.ndarray, axis: int) -> np.ndarray:
    """:meth:`Tensor.log_softmax`'s array."""
    with _quiet():  # inf - inf = nan for infinite inputs
        shifted = data - data.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


# -------------------------------------------------------------------- the reverse sweep


def _sweep(order: list[Tensor], owned: set[int], observer: BackwardObserver | None = None) -> None:
    """The article's weighted sum, from the output back to the inputs.

    ``order`` is a topological order whose last node has its gradient; ``owned`` holds the ids
    of the nodes whose ``.grad`` this backward call allocated (only those may be added into in
    place). An ``observer`` (see :func:`autograd.graph.watching_backward`) is told each step.
    Called inside ``np.errstate`` (as :func:`_backpropagate` does, or graph capture's replay).
    """
    for node in reversed(order):
        parents = node.parents
        grad = node.grad
        if observer is not None:
            observer.visit(node)
        if not parents or grad is None:
            continue
        for parent, parent_grad in zip(parents, node._backward(node, grad)):
            if parent_grad is None:  # the parent does not require grad
                continue
            dtype = parent._data.dtype
            if type(parent_grad) is not ndarray or parent_grad.dtype != dtype:
                parent_grad = np.asarray(parent_grad, dtype=dtype)  # a new array
                is_new = True
            else:  # not new when it is the node's own gradient or a view of one
                is_new = parent_grad is not grad and parent_grad.base is None
            current = parent.grad
            if current is None:
                if not is_new and not parent.parents:
                    parent_grad = parent_grad.copy()  # a leaf's grad is its own array
                    is_new = True
                parent.grad = parent_grad
                if is_new:
                    owned.add(id(parent))
            elif id(parent) in owned:
                current += parent_grad
            else:  # a new array, in the parent's dtype: NumPy gives a scalar for 0-d
                # arrays, and native byte order for big-endian ones
                parent.grad = np.asarray(current + parent_grad, dtype=dtype)
                owned.add(id(parent))
            if observer is not None:
                observer.passed(node, parent, None, parent_grad)


# inf·0 = nan and overflow give IEEE results in the rules, without NumPy warnings.
_backpropagate = _ieee_arithmetic(_sweep)


def _check_unchanged(node: Tensor) -> None:
    """Raise if the data of ``node`` or of one of its parents was assigned after it was made.

    A backward rule reads ``node.data`` and its parents' ``data`` (or arrays saved with the
    node): after such an assignment it would mix the forward pass's values with new ones.
    """
    for tensor in (node, *node.parents):
        if tensor._changed_at > node._made_at:
            name = f"Tensor {tensor.label!r}" if tensor.label else "a Tensor"
            origin = f"the result of {tensor.op!r}" if tensor.op else "a leaf"
            when = f"{node.op!r} computed it" if tensor is node else f"{node.op!r} used it"
            raise RuntimeError(
                f"backward: the data of {name} (shape {tensor._data.shape}, {origin}) was "
                f"assigned (t.data = ... or t.data -= ...) after {when} in the forward pass, so "
                "the gradient would mix old and new values. Change data only between a "
                "backward() and the next forward pass, as a training loop does (forward, "
                "backward, optimizer.step(), and again)"
            )


# -------------------------------------------------------------------- gradient shapes


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape``, undoing NumPy broadcasting.

    An input of shape ``shape`` broadcast to ``grad.shape`` was used once per copy, so its
    gradient is the sum over the copies: over the leading axes broadcasting added, and over
    every axis where ``shape`` has 1 and ``grad`` does not. ``grad`` itself is returned when
    the shapes already match.

    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    stretched = tuple(
        axis for axis, size in enumerate(shape, leading) if size == 1 and grad.shape[axis] != 1
    )
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if leading:
        grad = grad.sum(axis=tuple(range(leading)))
    return grad


def _spread(grad: np.ndarray, axis: Axis, keepdims: bool, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of a reduction over ``axis``, copied back along the reduced axes."""
    if isinstance(grad, Tensor):  # a backward rule evaluated on nodes (create_graph)
        kept = grad.shape if keepdims or axis is None else np.expand_dims(grad.data, axis).shape
        return grad.reshape(kept) * np.ones(shape, dtype=grad.dtype)
    if axis is not None and not keepdims:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, shape)


def _swap_last_axes(x: Any) -> Any:
    """``x`` with its last two axes swapped (an array's or a Tensor's transpose)."""
    axes = (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2)
    return x.transpose(axes)


def _pow_backward_on_nodes(a: Any, b: Any, out: Any, grad: Tensor) -> tuple:
    """``_pow_backward`` with a, b and out as nodes. Where the derivative is the constant 0
    (at 0⁰ for ∂/∂a, where aᵇ = 0 for ∂/∂b: masks, from the numbers), the base is replaced by
    1 before the power or the log, so no 0·inf or 0·(-inf) makes that 0 a nan. Elsewhere the
    expression stays, so that its own derivatives do (b·aᵇ⁻¹ by b at b = 0 is aᵇ⁻¹)."""
    base, exponent = ops.number(a.data), ops.number(b.data)
    d_base = d_exponent = None
    if a.requires_grad:  # as for Values: only 0⁰ needs the constant (ops.power_base_derivative)
        keep = ~((exponent == 0.0) & (base == 0.0)) * np.ones_like(base)
        safe = a.data * keep + (1 - keep)
        d_base = unbroadcast(grad * (b.data * safe ** (b.data - 1.0) * keep), base.shape)
    if b.requires_grad:
        keep = (ops.number(out) != 0.0).astype(base.dtype)
        safe = a.data * keep + (1 - keep)
        d_exponent = unbroadcast(grad * (out * safe.log() * keep), exponent.shape)
    return d_base, d_exponent


def _scattered(values: np.ndarray, index: Any, shape: tuple, dtype: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``index``: the gradient of ``x[index]``."""
    result = np.zeros(shape, dtype=dtype)
    if _is_basic_index(index):  # slices and integers: no element is selected twice
        result[index] = values
    else:
        np.add.at(result, index, values)
    return result


def _scatter(values: Tensor, index: Any, shape: tuple) -> Tensor:
    """:func:`_scattered` as a node: indexing's gradient as a graph. Its own gradient is
    indexing again, so the two differentiate each other to any order."""
    data = _scattered(values._data, index, shape, values._data.dtype)
    return _result(data, (values,), _scatter_backward, "scatter", index)


def _scatter_backward(node: Tensor, grad: Any) -> tuple:
    return (grad[node._saved],)


def _is_basic_index(index: Any) -> bool:
    """True for indices made only of integers, slices, None and Ellipsis."""
    if not isinstance(index, tuple):
        index = (index,)
    return all(
        item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice))
        for item in index
    )


# -------------------------------------------------------------------- building nodes


def _result(data: Any, parents: tuple, backward_rule: Any, op: str, saved: Any = ()) -> Tensor:
    """Make an operation's output node (without ``__init__``'s checks).

    The node records ``parents``, ``backward_rule`` and ``saved`` only when it requires
    grad: when one of the parents does and grad mode is on. Otherwise it is a constant.
    """
    node = _new(Tensor)
    if type(data) is not ndarray:  # NumPy returns scalars for 0-d results
        data = np.asarray(data)
    node._data = data
    node._changed_at = 0
    node._made_at = _data_assignments
    node.grad = None
    node.op = op
    node.label = ""
    # Record the graph unless this thread is inside no_grad() or detect_anomaly(); while no
    # thread is (SWITCHED[0] == 0), the thread's own mode need not be read.
    if not SWITCHED[0] or GRAD_MODE.enabled is True:
        for parent in parents:
            if parent.requires_grad:
                node.requires_grad = True
                node.parents = parents
                node._backward = backward_rule
                node._saved = saved
                return node
    elif GRAD_MODE.enabled is not False:  # inside detect_anomaly(): its marker, CHECKING
        return _checked_result(node, parents, backward_rule, saved)
    node.requires_grad = False
    node.parents = ()
    node._backward = None
    node._saved = ()
    return node


def _checked_result(node: Tensor, parents: tuple, backward_rule: Any, saved: Any) -> Tensor:
    """The rest of :func:`_result` inside ``detect_anomaly()``: the node also remembers the
    user's line that made it, and its array is checked (AnomalyError if not all finite)."""
    requires_grad = any(parent.requires_grad for parent in parents)
    node.requires_grad = requires_grad
    node.parents = parents if requires_grad else ()
    node._backward = backward_rule if requires_grad else None
    node._saved = saved if requires_grad else ()
    check_tensor(node, parents)
    return node


def _result_without_graph(data: np.ndarray) -> Tensor:
    """A leaf that requires no grad, around an array that is already valid Tensor data."""
    node = _new(Tensor)
    node._data = data
    node._changed_at = 0
    node._made_at = _data_assignments
    node.grad = None
    node.requires_grad = False
    node.parents = ()
    node.op = ""
    node.label = ""
    node._backward = None
    node._saved = ()
    return node


def _power(base: Any, exponent: Any) -> np.ndarray:
    """``base ** exponent`` elementwise by the rule of :mod:`autograd.numerics`.

    C99 ``pow``, except that an exponent of 0.5 takes the square root (``(-inf) ** 0.5`` is
    nan, ``(-0.0) ** 0.5`` is -0.0). NumPy itself does that only where the exponent is one
    number for the whole array (a fast path): here it holds for every layout.
    """
    if isinstance(base, Tensor):  # a backward rule evaluated on nodes (create_graph)
        return base**exponent
    with _quiet():
        result = np.power(base, exponent)
        half = np.equal(exponent, 0.5)
        if half.any():
            result = np.where(half, np.sqrt(base), result)
    return result


def _binary(a: Tensor, b: Tensor, ufunc: Any, op: str, backward_rule: Any) -> Tensor:
    """An elementwise op of two broadcast operands; a shape mismatch names the op."""
    try:
        data = _ieee(ufunc, a.data, b.data)  # inf - inf, 0 * inf, overflow
    except ValueError:
        raise ValueError(
            f"Tensor {op}: shapes {a.data.shape} and {b.data.shape} do not broadcast "
            "(from the last axis back, sizes must be equal or 1); reshape one operand"
        ) from None
    return _result(data, (a, b), backward_rule, op)


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    if a.data.ndim == 0 or b.data.ndim == 0:
        raise ValueError(
            f"Tensor @: shapes {a.data.shape} and {b.data.shape}; @ needs operands with at "
            "least one axis (use * to multiply by a scalar)"
        )
    try:
        data = _ieee(np.matmul, a.data, b.data)  # overflow to inf, inf·0 = nan
    except ValueError:
        raise ValueError(
            f"Tensor @: shapes {a.data.shape} and {b.data.shape} do not match: the last axis "
            f"of the left operand ({a.data.shape[-1]}) must equal the "
            f"{'only' if b.data.ndim == 1 else 'second-to-last'} axis of the right operand "
            f"({b.data.shape[0 if b.data.ndim == 1 else -2]}), and batch axes must broadcast"
        ) from None
    return _result(data, (a, b), Tensor._matmul_backward, "@")


# -------------------------------------------------------------------- converting inputs


def _operand(x: Any, op: str, tensor: Tensor | None = None, reflected: bool = False) -> Tensor:
    """The other operand of ``tensor <op> x`` as a Tensor, or a TypeError naming the op.

    Python and NumPy scalars take ``tensor``'s dtype (so ``2.0 * x`` stays float32, like
    NumPy's weak scalars; float32 without a ``tensor``); arrays and lists follow the rules
    of ``Tensor()``. ``reflected``: ``x`` was written on the left (``2 - t``), which the
    error message follows.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Real):
        dtype = np.float32 if tensor is None else tensor.data.dtype
        return _result_without_graph(np.array(x, dtype=dtype))
    if isinstance(x, (ndarray, list, tuple)):
        return _result_without_graph(_as_array(x, None, f"Tensor {op}"))
    accepted = "a Tensor, a NumPy array or a real number"
    raise unsupported_operand(x, op, "Tensor", accepted, reflected=reflected)


def _as_array(data: Any, dtype: Any, where: str, copy: bool = False) -> np.ndarray:
    """``data`` as a floating ndarray by the rules of ``Tensor()``, or a TypeError.

    The data is read by NumPy as it is, and checked to be made of real numbers, before any
    ``dtype`` is applied: with ``dtype=float`` NumPy itself would turn None into nan and
    parse strings as numbers.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(
                f"{where}: dtype {dtype} is not a floating dtype; gradients need floats "
                "(use np.float32 or np.float64)"
            )
    elif isinstance(data, (ndarray, np.floating)) and data.dtype.kind == "f":
        return np.array(data) if copy else np.asarray(data)
    try:
        array = np.asarray(data)
    except (TypeError, ValueError):  # ragged lists, Tensors that require grad, ...
        array = None
    if array is None or not _holds_real_numbers(array):
        raise TypeError(
            f"{where}: cannot make a float array from {type(data).__name__} ({data!r:.60}); "
            "pass numbers, a (nested) list of numbers or a NumPy array"
            f"{_conversion_hint(array)}"
        )
    try:
        with _quiet():  # too large for float32: inf, as every overflow here
            return array.astype(np.float32 if dtype is None else dtype, copy=copy)
    except OverflowError:  # a Python int beyond any float
        raise ValueError(
            f"{where}: an integer in the data is too large for a float; "
            "pass float('inf') if infinity is meant"
        ) from None


def _holds_real_numbers(array: np.ndarray) -> bool:
    """True for arrays of booleans, integers or floats, and object arrays of real numbers."""
    kind = array.dtype.kind
    if kind in "biuf":
        return True
    # Python ints too large for int64 come as objects; so do None, strings mixed with numbers.
    return kind == "O" and all(isinstance(item, Real) for item in array.flat)


def _conversion_hint(array: np.ndarray | None) -> str:
    """What to write instead, for the two conversions NumPy would have made silently."""
    if array is None:
        return ""
    if array.dtype.kind in "USa":
        return " (strings are not parsed: convert them with float() first)"
    if array.dtype.kind == "O" and any(item is None for item in array.flat):
        return " (None is not read as a missing value: write float('nan'))"
    return ""


# -------------------------------------------------------------------- the table's operations


def _elementwise_method(op: ops.Elementwise) -> Callable[[Tensor], Tensor]:
    """The Tensor method for a table entry: its array forward, and as backward rule
    ∂L/∂x = ∂L/∂out · derivative(x, out), the table's expression evaluated on the arrays."""
    forward, name = op.array, op.name
    rule = _elementwise_rule(op)

    def method(self: Tensor) -> Tensor:
        data = _ieee(forward, np, self._data)  # log(0), exp(1000), sqrt(-1)
        return _result(data, (self,), rule, name)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = op.doc
    return method


def _elementwise_rule(op: ops.Elementwise) -> Callable[[Tensor, np.ndarray], tuple]:
    derivative = op.derivative

    def rule(node: Tensor, grad: np.ndarray) -> tuple:
        return (grad * derivative(node.parents[0]._data, node._data),)

    rule.__name__ = f"_{op.name}_backward"
    return rule


for _op in ops.ELEMENTWISE.values():
    setattr(Tensor, _op.name, _elementwise_method(_op))
