"""``python -m autograd.viz`` against bad input: a usage error (status 2), never a traceback.

Every refusal is two lines on stderr (the short usage line and the error) and writes nothing.
Labels that Graphviz cannot take (control characters, lone surrogates, 16 KiB and more) are
escaped or cut, and the result is checked by rendering with the real ``dot``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

from autograd import Value, draw_graph
from autograd.viz import ComputationGraph, ExpressionError, build_expression, main

CHAIN_400 = "+".join(["x"] * 400)
SVG = "{http://www.w3.org/2000/svg}"


def refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI with ``argv``; check it exits 2 with two lines on stderr; return them."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("usage: python -m autograd.viz")
    assert "Traceback" not in err
    return lines[1]


# (expression and options, a fragment of the message). "OUT" is replaced by a file in tmp_path.
BAD_ARGUMENTS = {
    "400 chained terms around a forbidden operator": (
        [f"({CHAIN_400}) // 2", "--var", "x=1"],
        "operator '//' is not allowed",
    ),
    "a 400-digit integer": (["1" * 400], "too large for a float"),
    "an empty expression": ([""], "the expression is empty"),
    "only spaces": (["   "], "the expression is empty"),
    "a lone surrogate (a byte that is not UTF-8)": (["x + \udcff", "--var", "x=1"], "surrogate"),
    "a null byte": (["x\x00", "--var", "x=1"], "cannot parse"),
    "parentheses nested 300 deep": (["(" * 300 + "x" + ")" * 300, "--var", "x=1"], "cannot parse"),
    "a variable given twice": (["x", "--var", "x=1", "--var", "x=2"], "given twice"),
    "a variable without a number": (["x", "--var", "x="], "is not a number"),
    "--max-nodes 0": (["x", "--var", "x=1", "--max-nodes", "0"], "--max-nodes: must be at least 1"),
    "--max-nodes -5": (["x", "--var", "x=1", "--max-nodes", "-5"], "must be at least 1"),
    "--max-nodes 2.5": (["x", "--var", "x=1", "--max-nodes", "2.5"], "positive whole number"),
    "--rankdir XY": (["x", "--var", "x=1", "--rankdir", "XY"], "invalid choice"),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS, ids=list(BAD_ARGUMENTS))
def test_a_bad_argument_is_a_two_line_usage_error_and_writes_nothing(case, tmp_path, capsys):
    argv, fragment = BAD_ARGUMENTS[case]
    out = tmp_path / "g.svg"
    message = refusal(capsys, [*argv, "-o", str(out)])
    assert fragment in message
    assert not out.exists()


def test_a_long_chain_around_a_forbidden_piece_is_refused_without_recursion_error():
    with pytest.raises(ExpressionError, match="'//' is not allowed"):
        build_expression(f"({'+'.join(['x'] * 2000)}) // 2", {"x": 1.0})


def test_a_too_big_integer_is_refused_but_a_float_literal_is_infinity():
    with pytest.raises(ExpressionError, match="too large for a float"):
        build_expression("x * " + "9" * 400, {"x": 1.0})
    assert build_expression("1e400", {}).data == float("inf")


def test_huge_exponents_give_infinity_not_a_crash():
    assert build_expression("x ** 1e308", {"x": 2.0}).data == float("inf")
    assert build_expression("10 ** 10 ** 10", {}).data == float("inf")


# ------------------------------------------------------------------ the output file


@pytest.mark.parametrize("name", ["g.jpg", "g", "g.svg.bak"])
def test_an_output_suffix_that_is_not_a_format_is_refused_listing_the_formats(
    name, tmp_path, capsys
):
    message = refusal(capsys, ["x", "--var", "x=1", "-o", str(tmp_path / name)])
    assert "is not an output format; end the name with .svg, .png, .pdf, .dot, .gv" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF"), (".svg", b"<?xml"), (".dot", b"digraph")],
)
def test_the_output_suffix_picks_the_format(suffix, magic, tmp_path, capsys):
    out = tmp_path / f"g{suffix.upper()}"
    assert main(["x * y", "--var", "x=2", "--var", "y=3", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_an_output_directory_that_does_not_exist_is_refused_not_created(tmp_path, capsys):
    out = tmp_path / "missing" / "deeper" / "g.svg"
    message = refusal(capsys, ["x", "--var", "x=1", "-o", str(out)])
    assert f"the directory {out.parent} does not exist; create it first" in message
    assert not (tmp_path / "missing").exists()


def test_an_output_path_that_is_a_directory_is_refused(tmp_path, capsys):
    (tmp_path / "g.svg").mkdir()
    message = refusal(capsys, ["x", "--var", "x=1", "-o", str(tmp_path / "g.svg")])
    assert "is a directory; name a file in it" in message
    assert (tmp_path / "g.svg").is_dir()


def test_an_output_path_that_is_a_fifo_is_refused_and_left_alone(tmp_path, capsys):
    fifo = tmp_path / "g.svg"
    os.mkfifo(fifo)
    assert "is not a regular file" in refusal(capsys, ["x", "--var", "x=1", "-o", str(fifo)])
    assert not fifo.is_file() and fifo.exists()


# ------------------------------------------------------------------ --max-nodes


def test_a_graph_over_the_limit_is_refused_naming_the_option_that_raises_it(tmp_path, capsys):
    out = tmp_path / "g.svg"
    message = refusal(capsys, ["x * x * x", "--var", "x=1", "--max-nodes", "2", "-o", str(out)])
    assert "3 values, more than --max-nodes 2; pass --max-nodes 3" in message
    assert main(["x * x * x", "--var", "x=1", "--max-nodes", "3", "-o", str(out)]) == 0
    assert out.exists()


def test_the_default_limit_is_500_values_and_its_refusal_names_max_nodes(tmp_path, capsys):
    message = refusal(
        capsys, ["+".join(["x"] * 501), "--var", "x=1", "-o", str(tmp_path / "g.svg")]
    )
    assert "more than --max-nodes 500; pass --max-nodes 501" in message


def test_the_option_named_in_the_refusal_exists_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--max-nodes N" in capsys.readouterr().out


# ------------------------------------------------------------------ dot failing


def test_dot_failing_on_a_graph_is_reported_in_two_lines_with_status_1(
    monkeypatch, tmp_path, capsys
):
    def crash(self, *args, **kwargs):
        raise graphviz.CalledProcessError(-11, ["dot", "-Tsvg"], output=b"", stderr=b"")

    monkeypatch.setattr(ComputationGraph, "pipe", crash)
    assert main(["x", "--var", "x=1", "-o", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "error: Graphviz's dot failed on this graph: it crashed (SIGSEGV)"
    assert len(err.splitlines()) == 2
    assert not (tmp_path / "g.svg").exists()


def test_a_dot_error_message_is_quoted_in_the_report(monkeypatch, tmp_path, capsys):
    def fail(self, *args, **kwargs):
        raise graphviz.CalledProcessError(1, ["dot"], stderr=b"Error: syntax error in line 3\n")

    monkeypatch.setattr(ComputationGraph, "pipe", fail)
    assert main(["x", "--var", "x=1", "-o", str(tmp_path / "g.png")]) == 1
    assert "exited with status 1: Error: syntax error in line 3" in capsys.readouterr().err


def test_the_cli_runs_as_a_program_with_a_two_line_error(tmp_path):
    command = [sys.executable, "-m", "autograd.viz", "1" * 400, "-o", str(tmp_path / "g.svg")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 2
    assert "too large for a float" in result.stderr


# ------------------------------------------------------------------ labels dot cannot take


def rendered_texts(root: Value) -> list[str]:
    """All text in the SVG that the real ``dot`` draws for ``root``'s graph."""
    svg = ET.fromstring(draw_graph(root).pipe(format="svg"))
    return [text.text for text in svg.iter(f"{SVG}text") if text.text]


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("a\x00b", "a\\x00b"),
        ("bell\x07", "bell\\x07"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("new\nline", "new\\nline"),
        ("lone \ud800", "lone \\ud800"),
        ("not \ufffe a char", "not \\ufffe a char"),
    ],
)
def test_a_label_with_characters_dot_rejects_is_drawn_escaped(label, shown):
    x = Value(2.0, label=label)
    out = x * x
    out.backward()
    assert shown in rendered_texts(out)


@pytest.mark.parametrize("length", [17_000, 100_000])
def test_a_huge_label_is_shortened_and_drawn(length):
    x = Value(2.0, label="x" * length)
    texts = rendered_texts(x.tanh())
    (title,) = [text for text in texts if text.startswith("xxx")]
    assert title.endswith("…")
    assert len(title) <= 80


def test_an_unusual_operation_name_is_escaped_too():
    x = Value(2.0, label="x")
    out = x.tanh()
    out.op = "op\x07<b>"
    assert "op\\x07<b>" in rendered_texts(out)


def test_ordinary_unicode_labels_are_drawn_as_they_are():
    x = Value(2.0, label="é😀 ∂L/∂w")
    assert "é😀 ∂L/∂w" in rendered_texts(x.tanh())


def test_the_cli_prints_a_path_its_stdout_cannot_encode_without_crashing(tmp_path):
    out = tmp_path / "é.svg"
    command = [sys.executable, "-m", "autograd.viz", "x", "--var", "x=1", "-o", str(out)]
    environment = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    assert "\\xe9.svg" in result.stdout
    assert Path(out).exists()


def test_a_variable_name_python_normalizes_still_matches_the_expression(tmp_path, capsys):
    # Python reads the ligature "ﬁ" in an expression as the name "fi".
    assert main(["ﬁ * 2", "--var", "ﬁ=3", "-o", str(tmp_path / "g.svg")]) == 0
    assert "ﬁ * 2 = 6" in capsys.readouterr().out


def test_an_output_name_too_long_for_the_file_system_is_a_usage_error(tmp_path, capsys):
    message = refusal(capsys, ["x", "--var", "x=1", "-o", str(tmp_path / ("a" * 300 + ".svg"))])
    assert "File name too long" in message
