"""The pictures the README shows are what the code draws now: `make docs` draws them all, and
each committed picture has the node and edge labels of a fresh drawing (structure, not bytes)."""

import re
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from autograd import Value, draw_graph
from docs import make_pictures

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
SVG = "{http://www.w3.org/2000/svg}"


def structure(svg: bytes) -> tuple[Counter, Counter]:
    """The multisets of node labels and of edge labels of a Graphviz SVG.

    A node's label is its texts in order, joined by spaces ("x₁ data 1 grad 0.01"); an
    edge's is its text, "" for an unlabelled edge (so the edges are counted too).
    """
    root = ET.fromstring(svg)

    def label(group: ET.Element) -> str:
        return " ".join(t.text.strip() for t in group.iter(f"{SVG}text") if (t.text or "").strip())

    def labels(kind: str) -> Counter:
        return Counter(label(g) for g in root.iter(f"{SVG}g") if kind in g.get("class", "").split())

    return labels("node"), labels("edge")


def differences(committed: Counter, drawn: Counter) -> str:
    return (
        f"only in the committed picture: {sorted((committed - drawn).elements())}; "
        f"only in the code's drawing: {sorted((drawn - committed).elements())}"
    )


def test_every_picture_the_readme_shows_is_drawn_by_make_docs():
    shown = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)
    assert "docs/xor_graph.svg" in shown
    for image in shown:
        assert image.startswith("docs/"), f"{image}: README pictures live in docs/"
        assert image.removeprefix("docs/") in make_pictures.PICTURES, image
        assert (ROOT / image).is_file(), f"{image} is not committed: run make docs"


def test_make_docs_runs_the_picture_script_after_setup_and_graphviz():
    rule = re.search(r"^docs:([^\n]*)\n((?:\t[^\n]*\n)+)", MAKEFILE, flags=re.M)
    assert rule, "Makefile has no docs rule"
    assert {"setup", "graphviz"} <= set(rule.group(1).split())
    assert "-m docs.make_pictures" in rule.group(2)
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE, flags=re.M)
    assert phony and "docs" in phony.group(1).split()


@pytest.fixture(autouse=True)
def scratch_in_tmp_path(tmp_path, monkeypatch):
    """A README snippet runs in a scratch directory: made here, inside tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.mark.parametrize("image", sorted(make_pictures.PICTURES))
def test_the_committed_picture_shows_what_the_code_draws(image):
    committed_nodes, committed_edges = structure((ROOT / "docs" / image).read_bytes())
    drawn_nodes, drawn_edges = structure(make_pictures.PICTURES[image]().pipe(format="svg"))
    assert committed_nodes == drawn_nodes, f"docs/{image} nodes, run make docs: " + differences(
        committed_nodes, drawn_nodes
    )
    assert committed_edges == drawn_edges, f"docs/{image} edges, run make docs: " + differences(
        committed_edges, drawn_edges
    )


def test_the_readme_picture_is_drawn_by_the_snippet_above_it():
    snippet = make_pictures.snippet_above("xor_graph.svg", README)
    assert "draw_graph(loss, module=model, show_local_grads=True" in snippet
    assert 'graph.render("xor_graph"' in snippet


def test_the_structure_differs_when_the_edge_labels_do():
    # What the check compares: a drawing without the local derivatives is another picture.
    x = Value(2.0, label="x")
    out = x * 3
    out.backward()
    with_labels = structure(draw_graph(out, show_local_grads=True).pipe(format="svg"))
    without = structure(draw_graph(out).pipe(format="svg"))
    assert with_labels[0] == without[0]
    assert with_labels[1] != without[1]


def test_a_snippet_must_leave_its_drawing_in_graph():
    with pytest.raises(ValueError, match="`graph`"):
        make_pictures.run_snippet("drawing = 1\n")


def test_snippet_above_names_a_picture_the_readme_does_not_show():
    with pytest.raises(ValueError, match=r"does not show docs/missing\.svg"):
        make_pictures.snippet_above("missing.svg", README)
