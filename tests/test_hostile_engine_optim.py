"""Optimizers refuse bad hyper-parameters up front, and a step updates all or nothing.

Each test below changes one thing from a valid setup and checks the error names it; the
step tests check that a failing step leaves every parameter, buffer and the step count as
they were.
"""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

OPTIMIZERS = [
    pytest.param(nn.optim.SGD, {"lr": 0.1}, id="sgd"),
    pytest.param(nn.optim.SGD, {"lr": 0.1, "momentum": 0.9}, id="sgd-momentum"),
    pytest.param(nn.optim.Adam, {"lr": 0.1}, id="adam"),
]

# ------------------------------------------------------------------ hyper-parameters


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: nn.optim.Adam(p, eps=0.0), "eps must be positive and finite, got 0.0"),
        (lambda p: nn.optim.Adam(p, eps=math.inf), "eps must be positive"),
        (lambda p: nn.optim.Adam(p, eps=math.nan), "eps must be positive"),
        (lambda p: nn.optim.SGD(p, lr=math.inf), "lr must be positive and finite"),
        (lambda p: nn.optim.SGD(p, lr=math.nan), "lr must be positive"),
        (lambda p: nn.optim.Adam(p, lr=-1e-3), "lr must be positive"),
        (lambda p: nn.optim.SGD(p, lr=0.1, weight_decay=math.inf), "weight_decay"),
        (lambda p: nn.optim.SGD(p, lr=0.1, momentum=math.nan), "momentum"),
        (lambda p: nn.optim.SGD(p, lr=0.1, momentum=-0.5), "momentum"),
        (lambda p: nn.optim.Adam(p, betas=(math.nan, 0.999)), r"betas\[0\]"),
        (lambda p: nn.optim.Adam(p, betas=(0.9,)), "a pair"),
        (lambda p: nn.optim.Adam(p, betas=0.9), "a pair"),
    ],
)
def test_out_of_range_hyperparameters_are_refused_when_the_optimizer_is_made(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


@pytest.mark.parametrize(
    "make",
    [
        lambda p: nn.optim.SGD(p, lr="0.1"),
        lambda p: nn.optim.SGD(p, lr=True),
        lambda p: nn.optim.SGD(p, lr=np.array([0.1, 0.2])),
        lambda p: nn.optim.Adam(p, eps=None),
    ],
)
def test_hyperparameters_that_are_not_numbers_are_a_type_error(make):
    with pytest.raises(TypeError, match="must be a real number"):
        make([Value(1.0)])


def test_hyperparameter_changed_to_a_bad_value_is_refused_at_the_next_step():
    w = Value(1.0)
    optimizer = nn.optim.Adam([w])
    optimizer.eps = 0.0
    w.grad = 0.0
    with pytest.raises(ValueError, match="eps"):
        optimizer.step()
    assert w.data == 1.0
    assert optimizer.steps == 0


def test_a_schedule_may_still_change_lr_between_steps():
    w = Value(1.0)
    optimizer = nn.optim.SGD([w], lr=0.1)
    optimizer.lr = 0.5
    w.grad = 1.0
    optimizer.step()
    assert w.data == 0.5


def test_momentum_switched_on_after_construction_starts_a_velocity():
    w = Value(1.0)
    optimizer = nn.optim.SGD([w], lr=0.1)
    optimizer.momentum = 0.5
    for _ in range(2):
        w.grad = 1.0
        optimizer.step()
    assert w.data == pytest.approx(1.0 - 0.1 - 0.1 * 1.5)


# ------------------------------------------------------------------ parameters


def test_a_parameter_given_twice_is_refused():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter 1 is also an earlier parameter"):
        nn.optim.SGD([w, w], lr=0.1)


@pytest.mark.parametrize("bad", [1.0, np.zeros(2), "w"])
def test_a_parameter_that_is_not_a_value_or_tensor_is_refused(bad):
    with pytest.raises(TypeError, match="parameter 1 is a"):
        nn.optim.SGD([Value(1.0), bad], lr=0.1)


def _three_tensor_parameters():
    params = [Tensor(np.full(3, float(k)), dtype=np.float64, requires_grad=True) for k in range(3)]
    for p in params:
        p.grad = np.ones(3)
    return params


def _snapshot(optimizer):
    return (
        [p.data.copy() for p in optimizer.params],
        {key: value.copy() for key, value in optimizer.state_dict().items()},
    )


def _assert_unchanged(optimizer, before):
    data, state = before
    for p, saved in zip(optimizer.params, data):
        np.testing.assert_array_equal(p.data, saved)
    for key, value in optimizer.state_dict().items():
        np.testing.assert_array_equal(value, state[key])


@pytest.mark.parametrize(("optimizer_class", "options"), OPTIMIZERS)
def test_a_read_only_parameter_fails_the_step_before_any_parameter_changes(
    optimizer_class, options
):
    params = _three_tensor_parameters()
    optimizer = optimizer_class(params, **options)
    optimizer.step()  # some momentum to lose
    before = _snapshot(optimizer)
    params[2].data.flags.writeable = False  # the last one: all others would be updated first
    with pytest.raises(ValueError, match=r"parameter 2 .*read-only.*param\.data\.copy\(\)"):
        optimizer.step()
    _assert_unchanged(optimizer, before)
    assert optimizer.steps == 1


@pytest.mark.parametrize(("optimizer_class", "options"), OPTIMIZERS)
@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        (lambda p: setattr(p, "grad", np.ones(1)), ValueError),  # would broadcast silently
        (lambda p: setattr(p, "grad", np.ones(3, dtype=complex)), ValueError),
        (lambda p: setattr(p, "grad", [1.0, 1.0, 1.0]), ValueError),
        (lambda p: setattr(p, "data", np.zeros(4)), ValueError),  # buffers have shape (3,)
        (lambda p: setattr(p, "data", np.zeros(3, dtype=np.int64)), TypeError),
    ],
    ids=["grad-shape", "grad-complex", "grad-list", "data-reshaped", "data-int"],
)
def test_a_parameter_that_cannot_take_its_update_changes_nothing(
    optimizer_class, options, spoil, error
):
    params = _three_tensor_parameters()
    optimizer = optimizer_class(params, **options)
    optimizer.step()
    data_before = [p.data.copy() for p in params[:2]]
    state_before = {key: value.copy() for key, value in optimizer.state_dict().items()}
    spoil(params[2])
    with pytest.raises(error, match="parameter 2"):
        optimizer.step()
    for p, saved in zip(params[:2], data_before):
        np.testing.assert_array_equal(p.data, saved)
    for key, value in optimizer.state_dict().items():
        np.testing.assert_array_equal(value, state_before[key])
    assert optimizer.steps == 1


@pytest.mark.parametrize(("optimizer_class", "options"), OPTIMIZERS)
def test_a_value_parameter_holding_no_number_changes_nothing(optimizer_class, options):
    params = [Value(1.0), Value(2.0)]
    optimizer = optimizer_class(params, **options)
    params[1].grad = None
    with pytest.raises(TypeError, match="parameter 1 is a Value"):
        optimizer.step()
    assert params[0].data == 1.0
    assert optimizer.steps == 0


# ------------------------------------------------------------------ load_state_dict


@pytest.mark.parametrize(
    "bad", [np.array(["a", "b", "c"]), np.array([None, None, None]), np.array([1.0, "x", 2.0])]
)
def test_load_state_dict_with_a_non_numeric_last_entry_loads_nothing(bad):
    params = _three_tensor_parameters()
    optimizer = nn.optim.Adam(params)
    optimizer.step()
    before = _snapshot(optimizer)
    state = optimizer.state_dict()
    for key in state:
        if key != "steps":
            state[key] = state[key] + 1.0
    state["steps"] = np.array(7)
    state["second_moment.2"] = bad
    with pytest.raises(TypeError, match=r"'second_moment\.2' holds"):
        optimizer.load_state_dict(state)
    _assert_unchanged(optimizer, before)
    assert optimizer.steps == 1


@pytest.mark.parametrize("steps", [np.array(2.5), np.array(-1), np.array("3"), np.array(np.nan)])
def test_load_state_dict_refuses_a_step_count_that_is_not_a_whole_number(steps):
    optimizer = nn.optim.SGD([Value(1.0)], lr=0.1, momentum=0.9)
    state = optimizer.state_dict()
    state["steps"] = steps
    state["velocity.0"] = np.array(5.0)
    with pytest.raises(ValueError, match="'steps'"):
        optimizer.load_state_dict(state)
    assert optimizer.velocity == [0.0]
    assert optimizer.steps == 0
