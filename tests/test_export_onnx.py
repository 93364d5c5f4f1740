"""nn.export.to_onnx: a checked ONNX file that ONNX Runtime runs to chaingrad's outputs.

onnx and onnxruntime are part of the ``interop`` extra that ``make test`` installs, so they
are imported unconditionally.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest

import nn
from autograd import Tensor, no_grad
from nn import export

ACTIVATIONS = ["relu", "sigmoid", "tanh", "softplus", "linear"]
DTYPES = [np.float32, np.float64]
TOLERANCE = 1e-6


def run(path: Path, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (outputs,) = session.run(None, {"input": x})
    return outputs


def chaingrad_outputs(model: nn.Module, x: np.ndarray) -> np.ndarray:
    with no_grad():
        if isinstance(model, nn.MLP):
            return np.array([[out.data for out in model(list(row))] for row in x])
        return model(Tensor(x)).data


def random_network(activation: str, dtype, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    output = None if activation == "linear" else activation
    layers = list(nn.feedforward(4, [6, 5, 3], activation, output, rng=rng, dtype=dtype))
    layers.insert(2, nn.Dropout(0.3))  # no node: dropout does nothing at inference
    return nn.Sequential(*layers).eval()


def random_inputs(dtype, rows: int = 9, columns: int = 4) -> np.ndarray:
    # Large enough inputs to reach softplus's and sigmoid's far tails.
    return (8 * np.random.default_rng(rows).standard_normal((rows, columns))).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_runtime_gives_chaingrad_s_outputs(tmp_path: Path, activation: str, dtype) -> None:
    model = random_network(activation, dtype, seed=ACTIVATIONS.index(activation))
    path = export.to_onnx(model, tmp_path / "model.onnx", (4,))
    for rows in (1, 9):  # the batch dimension is free
        x = random_inputs(dtype, rows)
        outputs = run(path, x)
        assert outputs.dtype == dtype and outputs.shape == (rows, 3)
        np.testing.assert_allclose(outputs, chaingrad_outputs(model, x), atol=TOLERANCE)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_scalar_mlp_exports_to_onnx(tmp_path: Path, activation: str) -> None:
    output = "sigmoid" if activation == "relu" else None
    model = nn.MLP(4, [5, 3], activation, output, rng=1)
    path = export.to_onnx(model, tmp_path / "mlp.onnx", (4,))
    x = random_inputs(np.float64, rows=5)
    np.testing.assert_allclose(run(path, x), chaingrad_outputs(model, x), atol=TOLERANCE)


def test_a_square_layer_keeps_its_orientation(tmp_path: Path) -> None:
    layer = nn.Linear(3, 3, dtype=np.float64)
    layer.weight.data[...] = np.arange(9.0).reshape(3, 3)
    model = nn.Sequential(layer)
    x = np.eye(3)
    np.testing.assert_allclose(
        run(export.to_onnx(model, tmp_path / "m.onnx", 3), x),
        x @ layer.weight.data + layer.bias.data,
    )


def test_the_file_passes_the_checker_with_opset_17_and_a_free_batch(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(784, 16), nn.Sigmoid(), nn.Linear(16, 10))
    path = export.to_onnx(model, tmp_path / "model.onnx", (None, 784))
    loaded = onnx.load(path)
    onnx.checker.check_model(loaded, full_check=True)
    assert [opset.version for opset in loaded.opset_import if opset.domain == ""] == [17]
    assert export.ONNX_OPSET >= 17
    dims = loaded.graph.input[0].type.tensor_type.shape.dim
    assert [dims[0].dim_param, dims[1].dim_value] == ["batch", 784]
    assert [node.op_type for node in loaded.graph.node] == ["Gemm", "Sigmoid", "Gemm"]
    assert {tensor.name for tensor in loaded.graph.initializer} == set(model.state_dict())


def test_a_network_of_no_layer_that_computes_is_the_identity(tmp_path: Path) -> None:
    path = export.to_onnx(nn.Sequential(nn.Dropout(0.5)), tmp_path / "m.onnx", (3,))
    x = random_inputs(np.float32, rows=2, columns=3)
    np.testing.assert_array_equal(run(path, x), x)


def test_an_unknown_layer_is_refused_by_name_and_nothing_is_written(tmp_path: Path) -> None:
    class Doubling(nn.Module):
        def __call__(self, x):
            return x * 2

    path = tmp_path / "model.onnx"
    with pytest.raises(ValueError, match=r"layer 1 .*Doubling"):
        export.to_onnx(nn.Sequential(nn.Linear(2, 2), Doubling()), path, (2,))
    assert not path.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "input_shape, error, message",
    [
        ((5,), ValueError, r"gives 5 features, but the first Linear reads 4; pass \(4,\)"),
        ((1, 2, 2), ValueError, "one positive number of features"),
        ((0,), ValueError, "one positive number of features"),
        ("4", TypeError, "input_shape must be the shape of one example"),
        ((4.0,), TypeError, "input_shape must be the shape of one example"),
        ((True,), TypeError, "input_shape must be the shape of one example"),
    ],
)
def test_a_bad_input_shape_is_refused(tmp_path: Path, input_shape, error, message) -> None:
    model = random_network("relu", np.float32, seed=0)
    with pytest.raises(error, match=message):
        export.to_onnx(model, tmp_path / "model.onnx", input_shape)
    assert list(tmp_path.iterdir()) == []


def test_mixed_dtypes_are_refused(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float32), nn.Linear(2, 2, dtype=np.float64))
    with pytest.raises(ValueError, match="one element type"):
        export.to_onnx(model, tmp_path / "model.onnx", (2,))


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.onnx"
    export.to_onnx(nn.Sequential(nn.Linear(2, 2)), path, (2,))
    old = path.read_bytes()
    real_write = os.write

    def disk_full_halfway(descriptor: int, data) -> int:
        real_write(descriptor, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full_halfway)
    with pytest.raises(OSError, match="No space left"):
        export.to_onnx(nn.Sequential(nn.Linear(2, 300), nn.Linear(300, 2)), path, (2,))
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no temporary file left
    onnx.checker.check_model(onnx.load(path), full_check=True)
