"""nn.export and PyTorch: the same network, the same outputs, in both directions.

chaingrad's Linear stores (in, out), PyTorch's (out, in), under the same keys: every test
here would pass for a square layer loaded without the transpose only if the transpose
were missing from both sides, which the square-layer tests rule out. PyTorch is part of
the ``interop`` extra that ``make test`` installs, so it is imported unconditionally.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import nn
from autograd import Tensor, no_grad
from nn import export

ACTIVATIONS = ["relu", "sigmoid", "tanh", "softplus", "linear"]
DTYPES = [np.float32, np.float64]
TOLERANCE = 1e-6


def chaingrad_outputs(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """The model's outputs for the rows of ``x`` (a Sequential's batch, or an MLP row by row)."""
    with no_grad():
        if isinstance(model, nn.MLP):
            return np.array([[out.data for out in model(list(row))] for row in x])
        return model(Tensor(x)).data


def torch_outputs(module: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def random_network(activation: str, dtype, seed: int) -> nn.Sequential:
    """Linear, activation, Dropout, Linear, activation, Linear, output activation (eval mode)."""
    rng = np.random.default_rng(seed)
    output = None if activation == "linear" else activation
    layers = list(nn.feedforward(4, [6, 5, 3], activation, output, rng=rng, dtype=dtype))
    layers.insert(2, nn.Dropout(0.3))  # shifts the later positions, as in PyTorch
    return nn.Sequential(*layers).eval()


def random_inputs(dtype, rows: int = 9, columns: int = 4, seed: int = 1) -> np.ndarray:
    return (3 * np.random.default_rng(seed).standard_normal((rows, columns))).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_torch_gives_the_same_outputs(activation: str, dtype) -> None:
    model = random_network(activation, dtype, seed=ACTIVATIONS.index(activation))
    x = random_inputs(dtype)
    module = export.to_torch(model)
    assert all(p.dtype == torch.from_numpy(x).dtype for p in module.parameters())
    np.testing.assert_allclose(
        torch_outputs(module, x), chaingrad_outputs(model, x), atol=TOLERANCE
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_weights_trained_in_torch_come_back_with_torch_outputs(activation: str, dtype) -> None:
    model = random_network(activation, dtype, seed=10)
    x = random_inputs(dtype)
    module = export.to_torch(model)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.3)
    torch.nn.functional.cross_entropy(module(torch.from_numpy(x)), torch.arange(9) % 3).backward()
    optimizer.step()  # PyTorch's weights now differ from the model's
    target = random_network(activation, dtype, seed=11)
    assert export.from_torch_state_dict(module, target) is target
    np.testing.assert_allclose(
        chaingrad_outputs(target, x), torch_outputs(module, x), atol=TOLERANCE
    )
    assert all(p.data.dtype == dtype for p in target.parameters())


@pytest.mark.parametrize("dtype", DTYPES)
def test_chaingrad_to_torch_to_chaingrad_is_exact(dtype) -> None:
    model = random_network("tanh", dtype, seed=3)
    other = random_network("tanh", dtype, seed=4)
    export.from_torch_state_dict(export.to_torch_state_dict(model), other)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], value)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_scalar_mlp_exports_with_its_activations(activation: str) -> None:
    output = "sigmoid" if activation == "tanh" else None
    model = nn.MLP(4, [5, 5, 2], activation, output, rng=ACTIVATIONS.index(activation))
    module = export.to_torch(model)
    hidden = export._ACTIVATIONS.get(activation, "Identity")
    expected = ["Linear", hidden, "Linear", hidden, "Linear"] + (["Sigmoid"] if output else [])
    assert [type(layer).__name__ for layer in module] == expected
    x = random_inputs(np.float64, rows=5)
    np.testing.assert_allclose(
        torch_outputs(module, x), chaingrad_outputs(model, x), atol=TOLERANCE
    )
    assert all(p.dtype == torch.float64 for p in module.parameters())  # Values are float64


def test_a_scalar_mlp_loads_torch_weights() -> None:
    model = nn.MLP(3, [4, 2], "sigmoid", rng=0)
    module = export.to_torch(nn.MLP(3, [4, 2], "sigmoid", rng=1))
    export.from_torch_state_dict(module, model)
    x = random_inputs(np.float64, rows=4, columns=3)
    np.testing.assert_allclose(chaingrad_outputs(model, x), torch_outputs(module, x), atol=1e-12)


def square_network() -> nn.Sequential:
    layer = nn.Linear(3, 3, dtype=np.float64)
    layer.weight.data[...] = np.arange(9.0).reshape(3, 3)  # far from symmetric
    layer.bias.data[...] = [0.5, -1.0, 2.0]
    return nn.Sequential(layer)


def test_a_square_layer_is_transposed_for_torch() -> None:
    model = square_network()
    x = random_inputs(np.float64, columns=3)
    module = torch.nn.Sequential(torch.nn.Linear(3, 3, dtype=torch.float64))
    # chaingrad's own state dict has the same keys and shapes: it loads without an error,
    # but the layer computes other numbers...
    module.load_state_dict({key: torch.from_numpy(v) for key, v in model.state_dict().items()})
    assert np.max(np.abs(torch_outputs(module, x) - chaingrad_outputs(model, x))) > 1.0
    # ...and exported, the same ones.
    module.load_state_dict(export.to_torch_state_dict(model))
    np.testing.assert_allclose(torch_outputs(module, x), chaingrad_outputs(model, x), atol=1e-12)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), np.arange(9.0).reshape(3, 3).T)


def test_a_square_torch_layer_is_transposed_for_chaingrad() -> None:
    module = torch.nn.Sequential(torch.nn.Linear(3, 3, dtype=torch.float64))
    with torch.no_grad():
        module[0].weight.copy_(torch.arange(9.0, dtype=torch.float64).reshape(3, 3))
    model = export.from_torch_state_dict(module, square_network())
    np.testing.assert_array_equal(model[0].weight.data, np.arange(9.0).reshape(3, 3).T)
    x = random_inputs(np.float64, columns=3)
    np.testing.assert_allclose(chaingrad_outputs(model, x), torch_outputs(module, x), atol=1e-12)


def test_the_state_dict_loads_strictly_into_a_hand_built_torch_sequential() -> None:
    model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Dropout(0.2), nn.Linear(4, 2))
    state = export.to_torch_state_dict(model)
    assert list(state) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert all(
        isinstance(value, torch.Tensor) and value.dtype == torch.float32 for value in state.values()
    )
    module = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(4, 2)
    )
    module.load_state_dict(state, strict=True)
    arrays = export.to_torch_state_dict(model, numpy=True)
    assert all(isinstance(value, np.ndarray) for value in arrays.values())
    np.testing.assert_array_equal(arrays["3.weight"], model[3].weight.data.T)


def test_exported_weights_are_copies() -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    before = model[0].weight.data.copy()
    export.to_torch_state_dict(model)["0.weight"].fill_(7.0)
    with torch.no_grad():
        next(export.to_torch(model).parameters()).fill_(7.0)
    np.testing.assert_array_equal(model[0].weight.data, before)


def test_nested_sequentials_keep_torch_keys() -> None:
    inner = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh())
    model = nn.Sequential(nn.Identity(), inner, nn.Linear(4, 2, dtype=np.float64))
    module = export.to_torch(model)
    assert list(module.state_dict()) == ["1.0.weight", "1.0.bias", "2.weight", "2.bias"]
    x = random_inputs(np.float64, columns=3)
    np.testing.assert_allclose(torch_outputs(module, x), chaingrad_outputs(model, x), atol=1e-12)


def test_to_torch_copies_the_mode_and_dropout_p_and_leaves_torch_rng_alone() -> None:
    state = torch.random.get_rng_state()
    module = export.to_torch(nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.25)))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert module.training and module[1].p == 0.25
    assert not export.to_torch(nn.Sequential(nn.Linear(3, 3)).eval()).training


def test_every_activation_of_the_table_has_a_torch_counterpart() -> None:
    assert set(nn.layers.ACTIVATIONS) - {"linear"} == set(export._ACTIVATIONS)


class Doubling(nn.Module):
    def __call__(self, x):
        return x * 2


class ScaledLinear(nn.Linear):
    def __call__(self, x):
        return super().__call__(x) * 2


@pytest.mark.parametrize(
    "layer, name",
    [(Doubling(), "Doubling"), (ScaledLinear(3, 3), "ScaledLinear")],
)
def test_an_unknown_layer_is_refused_by_name(layer: nn.Module, name: str) -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), layer)
    for convert in (export.to_torch, export.to_torch_state_dict):
        with pytest.raises(ValueError, match=rf"layer 2 .*{name}"):
            convert(model)
    with pytest.raises(ValueError, match=name):
        export.from_torch_state_dict({}, model)


def test_a_model_that_is_not_a_sequential_or_mlp_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="cannot export a Linear"):
        export.to_torch(nn.Linear(2, 2))


def test_a_wrong_shape_is_refused_before_any_weight_changes() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = model.state_dict()
    state = export.to_torch_state_dict(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    state["2.weight"] = state["2.weight"].T  # the last entry is wrong: the first must not load
    with pytest.raises(ValueError, match=r"'2.weight' has shape \(4, 2\), expected \(2, 4\)"):
        export.from_torch_state_dict(state, model)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_missing_keys_are_listed() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    state = export.to_torch_state_dict(model)
    del state["2.bias"]
    with pytest.raises(KeyError, match=r"missing: \['2.bias'\]"):
        export.from_torch_state_dict(state, model)


def test_a_distributed_wrapper_s_keys_name_the_fix() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    state = {f"module.{key}": value for key, value in export.to_torch_state_dict(model).items()}
    with pytest.raises(KeyError, match=r"pass ddp\.module"):
        export.from_torch_state_dict(state, model)


def test_a_source_that_is_not_a_state_is_refused() -> None:
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Module or its state_dict"):
        export.from_torch_state_dict([1, 2], nn.Sequential(nn.Linear(1, 1)))


def test_without_torch_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(ImportError, match=r"nn.export.to_torch needs torch.*`interop` extra"):
        export.to_torch(model)
    assert set(export.to_torch_state_dict(model, numpy=True)) == {"0.weight", "0.bias"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_from_torch_rebuilds_the_network(activation: str, dtype) -> None:
    model = random_network(activation, dtype, seed=20)
    module = export.to_torch(model)
    state = nn.init.generator(None).bit_generator.state
    rebuilt = export.from_torch(module)
    assert nn.init.generator(None).bit_generator.state == state  # global generator untouched
    assert repr(rebuilt) == repr(model) and not rebuilt.training
    x = random_inputs(dtype)
    np.testing.assert_array_equal(chaingrad_outputs(rebuilt, x), chaingrad_outputs(model, x))


def test_from_torch_rebuilds_a_network_built_in_torch() -> None:
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 3), torch.nn.Softplus(), torch.nn.Sequential(torch.nn.Linear(3, 2))
    )
    model = export.from_torch(module)
    x = random_inputs(np.float32, columns=3)
    np.testing.assert_allclose(
        chaingrad_outputs(model, x), torch_outputs(module, x), atol=TOLERANCE
    )
    np.testing.assert_array_equal(model[0].weight.data, module[0].weight.detach().numpy().T)


@pytest.mark.parametrize(
    "layer, message",
    [
        (torch.nn.GELU(), "torch.nn.GELU"),
        (torch.nn.Linear(3, 3, bias=False), "has no bias"),
        (torch.nn.Linear(3, 3, dtype=torch.float16), "holds float16 weights"),
        (torch.nn.Softplus(beta=2), "torch.nn.Softplus"),
    ],
)
def test_from_torch_refuses_a_layer_chaingrad_lacks_by_name(layer, message: str) -> None:
    module = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Sequential(layer))
    with pytest.raises(ValueError, match=rf"layer 1\.0 .*{message}"):
        export.from_torch(module)


def test_from_torch_wants_a_sequential() -> None:
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Sequential, got Linear"):
        export.from_torch(torch.nn.Linear(2, 2))
