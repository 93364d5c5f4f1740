"""Drawing a computation graph with Graphviz: the implementation behind :mod:`autograd.viz`.

``draw_graph(loss)`` walks the graph once (:func:`autograd.graph.topological_order`) and
returns a :class:`graphviz.Digraph` with

* a node per Value (its label if it has one, its data and its gradient) or per Tensor (its
  shape, dtype and a few summary numbers — never the whole array); a module's parameters
  (``module=``) share one node per neuron, side by side in their declared order;
* an operation node between each result and the nodes it was computed from, so the picture
  reads like the formula: ``x → (×) → x·y``;
* optionally, on each edge into an operation, the local derivative ∂out/∂in — the weights of
  the article's weighted sum, ∂L/∂in = Σ ∂out/∂in · ∂L/∂out;
* colours by role (input, parameter, constant, intermediate, output) and a legend;
* the order the code gives: a neuron's parameters in their declared order (w₁, w₂, b),
  neurons in their module's order, the inputs of an operation in its operands' order.

Node ids are positions in topological order (``v0``, ``v1``, …; the operation producing
``v7`` is ``op7``; a module's k-th node of parameters is ``p{k}``, parameter ``v3`` its port
``p{k}:v3``), so the same graph always gives the same DOT source.

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
import math
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import pairwise
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from autograd.graph import topological_order
from autograd.ops import NUMBER_OPERATORS, number_first
from autograd.viz_gradient import (
    DARK_FROM,
    GradientScale,
    decade_text,
    gradient_magnitude,
    gradient_scale,
)

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
    "constant": ("#f1f5f9", "#475569"),
    "intermediate": ("#ffffff", "#6b7280"),
    "output": ("#dcfce7", "#16a34a"),
}
OP_COLOURS = ("#f3f4f6", "#9ca3af")
LOCAL_GRAD_COLOUR = "#7c3aed"
GREY_TEXT = "#6b7280"
LIGHT_TEXT = "#e5e7eb"  # the grey of "grad" on a dark fill
DARK_GREY_TEXT = "#374151"  # and on a coloured light one

# highlight=: the nodes asked for are filled and bordered red; every node, operation and edge
# on a path from them to the output gets a thick red line.
HIGHLIGHT_COLOURS = ("#fecaca", "#dc2626")
HIGHLIGHT_WIDTH = "2.5"

# color_by="grad": a gradient of exactly zero is white with a dashed border, one holding NaN
# or ±inf is fuchsia, a missing one (a Tensor's None) grey; the others are shaded by size.
ZERO_GRAD_COLOURS = ("#ffffff", "#6b7280")
NON_FINITE_COLOURS = ("#f0abfc", "#a21caf")
NO_GRAD_COLOURS = ("#e5e7eb", "#9ca3af")
COLOR_BY = ("role", "grad")

# How an operation is written in its node; any op not listed is shown as it is named.
OP_SYMBOLS = {
    "*": "×",
    "-": "−",
    "/": "÷",
    "neg": "−x",
    "sum": "Σ",
    "weighted_sum": "Σ w·x + b",
}
# An operation with a plain number ("+c" is x + c, "c-" is c − x) draws as its operator,
# with the number in a constant's box beside the Value it meets.
OP_SYMBOLS.update(
    {op: OP_SYMBOLS.get(operator, operator) for op, operator in NUMBER_OPERATORS.items()}
)

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
    name: str | None = None,
    highlight: Any = None,
    color_by: str = "role",
    rows: Sequence[Sequence[Any]] = (),
) -> ComputationGraph:
    """Draw the computation graph that produced ``root``, as a :class:`graphviz.Digraph`.

    Args:
        root: a ``Value`` or ``Tensor`` (any node with ``.data``, ``.grad``, ``.parents``,
            ``.op`` and ``.label``); everything it was computed from is drawn.
        rankdir: "LR" (left to right, inputs on the left), "TB" (top to bottom: narrower
            for deep graphs, such as a network and its loss), "RL" or "BT".
        show_grad: show each node's ``.grad`` (call ``root.backward()`` first).
        show_local_grads: label each edge into an operation with the local derivative
            ∂out/∂in (``.local_grads``). Tensor operations, which carry vector-Jacobian
            products rather than numbers, leave their edges unlabelled.
        max_nodes: refuse graphs of more Values/Tensors than this (operation nodes are not
            counted), before anything is built.
        format: the output format of ``.render()`` ("svg", "png", "pdf", …).
        module: optional; any object with a ``named_parameters()`` method (an ``nn.Module``).
            Its parameters are coloured as parameters and drawn in one node per owning
            module — per neuron for ``nn.MLP`` — named by its dotted path, in the module's
            order (w₁, w₂, b; neuron 1 before neuron 2); each parameter's edges leave from
            its own part of that node.
        compact: one-line nodes; ``None`` (the default) chooses them for graphs of more
            than ``COMPACT_ABOVE`` values.
        legend: draw a legend of the colours under the graph.
        name: the graph's name, which an SVG carries as its title (browsers show it as a
            tooltip and a tab's name). By default "computation graph of" ``root``'s label,
            or "computation graph".
        highlight: a node of the graph, or several (a list, tuple or set): each is filled
            red, and every path from it to ``root`` — nodes, operations, edges — is drawn in
            thick red (with the operation that produced it), so the way a bad value took to
            the output can be followed; the legend says so.
        color_by: "role" (the default) colours nodes by role, as below; "grad" fills each
            node by the size of its gradient on a log scale, shown in the legend as a ramp
            of colours with its powers of ten: pale yellow for a gradient that has all but
            vanished, dark blue for the largest. A Value's size is ``|grad|``; a Tensor's the
            root mean square of its gradient's elements. A gradient of exactly 0 is white
            with a dashed border; one holding NaN or ±inf is fuchsia; a Tensor with no
            gradient (``None``) is grey. Borders keep the colour of the node's role;
            constants are not shaded. Call ``root.backward()`` first.
        rows: lists of nodes of the graph, each drawn on a line of its own, side by side
            with the operation that produced each, the lines in the order given and flush
            to the start: one layer per row makes a deep chain fit a screen. With rankdir
            "TB" (or "BT") a list is a row; with "LR" (or "RL") a column.

    Roles: the root is the *output*; a node computed from others is *intermediate*; a leaf
    is a *parameter* if it is one of ``module``'s parameters, an *input* if it has a label
    (or is a Tensor that requires grad), and a *constant* otherwise: the numbers a formula
    brings in itself, such as a target, the 1 of 1 − ŷ or the 1/n of a mean, which become
    Values with no label. Name the values you feed in (``Value(0.5, label="x₁")``) to draw
    them as inputs. A constant Value is drawn as its number alone: nothing learns it, so its
    gradient is not shown.

    Returns:
        A :class:`ComputationGraph` (a ``graphviz.Digraph``). ``.source`` is the DOT text
        (needs no Graphviz program); ``render_svg(graph, path)`` or
        ``graph.render(outfile="graph.svg", cleanup=True)`` writes a file; in Jupyter it
        shows inline.

    Raises:
        ValueError: the graph has more than ``max_nodes`` values (the message gives its
            size and what to do), ``rankdir`` is not one of LR, TB, RL, BT, ``color_by`` is
            not "role" or "grad", or a ``highlight`` or ``rows`` node is not in the graph
            of ``root``.
        TypeError: ``root`` is not a graph node (e.g. a list of outputs), ``module``
            has no ``named_parameters()`` method, ``color_by`` is not a string,
            ``highlight`` is neither a node nor a collection of nodes, or ``rows`` is not
            a list of lists of nodes.
        ImportError: the Python package ``graphviz`` is not installed (the message says
            how to install it).
    """
    graph_class = import_viz_graphviz().ComputationGraph  # graphviz is loaded here, once
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"draw_graph: rankdir must be one of {', '.join(_RANKDIRS)}, not {rankdir!r}"
        )
    _check_color_by(color_by)
    _check_root(root)
    order = topological_order(root)
    _check_size(order, max_nodes)
    parameter_paths = _parameter_paths(module)
    position = {id(node): i for i, node in enumerate(order)}
    highlighted = _highlighted_positions(highlight, position, order)
    row_positions = [_positions(row, position, order, "rows") for row in _check_rows(rows)]
    on_path = _on_path_to_output(order, position, highlighted)
    roles = [_role(node, root, parameter_paths) for node in order]
    scale = gradient_scale(_magnitudes(order, roles)) if color_by == "grad" else None
    looks = [
        _look(node, role, scale, on_path, highlighted, i)
        for i, (node, role) in enumerate(zip(order, roles))
    ]
    if compact is None:
        compact = len(order) > COMPACT_ABOVE
    if name is None:
        label = getattr(root, "label", "")
        name = f"computation graph of {label}" if label else "computation graph"

    graph = _new_graph(graph_class, _graph_name(name), rankdir, format, compact)
    roles_present: set[str] = set()
    declared = {param_id: k for k, param_id in enumerate(parameter_paths)}
    owners: dict[str, list[tuple[int, int]]] = {}  # module path → [(declared index, position)]
    endpoint: dict[int, str] = {}  # position → where its edges start: "v3", or "p0:v3:s"

    for i, node in enumerate(order):
        role = roles[i]
        roles_present.add(role)
        if role == "parameter":
            owner = _owner(parameter_paths[id(node)])
            owners.setdefault(owner, []).append((declared[id(node)], i))
            continue
        attributes = _value_node_attributes(node, role, node.label, show_grad, compact, looks[i])
        graph.node(f"v{i}", **attributes)
        endpoint[i] = f"v{i}"

    # One node per module that owns parameters (per neuron for nn.MLP), in the module's
    # order, holding its parameters in their declared order (weights.0, weights.1, bias):
    # side by side when the graph runs top to bottom, stacked when it runs sideways. Inside
    # one node their order is fixed, which separate nodes, reordered by dot, would not be.
    groups = sorted((sorted(members), owner) for owner, members in owners.items())
    across = rankdir in ("TB", "BT")
    for k, (members, owner) in enumerate(groups):
        parameters = []
        for _, i in members:
            title = order[i].label or _name_in_owner(parameter_paths[id(order[i])])
            parameters.append((f"v{i}", order[i], title, looks[i]))
            endpoint[i] = f"p{k}:v{i}:{_EXIT_SIDE[rankdir]}"
        module_name = owner or type(module).__name__
        graph.node(
            f"p{k}", **_module_node_attributes(module_name, parameters, show_grad, compact, across)
        )
    for k, ((_, owner), (_, next_owner)) in enumerate(pairwise(groups)):
        if _in_one_list(owner, next_owner):  # neurons of one layer: neurons.0, neurons.1
            _keep_in_order(graph, f"p{k}", f"p{k + 1}")

    constant_look = _Look(*ROLE_COLOURS["constant"], kind="constant")
    for i, node in enumerate(order):
        if not node.parents:
            continue
        graph.node(f"op{i}", **_op_node_attributes(node.op, i in on_path))
        number = getattr(node, "constant", None)
        if number is not None and number_first(node.op):  # c + x: the number comes first
            _draw_number(graph, i, number, compact, constant_look)
        local_grads = getattr(node, "local_grads", None) if show_local_grads else None
        for k, parent in enumerate(node.parents):
            label = _local_grad_label(local_grads, k, len(node.parents))
            parent_at = position[id(parent)]
            marked = _PATH_EDGE if parent_at in on_path else {}
            graph.edge(endpoint[parent_at], f"op{i}", **label, **marked)
        if number is not None and not number_first(node.op):  # x + c
            _draw_number(graph, i, number, compact, constant_look)
        if number is not None:
            roles_present.add("constant")
        graph.edge(f"op{i}", f"v{i}", **(_PATH_EDGE if i in on_path else {}))
    _keep_inputs_in_order(graph, order, position, parameter_paths, root)
    _place_rows(graph, order, row_positions, endpoint)

    if legend:
        kinds = {look.kind for look in looks} | ({"constant"} & roles_present)
        gradient = None
        if scale is not None:
            gradient = _gradient_legend(scale, kinds, any(_is_tensor(n) for n in order))
        graph.attr(
            label=_legend(
                roles_present, show_local_grads, compact, show_grad, gradient, bool(on_path)
            )
        )
    return graph


def _draw_number(
    graph: graphviz.Digraph, i: int, number: float, compact: bool, look: _Look
) -> None:
    """The plain number of operation ``op{i}`` (the 1 of ``x + 1``), as a constant's box
    ``c{i}`` with an edge into the operation. It is not a node of the graph: nothing
    passes it a gradient."""
    box = _value_node_attributes(_Number(number), "constant", "", False, compact, look)
    graph.node(f"c{i}", **box)
    graph.edge(f"c{i}", f"op{i}")


class _Number(NamedTuple):
    """A plain number of an operation, as :func:`_value_node_attributes` reads a node."""

    data: float


def _check_color_by(color_by: Any) -> None:
    if not isinstance(color_by, str):
        raise TypeError(
            f'draw_graph: color_by must be "role" or "grad" (a string), not '
            f"{type(color_by).__name__}"
        )
    if color_by not in COLOR_BY:
        raise ValueError(
            f'draw_graph: color_by must be "role" (colours by what a node is) or "grad" '
            f"(shades by the size of its gradient), not {color_by!r}"
        )


def _highlighted_positions(highlight: Any, position: dict[int, int], order: list[Any]) -> set[int]:
    """The positions in ``order`` of the node(s) to highlight (empty for ``None``).

    Raises:
        TypeError: ``highlight`` is neither a node nor a list, tuple or set of nodes.
        ValueError: a node to highlight is not in the graph.
    """
    if highlight is None:
        return set()
    if _is_node(highlight):
        nodes = [highlight]
    elif isinstance(highlight, (list, tuple, set, frozenset)):
        nodes = list(highlight)
    else:
        raise TypeError(
            "draw_graph: highlight must be a node of the graph (a Value or a Tensor) or a "
            f"list of them, not {type(highlight).__name__}"
        )
    return set(_positions(nodes, position, order, "highlight"))


def _positions(
    nodes: Iterable[Any], position: dict[int, int], order: list[Any], argument: str
) -> list[int]:
    """The positions in ``order`` of ``nodes``, given as draw_graph's ``argument``.

    Raises:
        TypeError: one of ``nodes`` is not a node.
        ValueError: one of ``nodes`` is not in the graph.
    """
    positions = []
    for node in nodes:
        if not _is_node(node):
            raise TypeError(
                f"draw_graph: {argument} must hold nodes of the graph (Values or Tensors), "
                f"not {type(node).__name__}"
            )
        if id(node) not in position:
            kind = type(order[0]).__name__
            raise ValueError(
                f"draw_graph: a {type(node).__name__} in {argument} ({_describe(node)}) is "
                f"not in the graph of root: root was not computed from it. Give a {kind} "
                "that root was computed from, or draw the graph of an output that depends "
                "on it."
            )
        positions.append(position[id(node)])
    return positions


def _check_rows(rows: Any) -> list[list[Any]]:
    """``rows`` as a list of lists.

    Raises:
        TypeError: ``rows`` is not a list (or tuple) of lists (or tuples) of nodes.
    """
    if isinstance(rows, (list, tuple)) and all(isinstance(row, (list, tuple)) for row in rows):
        return [list(row) for row in rows]
    raise TypeError(
        "draw_graph: rows must be a list of lists of nodes, one list per row (e.g. "
        f"[[w1, b1, z1, h1], [w2, b2, z2, h2]]), not {type(rows).__name__}"
    )


def _place_rows(
    graph: graphviz.Digraph, order: list[Any], rows: list[list[int]], endpoint: dict[int, str]
) -> None:
    """Put each row's nodes, and the operations that produced them, on one rank; keep the
    rows in order and flush to the start with a heavy invisible edge between their first
    nodes (which dot keeps short and straight)."""
    firsts = []
    for row in rows:
        members: list[str] = []
        for i in row:
            name = endpoint[i].partition(":")[0]  # a parameter: its module's node, "p0"
            if order[i].parents:
                members.append(f"op{i}")
            if name not in members:
                members.append(name)
        if not members:
            continue
        with graph.subgraph() as line:
            line.attr(rank="same")
            for member in members:
                line.node(member)
        firsts.append(members[0])
    for above, below in pairwise(firsts):
        graph.edge(above, below, style="invis", weight="100")


def _on_path_to_output(
    order: list[Any], position: dict[int, int], highlighted: set[int]
) -> set[int]:
    """The positions of the highlighted nodes and of every node computed from one of them.

    Every node of ``order`` leads to the root, so these are exactly the nodes on a path from
    a highlighted node to the output. One sweep in topological order: a node is on a path
    if it is highlighted or one of its parents is.
    """
    on_path = set(highlighted)
    if not on_path:
        return on_path
    for i, node in enumerate(order):
        if any(position[id(parent)] in on_path for parent in node.parents):
            on_path.add(i)
    return on_path


def _is_node(thing: Any) -> bool:
    return hasattr(thing, "parents") and hasattr(thing, "data")


def _is_tensor(node: Any) -> bool:
    return isinstance(node.data, np.ndarray)


def _describe(node: Any) -> str:
    label = getattr(node, "label", "")
    named = f"{label!r}, " if label else ""
    if _is_tensor(node):
        return f"{named}shape {node.data.shape}"
    return f"{named}data {_number(float(node.data))}"


class _Look(NamedTuple):
    """How one Value/Tensor is drawn: fill, border, text colours, border width and style.

    ``kind`` names what decided the fill, for the legend: a role, or with ``color_by="grad"``
    "shaded", "zero", "non-finite" or "no gradient".
    """

    fill: str
    border: str
    text: str = "#000000"
    muted: str = GREY_TEXT
    width: str = "1"
    dashed: bool = False
    kind: str = ""


def _magnitudes(order: list[Any], roles: list[str]) -> list[float | None]:
    """The gradient sizes that set the scale: every node's but the constants'."""
    return [gradient_magnitude(node.grad) for node, role in zip(order, roles) if role != "constant"]


def _look(
    node: Any,
    role: str,
    scale: GradientScale | None,
    on_path: set[int],
    highlighted: set[int],
    i: int,
) -> _Look:
    """The colours of node ``i``: by role or by gradient, then red if highlighted."""
    fill, border = ROLE_COLOURS[role]
    look = _Look(fill, border, kind=role)
    if scale is not None and role != "constant":
        look = _gradient_look(gradient_magnitude(node.grad), scale, border)
    if i in highlighted:
        fill, border = HIGHLIGHT_COLOURS
        look = look._replace(fill=fill, text="#000000", muted=GREY_TEXT)
    if i in on_path:
        look = look._replace(border=HIGHLIGHT_COLOURS[1], width=HIGHLIGHT_WIDTH, dashed=False)
    return look


def _gradient_look(magnitude: float | None, scale: GradientScale, border: str) -> _Look:
    if magnitude is None:
        return _Look(NO_GRAD_COLOURS[0], border, kind="no gradient")
    if not math.isfinite(magnitude):
        fill, marked_border = NON_FINITE_COLOURS
        return _Look(fill, marked_border, width=HIGHLIGHT_WIDTH, kind="non-finite")
    if magnitude == 0.0:
        return _Look(ZERO_GRAD_COLOURS[0], ZERO_GRAD_COLOURS[1], dashed=True, kind="zero")
    if scale.is_dark(magnitude):
        return _Look(scale.colour(magnitude), border, "#ffffff", LIGHT_TEXT, kind="shaded")
    return _Look(scale.colour(magnitude), border, muted=DARK_GREY_TEXT, kind="shaded")


_PATH_EDGE = {"color": HIGHLIGHT_COLOURS[1], "penwidth": HIGHLIGHT_WIDTH}


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
    if id(node) in parameter_paths:
        return "parameter"
    if node.label or getattr(node, "requires_grad", False):
        return "input"
    return "constant"


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


def _graph_name(name: str) -> str:
    """``name`` as a DOT graph name: characters ``dot`` cannot hold escaped, at most
    ``MAX_LABEL_LENGTH`` characters."""
    name = str(name)
    if len(name) > MAX_LABEL_LENGTH:
        name = name[: MAX_LABEL_LENGTH - 1] + "…"
    return "".join(map(_visible, name))


# ------------------------------------------------------------------------ keeping the order
# Graphviz's dot orders the nodes of a rank to cross as few edges as it can, which may put
# neuron 2 before neuron 1 or x₂ before x₁. An invisible edge between two nodes held on one
# rank (a "flat" edge) keeps the first before the second: left of it, or above it. (An edge
# with constraint=false does not: dot leaves it out of the ordering too.)


def _keep_in_order(graph: graphviz.Digraph, first: str, second: str) -> None:
    """Put nodes ``first`` and ``second`` on one rank, ``first`` before ``second``."""
    with graph.subgraph() as rank:
        rank.attr(rank="same")
        rank.edge(first, second, style="invis")


def _in_one_list(owner: str, other: str) -> bool:
    """Whether two modules are items of one list (``layers.0.neurons.0``, ``…neurons.1``):
    the neurons of one layer, which read the same inputs and so sit on one rank."""
    parent, _, index = owner.rpartition(".")
    other_parent, _, other_index = other.rpartition(".")
    return bool(parent) and parent == other_parent and index.isdigit() and other_index.isdigit()


# The side of a module's node its parameters' edges leave from: towards the operations.
_EXIT_SIDE = {"TB": "s", "BT": "n", "LR": "e", "RL": "w"}


def _keep_inputs_in_order(
    graph: graphviz.Digraph,
    order: list[Any],
    position: dict[int, int],
    parameter_paths: dict[int, str],
    root: Any,
) -> None:
    """Pin the inputs an operation reads in the order of its operands (x₁ before x₂)."""
    pinned: set[tuple[int, int]] = set()
    for node in order:
        inputs = [
            position[id(parent)]
            for parent in node.parents
            if _role(parent, root, parameter_paths) == "input"
        ]
        for first, second in pairwise(inputs):
            # Each pair once, and never both ways round (x·y and y·x): no order to keep.
            if first != second and not pinned & {(first, second), (second, first)}:
                pinned.add((first, second))
                _keep_in_order(graph, f"v{first}", f"v{second}")


# ------------------------------------------------------------------------ DOT pieces


def _new_graph(
    graph_class: type[ComputationGraph], name: str, rankdir: str, format: str, compact: bool
) -> ComputationGraph:
    font = "Helvetica,Arial,sans-serif"
    size = "9" if compact else "11"
    return graph_class(
        name=name,
        format=format,
        graph_attr={
            "rankdir": rankdir,
            "fontname": font,
            "fontsize": size,
            "nodesep": "0.15" if compact else "0.25",
            # Top to bottom, edge labels already part the ranks: less space between them.
            "ranksep": "0.25" if compact or rankdir in ("TB", "BT") else "0.35",
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
    node: Any, role: str, title: str, show_grad: bool, compact: bool, look: _Look
) -> dict[str, str]:
    """A rounded box holding a small table: title, then data (and grad) rows.

    A constant is a square box: a Value's holds its number alone, a Tensor's its shape and
    data, neither a gradient (nothing learns a constant). ``look`` gives the colours.
    """
    constant = role == "constant"
    if isinstance(node.data, np.ndarray):
        rows = _tensor_rows(node, title, show_grad and not constant, compact, look.muted)
    elif constant:
        rows = [[_number(node.data)]]
    else:
        rows = _scalar_rows(node, title, show_grad, compact, look.muted)
    style = "filled" if constant else "rounded,filled"
    attributes = {
        "label": f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        f"{_table_rows(rows, compact)}</table>>",
        "shape": "box",
        "style": style + (",dashed" if look.dashed else ""),
        "fillcolor": look.fill,
        "color": look.border,
        "class": f"value {role}",
    }
    if compact:  # one line of text: no taller than it (Graphviz's least height is 0.5")
        attributes["height"] = "0.3"
    if look.text != "#000000":
        attributes["fontcolor"] = look.text
    if look.width != "1":
        attributes["penwidth"] = look.width
    return attributes


def _table_rows(rows: list[list[str]], compact: bool) -> str:
    """The rows of a node's table; compact: all the cells on one line."""
    if compact:
        return "<tr>" + "".join(f"<td>{cell}</td>" for row in rows for cell in row) + "</tr>"
    return "".join(_table_row(row) for row in rows)


def _table_row(cells: list[str]) -> str:
    """A row of a node's table: a title across it, or a name and a number with a gap between."""
    if len(cells) == 1:
        return f'<tr><td colspan="3">{cells[0]}</td></tr>'
    name, value = cells
    return f'<tr><td align="left">{name}</td><td width="4"></td><td align="right">{value}</td></tr>'


def _scalar_rows(
    node: Any, title: str, show_grad: bool, compact: bool, muted: str = GREY_TEXT
) -> list[list[str]]:
    rows = [[f"<b>{_escape(title)}</b>"]] if title else []
    if compact:
        rows.append([_number(node.data)])
        if show_grad:
            rows.append([_grey(f"∇{_number(node.grad)}", muted)])
        return rows
    rows.append(["data", _number(node.data)])
    if show_grad:
        rows.append([_grey("grad", muted), _grey(_number(node.grad), muted)])
    return rows


def _tensor_rows(
    node: Any, title: str, show_grad: bool, compact: bool, muted: str = GREY_TEXT
) -> list[list[str]]:
    shape = str(node.data.shape) if node.data.ndim else "scalar"
    kind = f"{shape} {node.data.dtype}"
    rows = [[f"<b>{_escape(title)}</b>"]] if title else []
    rows.append([kind])
    if compact:
        return rows
    rows.append(["data", _array_summary(node.data)])
    if show_grad:
        grad = node.grad
        summary = "None" if grad is None else _array_summary(grad)
        rows.append([_grey("grad", muted), _grey(summary, muted)])
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


def _op_node_attributes(op: str, on_path: bool = False) -> dict[str, str]:
    fill, border = OP_COLOURS
    # "weighted_sum:3" (a weighted sum with 3 Value inputs) draws as every weighted sum does.
    symbol = OP_SYMBOLS.get(op.partition(":")[0] if op.startswith("weighted_sum") else op, op)
    symbol = symbol or "?"
    attributes = {
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
    if on_path:  # on the way from a highlighted node to the output
        attributes["color"] = HIGHLIGHT_COLOURS[1]
        attributes["penwidth"] = HIGHLIGHT_WIDTH
    return attributes


def _local_grad_label(local_grads: Any, k: int, parent_count: int) -> dict[str, str]:
    """``{"label": ...}`` for the edge from parent ``k``, when its ∂out/∂in is a number."""
    if local_grads is None or len(local_grads) != parent_count:
        return {}
    local_grad = local_grads[k]
    if not isinstance(local_grad, (int, float, np.number)):
        return {}
    return {"label": _number(float(local_grad)), "fontcolor": LOCAL_GRAD_COLOUR}


def _module_node_attributes(
    name: str,
    parameters: list[tuple[str, Any, str, _Look]],
    show_grad: bool,
    compact: bool,
    across: bool,
) -> dict[str, str]:
    """A dashed box named after the module, holding one small table per parameter.

    ``parameters`` are ``(port, node, title, look)`` in the module's order; each table is a
    port, so an edge leaves from its own parameter. ``across``: side by side, else stacked.
    """
    border = ROLE_COLOURS["parameter"][1]
    cells = []
    for port, node, title, look in parameters:
        if isinstance(node.data, np.ndarray):
            rows = _tensor_rows(node, title, show_grad, compact, look.muted)
        else:
            rows = _scalar_rows(node, title, show_grad, compact, look.muted)
        table = (
            f'<table border="{2 if look.width != "1" else 1}" color="{look.border}" '
            f'bgcolor="{look.fill}" style="rounded{",dashed" if look.dashed else ""}" '
            'cellborder="0" cellspacing="0" '
            f'cellpadding="1">{_table_rows(rows, compact)}</table>'
        )
        if look.text != "#000000":  # white text on a dark fill
            table = f'<font color="{look.text}">{table}</font>'
        cells.append(f'<td port="{port}">{table}</td>')
    if across:
        body = "<tr>" + "".join(cells) + "</tr>"
    else:
        body = "".join(f"<tr>{cell}</tr>" for cell in cells)
    header = (
        f'<tr><td align="left" colspan="{len(cells) if across else 1}">'
        f'<font color="{border}">{_escape(name)}</font></td></tr>'
    )
    return {
        "label": f'<<table border="0" cellborder="0" cellspacing="3" cellpadding="0">'
        f"{header}{body}</table>>",
        "shape": "box",
        "style": "rounded,dashed",
        "color": border,
        "margin": "0.04,0.02",
        "class": "module parameter",
    }


def _legend(
    roles: set[str],
    show_local_grads: bool,
    compact: bool,
    show_grad: bool,
    gradient: list[str] | None = None,
    highlighted: bool = False,
) -> str:
    """A one-row table of colour swatches, used as the graph's label (so it adds no node).

    It shows the roles, or with ``color_by="grad"`` the cells of :func:`_gradient_legend`
    in their place (the fills are then the gradient's), then the operations and whatever
    else is drawn. Each text is a cell of its own, with no space at either end: an SVG
    viewer drops the spaces at the ends of a text, which would run "0.5" into "on an edge".
    """
    cells = []
    if gradient is not None:
        cells.extend(gradient)
    else:
        for role, (fill, border) in ROLE_COLOURS.items():
            if role in roles:
                cells.append(_swatch(fill, border) + _legend_text(role))
    fill, border = OP_COLOURS
    cells.append(_swatch(fill, border) + _legend_text("operation"))
    if compact and show_grad:
        cells.append(_legend_text("nodes: data ∇grad"))
    if show_local_grads:
        cells.append(
            f'<td align="right"><font color="{LOCAL_GRAD_COLOUR}">0.5</font></td>'
            + _legend_text("on an edge: local derivative ∂out/∂in")
        )
    if highlighted:
        fill, border = HIGHLIGHT_COLOURS
        cells.append(_swatch(fill, border) + _legend_text("highlighted"))
        cells.append(
            f'<td><font color="{border}"><b>━━▶</b></font></td>'
            + _legend_text("its path to the output")
        )
    return (
        '<<table border="0" cellborder="0" cellspacing="2" cellpadding="1"><tr>'
        + '<td width="10"></td>'.join(cells)
        + "</tr></table>>"
    )


def _gradient_legend(scale: GradientScale, kinds: set[str], tensors: bool) -> list[str]:
    """The legend's cells for ``color_by="grad"``: what is measured, the scale (a row of its
    colours, each holding its power of ten), the markings of zero, non-finite and missing
    gradients that the graph uses, and the roles (by their borders: the fills are the
    gradient's)."""
    ramp = "".join(
        f'<td bgcolor="{scale.decade_colour(decade)}">'
        f'<font color="{"#ffffff" if _dark_decade(scale, decade) else "#000000"}">'
        f"{decade_text(decade)}</font></td>"
        for decade in scale.ticks()
    )
    size = "|grad| (a Tensor's: √mean(grad²)), log scale" if tensors else "|grad|, log scale"
    cells = [_legend_text(size) + ramp]
    markings = [
        ("zero", ZERO_GRAD_COLOURS, "grad = 0"),
        ("non-finite", NON_FINITE_COLOURS, "grad nan or ±inf"),
        ("no gradient", NO_GRAD_COLOURS, "no grad (None)"),
    ]
    for kind, (fill, border), text in markings:
        if kind in kinds:
            style = ' style="dashed"' if kind == "zero" else ""
            swatch = (
                f'<td bgcolor="{fill}" color="{border}" border="1"{style} width="12" '
                'height="10"></td>'
            )
            cells.append(swatch + _legend_text(text))
    return cells


def _dark_decade(scale: GradientScale, decade: int) -> bool:
    return (decade - scale.low) / (scale.high - scale.low) >= DARK_FROM


def _legend_text(text: str) -> str:
    return f'<td align="left">{text}</td>'


def _swatch(fill: str, border: str) -> str:
    return f'<td bgcolor="{fill}" color="{border}" border="1" width="12" height="10"></td>'


def _number(x: float) -> str:
    """Four significant digits: 0.7616, -2, 1.5e-07, nan; -0.0 is written 0."""
    if x == 0.0:  # -0.0 (0·(-1), a product with a negative number that underflowed) is 0
        x = 0.0
    return f"{x:.4g}"


def _grey(text: str, colour: str = GREY_TEXT) -> str:
    return f'<font color="{colour}">{text}</font>'


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
