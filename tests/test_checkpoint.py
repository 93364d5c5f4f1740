"""nn.save / nn.load: atomic .npz checkpoints that resume training exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor


def make_model(seed: int = 0, dtype=np.float32) -> nn.Sequential:
    return nn.feedforward(6, [5, 3], "tanh", rng=seed, dtype=dtype)


def toy_data(count: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(123)
    x = rng.standard_normal((count, 6)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 1)


def train_epoch(model, optimizer, epoch: int, seed: int = 5) -> None:
    x, y = toy_data()
    order = np.random.default_rng([seed, epoch]).permutation(len(x))
    for start in range(0, len(x), 8):
        index = order[start : start + 8]
        loss = nn.cross_entropy(model(Tensor(x[index])), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_load_restores_the_saved_weights(tmp_path: Path) -> None:
    saved, restored = make_model(0), make_model(1)
    nn.save(saved, tmp_path / "model.npz")
    nn.load(restored, tmp_path / "model.npz")
    for key, value in saved.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[key], value)


def test_load_returns_the_metadata_as_python_values(tmp_path: Path) -> None:
    nn.save(make_model(), tmp_path / "m.npz", epoch=3, note="hi", losses=[0.5, 0.25])
    metadata = nn.load(make_model(), tmp_path / "m.npz")
    assert metadata["epoch"] == 3 and metadata["note"] == "hi"
    np.testing.assert_array_equal(metadata["losses"], [0.5, 0.25])


def test_save_replaces_an_existing_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    nn.save(make_model(0), path)
    nn.save(make_model(1), path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    restored = make_model(2)
    nn.load(restored, path)
    np.testing.assert_array_equal(restored[0].weight.data, make_model(1)[0].weight.data)


def test_save_rejects_metadata_that_would_need_pickle(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="pickled"):
        nn.save(make_model(), tmp_path / "m.npz", config={"a": 1})


def test_a_truncated_file_raises_checkpoint_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    nn.save(make_model(), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(nn.CheckpointError, match=r"m\.npz.*truncated or corrupt"):
        nn.load(make_model(), path)


def test_a_corrupted_byte_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    nn.save(make_model(), path)
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(nn.CheckpointError, match=r"m\.npz"):
        nn.load(make_model(), path)


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(nn.CheckpointError, match="not a chaingrad checkpoint"):
        nn.load(make_model(), path)


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.npz"):
        nn.load(make_model(), tmp_path / "nope.npz")


def test_another_architecture_is_refused_and_the_model_is_unchanged(tmp_path: Path) -> None:
    nn.save(nn.feedforward(6, [4, 3], rng=0), tmp_path / "m.npz")
    model = make_model()
    before = model.state_dict()
    with pytest.raises(nn.CheckpointError, match=r"'0.weight' has shape \(6, 4\)"):
        nn.load(model, tmp_path / "m.npz")
    np.testing.assert_array_equal(model.state_dict()["0.weight"], before["0.weight"])


def test_another_dtype_is_refused(tmp_path: Path) -> None:
    nn.save(make_model(dtype=np.float64), tmp_path / "m.npz")
    with pytest.raises(nn.CheckpointError, match="dtype float64, expected float32"):
        nn.load(make_model(), tmp_path / "m.npz")


def test_another_optimizer_type_is_refused(tmp_path: Path) -> None:
    model = make_model()
    nn.save(model, tmp_path / "m.npz", nn.optim.Adam(model.parameters()))
    with pytest.raises(
        nn.CheckpointError, match="'Adam' optimizer state, but the optimizer given is SGD"
    ):
        nn.load(model, tmp_path / "m.npz", nn.optim.SGD(model.parameters(), lr=0.1))


def test_loading_an_optimizer_from_a_model_only_checkpoint_is_refused(tmp_path: Path) -> None:
    model = make_model()
    nn.save(model, tmp_path / "m.npz")
    with pytest.raises(nn.CheckpointError, match="optimizer"):
        nn.load(model, tmp_path / "m.npz", nn.optim.SGD(model.parameters(), lr=0.1))


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-3),
        lambda params: nn.optim.Adam(params, lr=0.01),
    ],
    ids=["sgd-momentum", "adam"],
)
def test_two_epochs_equal_one_epoch_then_save_load_and_one_more(
    tmp_path: Path, make_optimizer
) -> None:
    straight = make_model()
    straight_optimizer = make_optimizer(straight.parameters())
    train_epoch(straight, straight_optimizer, 0)
    train_epoch(straight, straight_optimizer, 1)

    first = make_model()
    first_optimizer = make_optimizer(first.parameters())
    train_epoch(first, first_optimizer, 0)
    nn.save(first, tmp_path / "m.npz", first_optimizer, epoch=0)
    resumed = make_model(seed=99)  # different weights: everything must come from the file
    resumed_optimizer = make_optimizer(resumed.parameters())
    nn.load(resumed, tmp_path / "m.npz", resumed_optimizer)
    train_epoch(resumed, resumed_optimizer, 1)

    assert resumed_optimizer.steps == straight_optimizer.steps
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value)


def test_inspect_tells_what_a_checkpoint_holds_without_a_model(tmp_path) -> None:
    model = nn.feedforward(784, [16, 10], "sigmoid", rng=0)
    path = nn.save(model, tmp_path / "run.npz", epoch=3, option_hidden=np.array([16]))
    metadata, shapes = nn.checkpoint.inspect(path)
    assert metadata["epoch"] == 3 and list(metadata["option_hidden"]) == [16]
    assert shapes == {"0.weight": (784, 16), "0.bias": (16,), "2.weight": (16, 10), "2.bias": (10,)}


def test_inspect_refuses_what_load_refuses(tmp_path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(nn.CheckpointError, match="not a chaingrad checkpoint"):
        nn.checkpoint.inspect(path)
    with pytest.raises(FileNotFoundError):
        nn.checkpoint.inspect(tmp_path / "missing.npz")
