"""Draw every picture README.md shows, from the code it documents: ``make docs``.

Run ``python -m docs.make_pictures`` from the checkout; it writes each picture into ``docs/``
and prints its path and size. A picture comes from one of two places:

* a snippet of the README: the last Python block above the picture, run as it is written
  (in a scratch directory, where it writes its own copy), whose ``graph`` is the picture —
  so the README's code and its picture cannot part;
* a demo: the function that draws the demo's graph (``demos.backprop_by_hand.loss_graph``).

``tests/test_docs_pictures.py`` draws each picture again and fails when a committed one no
longer shows what the code draws (its node and edge labels, not its bytes).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import graphviz

from autograd.viz import render_svg
from demos import backprop_by_hand

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def readme_images(readme: str) -> list[str]:
    """The pictures the README shows from ``docs/``, by file name, in order."""
    return re.findall(r"!\[[^\]]*\]\(docs/([^)\s]+)\)", readme)


def snippet_above(image: str, readme: str) -> str:
    """The README's Python block that draws ``image``: the last one above ``![…](docs/image)``.

    Raises:
        ValueError: the README does not show ``image``, or has no Python block above it.
    """
    position = readme.find(f"](docs/{image})")
    if position < 0:
        raise ValueError(f"snippet_above: README.md does not show docs/{image}")
    blocks = re.findall(r"```python\n(.*?)```", readme[:position], flags=re.S)
    if not blocks:
        raise ValueError(f"snippet_above: README.md has no Python block above docs/{image}")
    return blocks[-1]


def run_snippet(code: str) -> graphviz.Digraph:
    """Run a README snippet in a scratch directory and return the ``graph`` it draws.

    The snippet runs as a reader would run it, files and all; what it writes is thrown away.

    Raises:
        ValueError: the snippet defines no ``graph`` (a ``graphviz.Digraph``).
    """
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            exec(compile(code, str(README), "exec"), namespace)
        finally:
            os.chdir(here)
    graph = namespace.get("graph")
    if not isinstance(graph, graphviz.Digraph):
        raise ValueError("run_snippet: the snippet must leave its drawing in `graph`")
    return graph


def readme_snippet(image: str) -> Callable[[], graphviz.Digraph]:
    """A picture drawn by the README's own snippet above it."""
    return lambda: run_snippet(snippet_above(image, README.read_text(encoding="utf-8")))


def backprop_graph() -> graphviz.Digraph:
    """The graph of ``python -m demos.backprop_by_hand``: the 2-2-2 network on Mazur's numbers."""
    model = backprop_by_hand.build_network(backprop_by_hand.WEIGHTS, backprop_by_hand.BIASES)
    loss, _ = backprop_by_hand.by_engine(model, backprop_by_hand.INPUTS, backprop_by_hand.TARGETS)
    return backprop_by_hand.loss_graph(loss, model)


PICTURES: dict[str, Callable[[], graphviz.Digraph]] = {
    "xor_graph.svg": readme_snippet("xor_graph.svg"),
    "backprop_graph.svg": backprop_graph,
    "sigmoid_chain.svg": readme_snippet("sigmoid_chain.svg"),
}
"""Every picture in ``docs/`` that the README shows, and the function that draws it."""


def svg_size(path: Path) -> str:
    """``"775 × 1021 pt"``: an SVG's width and height as Graphviz wrote them."""
    root = ET.parse(path).getroot()
    width, height = (root.get(side, "?").removesuffix("pt") for side in ("width", "height"))
    return f"{width} × {height} pt"


def main(argv: Sequence[str] | None = None) -> int:
    """Draw every picture into ``docs/``; returns the exit status (1 if the README shows a
    picture that no function here draws).

    Raises:
        autograd.viz.GraphvizNotFoundError: Graphviz's ``dot`` program is not installed.
    """
    parser = argparse.ArgumentParser(
        prog="python -m docs.make_pictures",
        description="Draw every picture README.md shows into docs/, from the code it documents.",
    )
    parser.parse_args(argv)
    shown = readme_images(README.read_text(encoding="utf-8"))
    unknown = [image for image in shown if image not in PICTURES]
    if unknown:
        print(
            f"error: README.md shows {', '.join(unknown)}, which no function in "
            "docs/make_pictures.py draws; add it to PICTURES"
        )
        return 1
    for image, draw in PICTURES.items():
        path = render_svg(draw(), DOCS / image)
        print(f"wrote {path.relative_to(ROOT)} ({svg_size(path)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
