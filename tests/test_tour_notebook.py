"""docs/tour.ipynb runs top to bottom in a fresh kernel, and its graphs show inline as SVG.

The kernel is this interpreter (``sys.executable``), found through a kernel spec written into
tmp_path, so nothing is registered with Jupyter; every directory Jupyter, IPython or
matplotlib would write to points into tmp_path too, and the notebook runs there.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "tour.ipynb"
KERNEL = "chaingrad-tour"


@pytest.fixture
def kernel_home(tmp_path, monkeypatch) -> Path:
    """A kernel spec for this Python, importing this checkout, and a home for Jupyter's files."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "chaingrad (tests)",
                "language": "python",
                "env": {"PYTHONPATH": str(ROOT)},
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    for variable, directory in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
        ("TMPDIR", "tmp"),
    ]:
        (tmp_path / directory).mkdir()
        monkeypatch.setenv(variable, str(tmp_path / directory))
    work = tmp_path / "work"
    work.mkdir()
    return work


def run(notebook: nbformat.NotebookNode, where: Path) -> nbformat.NotebookNode:
    """Execute every cell in order in a fresh kernel running in ``where``.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised (the message names it).
    """
    client = NotebookClient(
        notebook, kernel_name=KERNEL, timeout=120, resources={"metadata": {"path": str(where)}}
    )
    client.execute()
    return notebook


@pytest.fixture
def executed(kernel_home) -> nbformat.NotebookNode:
    return run(nbformat.read(NOTEBOOK, as_version=4), kernel_home)


def outputs(notebook: nbformat.NotebookNode) -> list:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def test_the_tour_runs_top_to_bottom_and_shows_its_graphs_as_svg(executed, kernel_home):
    assert not [o for o in outputs(executed) if o.output_type == "error"]
    svgs = [o for o in outputs(executed) if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 4  # the Value's graph, XOR's loss, and both graphs coloured by gradient
    assert all(o.data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg")) for o in svgs)
    assert any("log scale" in o.data["image/svg+xml"] for o in svgs)
    assert any("image/png" in o.get("data", {}) for o in outputs(executed))  # XOR's features
    pages = [o.data["text/html"] for o in outputs(executed) if "text/html" in o.get("data", {})]
    assert any("<iframe srcdoc=" in page and "cg-state" in page for page in pages)  # backward
    text = "".join(o.get("text", "") for o in outputs(executed))
    accuracy = re.search(r"test accuracy (\d+\.\d)%", text)
    assert accuracy and float(accuracy.group(1)) >= 80.0, text
    assert list(kernel_home.iterdir()) == []  # nothing written where it ran, either


def test_a_cell_that_raises_fails_the_run(kernel_home):
    notebook = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("x / 0")])
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        run(notebook, kernel_home)


def test_the_committed_tour_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_tour_animates_backward():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert any("animate_backward(" in cell.source for cell in notebook.cells)


def test_the_notebook_tools_are_pinned_in_the_dev_extra():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    dev = re.search(r"^dev = \[(.*?)\]$", pyproject, flags=re.S | re.M)
    assert dev
    for tool in ("nbclient", "nbformat", "ipykernel"):
        assert re.search(rf'"{tool}==\d+(\.\d+)+"', dev.group(1)), tool
