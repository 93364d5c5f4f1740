"""Packaging and tooling: pinned linters that `make test` runs, the license, one version.

These read the project's own files (pyproject.toml, Makefile, LICENSE) as specifications:
a fresh checkout's `make test` must judge the code exactly as `make lint` does.
"""

import importlib.metadata
import re
from pathlib import Path

import autograd
import nn

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def dev_requirements() -> dict[str, str]:
    """``{"ruff": "==0.17.6", ...}`` from the dev extra (tomllib is not in Python 3.10)."""
    block = re.search(r"^dev = \[(.*?)\]$", PYPROJECT, flags=re.S | re.M)
    assert block, "pyproject.toml has no dev extra"
    requirements = re.findall(r'"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?([^"]*)"', block.group(1))
    return {name: spec for name, spec in requirements}


def make_rule(target: str) -> tuple[list[str], list[str]]:
    """The prerequisites and the recipe lines of one Makefile rule."""
    match = re.search(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n)*)", MAKEFILE, flags=re.M)
    assert match, f"Makefile has no rule for {target}"
    prerequisites = match.group(1).split()
    recipe = [line.strip() for line in match.group(2).splitlines()]
    return prerequisites, recipe


# -- the tools that judge the code are pinned, and `make test` runs all of them


def test_lint_and_test_tools_are_pinned_to_exact_versions():
    requirements = dev_requirements()
    for tool in ("pytest", "hypothesis", "ruff", "mypy"):
        assert re.fullmatch(r"==\d+(\.\d+)+", requirements.get(tool) or ""), (
            f"{tool} in the dev extra: {requirements.get(tool)!r}"
        )


def test_make_lint_runs_ruff_check_ruff_format_check_and_mypy():
    _, recipe = make_rule("lint")
    commands = " | ".join(recipe)
    assert "-m ruff check ." in commands
    assert "-m ruff format --check ." in commands
    assert "-m mypy" in commands


def test_make_test_runs_the_whole_lint_before_pytest():
    prerequisites, recipe = make_rule("test")
    assert "lint" in prerequisites
    assert any("-m pytest" in line for line in recipe)


def test_the_installed_stamp_is_renewed_when_pyproject_changes():
    prerequisites, _ = make_rule("$(INSTALLED)")
    assert "pyproject.toml" in prerequisites


def test_mypy_checks_both_packages_with_untyped_defs():
    settings = PYPROJECT[PYPROJECT.index("[tool.mypy]") :]
    assert re.search(r'^files = \["autograd", "nn"\]', settings, flags=re.M)
    assert re.search(r"^check_untyped_defs = true", settings, flags=re.M)


# -- license and version


def test_license_file_is_mit_with_the_authors_copyright():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the chaingrad authors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_license_is_declared_as_an_spdx_expression_with_its_file():
    assert re.search(r'^license = "MIT"$', PYPROJECT, flags=re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', PYPROJECT, flags=re.M)
    # SPDX strings and license-files need setuptools 77; older ones print a deprecation banner.
    assert re.search(r'^requires = \["setuptools>=(7[7-9]|[89]\d)', PYPROJECT, flags=re.M)


def test_version_is_written_once_and_read_by_the_build():
    assert re.search(r'^dynamic = \["version"\]', PYPROJECT, flags=re.M)
    assert 'version = { attr = "autograd.__version__" }' in PYPROJECT
    assert re.fullmatch(r"\d+\.\d+\.\d+", autograd.__version__)


def test_both_packages_report_the_installed_distribution_version():
    installed = importlib.metadata.version("chaingrad")
    assert autograd.__version__ == installed
    assert nn.__version__ == installed
