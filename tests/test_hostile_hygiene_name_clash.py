"""Another package named ``autograd`` in the same environment is reported, not obeyed.

HIPS autograd (a dependency of PennyLane and lifelines) is imported as ``autograd`` too.
Found first on ``sys.path``, or installed over our files, it used to make ``import nn`` fail
with "cannot import name 'Value'". Each case runs in a fresh interpreter.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent

# What HIPS autograd's __init__.py provides, in miniature: none of chaingrad's names.
FOREIGN_INIT = '"""Another autograd."""\n\n\ndef grad(fun):\n    return fun\n'


def import_nn(cwd: Path, pythonpath: str | None) -> subprocess.CompletedProcess:
    """``python -c "import nn"`` in ``cwd`` (first on sys.path), with PYTHONPATH as given."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run(
        [sys.executable, "-c", "import nn"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def copy_packages(site: Path) -> Path:
    """Our two packages copied into ``site``, as a regular (non-editable) install lays them."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "autograd", site / "autograd", ignore=ignore)
    shutil.copytree(ROOT / "nn", site / "nn", ignore=ignore)
    return site


def assert_explains_the_clash(result: subprocess.CompletedProcess, foreign_init: Path) -> None:
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: nn: `import autograd` loaded another package")
    assert str(foreign_init) in last_line  # where the other package is
    assert "HIPS autograd" in last_line  # what it probably is
    assert "virtual environment of its own" in last_line  # the fix
    assert "cannot import name" not in result.stderr


def test_our_autograd_carries_the_chaingrad_marker():
    assert autograd.__chaingrad__ is True


def test_import_nn_names_another_autograd_found_first_on_the_path(tmp_path):
    foreign_init = tmp_path / "autograd" / "__init__.py"
    foreign_init.parent.mkdir()
    foreign_init.write_text(FOREIGN_INIT, encoding="utf-8")
    # tmp_path is sys.path[0]; chaingrad's nn comes from the checkout on PYTHONPATH.
    result = import_nn(cwd=tmp_path, pythonpath=str(ROOT))
    assert_explains_the_clash(result, foreign_init)


def test_import_nn_names_another_autograd_installed_over_ours(tmp_path):
    # A regular install of the other package into the same site-packages replaces our
    # autograd/__init__.py and leaves our other modules beside its own.
    site = copy_packages(tmp_path / "site-packages")
    foreign_init = site / "autograd" / "__init__.py"
    foreign_init.write_text(FOREIGN_INIT, encoding="utf-8")
    result = import_nn(cwd=site, pythonpath=None)
    assert_explains_the_clash(result, foreign_init)


def test_import_nn_explains_an_autograd_left_without_its_init_file(tmp_path):
    # Uninstalling the other package afterwards deletes the __init__.py it shared with ours:
    # Python then imports the directory as an empty namespace package.
    site = copy_packages(tmp_path / "site-packages")
    (site / "autograd" / "__init__.py").unlink()
    result = import_nn(cwd=site, pythonpath=None)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"ImportError: nn: the autograd package at {site / 'autograd'}")
    assert "has no __init__.py" in last_line
    assert "reinstall chaingrad" in last_line


def test_import_nn_still_works_with_our_autograd():
    result = import_nn(cwd=ROOT, pythonpath=None)
    assert result.returncode == 0, result.stderr
