"""The part of graph drawing that needs the Python package ``graphviz``.

:func:`autograd.draw_graph` imports this module the first time it draws (through
:func:`autograd.viz_graph.import_viz_graphviz`), so ``import autograd`` works, and both
engines run, where ``graphviz`` is not installed. Here live the classes built on graphviz's
own: the :class:`ComputationGraph` that ``draw_graph`` returns and the
:class:`GraphvizNotFoundError` raised when Graphviz's ``dot`` program is missing, and
:func:`render_svg`, which writes a graph to a file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphviz

from autograd.files import write_atomically
from autograd.viz_graph import INSTALL_HINT

__all__ = ["ComputationGraph", "GraphvizNotFoundError", "render_svg"]


# ------------------------------------------------------------------------ errors


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program, and it is not on ``PATH``.

    A subclass of :class:`graphviz.ExecutableNotFound` (so code catching that still works)
    whose message names the program and how to install it.
    """

    def __init__(self, message: str) -> None:
        # Skip ExecutableNotFound.__init__, which formats its own, vaguer message.
        RuntimeError.__init__(self, message)


def _missing_program_message(program: str) -> str:
    return (
        f"cannot render the graph: Graphviz's `{program}` program was not found on PATH. "
        "The Python package `graphviz` only writes DOT text (the graph and its .source work "
        f"without `{program}`); drawing SVG needs the program itself. {INSTALL_HINT}"
    )


@contextlib.contextmanager
def _explain_missing_program(program: str) -> Iterator[None]:
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(_missing_program_message(program)) from error


class ComputationGraph(graphviz.Digraph):
    """The :class:`graphviz.Digraph` that :func:`draw_graph` returns.

    It is an ordinary Digraph (``.source``, ``.render()``, ``.pipe()``, inline display in
    Jupyter through ``_repr_mimebundle_`` and ``_repr_svg_``), except that rendering without
    Graphviz installed raises :class:`GraphvizNotFoundError`, whose message says how to
    install it.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Render and return the bytes (or text); see :meth:`graphviz.Digraph.pipe`.

        Raises:
            GraphvizNotFoundError: the layout program (``dot``) is not installed.
        """
        with _explain_missing_program(self.engine):
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Render to a file and return its path; see :meth:`graphviz.Digraph.render`.

        ``graph.render(outfile="graph.svg", cleanup=True)`` writes ``graph.svg`` (the format
        follows the suffix) and removes the intermediate DOT file.

        Raises:
            GraphvizNotFoundError: the layout program (``dot``) is not installed.
        """
        with _explain_missing_program(self.engine):
            return super().render(*args, **kwargs)

    def _repr_svg_(self) -> str:
        """The picture as SVG text, for IPython/Jupyter displays that ask for SVG."""
        return self.pipe(format="svg", encoding="utf-8")


# ------------------------------------------------------------------------ rendering


def render_svg(graph: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Render ``graph`` as SVG and write it to ``path`` atomically; return the path.

    The SVG goes to a temporary file in the same directory, then replaces ``path`` in one
    step, so a reader never sees half a file and a failure leaves no partial file behind.

    Raises:
        GraphvizNotFoundError: Graphviz's ``dot`` program is not installed (the message
            says how to install it).
        graphviz.CalledProcessError: ``dot`` failed on the graph.
    """
    target = Path(path)
    with _explain_missing_program(graph.engine):
        svg = graph.pipe(format="svg")
    return write_atomically(target, svg)
