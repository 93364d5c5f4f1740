"""``python -m demos.mnist --evaluate CHECKPOINT``: a saved network measured, nothing trained."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nn
from demos import mnist as demo


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    directory = tmp_path_factory.mktemp("evaluate")
    checkpoint = directory / "run.npz"
    argv = ["--epochs", "2", "--limit", "5000", "--hidden", "32", "--dropout", "0.2"]
    result = demo.main([*argv, "--quiet", "--no-figures", "--checkpoint", str(checkpoint)])
    return result, checkpoint


def test_the_best_network_scores_what_its_training_run_reported(trained, tmp_path) -> None:
    result, checkpoint = trained
    out, saved_to = tmp_path / "figures", tmp_path / "evaluation.json"
    best = demo.best_path(checkpoint)
    report = demo.main(["--evaluate", str(best), "--out", str(out), "--json", str(saved_to)])
    assert report["test_accuracy"] == result["test_accuracy"]
    counts = np.array(report["confusion_matrix"])
    assert counts.shape == (10, 10) and counts.sum() == 10_000
    assert np.array_equal(counts.sum(axis=1), np.bincount(nn.datasets.mnist().test_labels))
    assert np.trace(counts) / 10_000 == report["test_accuracy"]
    saved = json.loads(saved_to.read_text())
    assert saved["confusion_matrix"] == report["confusion_matrix"]
    assert saved["options"]["hidden"] == [32]
    assert sorted(path.name for path in out.iterdir()) == [
        "confusion_matrix.png",
        "misclassified.png",
    ]


def test_evaluating_trains_nothing_and_prints_the_matrix(trained, monkeypatch, capsys) -> None:
    _, checkpoint = trained
    monkeypatch.setattr(demo, "train_epoch", lambda *a, **k: pytest.fail("it trained"))
    before = checkpoint.read_bytes()
    demo.main(["--evaluate", str(checkpoint), "--no-figures"])
    out = capsys.readouterr().out
    assert "test accuracy" in out and "confusion matrix (rows: true digit" in out
    assert checkpoint.read_bytes() == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: None, "no such file"),
        (lambda path: path.write_text("not a checkpoint"), "not a checkpoint"),
        (lambda path: path.mkdir(), "is a directory; name a file"),
    ],
    ids=["missing", "text", "directory"],
)
def test_a_bad_checkpoint_is_a_usage_error_before_the_data_is_read(
    make, message, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(nn.datasets, "mnist", lambda: pytest.fail("the data was read"))
    path = tmp_path / "model.npz"
    make(path)
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--evaluate", str(path)])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_evaluate_refuses_training_options(trained, capsys) -> None:
    _, checkpoint = trained
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--evaluate", str(checkpoint), "--checkpoint", "other.npz"])
    assert exit_.value.code == 2
    assert "--evaluate CHECKPOINT trains nothing" in capsys.readouterr().err
