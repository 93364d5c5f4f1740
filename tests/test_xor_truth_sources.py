"""The sources are named: the article in the README and in every demo's --help, Mazur's
worked example where its numbers are used, and the README's viz example shows gradients."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from autograd import viz
from demos import backprop_by_hand, mnist, newton, xor

README = Path(__file__).resolve().parent.parent / "README.md"
ARTICLE = "一文读懂神经网络"
GLOSS = "Neural networks in one read"
MAZUR = '"A Step by Step Backpropagation Example" (2015)'


def help_text(main, capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


@pytest.mark.parametrize("demo", [xor, backprop_by_hand, newton], ids=lambda m: m.__name__)
def test_demo_help_names_the_article_with_its_gloss(demo, capsys):
    text = help_text(demo.main, capsys)
    assert f'"{ARTICLE}" ("{GLOSS}")' in text


def test_mnist_help_names_the_article_with_its_gloss():
    text = " ".join(mnist.make_parser().format_help().split())
    assert f'"{ARTICLE}" ("{GLOSS}")' in text


def test_backprop_help_names_mazurs_worked_example(capsys):
    assert f"Matt Mazur's {MAZUR}" in help_text(backprop_by_hand.main, capsys)


def test_readme_names_the_article_with_its_gloss_near_the_top():
    text = README.read_text(encoding="utf-8")
    intro = text.split("```")[0]  # the paragraphs before the first code block
    assert f'"{ARTICLE}" ("{GLOSS}")' in " ".join(intro.split())
    assert text.count(ARTICLE) == 1


def test_readme_row_of_the_backprop_demo_names_mazurs_worked_example():
    row = next(
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `python -m demos.backprop_by_hand`")
    )
    assert f"Matt Mazur's {MAZUR}" in row


def test_readme_viz_example_shows_gradients_that_are_not_zero(tmp_path, capsys):
    text = README.read_text(encoding="utf-8")
    (command,) = re.findall(r"^\.venv/bin/python -m autograd\.viz (.*)$", text, flags=re.M)
    argv = shlex.split(command)
    argv[argv.index("-o") + 1] = str(tmp_path / "g.svg")
    assert viz.main(argv) == 0
    gradients = re.findall(r"^\s+d/d\w+ = (\S+)$", capsys.readouterr().out, flags=re.M)
    assert len(gradients) == 2
    assert all(float(gradient) != 0.0 for gradient in gradients)
