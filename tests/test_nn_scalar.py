"""Scalar networks (Neuron, Layer, MLP), their parameters and state dicts, and the losses."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Value, gradcheck


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def set_neuron(neuron: nn.Neuron, weights: list[float], bias: float) -> None:
    for w, value in zip(neuron.weights, weights):
        w.data = value
    neuron.bias.data = bias


# ------------------------------------------------------------------ shapes


def test_neuron_returns_a_single_value():
    out = nn.Neuron(3, rng=rng())([1.0, 2.0, 3.0])
    assert type(out) is Value


def test_neuron_rejects_the_wrong_number_of_inputs():
    with pytest.raises(ValueError, match="expected 3 inputs, got 2"):
        nn.Neuron(3, rng=rng())([1.0, 2.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Neuron(0),
        lambda: nn.Layer(2, 0),
        lambda: nn.MLP(2, []),
        lambda: nn.MLP(2, [3, 0]),
    ],
    ids=["neuron-without-inputs", "layer-without-neurons", "mlp-without-layers", "empty-layer"],
)
def test_networks_without_inputs_or_units_are_refused(make):
    with pytest.raises(ValueError, match=r"must be 1 or more|at least one layer"):
        make()


def test_layer_of_one_neuron_still_returns_a_list():
    out = nn.Layer(2, 1, rng=rng())([1.0, 2.0])
    assert isinstance(out, list)
    assert len(out) == 1


def test_layer_returns_one_value_per_neuron():
    out = nn.Layer(2, 5, rng=rng())([1.0, 2.0])
    assert len(out) == 5
    assert all(type(v) is Value for v in out)


def test_mlp_returns_a_list_of_one_value_per_output():
    model = nn.MLP(3, [4, 4, 2], rng=rng())
    out = model([0.1, 0.2, 0.3])
    assert isinstance(out, list)
    assert len(out) == 2


def test_mlp_accepts_values_as_inputs_and_backpropagates_into_them():
    x = [Value(0.5), Value(-1.0)]
    out = nn.MLP(2, [3, 1], activation="tanh", rng=rng())(x)[0]
    out.backward()
    assert any(v.grad != 0.0 for v in x)


def test_article_mnist_network_has_12730_parameters():
    model = nn.MLP(784, [16, 10], activation="sigmoid", rng=rng())
    assert model.num_parameters() == 784 * 16 + 16 + 16 * 10 + 10 == 12730


# ------------------------------------------------------------------ activations


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
        ("tanh", math.tanh),
        ("relu", lambda z: max(z, 0.0)),
        ("linear", lambda z: z),
    ],
)
@pytest.mark.parametrize("z_sign", [1.0, -1.0])
def test_neuron_applies_its_activation_to_the_weighted_sum(activation, expected, z_sign):
    neuron = nn.Neuron(2, activation, rng=rng())
    set_neuron(neuron, [0.5 * z_sign, -0.25 * z_sign], 0.1 * z_sign)
    z = z_sign * (0.5 * 2.0 - 0.25 * 1.0 + 0.1)
    assert neuron([2.0, 1.0]).data == pytest.approx(expected(z), rel=1e-15)


def test_mlp_last_layer_is_linear_unless_output_activation_is_given():
    model = nn.MLP(1, [1, 1], activation="relu", rng=rng())
    set_neuron(model.layers[0].neurons[0], [1.0], 0.0)
    set_neuron(model.layers[1].neurons[0], [1.0], -3.0)
    assert model([2.0])[0].data == -1.0  # a ReLU output could not be negative


def test_mlp_hidden_activation_applies_to_hidden_layers():
    model = nn.MLP(1, [1, 1], activation="relu", rng=rng())
    set_neuron(model.layers[0].neurons[0], [1.0], 0.0)
    set_neuron(model.layers[1].neurons[0], [1.0], 0.0)
    assert model([-2.0])[0].data == 0.0  # relu(-2) = 0 in the hidden layer


def test_mlp_output_activation_applies_to_the_last_layer():
    model = nn.MLP(1, [1, 1], activation="relu", output_activation="sigmoid", rng=rng())
    set_neuron(model.layers[0].neurons[0], [1.0], 0.0)
    set_neuron(model.layers[1].neurons[0], [1.0], 0.0)
    assert model([2.0])[0].data == pytest.approx(1.0 / (1.0 + math.exp(-2.0)))


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Neuron(2, "swish"),
        lambda: nn.MLP(2, [2, 1], activation="swish"),
        lambda: nn.MLP(2, [2, 1], output_activation="softmax"),
    ],
)
def test_unknown_activation_raises_value_error_listing_the_choices(make):
    with pytest.raises(ValueError, match=r"unknown activation .*sigmoid"):
        make()


# ------------------------------------------------------------------ parameters


def test_named_parameters_are_dotted_paths_in_definition_order():
    names = [name for name, _ in nn.MLP(2, [3, 1], rng=rng()).named_parameters()]
    assert names[:3] == [
        "layers.0.neurons.0.weights.0",
        "layers.0.neurons.0.weights.1",
        "layers.0.neurons.0.bias",
    ]
    assert names[-1] == "layers.1.neurons.0.bias"
    assert len(names) == len(set(names)) == 2 * 3 + 3 + 3 + 1


def test_parameters_are_the_values_of_named_parameters():
    model = nn.MLP(2, [3, 1], rng=rng())
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert all(type(p) is Value for p in model.parameters())


def test_zero_grad_resets_every_parameter_gradient():
    model = nn.MLP(2, [3, 1], rng=rng())
    model([1.0, -1.0])[0].backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_an_int_seed_gives_each_neuron_its_own_weights():
    layer = nn.MLP(2, [2, 1], rng=3).layers[0]
    first, second = ([w.data for w in n.weights] for n in layer.neurons)
    assert first != second


def test_same_generator_seed_gives_the_same_network():
    a = nn.MLP(2, [3, 1], rng=rng(7)).state_dict()
    b = nn.MLP(2, [3, 1], rng=rng(7)).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ state dicts


def test_mlp_state_dict_holds_in_out_weight_matrices_under_sequential_keys():
    state = nn.MLP(2, [3, 1], rng=rng()).state_dict()
    assert {k: v.shape for k, v in state.items()} == {
        "0.weight": (2, 3),
        "0.bias": (3,),
        "2.weight": (3, 1),
        "2.bias": (1,),
    }


def test_mlp_state_dict_column_j_holds_neuron_j_weights():
    model = nn.MLP(2, [3, 1], rng=rng())
    weights = model.state_dict()["0.weight"]
    assert weights[1, 2] == model.layers[0].neurons[2].weights[1].data


def test_mlp_state_dict_round_trip_reproduces_the_outputs():
    source = nn.MLP(2, [3, 1], rng=rng(1))
    target = nn.MLP(2, [3, 1], rng=rng(2))
    target.load_state_dict(source.state_dict())
    assert target([0.3, -0.7])[0].data == source([0.3, -0.7])[0].data


def test_state_dict_is_a_copy_not_a_view():
    model = nn.MLP(2, [3, 1], rng=rng())
    state = model.state_dict()
    state["0.bias"][0] = 123.0
    assert model.layers[0].neurons[0].bias.data != 123.0


def _corrupt_missing(state):
    del state["2.bias"]


def _corrupt_unexpected(state):
    state["4.weight"] = np.zeros((1, 1))


def _corrupt_shape(state):
    state["0.weight"] = np.zeros((3, 2))


@pytest.mark.parametrize(
    ("corrupt", "error", "message"),
    [
        (_corrupt_missing, KeyError, r"missing: \['2.bias'\]"),
        (_corrupt_unexpected, KeyError, r"unexpected: \['4.weight'\]"),
        (_corrupt_shape, ValueError, r"'0.weight' has shape \(3, 2\)"),
    ],
)
def test_mlp_load_state_dict_rejects_a_mismatch_and_changes_nothing(corrupt, error, message):
    model = nn.MLP(2, [3, 1], rng=rng(1))
    before = model.state_dict()
    state = {k: v + 1.0 for k, v in before.items()}
    corrupt(state)
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_module_state_dict_round_trip_for_a_single_neuron():
    source, target = nn.Neuron(2, rng=rng(1)), nn.Neuron(2, rng=rng(2))
    target.load_state_dict(source.state_dict())
    assert [p.data for p in target.parameters()] == [p.data for p in source.parameters()]


def test_module_load_state_dict_with_a_missing_key_changes_nothing():
    neuron = nn.Neuron(2, rng=rng(1))
    before = [p.data for p in neuron.parameters()]
    with pytest.raises(KeyError, match="bias"):
        neuron.load_state_dict({"weights.0": np.array(5.0), "weights.1": np.array(5.0)})
    assert [p.data for p in neuron.parameters()] == before


def test_module_load_state_dict_with_a_wrong_shape_changes_nothing():
    neuron = nn.Neuron(2, rng=rng(1))
    before = [p.data for p in neuron.parameters()]
    state = {"weights.0": np.array(5.0), "weights.1": np.array(5.0), "bias": np.zeros(2)}
    with pytest.raises(ValueError, match="'bias' has shape"):
        neuron.load_state_dict(state)
    assert [p.data for p in neuron.parameters()] == before


# ------------------------------------------------------------------ losses


def test_mse_loss_is_the_mean_of_squared_differences():
    loss = nn.mse_loss([Value(1.0), Value(2.0)], [0.0, 4.0])
    assert loss.data == (1.0 + 4.0) / 2


def test_mse_loss_accepts_a_single_value_and_number():
    assert nn.mse_loss(Value(3.0), 1.0).data == 4.0


def test_mse_loss_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        nn.mse_loss([Value(1.0), Value(2.0)], [0.0, 1.0, 2.0])


def test_binary_cross_entropy_at_hand_computed_points():
    loss = nn.binary_cross_entropy([Value(0.8), Value(0.4)], [1.0, 0.0])
    assert loss.data == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-15)


def test_cross_entropy_of_one_example_is_minus_log_softmax_of_its_label():
    logits = [Value(1.0), Value(2.0), Value(0.5)]
    denominator = math.exp(1.0) + math.exp(2.0) + math.exp(0.5)
    expected = -math.log(math.exp(2.0) / denominator)
    assert nn.cross_entropy(logits, 1).data == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_of_a_batch_is_the_mean_over_examples():
    rows = [[Value(1.0), Value(0.0)], [Value(0.0), Value(3.0)]]
    batch = nn.cross_entropy(rows, [0, 0]).data
    single = [nn.cross_entropy(row, 0).data for row in rows]
    assert batch == pytest.approx(sum(single) / 2, rel=1e-15)


def test_cross_entropy_stays_finite_for_huge_logits():
    loss = nn.cross_entropy([Value(1000.0), Value(0.0)], 1)
    assert loss.data == pytest.approx(1000.0)


@pytest.mark.parametrize("label", [2, -1, 1.0, "0", None, True])
def test_cross_entropy_rejects_a_label_that_is_not_a_class_index(label):
    with pytest.raises(ValueError, match=r"is not a class index in \[0, 2\)"):
        nn.cross_entropy([Value(1.0), Value(2.0)], label)


def test_cross_entropy_rejects_a_batch_with_the_wrong_number_of_labels():
    rows = [[Value(1.0), Value(0.0)], [Value(0.0), Value(3.0)]]
    with pytest.raises(ValueError, match="2 examples but 1 labels"):
        nn.cross_entropy(rows, [0])


def test_mse_loss_gradients_match_finite_differences():
    inputs = [Value(0.3), Value(-1.2), Value(2.0)]
    assert gradcheck(lambda *p: nn.mse_loss(list(p), [1.0, 0.5, -0.5]), inputs)


def test_binary_cross_entropy_gradients_match_finite_differences():
    inputs = [Value(0.2), Value(0.7), Value(0.9)]
    assert gradcheck(lambda *p: nn.binary_cross_entropy(list(p), [1.0, 0.0, 1.0]), inputs)


def test_cross_entropy_gradients_match_finite_differences():
    inputs = [Value(0.3), Value(-1.2), Value(2.0), Value(0.0)]
    assert gradcheck(lambda *z: nn.cross_entropy([list(z[:2]), list(z[2:])], [1, 0]), inputs)


def test_loss_of_a_network_has_gradients_matching_finite_differences():
    model = nn.MLP(2, [3, 2], activation="tanh", rng=rng(3))
    params = model.parameters()

    def loss(*_: Value) -> Value:
        return nn.cross_entropy(model([0.5, -0.25]), 1)

    assert gradcheck(loss, params)
