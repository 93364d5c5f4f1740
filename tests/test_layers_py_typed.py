"""Both packages ship ``py.typed`` (PEP 561), so type checkers read their annotations.

Without the marker in the installed package, mypy and pyright treat every name imported
from ``autograd`` or ``nn`` as untyped. The marker must be in the source tree, declared as
package data, and copied by setuptools when it builds the packages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import setuptools

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest brings tomli on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGES_WITH_MARKER = ("autograd", "nn")


def setuptools_config() -> dict:
    """``[tool.setuptools]`` of pyproject.toml, as setuptools reads it."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["tool"]["setuptools"]


@pytest.mark.parametrize("package", PACKAGES_WITH_MARKER)
def test_the_package_has_a_py_typed_marker(package):
    assert (ROOT / package / "py.typed").is_file()


@pytest.mark.parametrize("package", PACKAGES_WITH_MARKER)
def test_pyproject_declares_the_marker_as_package_data(package):
    package_data = setuptools_config().get("package-data", {})
    assert "py.typed" in package_data.get(package, []), (
        f'add {package} = ["py.typed"] under [tool.setuptools.package-data]'
    )


def test_setuptools_copies_the_markers_into_the_build(tmp_path, monkeypatch):
    """The step of building a wheel that chooses its files (build_py), from our declaration."""
    config = setuptools_config()
    top_level = sorted(ROOT.iterdir())
    monkeypatch.chdir(ROOT)  # setuptools finds packages relative to the working directory
    distribution = setuptools.Distribution(
        {
            "name": "chaingrad",
            "packages": config["packages"],
            "package_data": config.get("package-data", {}),
            # Not from MANIFEST.in or version control: that would write an .egg-info here.
            "include_package_data": False,
            "script_name": "setup.py",
        }
    )
    build_py = distribution.get_command_obj("build_py")
    build_py.build_lib = str(tmp_path)
    distribution.run_command("build_py")
    built = {path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*")}
    assert "autograd/value.py" in built and "nn/datasets/mnist.py" in built
    for package in PACKAGES_WITH_MARKER:
        assert f"{package}/py.typed" in built
    assert sorted(ROOT.iterdir()) == top_level  # nothing written in the checkout
