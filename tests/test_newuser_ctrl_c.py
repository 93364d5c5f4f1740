"""Ctrl-C in a command-line tool: one line, "interrupted", status 130; no traceback, no file.

``demos.mnist`` and ``demos.handover`` already did so; these are the other commands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import nn
from autograd import viz
from demos import backprop_by_hand, newton, predict, xor
from nn.datasets import __main__ as datasets_cli


def interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def files_in(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


@pytest.mark.parametrize("demo", [xor, newton, backprop_by_hand], ids=lambda m: m.__name__)
def test_ctrl_c_in_a_demo_exits_130_saying_interrupted(demo, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "run", interrupt)
    out, results = tmp_path / "out", tmp_path / "result.json"
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--out", str(out), "--json", str(results)])
    assert exit_.value.code == 130
    assert capsys.readouterr().err == "\ninterrupted\n"
    assert files_in(tmp_path) == []


def test_ctrl_c_while_predict_reads_the_pictures_exits_130(tmp_path, monkeypatch, capsys):
    checkpoint, picture = tmp_path / "model.npz", tmp_path / "digit.png"
    checkpoint.write_bytes(b"read by the stand-in below")
    picture.write_bytes(b"read by the stand-in below")
    model = nn.feedforward(784, [10], rng=0)
    monkeypatch.setattr(predict, "load_trained", lambda path: (model, {"loss": "ce"}))
    monkeypatch.setattr(predict, "load_digit", interrupt)
    with pytest.raises(SystemExit) as exit_:
        predict.main([str(checkpoint), str(picture), "--json", str(tmp_path / "p.json")])
    assert exit_.value.code == 130
    assert capsys.readouterr().err == "\ninterrupted\n"
    assert files_in(tmp_path) == ["digit.png", "model.npz"]


def test_ctrl_c_while_the_graph_is_drawn_returns_130(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(viz, "_render", interrupt)
    assert viz.main(["x * x", "--var", "x=2", "-o", str(tmp_path / "g.svg")]) == 130
    assert capsys.readouterr().err == "\ninterrupted\n"
    assert files_in(tmp_path) == []


def test_ctrl_c_while_mnist_is_fetched_returns_130(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(datasets_cli, "mnist", interrupt)
    assert datasets_cli.main(["--cache-dir", str(tmp_path / "cache")]) == 130
    assert capsys.readouterr().err == "\ninterrupted\n"
    assert files_in(tmp_path) == []
