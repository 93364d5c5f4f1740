"""nn.Dropout and the training/evaluation mode of every Module (train(), eval(), training)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.init
from autograd import Tensor, gradcheck


def _ones(shape: tuple[int, ...], dtype: type = np.float64) -> Tensor:
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=True)


# --- the layer ---------------------------------------------------------------------------


def test_eval_mode_returns_the_input_itself():
    drop = nn.Dropout(0.5, rng=0).eval()
    x = _ones((4, 5))
    assert drop(x) is x


def test_p_zero_is_the_identity_while_training():
    x = _ones((4, 5))
    assert nn.Dropout(0.0, rng=0)(x) is x


def test_training_zeroes_about_p_of_the_entries_and_scales_survivors_by_one_over_one_minus_p():
    p = 0.3
    x = _ones((200, 500))
    out = nn.Dropout(p, rng=1)(x).data
    zeroed = out == 0.0
    # 100,000 Bernoulli draws: the standard deviation of the fraction is 0.0014.
    assert abs(zeroed.mean() - p) < 0.01
    np.testing.assert_allclose(out[~zeroed], 1.0 / (1.0 - p), rtol=1e-12)


def test_training_preserves_the_expectation():
    x = Tensor(np.random.default_rng(2).uniform(0.5, 1.5, size=(400, 250)))
    out = nn.Dropout(0.5, rng=3)(x)
    # Each entry's mean is x; the sum of 100,000 of them is within a few standard deviations.
    assert abs(out.data.sum() / x.data.sum() - 1.0) < 0.02


def test_a_new_mask_is_drawn_at_every_call():
    drop = nn.Dropout(0.5, rng=4)
    x = _ones((10, 10))
    assert not np.array_equal(drop(x).data, drop(x).data)


def test_the_same_seed_gives_the_same_mask():
    x = _ones((10, 10))
    np.testing.assert_array_equal(nn.Dropout(0.5, rng=5)(x).data, nn.Dropout(0.5, rng=5)(x).data)


def test_the_default_generator_is_the_one_manual_seed_sets(monkeypatch):
    monkeypatch.setattr(nn.init, "_generator", nn.init._generator)  # restored afterwards
    drop = nn.Dropout(0.5)  # made before seeding: the generator is looked up at each call
    x = _ones((10, 10))
    nn.manual_seed(6)
    first = drop(x).data
    nn.manual_seed(6)
    np.testing.assert_array_equal(drop(x).data, first)


def test_the_gradient_is_the_mask():
    p = 0.25
    x = Tensor(np.random.default_rng(7).normal(size=(6, 8)), requires_grad=True)
    out = nn.Dropout(p, rng=8)(x)
    out.backward(np.ones_like(out.data))
    kept = out.data != 0.0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_array_equal(x.grad, kept / (1.0 - p))


def test_gradcheck_with_a_fixed_mask():
    # A new layer with the same seed at every call: the same mask, so a fixed function of x.
    def f(x: Tensor) -> Tensor:
        return (nn.Dropout(0.4, rng=9)(x) * x).tanh()

    x = Tensor(np.random.default_rng(10).normal(size=(3, 7)), requires_grad=True)
    assert gradcheck(f, [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_output_and_gradient_keep_the_dtype(dtype):
    x = _ones((5, 6), dtype)
    out = nn.Dropout(0.5, rng=11)(x)
    out.sum().backward()
    assert out.data.dtype == dtype and x.grad.dtype == dtype


def test_an_array_input_is_accepted_while_training():
    out = nn.Dropout(0.5, rng=12)(np.ones((2, 3)))
    assert isinstance(out, Tensor) and out.shape == (2, 3)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, float("nan")])
def test_p_outside_zero_to_one_is_a_value_error(p):
    with pytest.raises(ValueError, match=r"Dropout: p .* must be in \[0, 1\)"):
        nn.Dropout(p)


@pytest.mark.parametrize("p", ["0.5", None, True])
def test_p_that_is_not_a_number_is_a_type_error(p):
    with pytest.raises(TypeError, match="Dropout: p must be a real number"):
        nn.Dropout(p)


def test_repr():
    assert repr(nn.Dropout(0.5)) == "Dropout(p=0.5)"
    assert "(2): Dropout(p=0.2)" in repr(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Dropout(0.2)))


# --- train() and eval() ------------------------------------------------------------------


def _net() -> nn.Sequential:
    inner = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Dropout(0.5))
    return nn.Sequential(nn.Linear(2, 3, rng=1), nn.ReLU(), inner, nn.Dropout(0.2))


def test_a_new_module_is_in_training_mode():
    assert nn.Dropout().training and nn.Linear(2, 2).training and nn.MLP(2, [1]).training


def test_eval_and_train_reach_every_submodule_through_nested_sequentials():
    net = _net()
    assert net.eval() is net
    assert len(list(net.modules())) == 7
    assert not any(module.training for module in net.modules())
    assert net.train() is net
    assert all(module.training for module in net.modules())
    net.train(False)
    assert not any(module.training for module in net.modules())


def test_train_on_a_submodule_leaves_its_parent_alone():
    net = _net().eval()
    net[2].train()
    assert net[2][1].training and not net.training and not net[3].training


def test_modules_in_lists_and_attributes_are_reached():
    class Block(nn.Module):
        def __init__(self) -> None:
            self.drops = [nn.Dropout(0.1), (nn.Dropout(0.2),)]
            self.head = nn.Sequential(nn.Dropout(0.3))

        def __call__(self, x: Tensor) -> Tensor:
            return x

    block = Block().eval()
    assert [module.p for module in block.modules() if isinstance(module, nn.Dropout)] == [
        0.1,
        0.2,
        0.3,
    ]
    assert not any(module.training for module in block.modules())


def test_the_scalar_mlp_inherits_train_and_eval():
    model = nn.MLP(2, [2, 1])
    model.eval()
    assert not model.layers[0].neurons[1].training
    model.train()
    assert model.layers[1].neurons[0].training


def test_eval_stops_dropout_inside_a_sequential():
    net = nn.Sequential(nn.Dropout(0.9, rng=13))
    x = _ones((4, 4))
    assert net.eval()(x) is x
    assert np.any(net.train()(x).data == 0.0)


def test_train_refuses_a_mode_that_is_not_a_bool():
    with pytest.raises(TypeError, match=r"Sequential.train: mode must be True or False.*eval"):
        _net().train("False")


# --- not a parameter, not saved ----------------------------------------------------------


def test_dropout_and_the_mode_are_not_parameters_nor_state():
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Dropout(0.5), nn.Linear(3, 1, rng=1))
    plain = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Identity(), nn.Linear(3, 1, rng=1))
    assert list(nn.Dropout(0.5).named_parameters()) == []
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    net.eval()
    assert len(net.parameters()) == 4
    for key, array in plain.state_dict().items():
        np.testing.assert_array_equal(net.state_dict()[key], array)


def test_a_checkpoint_round_trips_in_either_mode(tmp_path):
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Dropout(0.5), nn.Linear(3, 1, rng=1)).eval()
    opt = nn.optim.Adam(net.parameters(), lr=0.1)
    path = nn.save(net, tmp_path / "net.npz", opt, epoch=3)
    other = nn.Sequential(nn.Linear(2, 3, rng=2), nn.Dropout(0.5), nn.Linear(3, 1, rng=3))
    meta = nn.load(other, path, nn.optim.Adam(other.parameters(), lr=0.1))
    assert meta == {"epoch": 3}
    assert other.training  # the mode is the caller's choice, not part of the state
    for key, array in net.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], array)
