"""``python -m autograd.viz -o`` naming a directory, or nothing: one line saying what to name."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograd.viz import main


def refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI with ``argv``; check it exits 2 with the usage line and one error line."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("usage: python -m autograd.viz")
    return lines[1]


def test_an_output_that_is_a_directory_is_called_a_directory(tmp_path, capsys):
    message = refusal(capsys, ["x", "--var", "x=1", "-o", str(tmp_path)])
    assert f"-o {tmp_path}: is a directory; name a file in it, e.g. {tmp_path / 'graph.svg'}" in (
        message
    )
    assert list(tmp_path.iterdir()) == []


def test_an_animation_into_a_directory_suggests_an_html_file_in_it(tmp_path, capsys):
    message = refusal(capsys, ["x", "--var", "x=1", "--animate", "-o", str(tmp_path)])
    assert f"is a directory; name a file in it, e.g. {tmp_path / 'backward.html'}" in message


def test_an_empty_output_name_asks_for_a_file_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = refusal(capsys, ["x", "--var", "x=1", "-o", ""])
    assert "-o needs the name of a file to write, e.g. -o graph.svg" in message
    assert list(Path(tmp_path).iterdir()) == []
