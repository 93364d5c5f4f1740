"""Graph drawing: the Digraph's content, real SVG from `dot`, the errors, the safe CLI parser."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import nn
from autograd import Tensor, Value, draw_graph
from autograd.viz import (
    ComputationGraph,
    ExpressionError,
    GraphvizNotFoundError,
    build_expression,
    main,
    render_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


# ------------------------------------------------------------------ helpers


def svg_of(graph: graphviz.Digraph) -> ET.Element:
    """Render with the real `dot` and parse the SVG."""
    return ET.fromstring(graph.pipe(format="svg"))


def groups(svg: ET.Element, kind: str) -> list[ET.Element]:
    """The SVG groups of one kind: "node", "edge" or "cluster"."""
    return [g for g in svg.iter(f"{SVG}g") if kind in g.get("class", "").split()]


def title(group: ET.Element) -> str:
    return group.find(f"{SVG}title").text


def texts(group: ET.Element) -> list[str]:
    return [t.text.strip() for t in group.iter(f"{SVG}text") if t.text and t.text.strip()]


def node_texts(svg: ET.Element, node_id: str) -> list[str]:
    (node,) = [g for g in groups(svg, "node") if title(g) == node_id]
    return texts(node)


def expression():
    """(x*y + x).tanh() at x=2, y=-1, after backward: 5 values, 3 operations, 6 edges."""
    x, y = Value(2.0, label="x"), Value(-1.0, label="y")
    out = (x * y + x).tanh()
    out.backward()
    return out


def xor_model_and_loss():
    nn.manual_seed(0)
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")
    loss = nn.mse_loss(model([1.0, 0.0]), [1.0])
    loss.backward()
    return model, loss


# ------------------------------------------------------------------ structure


def test_rendered_svg_parses_as_xml():
    svg = svg_of(draw_graph(expression()))
    assert svg.tag == f"{SVG}svg"


def test_one_node_per_value_and_one_per_operation():
    svg = svg_of(draw_graph(expression()))
    ids = [title(g) for g in groups(svg, "node")]
    assert sorted(i for i in ids if i.startswith("v")) == ["v0", "v1", "v2", "v3", "v4"]
    assert sorted(i for i in ids if i.startswith("op")) == ["op2", "op3", "op4"]


def test_one_edge_per_operand_and_one_from_each_operation_to_its_result():
    svg = svg_of(draw_graph(expression()))
    edges = sorted(title(g).replace("->", " ") for g in groups(svg, "edge"))
    assert edges == sorted(
        ["v0 op2", "v1 op2", "op2 v2", "v2 op3", "v0 op3", "op3 v3", "v3 op4", "op4 v4"]
    )


def test_a_value_used_twice_gets_an_edge_per_use():
    x = Value(3.0, label="x")
    svg = svg_of(draw_graph(x * x))
    edges = [title(g).replace("->", " ") for g in groups(svg, "edge")]
    assert edges.count("v0 op1") == 2


def test_node_ids_are_positions_in_topological_order_so_the_source_is_reproducible():
    first = draw_graph(expression()).source
    second = draw_graph(expression()).source
    assert first == second
    assert "0x" not in first  # no memory addresses


def test_the_returned_graph_is_a_graphviz_digraph_in_the_requested_format():
    graph = draw_graph(expression(), format="png")
    assert isinstance(graph, graphviz.Digraph)
    assert graph.format == "png"


# ------------------------------------------------------------------ labels


def test_value_nodes_show_label_data_and_grad_to_four_significant_digits():
    x = Value(0.5, label="x")
    out = x.tanh()
    out.backward()
    svg = svg_of(draw_graph(out))
    assert node_texts(svg, "v0") == ["x", "data", "0.5", "grad", "0.7864"]  # 1 - tanh²(0.5)
    assert node_texts(svg, "v1") == ["data", "0.4621", "grad", "1"]


def test_show_grad_false_leaves_gradients_out():
    svg = svg_of(draw_graph(expression(), show_grad=False))
    assert all("grad" not in texts(g) for g in groups(svg, "node"))


def test_operation_nodes_show_the_operation():
    svg = svg_of(draw_graph(expression()))
    assert [texts(g) for g in groups(svg, "node") if title(g).startswith("op")] == [
        ["×"],
        ["+"],
        ["tanh"],
    ]


def test_edges_into_operations_carry_local_derivatives_when_asked():
    svg = svg_of(draw_graph(expression(), show_local_grads=True))
    labels = {title(g).replace("->", " "): texts(g) for g in groups(svg, "edge")}
    assert labels["v0 op2"] == ["-1"]  # ∂(x·y)/∂x = y
    assert labels["v1 op2"] == ["2"]  # ∂(x·y)/∂y = x
    assert labels["v3 op4"] == ["1"]  # 1 - tanh²(0)
    assert labels["op4 v4"] == []


def test_edges_carry_no_labels_by_default():
    svg = svg_of(draw_graph(expression()))
    assert all(texts(g) == [] for g in groups(svg, "edge"))


def test_markup_in_a_label_is_shown_as_text():
    value = Value(1.0, label="<b>&x</b>")
    svg = svg_of(draw_graph(value))
    assert node_texts(svg, "v0")[0] == "<b>&x</b>"


# ------------------------------------------------------------------ roles and modules


def test_without_a_module_leaves_are_inputs_and_the_root_is_the_output():
    source = draw_graph(expression()).source
    assert source.count('class="value input"') == 2
    assert source.count('class="value intermediate"') == 2
    assert source.count('class="value output"') == 1


def parameter_nodes(svg: ET.Element) -> list[ET.Element]:
    return [g for g in groups(svg, "node") if "parameter" in g.get("class").split()]


def test_a_modules_parameters_are_drawn_one_node_per_neuron_named_by_path():
    model, loss = xor_model_and_loss()
    svg = svg_of(draw_graph(loss, module=model))
    names = {texts(g)[0] for g in parameter_nodes(svg)}
    assert names == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.1.neurons.0"}


def test_each_parameter_has_its_own_edge_from_its_neurons_node():
    model, loss = xor_model_and_loss()
    svg = svg_of(draw_graph(loss, module=model))
    tails = [title(g).split("->")[0] for g in groups(svg, "edge")]
    assert len([t for t in tails if t.startswith("p")]) == len(model.parameters()) == 9


def test_a_parameter_without_a_label_is_named_by_its_path_in_its_neuron_in_order():
    model, loss = xor_model_and_loss()
    svg = svg_of(draw_graph(loss, module=model))
    for node in parameter_nodes(svg):
        names = [t for t in texts(node) if t in ("weights.0", "weights.1", "bias")]
        assert names == ["weights.0", "weights.1", "bias"]


def test_a_module_must_have_named_parameters():
    with pytest.raises(TypeError, match="named_parameters"):
        draw_graph(expression(), module=object())


def test_the_legend_names_the_roles_present():
    model, loss = xor_model_and_loss()
    svg = svg_of(draw_graph(loss, module=model, show_local_grads=True))
    roles = ("input", "parameter", "constant", "intermediate", "output")
    legend = [t for t in texts(svg) if t in roles]
    assert legend == ["parameter", "constant", "intermediate", "output"]  # numbers fed in
    assert any("∂out/∂in" in t for t in texts(svg))


def test_no_legend_when_asked():
    svg = svg_of(draw_graph(expression(), legend=False))
    assert "operation" not in texts(svg)


# ------------------------------------------------------------------ size


def test_a_graph_over_max_nodes_is_refused_with_its_size_and_the_fix():
    with pytest.raises(ValueError) as refusal:
        draw_graph(expression(), max_nodes=4)
    message = str(refusal.value)
    assert "5 values" in message
    assert "max_nodes=5" in message
    assert "smaller piece" in message


def test_a_long_chain_is_refused_without_recursion_error_or_building():
    node = Value(0.0)
    for _ in range(100_000):
        node = node + 1.0
    # one node per step: the 1.0 of each addition is the node's constant, not a node
    with pytest.raises(ValueError, match="100001 values"):
        draw_graph(node)


def test_raising_max_nodes_draws_a_bigger_graph():
    graph = draw_graph(expression(), max_nodes=5)
    assert graph.source.count('class="value') == 5


def test_graphs_over_the_compact_threshold_get_one_line_nodes():
    x = Value(1.0, label="x")
    node = x
    for _ in range(70):
        node = node * 1.0
    svg = svg_of(draw_graph(node))
    assert "data" not in node_texts(svg, "v0")


def test_a_list_of_outputs_is_refused_with_a_hint():
    with pytest.raises(TypeError, match=r"outputs\[0\]"):
        draw_graph([expression()])


def test_an_unknown_rankdir_is_refused():
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(expression(), rankdir="sideways")


# ------------------------------------------------------------------ tensors


def test_a_tensor_node_shows_shape_dtype_and_summary_not_the_whole_array():
    t = Tensor(np.arange(12.0).reshape(3, 4), label="t")
    svg = svg_of(draw_graph(t))
    assert node_texts(svg, "v0") == [
        "t",
        "(3, 4) float64",
        "data",
        "mean 5.5 min 0 max 11",
        "grad",
        "None",
    ]


def test_a_tiny_tensor_shows_its_values():
    t = Tensor(np.array([0.5, -2.0]), label="b")
    assert "[0.5, -2]" in node_texts(svg_of(draw_graph(t)), "v0")


def test_a_tensor_graph_shows_its_gradients_after_backward():
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="w")
    loss = (w * w).sum()
    loss.backward()
    svg = svg_of(draw_graph(loss))
    assert node_texts(svg, "v0")[-1] == "[2, 4, 6, 8]"  # ∂Σw²/∂w = 2w
    assert node_texts(svg, "v2")[-1] == "1"


# ------------------------------------------------------------------ rendering


def test_render_svg_writes_the_file_and_returns_its_path(tmp_path):
    path = render_svg(draw_graph(expression()), tmp_path / "g.svg")
    assert path == tmp_path / "g.svg"
    assert ET.parse(path).getroot().tag == f"{SVG}svg"


def test_render_svg_leaves_no_temporary_file(tmp_path):
    render_svg(draw_graph(expression()), tmp_path / "g.svg")
    assert os.listdir(tmp_path) == ["g.svg"]


def test_digraph_render_with_outfile_writes_svg_and_cleans_up(tmp_path):
    draw_graph(expression()).render(outfile=tmp_path / "g.svg", cleanup=True)
    assert os.listdir(tmp_path) == ["g.svg"]


def test_the_graph_displays_inline_in_jupyter_as_svg():
    bundle = draw_graph(expression())._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


@pytest.fixture
def no_dot_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))


def test_without_dot_the_graph_and_its_source_are_still_built(no_dot_on_path):
    assert draw_graph(expression()).source.startswith("digraph")


def test_without_dot_render_svg_names_dot_and_how_to_install_it(no_dot_on_path, tmp_path):
    with pytest.raises(GraphvizNotFoundError) as missing:
        render_svg(draw_graph(expression()), tmp_path / "g.svg")
    message = str(missing.value)
    assert "`dot`" in message
    assert "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert "conda install graphviz" in message


def test_without_dot_digraph_render_gives_the_same_explanation(no_dot_on_path, tmp_path):
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        draw_graph(expression()).render(outfile=tmp_path / "g.svg")


def test_the_missing_dot_error_is_still_a_graphviz_executable_not_found(no_dot_on_path):
    with pytest.raises(graphviz.ExecutableNotFound):
        draw_graph(expression()).pipe()


def test_the_drawn_graph_is_a_computation_graph():
    assert isinstance(draw_graph(expression()), ComputationGraph)


# ------------------------------------------------------------------ the expression parser


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x*y + x", 0.0),
        ("-(x - 3) / 2", 0.5),
        ("x ** 2 + 2 ** y", 4.5),
        ("(x*y + x).tanh()", 0.0),
        ("x.exp().log()", 2.0),
        ("(0 - x).relu() + y.sigmoid() * 0", 0.0),
    ],
)
def test_an_expression_builds_the_value_python_would_compute(text, expected):
    assert build_expression(text, {"x": 2.0, "y": -1.0}).data == pytest.approx(expected)


def test_variables_become_values_labelled_with_their_names():
    out = build_expression("x * y * 3", {"x": 2.0, "y": 1.0})
    assert [p.label for p in out.parents[0].parents] == ["x", "y"]
    assert (out.op, out.constant) == ("*c", 3.0)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("__import__('os')", "'__import__'"),
        ("open('f')", "'open'"),
        ("x.data", "'x.data'"),
        ("x.__class__", "'x.__class__'"),
        ("x.backward()", "'backward'"),
        ("x.tanh(2)", ".tanh() takes no arguments"),
        ("x // 2", "'//'"),
        ("x @ x", "'@'"),
        ("'text'", "'text'"),
        ("x[0]", "indexing"),
        ("lambda: 1", "lambdas"),
        ("x if x else x", "conditional"),
        ("True + x", "True"),
        ("not x", "'not'"),
    ],
)
def test_the_parser_refuses_everything_else_naming_it(text, named):
    with pytest.raises(ExpressionError) as refusal:
        build_expression(text, {"x": 1.0})
    assert named in str(refusal.value)


def test_the_parser_names_an_unknown_variable():
    with pytest.raises(ExpressionError, match="unknown variable 'z'"):
        build_expression("x + z", {"x": 1.0})


def test_the_parser_reports_a_syntax_error():
    with pytest.raises(ExpressionError, match="cannot parse"):
        build_expression("x +* 2", {"x": 1.0})


def test_huge_constant_powers_give_inf_at_once_instead_of_hanging():
    assert build_expression("10 ** 10 ** 10", {}).data == float("inf")


def test_a_long_expression_is_evaluated_without_recursion():
    assert build_expression("+".join(["x"] * 2000), {"x": 1.0}).data == 2000.0


# ------------------------------------------------------------------ the command line


def test_cli_writes_an_svg_showing_data_and_grad_of_every_node(tmp_path):
    out = tmp_path / "g.svg"
    command = [
        sys.executable,
        "-m",
        "autograd.viz",
        "(x*y + x).tanh()",
        "--var",
        "x=2",
        "--var",
        "y=-1",
        "-o",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert str(out) in result.stdout
    assert result.stderr == ""  # no warning from runpy or anyone else
    svg = ET.parse(out).getroot()
    values = {title(g): texts(g) for g in groups(svg, "node") if title(g).startswith("v")}
    assert values == {
        "v0": ["x", "data", "2", "grad", "0"],
        "v1": ["y", "data", "-1", "grad", "2"],
        "v2": ["data", "-2", "grad", "1"],
        "v3": ["data", "0", "grad", "1"],
        "v4": ["data", "0", "grad", "1"],
    }


def test_cli_labels_edges_with_local_derivatives_when_asked(tmp_path, capsys):
    out = tmp_path / "g.svg"
    assert main(["x * y", "--var", "x=2", "--var", "y=3", "-o", str(out), "--local-grads"]) == 0
    edges = {title(g).replace("->", " "): texts(g) for g in groups(ET.parse(out).getroot(), "edge")}
    assert edges["v0 op2"] == ["3"]


def test_cli_prints_the_result_and_the_gradients(tmp_path, capsys):
    main(["x * y", "--var", "x=2", "--var", "y=3", "-o", str(tmp_path / "g.svg")])
    assert capsys.readouterr().out.splitlines()[:3] == ["x * y = 6", "  d/dx = 3", "  d/dy = 2"]


def test_cli_refuses_a_forbidden_expression_with_status_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["__import__('os')", "-o", str(tmp_path / "g.svg")])
    assert exit_.value.code == 2
    assert "function calls other than Value methods are not allowed" in capsys.readouterr().err
    assert not (tmp_path / "g.svg").exists()


def test_cli_names_a_variable_without_a_value(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["x + q", "--var", "x=1", "-o", str(tmp_path / "g.svg")])
    assert "--var q=NUMBER" in capsys.readouterr().err


def test_cli_refuses_a_malformed_var(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["x", "--var", "x=two", "-o", str(tmp_path / "g.svg")])
    assert "'two' is not a number" in capsys.readouterr().err


def test_cli_without_dot_exits_1_with_the_install_hint(no_dot_on_path, tmp_path, capsys):
    assert main(["x", "--var", "x=1", "-o", str(tmp_path / "g.svg")]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_repr_svg_returns_the_picture_for_jupyter():
    svg = draw_graph(Value(2.0) * Value(3.0))._repr_svg_()
    assert ET.fromstring(svg.encode("utf-8")).tag.endswith("svg")
