"""Tensor layers (nn.Linear, nn.Sequential, activations) and the Tensor losses."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor


def batch(rows: int = 5, width: int = 4, seed: int = 0) -> Tensor:
    return Tensor(np.random.default_rng(seed).standard_normal((rows, width)).astype(np.float32))


def test_linear_weight_is_in_by_out_and_bias_is_out() -> None:
    layer = nn.Linear(3, 7, rng=0)
    assert layer.weight.shape == (3, 7)
    assert layer.bias.shape == (7,)


def test_linear_initial_values_lie_within_one_over_sqrt_fan_in() -> None:
    layer = nn.Linear(100, 50, rng=0)
    bound = 1 / math.sqrt(100)
    for param in (layer.weight, layer.bias):
        assert np.abs(param.data).max() <= bound
        assert np.abs(param.data).max() > 0.9 * bound  # spread over the whole interval


def test_linear_with_the_same_seed_draws_the_same_weights() -> None:
    a, b = nn.Linear(4, 3, rng=7), nn.Linear(4, 3, rng=7)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_linear_with_different_seeds_draws_different_weights() -> None:
    assert not np.array_equal(
        nn.Linear(4, 3, rng=1).weight.data, nn.Linear(4, 3, rng=2).weight.data
    )


def test_manual_seed_makes_default_initialisation_reproducible() -> None:
    nn.manual_seed(3)
    first = nn.Linear(4, 3).weight.data.copy()
    nn.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 3).weight.data, first)


def test_linear_parameters_are_float32_by_default_and_require_grad() -> None:
    layer = nn.Linear(2, 2, rng=0)
    assert [p.data.dtype for p in layer.parameters()] == [np.float32, np.float32]
    assert all(p.requires_grad for p in layer.parameters())


def test_linear_accepts_float64() -> None:
    assert nn.Linear(2, 2, rng=0, dtype=np.float64).weight.data.dtype == np.float64


def test_linear_rejects_an_integer_dtype() -> None:
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 2, dtype=np.int32)


def test_linear_rejects_a_size_of_zero() -> None:
    with pytest.raises(ValueError, match="must be 1 or more"):
        nn.Linear(0, 2)


def test_linear_computes_x_times_weight_plus_bias() -> None:
    layer, x = nn.Linear(4, 3, rng=0), batch()
    expected = x.data @ layer.weight.data + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-6)


def test_linear_is_one_graph_node() -> None:
    layer, x = nn.Linear(4, 3, rng=0), batch()
    out = layer(x)
    assert out.op == "linear"
    assert out.parents[1:] == (layer.weight, layer.bias)


def test_linear_rejects_an_input_of_the_wrong_width_naming_both_sizes() -> None:
    with pytest.raises(ValueError, match=r"Linear\(4, 3\).*\(5, 2\)"):
        nn.Linear(4, 3, rng=0)(batch(width=2))


def test_linear_gradients_match_the_unfused_ops() -> None:
    layer, x = nn.Linear(4, 3, rng=0, dtype=np.float64), batch()
    x64 = Tensor(x.data.astype(np.float64))
    (layer(x64) ** 2).sum().backward()
    fused = [layer.weight.grad.copy(), layer.bias.grad.copy()]
    layer.zero_grad()
    ((x64 @ layer.weight + layer.bias) ** 2).sum().backward()
    np.testing.assert_allclose(fused[0], layer.weight.grad, rtol=1e-12)
    np.testing.assert_allclose(fused[1], layer.bias.grad, rtol=1e-12)


@pytest.mark.parametrize(
    ("module", "reference"),
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh),
        (nn.Identity(), lambda x: x),
    ],
)
def test_activation_modules_apply_their_function_elementwise(module, reference) -> None:
    x = batch()
    np.testing.assert_allclose(module(x).data, reference(x.data), rtol=1e-6, atol=1e-7)


def test_sequential_applies_its_modules_in_order() -> None:
    first, second = nn.Linear(4, 3, rng=0), nn.Linear(3, 2, rng=1)
    x = batch()
    expected = second(first(x).relu()).data
    np.testing.assert_array_equal(nn.Sequential(first, nn.ReLU(), second)(x).data, expected)


def test_sequential_names_parameters_by_position() -> None:
    net = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2))
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_sequential_lists_a_shared_layer_once() -> None:
    layer = nn.Linear(3, 3)
    assert len(nn.Sequential(layer, nn.ReLU(), layer).parameters()) == 2


def test_sequential_rejects_a_class_instead_of_a_module() -> None:
    with pytest.raises(TypeError, match=r"nn\.ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)


def test_sequential_supports_len_indexing_and_iteration() -> None:
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    assert len(net) == 2 and isinstance(net[1], nn.ReLU) and next(iter(net)) is net[0]


def test_article_network_has_12730_parameters() -> None:
    assert nn.feedforward(784, [16, 10], "sigmoid").num_parameters() == 12_730


def test_feedforward_keys_match_the_scalar_mlp_keys() -> None:
    tensor_net = nn.feedforward(3, [4, 4, 2], "tanh", "sigmoid")
    scalar_net = nn.MLP(3, [4, 4, 2], "tanh", "sigmoid")
    assert list(tensor_net.state_dict()) == list(scalar_net.state_dict())


def test_feedforward_rejects_an_unknown_activation() -> None:
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        nn.feedforward(3, [2], "gelu")


def test_load_state_dict_round_trips_weights() -> None:
    source, target = nn.feedforward(4, [3, 2], rng=0), nn.feedforward(4, [3, 2], rng=1)
    target.load_state_dict(source.state_dict())
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key], value)


def test_load_state_dict_with_a_missing_key_raises_key_error_naming_it() -> None:
    state = nn.feedforward(4, [3, 2]).state_dict()
    del state["2.bias"]
    with pytest.raises(KeyError, match=r"2\.bias"):
        nn.feedforward(4, [3, 2]).load_state_dict(state)


def test_load_state_dict_with_a_wrong_shape_raises_value_error_and_changes_nothing() -> None:
    net = nn.feedforward(4, [3, 2], rng=0)
    before = net.state_dict()
    state = nn.feedforward(4, [3, 2], rng=1).state_dict()
    state["2.weight"] = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"2\.weight"):
        net.load_state_dict(state)
    np.testing.assert_array_equal(net.state_dict()["0.weight"], before["0.weight"])


# ------------------------------------------------------------------------------------ losses


def unfused_cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    rows, classes = logits.shape
    one_hot = np.eye(classes, dtype=logits.data.dtype)[labels]
    return -(logits.log_softmax(axis=1) * one_hot).sum() * (1.0 / rows)


def test_cross_entropy_matches_the_unfused_log_softmax_value_and_gradient() -> None:
    data = np.random.default_rng(0).standard_normal((6, 10)) * 3
    labels = np.array([0, 9, 3, 3, 7, 1])
    fused_logits = Tensor(data.copy(), requires_grad=True)
    plain_logits = Tensor(data.copy(), requires_grad=True)
    fused, plain = (
        nn.cross_entropy(fused_logits, labels),
        unfused_cross_entropy(plain_logits, labels),
    )
    fused.backward()
    plain.backward()
    np.testing.assert_allclose(fused.data, plain.data, rtol=1e-12)
    np.testing.assert_allclose(fused_logits.grad, plain_logits.grad, rtol=1e-10, atol=1e-15)


def test_cross_entropy_is_finite_for_huge_logits() -> None:
    logits = Tensor(np.array([[1e4, -1e4, 0.0]], dtype=np.float32), requires_grad=True)
    loss = nn.cross_entropy(logits, np.array([1]))
    loss.backward()
    assert np.isclose(loss.data, 2e4) and np.isfinite(logits.grad).all()


def test_cross_entropy_is_one_graph_node() -> None:
    logits = Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    assert nn.cross_entropy(logits, np.array([0, 2])).parents == (logits,)


def test_cross_entropy_rejects_float_labels() -> None:
    with pytest.raises(TypeError, match="integer"):
        nn.cross_entropy(Tensor(np.zeros((2, 3)), requires_grad=True), np.array([0.0, 1.0]))


@pytest.mark.parametrize("bad", [3, -1])
def test_cross_entropy_rejects_labels_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        nn.cross_entropy(Tensor(np.zeros((2, 3)), requires_grad=True), np.array([0, bad]))


def test_quadratic_cost_is_half_the_squared_distance_to_one_hot_averaged_over_rows() -> None:
    output = np.array([[0.2, 0.7, 0.1], [0.5, 0.5, 0.9]])
    labels = np.array([1, 2])
    expected = 0.5 * ((output - np.eye(3)[labels]) ** 2).sum(axis=1).mean()
    assert np.isclose(nn.quadratic_cost(Tensor(output), labels).data, expected)


def test_quadratic_cost_gradient_is_output_minus_one_hot_over_rows() -> None:
    output = Tensor(np.array([[0.2, 0.7, 0.1], [0.5, 0.5, 0.9]]), requires_grad=True)
    labels = np.array([1, 2])
    nn.quadratic_cost(output, labels).backward()
    np.testing.assert_allclose(output.grad, (output.data - np.eye(3)[labels]) / 2)


def test_quadratic_cost_accepts_a_float_target_of_the_same_shape() -> None:
    output = Tensor(np.array([[0.2, 0.8]]))
    assert np.isclose(nn.quadratic_cost(output, np.array([[0.0, 1.0]])).data, 0.04)


@pytest.mark.parametrize("label", [2, -1])
def test_quadratic_cost_rejects_labels_out_of_range(label: int) -> None:
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        nn.quadratic_cost(Tensor(np.zeros((1, 2))), np.array([label]))


def test_mse_loss_on_tensors_is_the_mean_over_every_element() -> None:
    prediction = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert np.isclose(nn.mse_loss(prediction, np.zeros((2, 2))).data, 7.5)
