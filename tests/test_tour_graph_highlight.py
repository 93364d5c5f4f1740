"""draw_graph(root, highlight=node): the node in red, and every path from it to the output."""

import re

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, draw_graph, topological_order
from autograd.viz_graph import HIGHLIGHT_COLOURS

FILL, RED = HIGHLIGHT_COLOURS


def attributes(source: str, name: str) -> str:
    """The attribute list of DOT node ``name`` in ``source``."""
    match = re.search(rf"^\s*{name} \[(.*?)\]$", source, flags=re.M | re.S)
    assert match, f"no node {name} in the DOT source"
    return match.group(1)


def edge(source: str, tail: str, head: str) -> str:
    match = re.search(rf"^\s*{tail} -> {head}(?: \[(.*?)\])?$", source, flags=re.M)
    assert match, f"no edge {tail} -> {head}"
    return match.group(1) or ""


def names(root) -> dict[str, str]:
    """``{label: "v{i}"}``: each labelled node's DOT name (its place in topological order)."""
    return {node.label: f"v{i}" for i, node in enumerate(topological_order(root)) if node.label}


def small_graph():
    """L = (a·b) + c, with d = tanh(c) off to the side of a·b."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="c")
    ab = a * b
    ab.label = "ab"
    d = c.tanh()
    d.label = "d"
    loss = ab + d
    loss.label = "L"
    loss.backward()
    return loss, ab


def test_the_highlighted_node_is_filled_red_and_the_path_to_the_output_is_red():
    loss, ab = small_graph()
    source = draw_graph(loss, highlight=ab).source
    ids = names(loss)
    assert f'fillcolor="{FILL}"' in attributes(source, ids["ab"])
    assert f'color="{RED}"' in attributes(source, ids["ab"])
    output = attributes(source, ids["L"])
    assert f'color="{RED}"' in output and f'fillcolor="{FILL}"' not in output
    position = int(ids["L"][1:])
    assert f'color="{RED}"' in edge(source, ids["ab"], f"op{position}")
    assert f'color="{RED}"' in edge(source, f"op{position}", ids["L"])


def test_nodes_and_edges_off_the_path_stay_uncoloured():
    loss, ab = small_graph()
    source = draw_graph(loss, highlight=ab).source
    ids = names(loss)
    for off_path in ("a", "b", "c", "d"):  # a and b feed the culprit, c and d do not
        assert RED not in attributes(source, ids[off_path]), off_path
    position = int(ids["L"][1:])
    assert RED not in edge(source, ids["d"], f"op{position}")


def test_the_operation_that_made_the_highlighted_node_is_red_but_not_its_inputs():
    loss, ab = small_graph()
    source = draw_graph(loss, highlight=ab).source
    ids = names(loss)
    made_by = f"op{ids['ab'][1:]}"
    assert f'color="{RED}"' in attributes(source, made_by)
    assert f'color="{RED}"' in edge(source, made_by, ids["ab"])
    assert RED not in edge(source, ids["a"], made_by)


def test_several_nodes_highlight_every_path():
    loss, _ = small_graph()
    ids = names(loss)
    by_label = {n.label: n for n in topological_order(loss) if n.label}
    source = draw_graph(loss, highlight=[by_label["a"], by_label["c"]]).source
    for on_path in ("a", "c", "ab", "d", "L"):
        assert f'color="{RED}"' in attributes(source, ids[on_path]), on_path
    assert RED not in attributes(source, ids["b"])


def test_the_legend_explains_the_red():
    loss, ab = small_graph()
    assert "its path to the output" in draw_graph(loss, highlight=ab).source
    assert "its path to the output" not in draw_graph(loss).source


def test_tensors_are_highlighted_too():
    x = Tensor(np.array([[1.0, -2.0]]), requires_grad=True)
    w = Tensor(np.array([[0.5], [0.25]]), requires_grad=True)
    hidden = (x @ w).tanh()
    loss = hidden.sum()
    loss.backward()
    order = topological_order(loss)
    source = draw_graph(loss, highlight=hidden).source
    where = next(i for i, node in enumerate(order) if node is hidden)
    assert f'fillcolor="{FILL}"' in attributes(source, f"v{where}")
    assert f'color="{RED}"' in attributes(source, f"v{len(order) - 1}")
    assert RED not in attributes(source, f"v{order.index(x)}")


def test_a_node_outside_the_graph_is_refused_with_its_name():
    loss, _ = small_graph()
    stranger = Value(7.0, label="stranger")
    with pytest.raises(ValueError, match=r"'stranger'.* is not in the graph of root"):
        draw_graph(loss, highlight=stranger)


def test_highlight_must_be_nodes():
    loss, _ = small_graph()
    with pytest.raises(TypeError, match="highlight must be a node"):
        draw_graph(loss, highlight="ab")
    with pytest.raises(TypeError, match="highlight must hold nodes"):
        draw_graph(loss, highlight=[1.5])


def test_highlight_renders(tmp_path):
    loss, ab = small_graph()
    svg = draw_graph(loss, highlight=ab).pipe(format="svg", encoding="utf-8")
    assert RED in svg


def test_a_parameter_inside_a_module_box_gets_a_red_border():
    nn.manual_seed(0)
    model = nn.MLP(2, [2, 1], activation="sigmoid")
    (out,) = model([Value(1.0, label="x1"), Value(0.0, label="x2")])
    out.backward()
    weight = model.layers[0].neurons[1].weights[0]
    graph = draw_graph(out, module=model, highlight=weight)
    assert f'border="2" color="{RED}" bgcolor="{FILL}"' in graph.source
    assert "<svg" in graph.pipe(format="svg", encoding="utf-8")
