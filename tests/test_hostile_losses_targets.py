"""How the losses read their targets: values or class labels, never a guess.

A target of the prediction's shape always holds values, whatever its dtype. Class labels are
read only where the shapes leave no doubt, and every mismatch is an error that names the
loss, the shapes and the fix — on both engines.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, gradcheck

OUTPUTS = np.array([[0.2, 0.7, 0.1], [0.5, 0.5, 0.9]])


def values(array: np.ndarray) -> list:
    """An array as (nested) lists of Values, the scalar engine's form."""
    if array.ndim == 0:
        return Value(float(array))
    return [values(row) for row in array]


def half_squared_distance(prediction: np.ndarray, target: np.ndarray) -> float:
    """½‖prediction − target‖², averaged over the rows of a 2-D prediction."""
    rows = prediction.shape[0] if prediction.ndim == 2 else 1
    return 0.5 * float(((prediction - target) ** 2).sum()) / rows


# ------------------------------------------------------------------ values, whatever the dtype


@pytest.mark.parametrize("target", [0, 0.0, np.int64(0), np.float32(0.0), [0], [0.0]])
def test_quadratic_cost_reads_a_number_for_a_single_output_as_a_value(target) -> None:
    loss = nn.quadratic_cost(Value(0.2), target)
    assert loss.data == pytest.approx(0.5 * 0.2**2, rel=1e-15)
    assert loss.data == pytest.approx(nn.mse_loss(Value(0.2), target).data / 2, rel=1e-15)


def test_quadratic_cost_reads_a_number_for_a_one_element_list_as_a_value() -> None:
    assert nn.quadratic_cost([Value(0.2)], 0).data == pytest.approx(0.02, rel=1e-15)


def test_quadratic_cost_reads_a_list_of_ints_of_the_prediction_length_as_values() -> None:
    loss = nn.quadratic_cost([Value(0.2), Value(0.7)], [0, 2])
    assert loss.data == pytest.approx(0.5 * (0.2**2 + 1.3**2), rel=1e-15)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.int8, np.float64, np.bool_])
def test_quadratic_cost_reads_a_tensor_target_of_the_prediction_shape_as_values(dtype) -> None:
    target = np.array([[0, 1, 0], [1, 1, 0]], dtype=dtype)
    loss = nn.quadratic_cost(Tensor(OUTPUTS), target)
    assert float(loss.data) == pytest.approx(half_squared_distance(OUTPUTS, target), rel=1e-12)


def test_quadratic_cost_reads_integer_values_that_are_not_one_hot_as_values() -> None:
    target = np.array([[0, 2, 5], [3, 0, 1]])
    expected = half_squared_distance(OUTPUTS, target)
    assert float(nn.quadratic_cost(Tensor(OUTPUTS), target).data) == pytest.approx(expected)
    assert nn.quadratic_cost(values(OUTPUTS), target.tolist()).data == pytest.approx(expected)


def test_quadratic_cost_of_a_zero_dimensional_tensor_and_an_int_is_a_value() -> None:
    loss = nn.quadratic_cost(Tensor(np.array(0.2)), 0)
    assert float(loss.data) == pytest.approx(0.02, rel=1e-6)


def test_quadratic_cost_gives_a_gradient_to_a_tensor_target_of_the_prediction_shape() -> None:
    prediction = Tensor(OUTPUTS.copy(), requires_grad=True)
    target = Tensor(np.eye(3)[[1, 2]], requires_grad=True)
    assert gradcheck(nn.quadratic_cost, [prediction, target])


# ------------------------------------------------------------------ labels, where unambiguous


def test_quadratic_cost_reads_one_int_for_a_list_of_classes_as_a_label() -> None:
    loss = nn.quadratic_cost([Value(0.2), Value(0.7), Value(0.1)], 1)
    assert loss.data == pytest.approx(0.5 * (0.2**2 + 0.3**2 + 0.1**2), rel=1e-14)


def test_quadratic_cost_reads_labels_the_same_way_on_both_engines() -> None:
    labels = np.array([1, 2])
    expected = half_squared_distance(OUTPUTS, np.eye(3)[labels])
    tensor_loss = nn.quadratic_cost(Tensor(OUTPUTS), labels)
    scalar_batch = nn.quadratic_cost(values(OUTPUTS), labels.tolist())
    assert float(tensor_loss.data) == pytest.approx(expected, rel=1e-12)
    assert scalar_batch.data == pytest.approx(expected, rel=1e-12)


def test_quadratic_cost_of_a_scalar_batch_has_the_gradients_of_the_tensor_one() -> None:
    labels = [2, 0]
    leaves = [Value(x) for x in OUTPUTS.reshape(-1)]
    nn.quadratic_cost([leaves[:3], leaves[3:]], labels).backward()
    tensor = Tensor(OUTPUTS.copy(), requires_grad=True)
    nn.quadratic_cost(tensor, np.array(labels)).backward()
    np.testing.assert_allclose([v.grad for v in leaves], tensor.grad.reshape(-1), rtol=1e-14)


# ------------------------------------------------------------------ refused, with the fix


@pytest.mark.parametrize("labels", [np.array([1, 0]), np.array([1.0, 0.0])])
def test_quadratic_cost_refuses_a_batch_target_for_one_output_per_example(labels) -> None:
    """(B, 1) against (B,) could be values or labels of one class: refused on both engines."""
    for prediction in (Tensor(np.array([[0.2], [0.5]])), values(np.array([[0.2], [0.5]]))):
        target = labels if isinstance(prediction, Tensor) else labels.tolist()
        with pytest.raises(ValueError, match=r"quadratic_cost.*\(2, 1\).*\(2,\)"):
            nn.quadratic_cost(prediction, target)


def test_quadratic_cost_refuses_float_labels_on_both_engines() -> None:
    with pytest.raises(TypeError, match=r"quadratic_cost.*integer class labels"):
        nn.quadratic_cost(Tensor(OUTPUTS), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"quadratic_cost.*integer class labels"):
        nn.quadratic_cost(values(OUTPUTS), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"quadratic_cost.*integer class labels"):
        nn.quadratic_cost([Value(0.2), Value(0.8)], 1.0)


def test_quadratic_cost_refuses_a_bool_as_a_label() -> None:
    with pytest.raises(TypeError, match="quadratic_cost"):
        nn.quadratic_cost([Value(0.2), Value(0.8)], True)


@pytest.mark.parametrize("target", [np.zeros(3), np.zeros((3, 2)), np.zeros((2, 3, 1))])
def test_quadratic_cost_names_both_readings_for_a_target_of_another_shape(target) -> None:
    with pytest.raises(ValueError, match=r"quadratic_cost.*\(2, 3\).*labels of shape \(2,\)"):
        nn.quadratic_cost(Tensor(OUTPUTS), target)


def test_quadratic_cost_refuses_a_prediction_of_more_than_two_axes() -> None:
    with pytest.raises(ValueError, match=r"quadratic_cost.*\(2, 2, 2\)"):
        nn.quadratic_cost(Tensor(np.zeros((2, 2, 2))), np.zeros((2, 2, 2)))


@pytest.mark.parametrize("label", [2, -1])
def test_quadratic_cost_names_the_prediction_shape_for_a_label_out_of_range(label) -> None:
    message = r"label -?\d is not a class index in \[0, 2\) for a prediction of shape \(2,\)"
    with pytest.raises(ValueError, match=message):
        nn.quadratic_cost([Value(0.2), Value(0.8)], label)
    with pytest.raises(ValueError, match=message):
        nn.quadratic_cost(Tensor([0.2, 0.8]), label)


# ------------------------------------------------------------------ the other losses


SCALAR_LOSSES = [
    nn.mse_loss,
    nn.quadratic_cost,
    nn.binary_cross_entropy,
    nn.binary_cross_entropy_with_logits,
]


# Each loss with the name its Tensor form (an autograd fused op) gives in errors.
TENSOR_NAMES = {
    nn.mse_loss: "mse",
    nn.quadratic_cost: "quadratic_cost",
    nn.binary_cross_entropy: "binary_cross_entropy",
    nn.binary_cross_entropy_with_logits: "sigmoid_binary_cross_entropy",
}


@pytest.mark.parametrize("loss", SCALAR_LOSSES, ids=lambda f: f.__name__)
def test_every_loss_refuses_to_broadcast_a_column_against_a_vector(loss) -> None:
    column = np.array([[0.25], [0.5], [0.75]])
    with pytest.raises(ValueError, match=rf"^{TENSOR_NAMES[loss]}: .*\(3, 1\).*\(3,\)"):
        loss(Tensor(column), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=rf"^{loss.__name__}: .*\(3, 1\).*\(3,\)"):
        loss(values(column), [0.0, 1.0, 1.0])


@pytest.mark.parametrize("loss", SCALAR_LOSSES, ids=lambda f: f.__name__)
def test_every_scalar_loss_names_itself_for_a_tensor_target(loss) -> None:
    with pytest.raises(TypeError, match=rf"{loss.__name__}: target is a Tensor"):
        loss([Value(0.5)], Tensor([1.0]))


@pytest.mark.parametrize("loss", SCALAR_LOSSES, ids=lambda f: f.__name__)
def test_every_scalar_loss_refuses_a_ragged_prediction(loss) -> None:
    with pytest.raises(ValueError, match=rf"{loss.__name__}: prediction is a ragged list"):
        loss([[Value(0.5)], [Value(0.5), Value(0.5)]], [[1.0], [1.0, 0.0]])


def test_mse_loss_of_nested_lists_is_the_mean_over_every_element() -> None:
    loss = nn.mse_loss(values(np.array([[1.0, 2.0], [3.0, 4.0]])), [[0.0, 0.0], [0.0, 0.0]])
    assert loss.data == pytest.approx(7.5, rel=1e-15)


def test_cross_entropy_refuses_one_hot_rows_and_says_how_to_get_labels() -> None:
    with pytest.raises(ValueError, match=r"cross_entropy.*\(2, 3\).*argmax"):
        nn.cross_entropy(Tensor(OUTPUTS), np.eye(3)[[1, 2]])


def test_cross_entropy_refuses_a_single_label_for_a_scalar_batch() -> None:
    with pytest.raises(TypeError, match=r"cross_entropy: logits hold 2 examples.*2 ints"):
        nn.cross_entropy(values(OUTPUTS), 1)
