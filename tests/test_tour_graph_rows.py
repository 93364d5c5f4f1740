"""draw_graph(root, rows=[[...], ...]): the nodes of each list side by side, lists in order."""

import itertools
import re

import numpy as np
import pytest

from autograd import Tensor, Value, draw_graph, topological_order, weighted_sum


def chain(layers: int):
    h = Value(0.5, label="x")
    rows = []
    for k in range(layers):
        w, b = Value(0.8, label=f"w{k}"), Value(0.1, label=f"b{k}")
        z = weighted_sum([w], [h], b)
        h = z.sigmoid()
        rows.append([w, b, z, h])
    h.backward()
    return h, rows


def names(root, nodes) -> list[str]:
    order = topological_order(root)
    return [f"v{next(i for i, n in enumerate(order) if n is node)}" for node in nodes]


def same_rank_groups(source: str) -> list[set[str]]:
    groups = re.findall(r"\{\s*rank=same\s*(.*?)\}", source, flags=re.S)
    return [set(re.findall(r"^\s*(\w+)\s*$", group, flags=re.M)) for group in groups]


def test_each_list_is_one_rank_with_the_operations_that_made_its_nodes():
    root, rows = chain(3)
    source = draw_graph(root, rankdir="TB", rows=rows).source
    groups = same_rank_groups(source)
    for row in rows:
        w, b, z, h = names(root, row)
        expected = {w, b, z, h, f"op{z[1:]}", f"op{h[1:]}"}
        assert expected in groups


def test_the_rows_are_kept_in_order_by_heavy_invisible_edges():
    root, rows = chain(3)
    source = draw_graph(root, rankdir="TB", rows=rows).source
    firsts = [names(root, row)[0] for row in rows]
    for above, below in itertools.pairwise(firsts):
        assert re.search(rf"{above} -> {below} \[style=invis weight=100\]", source)


def test_rows_make_a_deep_chain_fit_a_screen():
    root, rows = chain(10)

    def size(graph) -> tuple[float, float]:
        svg = graph.pipe(format="svg", encoding="utf-8")
        width, height = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
        return float(width), float(height)

    plain = size(draw_graph(root, rankdir="TB", compact=True))
    in_rows = size(draw_graph(root, rankdir="TB", compact=True, rows=rows))
    assert in_rows[1] < plain[1] / 2
    assert in_rows[0] < 1000 and in_rows[1] < 700  # points: a laptop's screen


def test_a_tensor_graph_takes_rows_too():
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    hidden = (Tensor(np.ones((1, 2))) @ w).tanh()
    loss = hidden.sum()
    loss.backward()
    source = draw_graph(loss, rows=[[w, hidden]]).source
    assert set(names(loss, [w, hidden])) <= same_rank_groups(source)[0]


def test_a_row_node_outside_the_graph_is_refused():
    root, _rows = chain(1)
    with pytest.raises(ValueError, match=r"a Value in rows \('elsewhere'.*not in the graph"):
        draw_graph(root, rows=[[Value(1.0, label="elsewhere")]])


@pytest.mark.parametrize("rows", [[Value(1.0)], "w1", [["w1"]]])
def test_rows_must_be_lists_of_nodes(rows):
    root, _ = chain(1)
    with pytest.raises(TypeError, match="rows must"):
        draw_graph(root, rows=rows)
