"""A hand-written NumPy MLP with manual backpropagation: the yardstick for autograd's overhead.

No graph, no autograd: the forward pass keeps each layer's activation, the backward pass applies
the article's chain rule layer by layer (δ = ∂L/∂z), and the optimizer updates the weights in
place. Everything runs in float32 into buffers allocated once per batch size, so a training
step is a short, fixed sequence of NumPy calls — what a careful engineer would write by hand.

Tricks a hand-written version is allowed (and that autograd cannot easily do):
- the output δ is scaled once by the factor every weight gradient needs (1/B, times lr for
  plain SGD, times (1-β₁) for Adam), so the matrix product writes the update directly;
- the gradient with respect to the input images is never computed;
- Adam runs over all parameters as one flat array, in cache-sized chunks.

Tight, and kept correct by tests against chaingrad's gradients: nothing is allocated in the
hot loop that a preallocated buffer can hold (``out=`` everywhere), reductions are the ufunc
methods ``np.add.reduce`` / ``np.maximum.reduce`` (no ``ndarray.mean``/``np.sum`` wrappers),
the one-hot target is never built (each row's label is one index into the flattened output),
ReLU's derivative is ``sign(a)`` (no boolean mask and cast), and updates are in place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

FLOAT = np.float32


class NumpyMLP:
    """A fully connected network ``sizes[0] → … → sizes[-1]`` trained by hand-written backprop.

    ``activation`` ("sigmoid", "relu" or "tanh") follows every hidden layer. ``loss`` is
    "ce" (softmax cross-entropy on the last layer's logits, averaged over the batch) or "mse"
    (sigmoid outputs a and ½‖a − onehot‖² summed over classes, averaged over the batch).
    ``optimizer`` is "sgd" (with optional ``momentum``, PyTorch's form v = μv + g, w -= lr·v)
    or "adam" (PyTorch's bias-corrected Adam). Weights are shaped (in, out) and start from
    PyTorch's default U(±1/√fan_in), drawn in float64 from ``rng`` and stored as float32.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        activation: str = "sigmoid",
        loss: str = "ce",
        optimizer: str = "sgd",
        lr: float = 0.1,
        momentum: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        rng: np.random.Generator | None = None,
    ) -> None:
        if activation not in ("sigmoid", "relu", "tanh"):
            raise ValueError(f"NumpyMLP: unknown activation {activation!r}")
        if loss not in ("ce", "mse"):
            raise ValueError(f"NumpyMLP: unknown loss {loss!r}")
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"NumpyMLP: unknown optimizer {optimizer!r}")
        rng = rng if rng is not None else np.random.default_rng(0)
        self.sizes = list(sizes)
        self.activation, self.loss, self.optimizer = activation, loss, optimizer
        self.lr, self.momentum = float(lr), float(momentum)
        self.beta1, self.beta2 = betas
        self.eps = float(eps)
        self.steps = 0

        # All parameters live in one flat float32 array; weights and biases are views into it,
        # and so are their gradients (one flat gradient array), so an optimizer touches
        # every parameter with a handful of NumPy calls.
        shapes = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)]
        total = sum(math.prod(shape) for shape in shapes)
        self.flat = np.empty(total, dtype=FLOAT)
        self.flat_grad = np.zeros(total, dtype=FLOAT)
        self.params = self._views(self.flat, shapes)
        self.grads = self._views(self.flat_grad, shapes)
        for k in range(0, len(shapes), 2):
            fan_in = shapes[k][0]
            bound = 1.0 / math.sqrt(fan_in)
            self.params[k][...] = rng.uniform(-bound, bound, size=shapes[k])
            self.params[k + 1][...] = rng.uniform(-bound, bound, size=shapes[k + 1])
        if optimizer == "sgd" and self.momentum:
            self.velocity = np.zeros(total, dtype=FLOAT)
        if optimizer == "adam":
            self.first_moment = np.zeros(total, dtype=FLOAT)
            self.second_moment = np.zeros(total, dtype=FLOAT)
            self.scratch = np.empty(total, dtype=FLOAT)
        self._buffers: dict[int, dict] = {}

    @staticmethod
    def _views(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
        views, start = [], 0
        for shape in shapes:
            size = math.prod(shape)
            views.append(flat[start : start + size].reshape(shape))
            start += size
        return views

    @property
    def weights(self) -> list[np.ndarray]:
        return self.params[0::2]

    @property
    def biases(self) -> list[np.ndarray]:
        return self.params[1::2]

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"0.weight", "0.bias", "2.weight", ...}`` — the keys of the equivalent Sequential."""
        state = {}
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            state[f"{2 * k}.weight"] = w.copy()
            state[f"{2 * k}.bias"] = b.copy()
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy weights saved by ``state_dict`` (or by a Sequential of the same shape)."""
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            w[...] = state[f"{2 * k}.weight"]
            b[...] = state[f"{2 * k}.bias"]

    def _batch_buffers(self, batch: int) -> dict:
        """Activations, δs and index buffers for one batch size (an epoch's last batch is smaller).

        ``row_offsets`` holds ``row · classes``, so ``row_offsets + labels`` indexes each row's
        label in the flattened output without building a (B, classes) one-hot matrix.
        """
        if batch not in self._buffers:
            widths = self.sizes[1:]
            self._buffers[batch] = {
                "a": [np.empty((batch, n), dtype=FLOAT) for n in widths],
                "delta": [np.empty((batch, n), dtype=FLOAT) for n in widths],
                "scratch": [np.empty((batch, n), dtype=FLOAT) for n in widths],
                "column": np.empty((batch, 1), dtype=FLOAT),
                "picked": np.empty(batch, dtype=FLOAT),
                "row_offsets": np.arange(batch, dtype=np.int64) * widths[-1],
                "label_index": np.empty(batch, dtype=np.int64),
            }
        return self._buffers[batch]

    def forward(self, x: np.ndarray, buffers: dict | None = None) -> np.ndarray:
        """The output layer's pre-activations (logits) for a float32 batch ``x``.

        Hidden activations are kept in ``buffers["a"]`` for the backward pass. The array
        returned is one of those buffers: copy it to keep it past the next call.
        """
        buffers = buffers if buffers is not None else self._batch_buffers(len(x))
        a = x
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = buffers["a"][k]
            np.matmul(a, w, out=z)
            z += b
            if k < last:
                self._activate(z)
            a = z
        return a

    def _activate(self, z: np.ndarray) -> None:
        if self.activation == "sigmoid":
            _sigmoid_(z)
        elif self.activation == "relu":
            np.maximum(z, 0.0, out=z)
        else:
            np.tanh(z, out=z)

    def _activation_backward(self, delta: np.ndarray, a: np.ndarray, scratch: np.ndarray) -> None:
        """δ ← δ · f'(z), written with the activation a = f(z) the forward pass kept."""
        if self.activation == "sigmoid":
            np.subtract(1.0, a, out=scratch)  # σ' = a(1 - a)
            scratch *= a
        elif self.activation == "relu":
            np.sign(a, out=scratch)  # a = max(z, 0) ≥ 0, so sign(a) is relu'(z): 0 or 1
        else:
            np.multiply(a, a, out=scratch)  # tanh' = 1 - a²
            np.subtract(1.0, scratch, out=scratch)
        delta *= scratch

    def _backward(self, x: np.ndarray, labels: np.ndarray, scale: float) -> float:
        """Forward and backward on a float32 batch; returns the batch's mean loss.

        Writes ``scale · ∂L/∂θ`` (L the mean loss over the batch) into ``flat_grad``: scaling
        the output δ once costs one pass over a (B, classes) array, and every weight gradient
        then comes out of its matrix product already scaled.
        """
        batch = len(x)
        buffers = self._batch_buffers(batch)
        output = self.forward(x, buffers)
        delta = buffers["delta"][-1]
        label_index = buffers["label_index"]
        np.add(buffers["row_offsets"], labels, out=label_index)
        if self.loss == "ce":
            loss = _softmax_cross_entropy_delta(
                output, label_index, delta, buffers["column"], buffers["picked"]
            )
        else:
            loss = _sigmoid_mse_delta(output, label_index, delta, buffers["scratch"][-1])
        delta *= scale / batch

        activations = [x, *buffers["a"]]
        for k in range(len(self.weights) - 1, -1, -1):
            np.matmul(activations[k].T, delta, out=self.grads[2 * k])  # ∂L/∂W = aᵀδ
            np.add.reduce(delta, axis=0, out=self.grads[2 * k + 1])  # ∂L/∂b = Σ δ
            if k > 0:
                previous = buffers["delta"][k - 1]
                np.matmul(delta, self.weights[k].T, out=previous)  # δ_{k-1} = δ Wᵀ · f'
                self._activation_backward(previous, activations[k], buffers["scratch"][k - 1])
                delta = previous
        return loss

    def gradients(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """The batch's mean loss and its gradients, keyed as ``state_dict``; no update."""
        loss = self._backward(x, labels, 1.0)
        grads = {}
        for k in range(len(self.weights)):
            grads[f"{2 * k}.weight"] = self.grads[2 * k].copy()
            grads[f"{2 * k}.bias"] = self.grads[2 * k + 1].copy()
        return loss, grads

    def train_step(self, x: np.ndarray, labels: np.ndarray) -> float:
        """One forward, backward and update on a float32 batch; returns the batch's mean loss."""
        # What every weight gradient is multiplied by before the update: for plain SGD -lr,
        # so that flat_grad holds the update itself; for Adam (1 - β₁), the factor of g in m.
        if self.optimizer == "sgd" and not self.momentum:
            scale = -self.lr
        elif self.optimizer == "adam":
            scale = 1.0 - self.beta1
        else:
            scale = 1.0
        loss = self._backward(x, labels, scale)
        self._update()
        return loss

    def _update(self) -> None:
        self.steps += 1
        if self.optimizer == "sgd":
            if self.momentum:
                # v = μv + g; w -= lr·v
                v = self.velocity
                v *= self.momentum
                v += self.flat_grad
                np.multiply(v, -self.lr, out=self.flat_grad)
            self.flat += self.flat_grad  # flat_grad already holds -lr·g (see train_step)
        else:
            self._adam_update()

    def _adam_update(self, chunk: int = 1 << 14) -> None:
        # flat_grad holds (1-β₁)·g. With c₁ = 1-β₁ᵗ, c₂ = 1-β₂ᵗ:
        #   m = β₁m + (1-β₁)g;  v = β₂v + (1-β₂)g²;  w -= (lr/c₁)·m / (√v/√c₂ + ε)
        # rewritten as w -= (lr·√c₂/c₁)·m / (√v + ε√c₂), one chunk at a time so the
        # temporaries stay in cache.
        beta1, beta2 = self.beta1, self.beta2
        c1 = 1.0 - beta1**self.steps
        c2 = 1.0 - beta2**self.steps
        step_size = -self.lr * math.sqrt(c2) / c1
        eps = self.eps * math.sqrt(c2)
        square_scale = (1.0 - beta2) / (1.0 - beta1) ** 2
        for start in range(0, len(self.flat), chunk):
            part = slice(start, start + chunk)
            g, m, v = self.flat_grad[part], self.first_moment[part], self.second_moment[part]
            t = self.scratch[part]
            m *= beta1
            m += g
            np.multiply(g, g, out=t)
            t *= square_scale
            v *= beta2
            v += t
            np.sqrt(v, out=t)
            t += eps
            np.divide(m, t, out=t)
            t *= step_size
            self.flat[part] += t

    def predict(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Predicted class for every row of ``x`` (float32 in [0, 1])."""
        out = []
        for start in range(0, len(x), batch_size):
            out.append(self.forward(x[start : start + batch_size]).argmax(axis=1))
        return np.concatenate(out)


def _sigmoid_(z: np.ndarray) -> None:
    """z ← σ(z) = 1 / (1 + e^{-z}), in place."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1.0
    np.reciprocal(z, out=z)


def _softmax_cross_entropy_delta(
    logits: np.ndarray,
    label_index: np.ndarray,
    delta: np.ndarray,
    column: np.ndarray,
    picked: np.ndarray,
) -> float:
    """Mean cross-entropy of the batch; writes δ = softmax(logits) - onehot (unscaled) to delta.

    ``label_index`` holds each row's label as an index into the flattened (B, classes) array.
    """
    np.maximum.reduce(logits, axis=1, keepdims=True, out=column)
    np.subtract(logits, column, out=delta)  # shifted logits: the largest is 0, exp cannot overflow
    flat = delta.reshape(-1)  # a view: delta is C-contiguous
    np.take(flat, label_index, out=picked)  # shifted[label]
    np.exp(delta, out=delta)
    np.add.reduce(delta, axis=1, keepdims=True, out=column)
    delta /= column
    flat[label_index] -= 1.0
    # -log softmax[label] = log Σ exp(shifted) - shifted[label]
    np.log(column, out=column)
    return (float(np.add.reduce(column, axis=None)) - float(np.add.reduce(picked))) / len(delta)


def _sigmoid_mse_delta(
    z: np.ndarray, label_index: np.ndarray, delta: np.ndarray, scratch: np.ndarray
) -> float:
    """Mean over the batch of ½‖σ(z) − onehot‖²; writes δ = (a − onehot)·a(1 − a) to delta."""
    _sigmoid_(z)
    np.copyto(delta, z)
    delta.reshape(-1)[label_index] -= 1.0  # a - onehot
    loss = 0.5 * float(np.vdot(delta, delta)) / len(z)
    np.subtract(1.0, z, out=scratch)
    scratch *= z
    delta *= scratch
    return loss
