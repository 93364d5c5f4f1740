"""load_state_dict checks every entry before changing anything, and only Tensors that require
gradients are parameters (a constant is never trained, decayed or saved)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor, Value


def tensor_model() -> nn.Sequential:
    return nn.feedforward(3, [2, 2], "tanh", rng=0)  # keys 0.weight, 0.bias, 2.weight, 2.bias


def scalar_model() -> nn.MLP:
    return nn.MLP(3, [2, 2], "tanh", rng=0)


def assert_unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> None:
    after = model.state_dict()
    assert after.keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)


def with_entry(model: nn.Module, key: str, value: object) -> dict[str, object]:
    """A state that fits ``model`` except for ``key``, the last entry."""
    state: dict[str, object] = {k: v + 1.0 for k, v in model.state_dict().items() if k != key}
    state[key] = value
    return state


MODELS = [tensor_model, scalar_model]
MODEL_IDS = ["Sequential", "MLP"]


# -------------------------------------------------------------- nothing half-loaded


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
def test_a_string_array_in_the_last_entry_changes_nothing(make) -> None:
    model = make()
    before = model.state_dict()
    state = with_entry(model, "2.bias", np.array(["0.5", "0.25"]))
    with pytest.raises(TypeError, match=r"'2.bias' holds strings .*expected real numbers"):
        model.load_state_dict(state)
    assert_unchanged(model, before)


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
def test_none_entries_are_refused_not_loaded_as_nan(make) -> None:
    model = make()
    before = model.state_dict()
    with pytest.raises(TypeError, match=r"'2.bias' holds Python objects such as None"):
        model.load_state_dict(with_entry(model, "2.bias", [None, None]))
    assert_unchanged(model, before)


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
@pytest.mark.parametrize(
    "bad",
    [[True, False], [1 + 2j, 0j], ["a", "b"], b"ab", {"x": 1}],
    ids=["bool", "complex", "str", "bytes", "dict"],
)
def test_entries_that_are_not_real_numbers_are_refused(make, bad) -> None:
    model = make()
    before = model.state_dict()
    with pytest.raises((TypeError, ValueError), match=r"'2\.bias'"):
        model.load_state_dict(with_entry(model, "2.bias", bad))
    assert_unchanged(model, before)


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
@pytest.mark.parametrize("saved", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_values_that_were_saved_load_as_they_are(make, saved: float) -> None:
    # A diverged run's weights are data a user may want to inspect, not a corrupt entry.
    model = make()
    model.load_state_dict(with_entry(model, "2.bias", [0.5, saved]))
    loaded = model.state_dict()["2.bias"]
    assert loaded[0] == 0.5
    np.testing.assert_array_equal(loaded[1:], [saved])


def test_a_value_that_overflows_float32_is_refused_without_a_warning() -> None:
    model = tensor_model()  # float32 parameters
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"too large for float32"):
        model.load_state_dict(with_entry(model, "2.bias", np.array([1e300, 0.0])))
    assert_unchanged(model, before)


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
def test_a_ragged_list_is_refused_with_the_key(make) -> None:
    model = make()
    before = model.state_dict()
    ragged = [[0.1, 0.2], [0.3]]
    with pytest.raises(ValueError, match=r"'2.weight' is not an array"):
        model.load_state_dict(with_entry(model, "2.weight", ragged))
    assert_unchanged(model, before)


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
def test_a_wrong_shape_names_key_expected_got_and_fix(make) -> None:
    model = make()
    with pytest.raises(ValueError) as caught:
        model.load_state_dict(with_entry(model, "2.bias", [0.1, 0.2, 0.3]))
    message = str(caught.value)
    assert "'2.bias' has shape (3,), expected (2,)" in message
    assert "must come from a network of the same architecture" in message


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
def test_a_state_that_is_not_a_mapping_is_a_type_error(make) -> None:
    with pytest.raises(TypeError, match=r"load_state_dict: expected a dict of arrays.*list"):
        make().load_state_dict(list(make().state_dict().values()))


def test_a_read_only_parameter_is_reported_before_anything_changes() -> None:
    model = tensor_model()
    before = model.state_dict()
    model[2].bias.data.flags.writeable = False
    with pytest.raises(ValueError, match=r"'2.bias' holds a read-only array"):
        model.load_state_dict({k: v + 1.0 for k, v in before.items()})
    assert_unchanged(model, before)


# -------------------------------------------------------------- good states still load


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
def test_integer_arrays_and_nested_lists_load(make) -> None:
    model = make()
    state = {k: np.ones(v.shape, dtype=np.int64) for k, v in model.state_dict().items()}
    state["0.weight"] = np.full(state["0.weight"].shape, 2.5).tolist()
    model.load_state_dict(state)
    loaded = model.state_dict()
    np.testing.assert_array_equal(loaded["0.weight"], 2.5)
    np.testing.assert_array_equal(loaded["2.bias"], 1.0)
    assert loaded["0.weight"].dtype == make().state_dict()["0.weight"].dtype


def test_tensor_and_scalar_networks_still_exchange_states() -> None:
    tensor, scalar = tensor_model(), nn.MLP(3, [2, 2], "tanh", rng=1)
    scalar.load_state_dict(tensor.state_dict())
    for key, value in tensor.state_dict().items():
        np.testing.assert_allclose(scalar.state_dict()[key], value)
    tensor.load_state_dict(nn.MLP(3, [2, 2], "tanh", rng=2).state_dict())
    for key, value in nn.MLP(3, [2, 2], "tanh", rng=2).state_dict().items():
        np.testing.assert_allclose(tensor.state_dict()[key], value, rtol=1e-6)


def test_a_module_of_values_loads_floats_and_refuses_strings() -> None:
    class Affine(nn.Module):
        def __init__(self) -> None:
            self.scale, self.shift = Value(1.0), Value(0.0)

    model = Affine()
    model.load_state_dict({"scale": 2, "shift": np.float32(0.5)})
    assert (model.scale.data, model.shift.data) == (2.0, 0.5)
    with pytest.raises(TypeError, match="'shift' holds strings"):
        model.load_state_dict({"scale": 3.0, "shift": "1.5"})
    assert (model.scale.data, model.shift.data) == (2.0, 0.5)


# ------------------------------------------------------------ constants are not parameters


class Scaled(nn.Module):
    """A Linear layer followed by a fixed scale: the scale is a constant, not a parameter."""

    def __init__(self) -> None:
        self.linear = nn.Linear(2, 1, rng=0)
        self.scale = Tensor(10.0)  # requires_grad=False: a constant
        self.mask = Tensor(np.array([1.0, 0.0]))

    def __call__(self, x: Tensor) -> Tensor:
        return self.linear(x * self.mask) * self.scale


def test_a_constant_tensor_is_not_a_parameter() -> None:
    model = Scaled()
    assert [name for name, _ in model.named_parameters()] == ["linear.weight", "linear.bias"]
    assert model.num_parameters() == 3


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.5),
        lambda params: nn.optim.Adam(params, lr=0.1, weight_decay=0.5),
    ],
    ids=["sgd", "adam"],
)
def test_weight_decay_does_not_shrink_a_constant(make_optimizer) -> None:
    model = Scaled()
    optimizer = make_optimizer(model.parameters())
    for _ in range(3):
        loss = (model(Tensor(np.ones((4, 2)))) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert model.scale.data == 10.0
    np.testing.assert_array_equal(model.mask.data, [1.0, 0.0])


def test_constants_are_not_in_the_state_and_checkpoints_round_trip(tmp_path: Path) -> None:
    saved = Scaled()
    optimizer = nn.optim.SGD(saved.parameters(), lr=0.1, momentum=0.9)
    assert sorted(saved.state_dict()) == ["linear.bias", "linear.weight"]
    saved.linear.weight.data[...] = 3.0
    nn.save(saved, tmp_path / "m.npz", optimizer)
    restored = Scaled()
    nn.load(restored, tmp_path / "m.npz", nn.optim.SGD(restored.parameters(), lr=0.1, momentum=0.9))
    np.testing.assert_array_equal(restored.linear.weight.data, 3.0)
    assert restored.scale.data == 10.0


def test_a_tensor_that_requires_grad_is_a_parameter_wherever_it_sits() -> None:
    class Holder(nn.Module):
        def __init__(self) -> None:
            self.pair = [Tensor(1.0, requires_grad=True), Tensor(2.0)]

    assert [name for name, _ in Holder().named_parameters()] == ["pair.0"]
