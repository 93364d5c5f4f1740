"""Graphs a person can read: inputs and constants as nodes, the article's names, the code's
order, a meaningful title, spaces kept, -0 written 0, and a size that fits a laptop screen."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, draw_graph
from autograd.viz import main
from demos import backprop_by_hand, xor
from demos.common import labelled_forward

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(graph) -> ET.Element:
    return ET.fromstring(graph.pipe(format="svg"))


def nodes(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if "node" in g.get("class", "").split()]


def texts(element: ET.Element) -> list[str]:
    return [t.text.strip() for t in element.iter(f"{SVG}text") if t.text and t.text.strip()]


def node_with_text(svg: ET.Element, text: str) -> ET.Element:
    (node,) = [g for g in nodes(svg) if text in texts(g)]
    return node


def x_of(svg: ET.Element, text: str) -> float:
    """The horizontal position of the (one) text ``text`` in the picture."""
    (x,) = [float(t.get("x")) for t in svg.iter(f"{SVG}text") if (t.text or "").strip() == text]
    return x


def size_in_points(svg: ET.Element) -> tuple[float, float]:
    return float(svg.get("width").removesuffix("pt")), float(svg.get("height").removesuffix("pt"))


@pytest.fixture(scope="module")
def xor_graph() -> ET.Element:
    return svg_of(xor.loss_graph(xor.make_xor_network(np.random.default_rng(0))))


@pytest.fixture(scope="module")
def backprop_graph() -> ET.Element:
    model = backprop_by_hand.build_network(backprop_by_hand.WEIGHTS, backprop_by_hand.BIASES)
    loss, _ = backprop_by_hand.by_engine(model, backprop_by_hand.INPUTS, backprop_by_hand.TARGETS)
    return svg_of(backprop_by_hand.loss_graph(loss, model))


# ------------------------------------------------------------------ roles


def test_an_unnamed_leaf_is_a_constant_drawn_as_its_number_alone():
    x = Value(2.0, label="x")
    svg = svg_of(draw_graph(x * 3))
    constant = node_with_text(svg, "3")
    assert "constant" in constant.get("class").split()
    assert texts(constant) == ["3"]  # no "data", no gradient
    assert "input" in node_with_text(svg, "x").get("class").split()


def test_the_legend_has_an_entry_for_constants():
    x = Value(2.0, label="x")
    svg = svg_of(draw_graph(x * 3))
    assert "constant" in texts(svg)


def test_a_tensor_that_requires_grad_is_an_input_even_without_a_label():
    w = Tensor(np.ones(2), requires_grad=True)
    out = (w * 2.0).sum()
    out.backward()
    source = draw_graph(out).source
    assert source.count('class="value input"') == 1


# ------------------------------------------------------------------ text


def test_minus_zero_is_written_0_in_nodes_and_on_edges():
    x = Value(0.0, label="x")
    out = x * -1.0  # -0.0, and ∂out/∂(-1) = x = 0
    out.backward()
    svg = svg_of(draw_graph(out, show_local_grads=True))
    all_texts = texts(svg)
    assert "-0" not in all_texts
    assert out.data == 0.0 and str(out.data) == "-0.0"  # the number drawn really is -0


def test_no_text_of_the_picture_starts_or_ends_with_a_space():
    # SVG viewers drop the spaces at the ends of a text: "0.5" + " on an edge" would read
    # "0.5on an edge".
    x = Value(2.0, label="x")
    svg = svg_of(draw_graph(x * 3, show_local_grads=True))
    raw = [t.text for t in svg.iter(f"{SVG}text") if t.text]
    assert raw and all(text == text.strip() for text in raw)
    assert "on an edge: local derivative ∂out/∂in" in raw


def test_the_svg_title_is_the_graph_name():
    x = Value(2.0, label="x")
    svg = svg_of(draw_graph(x * 3, name="XOR loss graph"))
    assert svg.find(f"{SVG}g/{SVG}title").text == "XOR loss graph"


def test_by_default_the_svg_title_names_the_roots_label_never_percent_3():
    out = Value(2.0, label="x") * 3
    out.label = "L"
    assert svg_of(draw_graph(out)).find(f"{SVG}g/{SVG}title").text == "computation graph of L"
    out.label = ""
    assert svg_of(draw_graph(out)).find(f"{SVG}g/{SVG}title").text == "computation graph"


def test_the_command_lines_svg_title_is_the_expression(tmp_path, capsys):
    out = tmp_path / "g.svg"
    assert main(["(x*y + x).tanh()", "--var", "x=1", "--var", "y=-0.5", "-o", str(out)]) == 0
    assert ET.parse(out).getroot().find(f"{SVG}g/{SVG}title").text == "(x*y + x).tanh()"


# ------------------------------------------------------------------ the demos' graphs


def test_the_xor_loss_graph_names_what_the_article_names(xor_graph):
    names = set(texts(xor_graph))
    for name in ("x₁", "x₂", "z⁽¹⁾₁", "z⁽¹⁾₂", "h₁", "h₂", "z⁽²⁾", "ŷ", "L"):
        assert name in names, name
    assert "input" in node_with_text(xor_graph, "x₁").get("class").split()


def test_the_xor_loss_graphs_target_and_ones_are_constants(xor_graph):
    constants = [texts(g) for g in nodes(xor_graph) if "constant" in g.get("class").split()]
    # y = 1 (in y·log ŷ), 1 − y = 0 and the 1 of 1 − ŷ
    assert sorted(constants) == [["0"], ["1"], ["1"]]


def test_the_xor_loss_graph_title_is_its_name(xor_graph):
    assert xor_graph.find(f"{SVG}g/{SVG}title").text.startswith("XOR loss graph")


@pytest.mark.parametrize("graph", ["xor_graph", "backprop_graph"])
def test_a_demo_graph_fits_a_laptop_screen(graph, request):
    width, height = size_in_points(request.getfixturevalue(graph))
    assert width <= 1200 and height <= 1300, (width, height)


def test_the_backprop_graph_keeps_the_articles_order(backprop_graph):
    # Top to bottom, the article's order reads left to right.
    for first, second in [("x₁", "x₂"), ("h₁", "h₂"), ("a₁", "a₂"), ("z⁽¹⁾₁", "z⁽¹⁾₂")]:
        assert x_of(backprop_graph, first) < x_of(backprop_graph, second), (first, second)
    assert x_of(backprop_graph, "layers.0.neurons.0") < x_of(backprop_graph, "layers.0.neurons.1")


def test_the_backprop_graph_keeps_each_neurons_parameters_in_order(backprop_graph):
    for layer in (1, 2):
        for j in range(2):
            weights = [backprop_by_hand.weight_name(layer, i, j) for i in range(2)]
            bias = backprop_by_hand.bias_name(layer, j)
            positions = [x_of(backprop_graph, name) for name in [*weights, bias]]
            assert positions == sorted(positions), (layer, j)


def test_the_backprop_graph_draws_inputs_and_constants_as_nodes(backprop_graph):
    assert "input" in node_with_text(backprop_graph, "x₁").get("class").split()
    constants = [texts(g) for g in nodes(backprop_graph) if "constant" in g.get("class").split()]
    assert sorted(constants) == [["0.01"], ["0.5"], ["0.99"]]  # the targets and 1/n


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_inputs_and_neurons_keep_their_order_where_crossings_would_move_them(rankdir):
    # Three inputs into four neurons: without pinning, dot draws x₂ first and neuron 2 last.
    rng = np.random.default_rng(0)
    model = nn.MLP(3, [4, 2], activation="tanh", rng=rng)
    x = [Value(v, label=f"x{i}") for i, v in enumerate([0.5, -1.0, 2.0])]
    loss = nn.mse_loss(model(x), [1.0, 0.0])
    loss.backward()
    svg = svg_of(draw_graph(loss, module=model, rankdir=rankdir))

    def along(text: str) -> float:  # position along a rank: x in rows, y (down) in columns
        (t,) = [t for t in svg.iter(f"{SVG}text") if (t.text or "").strip() == text]
        return float(t.get("x" if rankdir == "TB" else "y"))

    assert along("x0") < along("x1") < along("x2")
    neurons = [along(f"layers.0.neurons.{j}") for j in range(4)]
    assert neurons == sorted(neurons)
    assert along("layers.1.neurons.0") < along("layers.1.neurons.1")


def test_labelled_forward_needs_one_pair_of_names_per_layer():
    model = xor.make_xor_network(np.random.default_rng(0))
    with pytest.raises(ValueError, match=re.escape("1 pairs of names for 2 layers")):
        labelled_forward(model, [Value(0.0), Value(1.0)], [("z", "h")])
