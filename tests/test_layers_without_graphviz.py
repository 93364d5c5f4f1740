"""Both engines and ``nn`` work where the Python package graphviz is not installed.

Only drawing needs graphviz, and it imports it on first use. Each case runs in a fresh
interpreter whose imports of ``graphviz`` fail, as where the package is missing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A finder ahead of all others that refuses graphviz, as an environment without it would.
BLOCK_GRAPHVIZ = """
import sys


class RefuseGraphviz:
    def find_spec(self, name, path=None, target=None):
        if name == "graphviz" or name.startswith("graphviz."):
            raise ImportError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, RefuseGraphviz())
"""


def run_python(code: str, *, block_graphviz: bool = True) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in the checkout (optionally without graphviz)."""
    script = (BLOCK_GRAPHVIZ if block_graphviz else "") + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_ran(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr


def test_the_blocker_really_hides_graphviz():
    result = run_python("import graphviz")
    assert result.returncode != 0
    assert "ImportError: No module named 'graphviz'" in result.stderr


def test_import_autograd_and_nn_do_not_import_graphviz():
    code = """
        import sys
        import autograd
        import autograd.viz
        import nn
        from autograd import draw_graph
        assert "graphviz" not in sys.modules, "graphviz was imported"
        print("ok")
    """
    for block in (True, False):  # also where graphviz is installed: it is loaded lazily
        result = run_python(code, block_graphviz=block)
        assert_ran(result)
        assert result.stdout == "ok\n"


def test_the_scalar_engine_and_a_scalar_network_train_without_graphviz():
    result = run_python("""
        import nn
        from autograd import Value

        x, y = Value(2.0), Value(-1.0)
        out = (x * y + x).tanh()
        out.backward()
        assert abs(x.grad - (1 - out.data**2) * (y.data + 1)) < 1e-12
        assert abs(y.grad - (1 - out.data**2) * x.data) < 1e-12

        model = nn.MLP(2, [4, 1], activation="tanh", rng=0)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(20):
            loss = nn.mse_loss(model([1.0, -1.0]), [0.5])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.data)
        assert losses[-1] < losses[0]
        print("ok")
    """)
    assert_ran(result)
    assert result.stdout == "ok\n"


def test_the_tensor_engine_and_a_tensor_network_train_without_graphviz():
    result = run_python("""
        import numpy as np
        import nn
        from autograd import Tensor

        a = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
        (a * a).sum().backward()
        assert np.array_equal(a.grad, 2 * a.data)

        model = nn.feedforward(3, [4, 2], "relu", rng=0)
        optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
        x = Tensor(np.ones((5, 3), dtype=np.float32))
        loss = nn.cross_entropy(model(x), np.array([0, 1, 0, 1, 1]))
        loss.backward()
        optimizer.step()
        print("ok")
    """)
    assert_ran(result)
    assert result.stdout == "ok\n"


def test_draw_graph_without_graphviz_names_the_package_and_the_fix():
    result = run_python("""
        from autograd import Value, draw_graph

        try:
            draw_graph(Value(1.0) * 2.0)
        except ImportError as error:
            print(type(error).__name__, error.name)
            print(error)
    """)
    assert_ran(result)
    kind, message = result.stdout.split("\n", 1)
    assert kind == "ImportError graphviz"
    assert message.startswith("draw_graph needs the Python package `graphviz`")
    assert "No module named 'graphviz'" in message  # why it could not be imported
    assert "pip install graphviz" in message  # the fix
    assert "`dot` program" in message and "apt-get install graphviz" in message


def test_names_built_on_graphviz_give_the_same_error_when_asked_for():
    result = run_python("""
        import autograd.viz

        for name in ("render_svg", "ComputationGraph", "GraphvizNotFoundError"):
            try:
                getattr(autograd.viz, name)
            except ImportError as error:
                print(error)
    """)
    assert_ran(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for name, line in zip(("render_svg", "ComputationGraph", "GraphvizNotFoundError"), lines):
        assert line.startswith(f"autograd.viz.{name} needs the Python package `graphviz`")
        assert "pip install graphviz" in line


def test_the_command_line_without_graphviz_says_how_to_install_it(tmp_path):
    output = tmp_path / "g.svg"
    result = run_python(f"""
        import sys
        from autograd.viz import main

        sys.exit(main(["x * 2", "--var", "x=3", "-o", {str(output)!r}]))
    """)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "error: python -m autograd.viz needs the Python package `graphviz`"
    )
    assert "pip install graphviz" in result.stderr
    assert not output.exists()
