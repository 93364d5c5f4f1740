"""Subclasses of Value and Tensor are parameters like any other.

A learner who writes ``class MyValue(Value)`` (to add a name, a constraint, a print) and uses
it in a Module gets the same parameters, gradients, updates and checkpoints as with Value.
Every test runs the same model built from the plain classes and from the subclasses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor, Value


class MyValue(Value):
    """A Value that knows it is a parameter of ours."""


class MyTensor(Tensor):
    """A Tensor that knows it is a parameter of ours."""


class Mixed(nn.Module):
    """Two scalar parameters (one in a list) and a Tensor parameter, of the classes given."""

    def __init__(self, value_class: type[Value], tensor_class: type[Tensor]) -> None:
        self.scale = value_class(0.5)
        self.offsets = [value_class(-1.0), value_class(2.0)]
        self.weight = tensor_class(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
        self.mask = tensor_class(np.ones(2))  # no gradient: a constant, not a parameter

    def loss(self) -> tuple[Value, Tensor]:
        """A scalar loss for the Values and one for the Tensor, each with nonzero gradients."""
        # The subclass instance is the left operand, where the engine takes it as a Value.
        scalar = (self.scale * 3.0 - 1.0) ** 2
        for k, offset in enumerate(self.offsets):
            scalar = scalar + (offset * (k + 1.0)) ** 2
        tensor = ((self.weight * self.mask) ** 2).sum()
        return scalar, tensor


def plain() -> Mixed:
    return Mixed(Value, Tensor)


def subclassed() -> Mixed:
    return Mixed(MyValue, MyTensor)


def backward(model: Mixed) -> None:
    scalar, tensor = model.loss()
    scalar.backward()
    tensor.backward()


def state(model: Mixed) -> dict[str, np.ndarray]:
    return model.state_dict()


def assert_same_state(left: dict[str, np.ndarray], right: dict[str, np.ndarray]) -> None:
    assert left.keys() == right.keys()
    for key in left:
        np.testing.assert_array_equal(left[key], right[key], err_msg=key)


def test_parameters_include_value_and_tensor_subclasses():
    model = subclassed()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "offsets.0", "offsets.1", "weight"]
    assert [type(p) for p in model.parameters()] == [MyValue, MyValue, MyValue, MyTensor]
    assert model.num_parameters() == plain().num_parameters() == 7


def test_zero_grad_resets_a_value_subclass_to_zero_and_a_tensor_subclass_to_none():
    model = subclassed()
    backward(model)
    assert model.scale.grad != 0.0 and model.weight.grad is not None
    model.zero_grad()
    assert [p.grad for p in model.parameters()[:3]] == [0.0, 0.0, 0.0]
    assert all(type(p.grad) is float for p in model.parameters()[:3])
    assert model.weight.grad is None


def test_state_dict_of_subclasses_is_that_of_the_plain_classes():
    assert_same_state(state(subclassed()), state(plain()))


def test_load_state_dict_fills_subclass_parameters_and_keeps_their_types():
    source = {key: value * 2.0 for key, value in state(plain()).items()}
    model = subclassed()
    model.load_state_dict(source)
    assert_same_state(state(model), source)
    assert type(model.scale.data) is float  # a Value's data stays a float, not an array
    assert type(model.scale) is MyValue and type(model.weight) is MyTensor


@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [
        (nn.optim.SGD, {"lr": 0.1}),
        (nn.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
        (nn.optim.Adam, {"lr": 0.1}),
        (nn.optim.Adam, {"lr": 0.1, "weight_decay": 0.01}),
    ],
)
def test_optimizer_steps_move_subclass_parameters_as_plain_ones(optimizer_class, options):
    models = [plain(), subclassed()]
    optimizers = [optimizer_class(model.parameters(), **options) for model in models]
    for _ in range(3):
        for model, optimizer in zip(models, optimizers):
            optimizer.zero_grad()
            backward(model)
            optimizer.step()
    assert_same_state(state(models[1]), state(models[0]))
    assert models[1].scale.data != subclassed().scale.data  # the steps did move them
    assert_same_state(optimizers[1].state_dict(), optimizers[0].state_dict())


def test_optimizer_zero_grad_resets_subclass_gradients():
    model = subclassed()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    backward(model)
    optimizer.zero_grad()
    assert [p.grad for p in model.parameters()[:3]] == [0.0, 0.0, 0.0]
    assert model.weight.grad is None


def test_save_and_load_round_trip_subclass_parameters_and_optimizer(tmp_path: Path):
    trained = subclassed()
    optimizer = nn.optim.Adam(trained.parameters(), lr=0.1)
    backward(trained)
    optimizer.step()
    nn.save(trained, tmp_path / "model.npz", optimizer, epoch=1)

    restored = subclassed()
    restored_optimizer = nn.optim.Adam(restored.parameters(), lr=0.1)
    metadata = nn.load(restored, tmp_path / "model.npz", restored_optimizer)
    assert metadata == {"epoch": 1}
    assert list(state(restored)) == ["scale", "offsets.0", "offsets.1", "weight"]
    assert restored.scale.data == trained.scale.data != subclassed().scale.data
    assert_same_state(state(restored), state(trained))
    assert_same_state(restored_optimizer.state_dict(), optimizer.state_dict())


def test_scalar_losses_take_value_subclasses_as_predictions():
    prediction = [MyValue(1.0), MyValue(3.0)]
    loss = nn.mse_loss(prediction, [0.0, 1.0])
    assert loss.data == pytest.approx((1.0 + 4.0) / 2)
    loss.backward()
    assert [p.grad for p in prediction] == pytest.approx([1.0, 2.0])
    assert nn.mse_loss(MyValue(2.0), 0.5).data == pytest.approx(2.25)
    assert nn.quadratic_cost([[MyValue(1.0)], [MyValue(0.0)]], [[0.0], [0.0]]).data == 0.25
