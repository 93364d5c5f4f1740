"""Drawing a computation graph with Graphviz: the implementation behind :mod:`autograd.viz`.

``draw_graph(loss)`` walks the graph once (:func:`autograd.graph.topological_order`) and
returns a :class:`graphviz.Digraph` with

* a node per Value (its label if it has one, its data and its gradient) or per Tensor (its
  shape, dtype and a few summary numbers — never the whole array);
* an operation node between each result and the nodes it was computed from, so the picture
  reads like the formula: ``x → (×) → x·y``;
* optionally, on each edge into an operation, the local derivative ∂out/∂in — the weights of
  the article's weighted sum, ∂L/∂in = Σ ∂out/∂in · ∂L/∂out;
* colours by role (input, parameter, intermediate, output) and a legend.

Node ids are positions in topological order (``v0``, ``v1``, …; the operation producing
``v7`` is ``op7``), so the same graph always gives the same DOT source.

This module is imported by the package (``autograd.draw_graph``), so it does not import the
Python package ``graphviz``: ``draw_graph`` loads it on first use, with
:mod:`autograd.viz_graphviz` (the classes built on graphviz's own), and without it raises an
ImportError that says how to install it. So ``import autograd`` works, and both engines run,
where graphviz is not installed. The command line lives in :mod:`autograd.viz`, which
re-exports everything here; keeping the two apart lets ``python -m autograd.viz`` run without
the package having imported it first.
"""

from __future__ import annotations

import html
import unicodedata
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.graph import topological_order

if TYPE_CHECKING:  # for annotations only: graphviz is imported on first use
    import graphviz

    from autograd.viz_graphviz import ComputationGraph

__all__ = [
    "DEFAULT_MAX_NODES",
    "INSTALL_HINT",
    "draw_graph",
    "import_viz_graphviz",
]

DEFAULT_MAX_NODES = 500
"""Values (or Tensors) drawn at most unless ``max_nodes`` says otherwise.

Past a few hundred nodes Graphviz takes seconds and the picture stops being readable.
"""

COMPACT_ABOVE = 60
"""With ``compact=None``, graphs of more values than this are drawn with one-line nodes."""

INSTALL_HINT = (
    "Install Graphviz: Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install graphviz. Check with `dot -V`."
)

# Fill and border colour for each role; the legend shows them in this order.
ROLE_COLOURS: dict[str, tuple[str, str]] = {
    "input": ("#dbeafe", "#2563eb"),
    "parameter": ("#fef3c7", "#d97706"),
    "intermediate": ("#ffffff", "#6b7280"),
    "output": ("#dcfce7", "#16a34a"),
}
OP_COLOURS = ("#f3f4f6", "#9ca3af")
LOCAL_GRAD_COLOUR = "#7c3aed"

# How an operation is written in its node; any op not listed is shown as it is named.
OP_SYMBOLS = {
    "*": "×",
    "-": "−",
    "/": "÷",
    "neg": "−x",
    "sum": "Σ",
    "weighted_sum": "Σ w·x + b",
}

_RANKDIRS = ("LR", "TB", "RL", "BT")
_TINY_ARRAY = 4  # arrays of at most this many elements are shown in full

MAX_LABEL_LENGTH = 80
"""Characters of a node's label (or an operation's name) shown at most; longer ones are cut."""

# ------------------------------------------------------------------------ graphviz, on first use


def import_viz_graphviz(caller: str = "draw_graph") -> ModuleType:
    """:mod:`autograd.viz_graphviz`, imported now: the drawing classes that need ``graphviz``.

    Nothing imports the Python package ``graphviz`` until a graph is drawn, so the engines
    work without it; ``caller`` names what needed it, in the error.

    Raises:
        ImportError: the Python package ``graphviz`` cannot be imported; the message says
            how to install it (and Graphviz's ``dot`` program, which rendering also needs).
    """
    try:
        import graphviz  # noqa: F401  # only to find out whether it is there
    except ImportError as error:
        raise ImportError(
            f"{caller} needs the Python package `graphviz`, which cannot be imported "
            f"({error}). Install it: pip install graphviz (pip install chaingrad brings it "
            "too). Rendering a picture (SVG, PNG, PDF) also needs Graphviz's `dot` program. "
            f"{INSTALL_HINT}",
            name="graphviz",
        ) from error
    from autograd import viz_graphviz

    return viz_graphviz


# ------------------------------------------------------------------------ drawing


def draw_graph(
    root: Any,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local_grads: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    format: str = "svg",
    module: Any = None,
    compact: bool | None = None,
    legend: bool = True,
) -> ComputationGraph:
    """Draw the computation graph that produced ``root``, as a :class:`graphviz.Digraph`.

    Args:
        root: a ``Value`` or ``Tensor`` (any node with ``.data``, ``.grad``, ``.parents``,
            ``.op`` and ``.label``); everything it was computed from is drawn.
        rankdir: "LR" (left to right, inputs on the left), "TB", "RL" or "BT".
        show_grad: show each node's ``.grad`` (call ``root.backward()`` first).
        show_local_grads: label each edge into an operation with the local derivative
            ∂out/∂in (``.local_grads``). Tensor operations, which carry vector-Jacobian
            products rather than numbers, leave their edges unlabelled.
        max_nodes: refuse graphs of more Values/Tensors than this (operation nodes are not
            counted), before anything is built.
        format: the output format of ``.render()`` ("svg", "png", "pdf", …).
        module: optional; any object with a ``named_parameters()`` method (an ``nn.Module``).
            Its parameters are coloured as parameters and grouped into one cluster per
            owning module — per neuron for ``nn.MLP`` — named by their dotted path.
        compact: one-line nodes; ``None`` (the default) chooses them for graphs of more
            than ``COMPACT_ABOVE`` values.
        legend: draw a legend of the colours under the graph.

    Roles: the root is the *output*; a node computed from others is *intermediate*; a leaf
    is a *parameter* if it is one of ``module``'s parameters and an *input* otherwise —
    so without a ``module`` every leaf (variables, constants, weights) is an input.

    Returns:
        A :class:`ComputationGraph` (a ``graphviz.Digraph``). ``.source`` is the DOT text
        (needs no Graphviz program); ``render_svg(graph, path)`` or
        ``graph.render(outfile="graph.svg", cleanup=True)`` writes a file; in Jupyter it
        shows inline.

    Raises:
        ValueError: the graph has more than ``max_nodes`` values (the message gives its
            size and what to do), or ``rankdir`` is not one of LR, TB, RL, BT.
        TypeError: ``root`` is not a graph node (e.g. a list of outputs), or ``module``
            has no ``named_parameters()`` method.
        ImportError: the Python package ``graphviz`` is not installed (the message says
            how to install it).
    """
    graph_class = import_viz_graphviz().ComputationGraph  # graphviz is loaded here, once
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"draw_graph: rankdir must be one of {', '.join(_RANKDIRS)}, not {rankdir!r}"
        )
    _check_root(root)
    order = topological_order(root)
    _check_size(order, max_nodes)
    parameter_paths = _parameter_paths(module)
    if compact is None:
        compact = len(order) > COMPACT_ABOVE

    position = {id(node): i for i, node in enumerate(order)}
    graph = _new_graph(graph_class, rankdir, format, compact)
    clusters: dict[str, list[tuple[int, str, dict[str, str]]]] = {}
    roles_present: set[str] = set()
    declared = {param_id: k for k, param_id in enumerate(parameter_paths)}

    for i, node in enumerate(order):
        role = _role(node, root, parameter_paths)
        roles_present.add(role)
        path = parameter_paths.get(id(node)) if role == "parameter" else None
        title = node.label or (_name_in_owner(path) if path else "")
        attributes = _value_node_attributes(node, role, title, show_grad, compact)
        if path is None:
            graph.node(f"v{i}", **attributes)
        else:
            member = (declared[id(node)], f"v{i}", attributes)
            clusters.setdefault(_owner(path), []).append(member)

    for owner, members in clusters.items():
        members.sort()  # the module's own order: weights.0, weights.1, bias
        _add_cluster(graph, owner or type(module).__name__, members)

    for i, node in enumerate(order):
        if not node.parents:
            continue
        graph.node(f"op{i}", **_op_node_attributes(node.op))
        local_grads = getattr(node, "local_grads", None) if show_local_grads else None
        for k, parent in enumerate(node.parents):
            label = _local_grad_label(local_grads, k, len(node.parents))
            graph.edge(f"v{position[id(parent)]}", f"op{i}", **label)
        graph.edge(f"op{i}", f"v{i}")

    if legend:
        graph.attr(label=_legend(roles_present, show_local_grads, compact, show_grad))
    return graph


def _check_root(root: Any) -> None:
    if not hasattr(root, "parents") or not hasattr(root, "data"):
        hint = ""
        if isinstance(root, (list, tuple)):
            hint = " (a model returns a list of outputs: draw one, e.g. draw_graph(outputs[0]))"
        raise TypeError(
            "draw_graph: root must be a Value or a Tensor (a node with .data and .parents), "
            f"not {type(root).__name__}{hint}"
        )


def _check_size(order: list[Any], max_nodes: int) -> None:
    if len(order) <= max_nodes:
        return
    operations = sum(1 for node in order if node.parents)
    raise ValueError(
        f"draw_graph: the graph has {len(order)} values and {operations} operations, more "
        f"than max_nodes={max_nodes} values; Graphviz is slow on graphs this big and the "
        f"picture would be unreadable. Pass max_nodes={len(order)} (or more) to draw it "
        "anyway, or draw a smaller piece: call draw_graph on an intermediate value (one "
        "neuron's output, one example's loss) or use a smaller model."
    )


def _parameter_paths(module: Any) -> dict[int, str]:
    """``{id(parameter): dotted path}`` of ``module``'s parameters (empty without a module)."""
    if module is None:
        return {}
    named_parameters = getattr(module, "named_parameters", None)
    if not callable(named_parameters):
        raise TypeError(
            "draw_graph: module must have a named_parameters() method yielding "
            f"(name, parameter) pairs, like nn.Module; got {type(module).__name__}"
        )
    return {id(param): name for name, param in named_parameters()}


def _role(node: Any, root: Any, parameter_paths: dict[int, str]) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "intermediate"
    return "parameter" if id(node) in parameter_paths else "input"


def _owner(path: str) -> str:
    """The module that holds a parameter: ``layers.0.neurons.1.weights.0`` → ``layers.0.neurons.1``.

    Drop the list indices at the end, then the parameter's attribute name.
    """
    parts = path.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def _name_in_owner(path: str) -> str:
    """The parameter's name inside its owner: ``weights.0``, ``bias``."""
    owner = _owner(path)
    return path[len(owner) + 1 :] if owner else path


# ------------------------------------------------------------------------ DOT pieces


def _new_graph(
    graph_class: type[ComputationGraph], rankdir: str, format: str, compact: bool
) -> ComputationGraph:
    font = "Helvetica,Arial,sans-serif"
    size = "9" if compact else "11"
    return graph_class(
        format=format,
        graph_attr={
            "rankdir": rankdir,
            "fontname": font,
            "fontsize": size,
            "nodesep": "0.15" if compact else "0.25",
            "ranksep": "0.25" if compact else "0.35",
            "labeljust": "l",
        },
        node_attr={"fontname": font, "fontsize": size, "margin": "0.06,0.03"},
        edge_attr={
            "fontname": font,
            "fontsize": "8" if compact else "9",
            "arrowsize": "0.6",
            "color": "#6b7280",
        },
    )


def _value_node_attributes(
    node: Any, role: str, title: str, show_grad: bool, compact: bool
) -> dict[str, str]:
    """A rounded box holding a small table: title, then data (and grad) rows."""
    if isinstance(node.data, np.ndarray):
        rows = _tensor_rows(node, title, show_grad, compact)
    else:
        rows = _scalar_rows(node, title, show_grad, compact)
    if compact:  # one line: the cells side by side
        cells = "".join(f"<td>{cell}</td>" for row in rows for cell in row)
        table_rows = f"<tr>{cells}</tr>"
    else:
        table_rows = "".join(_table_row(row) for row in rows)
    fill, border = ROLE_COLOURS[role]
    return {
        "label": f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        f"{table_rows}</table>>",
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": fill,
        "color": border,
        "class": f"value {role}",
    }


def _table_row(cells: list[str]) -> str:
    if len(cells) == 1:
        return f'<tr><td colspan="2">{cells[0]}</td></tr>'
    name, value = cells
    return f'<tr><td align="left">{name}</td><td align="right"> {value}</td></tr>'


def _scalar_rows(node: Any, title: str, show_grad: bool, compact: bool) -> list[list[str]]:
    rows = [[f"<b>{_escape(title)}</b>"]] if title else []
    if compact:
        rows.append([_number(node.data)])
        if show_grad:
            rows.append([f'<font color="#6b7280">∇{_number(node.grad)}</font>'])
        return rows
    rows.append(["data", _number(node.data)])
    if show_grad:
        rows.append([_grey("grad"), _grey(_number(node.grad))])
    return rows


def _tensor_rows(node: Any, title: str, show_grad: bool, compact: bool) -> list[list[str]]:
    shape = str(node.data.shape) if node.data.ndim else "scalar"
    kind = f"{shape} {node.data.dtype}"
    rows = [[f"<b>{_escape(title)}</b>"]] if title else []
    rows.append([kind])
    if compact:
        return rows
    rows.append(["data", _array_summary(node.data)])
    if show_grad:
        grad = node.grad
        rows.append([_grey("grad"), _grey("None" if grad is None else _array_summary(grad))])
    return rows


def _array_summary(array: Any) -> str:
    """A few numbers for an array: every element if it is tiny, else mean, min and max."""
    values = np.asarray(array)
    if values.size == 0:
        return "empty"
    if values.size <= _TINY_ARRAY:
        numbers = [_number(float(x)) for x in values.ravel()]
        return numbers[0] if values.ndim == 0 else "[" + ", ".join(numbers) + "]"
    values = values.astype(np.float64, copy=False)
    return (
        f"mean {_number(float(values.mean()))} "
        f"min {_number(float(values.min()))} max {_number(float(values.max()))}"
    )


def _op_node_attributes(op: str) -> dict[str, str]:
    fill, border = OP_COLOURS
    # "weighted_sum:3" (a weighted sum with 3 Value inputs) draws as every weighted sum does.
    symbol = OP_SYMBOLS.get(op.partition(":")[0] if op.startswith("weighted_sum") else op, op)
    symbol = symbol or "?"
    return {
        "label": f"<{_escape(symbol)}>",
        "shape": "ellipse",
        "style": "filled",
        "fillcolor": fill,
        "color": border,
        "width": "0.3",
        "height": "0.3",
        "margin": "0.04,0.02",
        "class": "op",
    }


def _local_grad_label(local_grads: Any, k: int, parent_count: int) -> dict[str, str]:
    """``{"label": ...}`` for the edge from parent ``k``, when its ∂out/∂in is a number."""
    if local_grads is None or len(local_grads) != parent_count:
        return {}
    local_grad = local_grads[k]
    if not isinstance(local_grad, (int, float, np.number)):
        return {}
    return {"label": _number(float(local_grad)), "fontcolor": LOCAL_GRAD_COLOUR}


def _add_cluster(
    graph: graphviz.Digraph, name: str, members: list[tuple[int, str, dict[str, str]]]
) -> None:
    border = ROLE_COLOURS["parameter"][1]
    with graph.subgraph(name=f"cluster_{name}") as cluster:
        cluster.attr(
            label=name,
            style="rounded,dashed",
            color=border,
            fontcolor=border,
            labeljust="l",
        )
        for _, node_id, attributes in members:
            cluster.node(node_id, **attributes)


def _legend(roles: set[str], show_local_grads: bool, compact: bool, show_grad: bool) -> str:
    """A one-row table of colour swatches, used as the graph's label (so it adds no node)."""
    cells = []
    for role, (fill, border) in ROLE_COLOURS.items():
        if role in roles:
            cells.append(_swatch(fill, border) + f'<td align="left">{role}  </td>')
    fill, border = OP_COLOURS
    cells.append(_swatch(fill, border) + '<td align="left">operation  </td>')
    if compact and show_grad:
        cells.append('<td align="left">nodes: data ∇grad  </td>')
    if show_local_grads:
        cells.append(
            f'<td align="left"><font color="{LOCAL_GRAD_COLOUR}">0.5</font> on an '
            "edge: local derivative ∂out/∂in</td>"
        )
    return (
        '<<table border="0" cellborder="0" cellspacing="3" cellpadding="1"><tr>'
        + "".join(cells)
        + "</tr></table>>"
    )


def _swatch(fill: str, border: str) -> str:
    return f'<td bgcolor="{fill}" color="{border}" border="1" width="12" height="10"></td>'


def _number(x: float) -> str:
    """Four significant digits: 0.7616, -2, 1.5e-07, nan."""
    return f"{x:.4g}"


def _grey(text: str) -> str:
    return f'<font color="#6b7280">{text}</font>'


def _escape(text: str) -> str:
    """``text`` made safe for a Graphviz HTML-like label, shortened to ``MAX_LABEL_LENGTH``.

    Markup is shown as text (``<b>`` stays ``<b>``). Characters that XML forbids, which
    ``dot`` rejects or cannot even be encoded (control characters, lone surrogates,
    U+FFFE/U+FFFF), are shown as Python escapes (``\\x07``, ``\\ud800``); a long label is
    cut (Graphviz refuses labels over 16 KiB), ending in "…".
    """
    text = str(text)
    if len(text) > MAX_LABEL_LENGTH:
        text = text[: MAX_LABEL_LENGTH - 1] + "…"
    return html.escape("".join(map(_visible, text)), quote=True)


def _visible(character: str) -> str:
    """``character`` itself, or its Python escape if XML (and so ``dot``) cannot hold it."""
    if unicodedata.category(character) in ("Cc", "Cs") or character in "\ufffe\uffff":
        return character.encode("unicode_escape", "backslashreplace").decode("ascii")
    return character
