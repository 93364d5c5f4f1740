"""The MNIST demo on the real data: accuracy floor, JSON, figures, resume, scalar engine.

These read the MNIST cache (``make test`` fills it first). The accuracy run is one epoch of
the article's 784-16-10 network (workload A-ce) on all 60,000 training digits: ~2 s of
training here, well under a minute on a slow machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from demos import mnist as demo

FIGURES = ["curves.png", "confusion_matrix.png", "misclassified.png", "first_layer_weights.png"]


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("mnist")
    result = demo.main(
        ["--epochs", "1", "--quiet", "--out", str(out), "--json", str(out / "result.json")]
    )
    return result, out


def test_one_epoch_of_the_article_network_reaches_90_percent(one_epoch_run) -> None:
    result, _ = one_epoch_run
    assert result["test_accuracy"][0] >= 0.90


def test_the_article_network_has_12730_parameters(one_epoch_run) -> None:
    result, _ = one_epoch_run
    assert result["parameters"] == 12_730


def test_json_holds_the_per_epoch_history_and_peak_memory(one_epoch_run) -> None:
    _, out = one_epoch_run
    saved = json.loads((out / "result.json").read_text())
    assert set(saved) == {
        "parameters",
        "test_accuracy",
        "train_loss",
        "seconds_per_epoch",
        "peak_rss_mb",
    }
    assert len(saved["test_accuracy"]) == len(saved["train_loss"]) == 1
    assert saved["peak_rss_mb"] > 0


@pytest.mark.parametrize("name", FIGURES)
def test_each_figure_is_written_as_a_png(one_epoch_run, name: str) -> None:
    _, out = one_epoch_run
    assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resuming_from_a_checkpoint_repeats_the_uninterrupted_run(tmp_path: Path) -> None:
    common = ["--limit", "3000", "--quiet", "--no-figures", "--optimizer", "adam"]
    straight = demo.main([*common, "--epochs", "2"])
    checkpoint = tmp_path / "run.npz"
    demo.main([*common, "--epochs", "1", "--checkpoint", str(checkpoint)])
    resumed = demo.main([*common, "--epochs", "2", "--resume", str(checkpoint)])
    assert resumed["train_loss"] == straight["train_loss"]
    assert resumed["test_accuracy"] == straight["test_accuracy"]


def test_resume_refuses_a_different_seed(tmp_path: Path, capsys) -> None:
    common = ["--limit", "2000", "--quiet", "--no-figures", "--out", str(tmp_path)]
    checkpoint = tmp_path / "run.npz"
    demo.main([*common, "--epochs", "1", "--checkpoint", str(checkpoint)])
    with pytest.raises(SystemExit) as exit_:
        demo.main([*common, "--epochs", "2", "--seed", "1", "--resume", str(checkpoint)])
    assert exit_.value.code == 2
    assert "trained with --seed 0, not --seed 1" in capsys.readouterr().err


def test_scalar_engine_follows_the_tensor_engine_step_for_step() -> None:
    result = demo.main(["--engine", "scalar", "--limit", "16", "--batch-size", "8"])
    assert len(result["max_weight_difference"]) == 2
    assert max(result["max_weight_difference"]) < 1e-12


def test_parameters_and_gradients_stay_float32_after_an_optimizer_step() -> None:
    data = nn.datasets.mnist()
    model = nn.feedforward(784, [16, 10], "sigmoid", rng=0)
    for optimizer in (
        nn.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-4),
        nn.optim.Adam(model.parameters(), weight_decay=1e-4),
    ):
        x, labels = next(data.train_batches(32, rng=0))
        loss = nn.cross_entropy(model(Tensor(x)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert loss.data.dtype == np.float32
        for param in model.parameters():
            assert param.data.dtype == np.float32
            assert param.grad.dtype == np.float32
