"""chaingrad's engine: automatic differentiation by the chain rule.

* :class:`Value` - a scalar that records the graph of operations producing it;
* :class:`Tensor` - the same engine over NumPy arrays, for vectorized work;
* :func:`gradcheck` - backpropagation checked against finite differences;
* :func:`grad` - gradients returned rather than stored, as graphs with ``create_graph=True``
  (so :func:`hessian`, :func:`hvp`, :func:`jacobian` and :func:`gradgradcheck` follow);
* :func:`draw_graph` - a computation graph drawn with Graphviz (the ``graphviz`` package is
  imported on the first drawing, so the engines run without it);
* :func:`no_grad` - a block (or function) in which no graph is recorded;
* :func:`capture` - graph capture: a training step traced once and replayed, bit for bit
  equal (Values as compiled straight-line code; Tensors by :mod:`autograd.capture_tensor`,
  the ops' own kernels over the cached graph).

Both engines share one graph traversal (:func:`topological_order`) and one rule for
non-finite numbers (:mod:`autograd.numerics`).
"""

from typing import TYPE_CHECKING, Any

from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.capture import CapturedStep, CaptureError, capture
from autograd.capture_tensor import CapturedTensorStep
from autograd.functional import grad, gradgradcheck, hessian, hvp, jacobian
from autograd.gc_control import gc_paused
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.graph import topological_order
from autograd.tensor import Tensor, unbroadcast
from autograd.tensor_fused import (
    binary_cross_entropy,
    check_labels,
    linear,
    mse,
    sigmoid_binary_cross_entropy,
    sigmoid_squared_error,
    softmax_cross_entropy,
    squared_error,
)
from autograd.value import Value, sum_values, weighted_sum
from autograd.viz_graph import draw_graph

if TYPE_CHECKING:
    from autograd.viz_animate import animate_backward


def __getattr__(name: str) -> Any:
    """``animate_backward`` is loaded on first use: its page template, SVG handling and
    ``xml.etree`` cost every ``import autograd`` several milliseconds otherwise."""
    if name == "animate_backward":
        from autograd.viz_animate import animate_backward

        globals()[name] = animate_backward
        return animate_backward
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


# The one place the version is written: pyproject.toml reads it from here when building.
__version__ = "0.1.0"

# Marks this package as chaingrad's engine. Other packages are also named ``autograd``
# (HIPS autograd, a dependency of PennyLane and lifelines); ``nn`` checks for this marker
# so that such a clash is reported as one, not as "cannot import name 'Value'".
__chaingrad__ = True

__all__ = [
    "AnomalyError",
    "CaptureError",
    "CapturedStep",
    "CapturedTensorStep",
    "GradcheckError",
    "Tensor",
    "Value",
    "animate_backward",
    "binary_cross_entropy",
    "capture",
    "check_labels",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "linear",
    "mse",
    "no_grad",
    "sigmoid_binary_cross_entropy",
    "sigmoid_squared_error",
    "softmax_cross_entropy",
    "squared_error",
    "sum_values",
    "topological_order",
    "unbroadcast",
    "weighted_sum",
]
