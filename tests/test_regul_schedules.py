"""Learning-rate schedules: StepLR and CosineAnnealingLR against values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nn
from autograd import Value


def _sgd(lr: float = 0.1) -> nn.optim.SGD:
    return nn.optim.SGD([Value(1.0)], lr=lr)


def _lrs(schedule: nn.optim.LRScheduler, epochs: int) -> list[float]:
    """The optimizer's lr at epochs 0, 1, ..., epochs (one schedule step between each)."""
    lrs = [schedule.optimizer.lr]
    for _ in range(epochs):
        schedule.step()
        lrs.append(schedule.optimizer.lr)
    return lrs


# --- the values ---------------------------------------------------------------------------


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    schedule = nn.optim.StepLR(_sgd(0.1), step_size=3, gamma=0.5)
    expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]
    assert _lrs(schedule, 9) == pytest.approx(expected, rel=1e-15)


def test_step_lr_default_gamma_divides_by_ten():
    assert _lrs(nn.optim.StepLR(_sgd(1.0), step_size=1), 3) == pytest.approx(
        [1.0, 0.1, 0.01, 0.001], rel=1e-15
    )


def test_cosine_annealing_from_base_lr_to_zero_and_back():
    # (1 + cos(π·e/4)) / 2 for e = 0..8; cos(π/4) = √2/2.
    high, low = (1 + math.sqrt(0.5)) / 2, (1 - math.sqrt(0.5)) / 2
    expected = [1.0, high, 0.5, low, 0.0, low, 0.5, high, 1.0]
    assert _lrs(nn.optim.CosineAnnealingLR(_sgd(1.0), T_max=4), 8) == pytest.approx(
        expected, rel=1e-12, abs=1e-15
    )


def test_cosine_annealing_to_eta_min():
    # eta_min + (1 - eta_min)·(1 + cos(π·e/2))/2 with eta_min = 0.2: 1, 0.6, 0.2, 0.6, 1.
    schedule = nn.optim.CosineAnnealingLR(_sgd(1.0), T_max=2, eta_min=0.2)
    assert _lrs(schedule, 4) == pytest.approx([1.0, 0.6, 0.2, 0.6, 1.0], rel=1e-12)


def test_get_last_lr_is_the_lr_set_last():
    schedule = nn.optim.StepLR(_sgd(0.1), step_size=2)
    assert schedule.get_last_lr() == 0.1 and schedule.last_epoch == 0
    for _ in range(2):
        schedule.step()
    assert schedule.get_last_lr() == schedule.optimizer.lr == pytest.approx(0.01)
    assert schedule.last_epoch == 2


def test_the_formula_is_closed_form_so_a_long_schedule_does_not_drift():
    schedule = nn.optim.StepLR(_sgd(0.1), step_size=1, gamma=0.5)
    for _ in range(1000):
        schedule.optimizer.lr = 123.0  # an lr set by hand is not multiplied further
        schedule.step()
    assert schedule.get_last_lr() == 0.1 * 0.5**1000


def test_the_optimizer_steps_with_the_scheduled_lr_even_at_zero():
    w = Value(1.0)
    optimizer = nn.optim.SGD([w], lr=0.5)
    schedule = nn.optim.CosineAnnealingLR(optimizer, T_max=1)
    schedule.step()
    assert optimizer.lr == 0.0
    w.grad = 1.0
    optimizer.step()  # annealed to 0: a step that moves nothing, not an error
    assert w.data == 1.0


def test_a_schedule_drives_adamw():
    w = Value(1.0)
    optimizer = nn.optim.AdamW([w], lr=0.1, weight_decay=0.0)
    schedule = nn.optim.StepLR(optimizer, step_size=1, gamma=0.5)
    schedule.step()
    w.grad = 1.0
    optimizer.step()
    assert w.data == pytest.approx(1.0 - 0.05, abs=1e-7)  # Adam's first step ≈ lr


# --- resuming -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: nn.optim.StepLR(opt, step_size=2, gamma=0.3),
        lambda opt: nn.optim.CosineAnnealingLR(opt, T_max=7, eta_min=0.01),
    ],
    ids=["step", "cosine"],
)
def test_a_resumed_schedule_continues_exactly(make):
    uninterrupted = _lrs(make(_sgd(0.1)), 10)
    first = make(_sgd(0.1))
    _lrs(first, 4)
    state = first.state_dict()
    assert set(state) == {"last_epoch", "base_lr"}
    # The resumed run's optimizer may start from any lr: the state carries the base lr.
    resumed = make(_sgd(0.1))
    resumed.optimizer.lr = 0.7
    resumed.load_state_dict(state)
    assert resumed.optimizer.lr == uninterrupted[4]
    assert _lrs(resumed, 6) == uninterrupted[4:]


def test_a_schedule_state_survives_a_checkpoint_as_metadata(tmp_path):
    model = nn.Sequential(nn.Linear(2, 1, rng=0))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    schedule = nn.optim.StepLR(optimizer, step_size=1)
    schedule.step()
    state = {f"schedule_{key}": value for key, value in schedule.state_dict().items()}
    meta = nn.load(model, nn.save(model, tmp_path / "m.npz", optimizer, **state), optimizer)
    resumed = nn.optim.StepLR(nn.optim.SGD(model.parameters(), lr=0.1), step_size=1)
    resumed.load_state_dict({key: meta[f"schedule_{key}"] for key in ("last_epoch", "base_lr")})
    assert resumed.get_last_lr() == schedule.get_last_lr()


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"last_epoch": np.array(-1)},
            ValueError,
            r"'last_epoch' is array\(-1\), not a whole number",
        ),
        ({"last_epoch": np.array(2.5)}, ValueError, "'last_epoch'"),
        ({"base_lr": np.array(0.0)}, ValueError, "'base_lr' must be positive"),
        ({"base_lr": np.array("0.1")}, TypeError, "'base_lr' holds"),
        ({"base_lr": np.zeros(2)}, ValueError, "'base_lr' has shape"),
        ({"steps": np.array(3)}, KeyError, "unexpected: \\['steps'\\]"),
    ],
)
def test_load_state_dict_refuses_a_bad_state_and_changes_nothing(change, error, message):
    schedule = nn.optim.StepLR(_sgd(0.1), step_size=1)
    schedule.step()
    state = {**schedule.state_dict(), **change}
    with pytest.raises(error, match=message):
        schedule.load_state_dict(state)
    assert (schedule.last_epoch, schedule.base_lr) == (1, 0.1)
    assert schedule.optimizer.lr == pytest.approx(0.01)


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: nn.optim.StepLR(o, step_size=0), ValueError, "StepLR: step_size must be 1"),
        (lambda o: nn.optim.StepLR(o, step_size=2.5), TypeError, "StepLR: step_size must be"),
        (lambda o: nn.optim.StepLR(o, step_size=True), TypeError, "StepLR: step_size"),
        (lambda o: nn.optim.StepLR(o, 2, gamma=0.0), ValueError, "StepLR: gamma must be pos"),
        (lambda o: nn.optim.StepLR(o, 2, gamma=math.nan), ValueError, "StepLR: gamma"),
        (lambda o: nn.optim.StepLR(o, 2, gamma="0.1"), TypeError, "StepLR: gamma must be a"),
        (lambda o: nn.optim.CosineAnnealingLR(o, 0), ValueError, "CosineAnnealingLR: T_max"),
        (lambda o: nn.optim.CosineAnnealingLR(o, None), TypeError, "CosineAnnealingLR: T_max"),
        (
            lambda o: nn.optim.CosineAnnealingLR(o, 5, eta_min=-0.1),
            ValueError,
            "eta_min must be 0 or positive",
        ),
        (
            lambda o: nn.optim.CosineAnnealingLR(o, 5, eta_min=0.5),
            ValueError,
            r"eta_min \(0.5\) .* must not exceed the optimizer's lr \(0.1\)",
        ),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(make, error, message):
    with pytest.raises(error, match=message):
        make(_sgd(0.1))


def test_a_schedule_needs_one_of_our_optimizers():
    torch_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match=r"StepLR: optimizer must be an nn\.optim optimizer"):
        nn.optim.StepLR(torch_optimizer, step_size=1)


# --- PyTorch as the reference -------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda opt: nn.optim.StepLR(opt, step_size=3, gamma=0.5),
            lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
        ),
        (
            lambda opt: nn.optim.CosineAnnealingLR(opt, T_max=6, eta_min=0.001),
            lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.001),
        ),
    ],
    ids=["step", "cosine"],
)
def test_step_for_step_as_pytorch(ours, theirs):
    schedule = ours(_sgd(0.1))
    reference_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    reference = theirs(reference_optimizer)
    assert schedule.get_last_lr() == reference.get_last_lr()[0]
    for _ in range(20):  # beyond T_max, where the cosine climbs again
        reference_optimizer.step()  # PyTorch wants the optimizer stepped first
        reference.step()
        schedule.step()
        # PyTorch multiplies the previous lr by a factor; ours is the closed form of the
        # epoch: the two differ by rounding only.
        assert schedule.get_last_lr() == pytest.approx(reference.get_last_lr()[0], rel=1e-12)
        assert schedule.optimizer.lr == schedule.get_last_lr()
