"""Weight decay: coupled L2 in SGD and Adam, decoupled in AdamW, against steps worked by hand.

The optimizers only read ``grad``, so each test sets the gradients of a few steps directly
(0.5, then -1.0, then 2.0) and follows the weight from 2.0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nn
from autograd import Tensor, Value

GRADIENTS = [0.5, -1.0, 2.0]


def _run_value(optimizer_class: type, **options: float) -> list[float]:
    w = Value(2.0)
    optimizer = optimizer_class([w], **options)
    history = []
    for g in GRADIENTS:
        w.grad = g
        optimizer.step()
        history.append(w.data)
    return history


def _run_tensor(optimizer_class: type, dtype: type, **options: float) -> list[np.ndarray]:
    # Two entries: the worked weight (2.0 with gradients GRADIENTS) and its mirror image.
    w = Tensor(np.array([2.0, -2.0], dtype=dtype), requires_grad=True)
    optimizer = optimizer_class([w], **options)
    history = []
    for g in GRADIENTS:
        w.grad = np.array([g, -g], dtype=dtype)
        optimizer.step()
        assert w.data.dtype == dtype
        history.append(w.data.copy())
    return history


def _check_both_engines(optimizer_class: type, expected: list[float], **options: float) -> None:
    assert _run_value(optimizer_class, **options) == pytest.approx(expected, rel=1e-12)
    for dtype, rel in ((np.float64, 1e-12), (np.float32, 1e-6)):
        for got, want in zip(_run_tensor(optimizer_class, dtype, **options), expected):
            np.testing.assert_allclose(got, [want, -want], rtol=rel)


# --- SGD: g = ∇ + wd·w (coupled) ---------------------------------------------------------


def test_sgd_weight_decay_adds_wd_times_w_to_the_gradient():
    # lr 0.1, wd 0.1:
    # 1: g = 0.5 + 0.1·2 = 0.7;           w = 2 - 0.07 = 1.93
    # 2: g = -1 + 0.1·1.93 = -0.807;      w = 1.93 + 0.0807 = 2.0107
    # 3: g = 2 + 0.1·2.0107 = 2.20107;    w = 2.0107 - 0.220107 = 1.790593
    _check_both_engines(nn.optim.SGD, [1.93, 2.0107, 1.790593], lr=0.1, weight_decay=0.1)


def test_sgd_momentum_with_weight_decay_puts_the_decay_into_the_velocity():
    # lr 0.1, momentum 0.9, wd 0.1; v = 0.9·v + g, w -= 0.1·v:
    # 1: g = 0.7;                  v = 0.7;                         w = 1.93
    # 2: g = -1 + 0.193 = -0.807;  v = 0.63 - 0.807 = -0.177;       w = 1.93 + 0.0177 = 1.9477
    # 3: g = 2 + 0.19477;          v = -0.1593 + 2.19477 = 2.03547;  w = 1.9477 - 0.203547
    _check_both_engines(
        nn.optim.SGD, [1.93, 1.9477, 1.744153], lr=0.1, momentum=0.9, weight_decay=0.1
    )


# --- Adam (coupled) and AdamW (decoupled) -------------------------------------------------


def _adam_by_hand(lr: float, l2: float, decoupled: float) -> list[float]:
    """Kingma & Ba's algorithm step by step for the scalar weight; the decay either joins
    the gradient (``l2``) or shrinks the weight before the step (``decoupled``)."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    w, m, v, history = 2.0, 0.0, 0.0, []
    for t, gradient in enumerate(GRADIENTS, start=1):
        g = gradient + l2 * w
        w = w - lr * decoupled * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        history.append(w)
    return history


def test_adam_weight_decay_is_coupled_l2_in_the_gradient():
    expected = _adam_by_hand(lr=0.1, l2=0.5, decoupled=0.0)
    _check_both_engines(nn.optim.Adam, expected, lr=0.1, weight_decay=0.5)


def test_adamw_weight_decay_is_decoupled_shrinking_the_weight():
    expected = _adam_by_hand(lr=0.1, l2=0.0, decoupled=0.5)
    _check_both_engines(nn.optim.AdamW, expected, lr=0.1, weight_decay=0.5)


def test_the_first_step_shows_the_difference():
    # Adam's first step has m̂/√v̂ = ±1 whatever the gradient: the coupled decay (g = 0.5 +
    # 0.5·2 = 1.5) does not change its size, ≈ lr. AdamW first shrinks w by lr·wd·w = 0.1.
    assert _run_value(nn.optim.Adam, lr=0.1, weight_decay=0.5)[0] == pytest.approx(1.9, abs=1e-7)
    assert _run_value(nn.optim.AdamW, lr=0.1, weight_decay=0.5)[0] == pytest.approx(1.8, abs=1e-7)


def test_adamw_without_decay_is_adam():
    assert _run_value(nn.optim.AdamW, lr=0.1, weight_decay=0.0) == _run_value(nn.optim.Adam, lr=0.1)


def test_adamw_defaults_are_pytorchs():
    ours = nn.optim.AdamW([Value(1.0)])
    theirs = torch.optim.AdamW([torch.zeros(1, requires_grad=True)]).defaults
    assert (ours.lr, (ours.beta1, ours.beta2), ours.eps, ours.weight_decay) == (
        theirs["lr"],
        theirs["betas"],
        theirs["eps"],
        theirs["weight_decay"],
    )
    assert ours.decoupled_weight_decay and not nn.optim.Adam([Value(1.0)]).decoupled_weight_decay


def test_adamw_decays_a_tensor_that_backward_did_not_reach():
    w = Tensor(np.array([2.0], dtype=np.float32), requires_grad=True)
    nn.optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    assert w.data.dtype == np.float32
    np.testing.assert_allclose(w.data, [1.9], rtol=1e-6)


def test_adamw_updates_in_place():
    w = Tensor(np.array([2.0, -2.0]), requires_grad=True)
    array = w.data
    optimizer = nn.optim.AdamW([w], lr=0.1)
    w.grad = np.ones(2)
    optimizer.step()
    assert w.data is array


def test_adamw_state_dict_round_trip_continues_exactly():
    w = Value(2.0)
    original = nn.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    w.grad = GRADIENTS[0]
    original.step()
    copy_w = Value(w.data)
    restored = nn.optim.AdamW([copy_w], lr=0.1, weight_decay=0.5)
    restored.load_state_dict(original.state_dict())
    for g in GRADIENTS[1:]:
        for param, optimizer in ((w, original), (copy_w, restored)):
            param.grad = g
            optimizer.step()
    assert copy_w.data == w.data == pytest.approx(_adam_by_hand(0.1, 0.0, 0.5)[-1], rel=1e-12)


def test_a_checkpoint_of_adamw_does_not_resume_adam(tmp_path):
    model = nn.Sequential(nn.Linear(2, 1, rng=0))
    path = nn.save(model, tmp_path / "m.npz", nn.optim.AdamW(model.parameters()))
    with pytest.raises(
        nn.CheckpointError, match="'AdamW' optimizer state, but the optimizer given is Adam"
    ):
        nn.load(model, path, nn.optim.Adam(model.parameters()))


def test_adamw_errors_name_adamw():
    with pytest.raises(ValueError, match=r"AdamW: betas\[1\] must be in \[0, 1\)"):
        nn.optim.AdamW([Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="AdamW: weight_decay must be 0 or positive"):
        nn.optim.AdamW([Value(1.0)], weight_decay=-0.01)


# --- PyTorch as the reference -------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(nn.optim.AdamW, torch.optim.AdamW), (nn.optim.Adam, torch.optim.Adam)],
    ids=["adamw", "adam"],
)
def test_step_for_step_as_pytorch(ours, theirs):
    rng = np.random.default_rng(0)
    starts = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    params = [Tensor(start.copy(), requires_grad=True) for start in starts]
    references = [torch.tensor(start.copy(), requires_grad=True) for start in starts]
    options = {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.3}
    optimizer, reference = ours(params, **options), theirs(references, **options)
    for _ in range(8):
        for param, ref in zip(params, references):
            gradient = rng.normal(size=param.shape)
            param.grad, ref.grad = gradient, torch.tensor(gradient)
        optimizer.step()
        reference.step()
        for param, ref in zip(params, references):
            np.testing.assert_allclose(param.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
