"""The MNIST demo on the real data: accuracy floor, validation, JSON, figures, resume.

These read the MNIST cache (``make test`` fills it first). The accuracy run is one epoch of
the article's 784-16-10 network (workload A-ce) on the 50,000 training digits left after the
validation split: under a second of training here, well under a minute on a slow machine.
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
    assert result["validation_accuracy"][0] >= 0.90
    assert result["test_accuracy"] >= 0.90


def test_the_article_network_has_12730_parameters(one_epoch_run) -> None:
    result, _ = one_epoch_run
    assert result["parameters"] == 12_730


def test_json_holds_the_per_epoch_history_and_peak_memory(one_epoch_run) -> None:
    _, out = one_epoch_run
    saved = json.loads((out / "result.json").read_text())
    assert set(saved) == {
        "parameters",
        "train_loss",
        "validation_accuracy",
        "best_epoch",
        "test_accuracy",
        "seconds_per_epoch",
        "threads",
        "peak_rss_mb",
        "options",
    }
    assert saved["options"]["hidden"] == [16] and saved["options"]["dropout"] == 0.0
    assert len(saved["validation_accuracy"]) == len(saved["train_loss"]) == 1
    assert isinstance(saved["test_accuracy"], float)  # measured once, not per epoch
    assert saved["best_epoch"] == 1
    assert saved["threads"].startswith("1 BLAS thread")
    assert saved["peak_rss_mb"] > 0


def test_the_validation_split_is_nielsens_disjoint_50000_and_10000() -> None:
    data = nn.datasets.mnist()
    (images, labels), (held_out, held_labels) = data.validation_split()
    assert (len(images), len(held_out)) == (50_000, 10_000)
    assert len(labels) == 50_000 and len(held_labels) == 10_000
    # The two parts cover the training file once each, in order: no digit is in both.
    assert np.array_equal(np.concatenate([images, held_out]), data.train_images)
    assert not np.shares_memory(images, held_out)
    assert np.array_equal(
        np.bincount(held_labels), [991, 1064, 990, 1030, 983, 915, 967, 1090, 1009, 961]
    )


@pytest.mark.parametrize("size", [-1, 60_000, 2.5, True])
def test_a_validation_size_out_of_range_is_refused(size) -> None:
    with pytest.raises(ValueError, match=r"MNIST\.validation_split: size must be"):
        nn.datasets.mnist().validation_split(size)


def test_the_test_set_is_evaluated_once_on_the_epoch_chosen_by_validation(monkeypatch) -> None:
    """Epoch 2 is the best on validation (faked), so its weights meet the test set, once."""
    calls: list[int] = []
    real_evaluate = demo.evaluate
    scores = iter([0.5, 0.9, 0.7])  # the validation accuracy of epochs 1, 2, 3
    weights_after: list[np.ndarray] = []

    def accuracy_on(model, images, labels) -> float:
        weights_after.append(model[0].weight.data.copy())
        return next(scores)

    def evaluate(model, images, labels):
        calls.append(len(images))
        assert np.array_equal(model[0].weight.data, weights_after[1])  # epoch 2's network
        return real_evaluate(model, images, labels)

    monkeypatch.setattr(demo, "accuracy_on", accuracy_on)
    monkeypatch.setattr(demo, "evaluate", evaluate)
    result = demo.main(["--limit", "500", "--epochs", "3", "--quiet", "--no-figures"])
    assert calls == [10_000]  # the test set, once
    assert result["best_epoch"] == 2
    assert result["validation_accuracy"] == [0.5, 0.9, 0.7]


def test_without_validation_the_last_epoch_is_tested_on_all_60000_digits(capsys) -> None:
    result = demo.main(["--validation", "0", "--epochs", "1", "--quiet", "--no-figures"])
    assert result["best_epoch"] == 1
    assert result["validation_accuracy"] == [None]
    assert "60,000 training digits, 0 validation" in capsys.readouterr().out


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
    assert resumed["validation_accuracy"] == straight["validation_accuracy"]
    assert resumed["test_accuracy"] == straight["test_accuracy"]


def test_a_resumed_run_with_dropout_shifts_and_a_schedule_repeats_the_uninterrupted_run(
    tmp_path: Path,
) -> None:
    """Dropout masks and shifts are drawn from generators of (seed, epoch): they repeat."""
    common = ["--limit", "2000", "--quiet", "--no-figures", "--hidden", "32"]
    common += ["--dropout", "0.3", "--shift", "1", "--schedule", "cosine", "--optimizer", "adamw"]
    straight = demo.main([*common, "--epochs", "3"])
    checkpoint = tmp_path / "run.npz"
    demo.main([*common, "--epochs", "3", "--checkpoint", str(checkpoint)])
    demo.main([*common, "--epochs", "1", "--checkpoint", str(checkpoint)])
    resumed = demo.main([*common, "--epochs", "3", "--resume", str(checkpoint)])
    assert resumed["train_loss"] == straight["train_loss"]
    assert resumed["validation_accuracy"] == straight["validation_accuracy"]
    assert resumed["test_accuracy"] == straight["test_accuracy"]


def test_dropout_layers_follow_every_hidden_activation_and_train_eval_switch_them() -> None:
    model = demo.network([32, 16], "relu", "ce", dropout=0.5, seed=0)
    kinds = [type(module).__name__ for module in model]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert list(model.state_dict()) == [f"{k}.{p}" for k in (0, 3, 6) for p in ("weight", "bias")]
    x = Tensor(np.ones((4, 784), dtype=np.float32))
    model.eval()
    assert np.array_equal(model(x).data, model(x).data)  # no dropout when evaluating
    model.train()
    assert not np.array_equal(model(x).data, model(x).data)


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


def fake_validation(monkeypatch: pytest.MonkeyPatch, scores: list[float]) -> None:
    """Epoch k's validation accuracy is scores[k-1], read from how many epochs the run did."""

    def accuracy_on(model, images, labels) -> float:
        return scores[len(model_epochs) - 1]

    model_epochs: list[int] = []
    real_train_epoch = demo.train_epoch

    def train_epoch(*args, **kwargs):
        model_epochs.append(1)
        return real_train_epoch(*args, **kwargs)

    monkeypatch.setattr(demo, "accuracy_on", accuracy_on)
    monkeypatch.setattr(demo, "train_epoch", train_epoch)


def test_a_resumed_run_keeps_an_earlier_best_epoch_from_the_best_file(monkeypatch, tmp_path):
    common = ["--limit", "1000", "--quiet", "--no-figures"]
    with monkeypatch.context() as patch:
        fake_validation(patch, [0.9, 0.5, 0.6])
        straight = demo.main([*common, "--epochs", "3"])
    checkpoint = tmp_path / "run.npz"
    with monkeypatch.context() as patch:
        fake_validation(patch, [0.9, 0.5])
        demo.main([*common, "--epochs", "2", "--checkpoint", str(checkpoint)])
    assert (tmp_path / "run.best.npz").is_file()
    with monkeypatch.context() as patch:
        fake_validation(patch, [0.6])
        resumed = demo.main([*common, "--epochs", "3", "--resume", str(checkpoint)])
    assert straight["best_epoch"] == resumed["best_epoch"] == 1
    assert resumed["test_accuracy"] == straight["test_accuracy"]  # epoch 1's weights, tested


def test_resume_refuses_when_the_best_file_is_gone(monkeypatch, tmp_path, capsys):
    common = ["--limit", "500", "--quiet", "--no-figures"]
    checkpoint = tmp_path / "run.npz"
    with monkeypatch.context() as patch:
        fake_validation(patch, [0.9, 0.5])
        demo.main([*common, "--epochs", "2", "--checkpoint", str(checkpoint)])
    (tmp_path / "run.best.npz").unlink()
    with pytest.raises(SystemExit) as exit_:
        demo.main([*common, "--epochs", "3", "--resume", str(checkpoint)])
    assert exit_.value.code == 2
    assert "its best epoch (1) was saved to" in capsys.readouterr().err
