"""Backward, step by step: one HTML page that replays the reverse sweep on the graph's picture.

``animate_backward(loss, "backward.html")`` runs ``loss.backward()`` inside
:func:`autograd.graph.watching_backward`, so every step is recorded from the real sweep, in
the order ``Value.backward`` / ``Tensor.backward`` takes (the numbers are the engine's own,
never computed a second time). It then draws the graph once with :func:`draw_graph`
(Graphviz's ``dot``, so nodes never move between frames) and writes one self-contained HTML
file: the SVG inline, the recorded frames as JSON, and a few lines of plain JavaScript. No
network, no external file.

There is a frame per step of the sweep, of two kinds:

* **visit** — the sweep reaches a node: every node computed from it has passed its share
  back, so its gradient is final (the first frame is the output, seeded with 1);
* **pass** — the node hands ``local × upstream`` to one of its parents (for a Value,
  ``∂node/∂parent × ∂L/∂node``; for a Tensor, what the op's backward rule returns) and the
  parent's gradient grows by it. A value used twice receives twice, and the page shows its
  gradient at each frame.

Each node carries its number in the sweep's order; a caption explains each step in words.
Controls: previous/next, play/pause, a slider, the arrow keys (Space plays, Home/End jump);
``page.html#frame=5`` or ``page.html#last`` opens at a frame.
"""

from __future__ import annotations

import html
import json
import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograd.files import write_atomically
from autograd.graph import topological_order, watching_backward
from autograd.ops import number_first
from autograd.viz_graph import (
    OP_SYMBOLS,
    _array_summary,
    _number,
    draw_graph,
    import_viz_graphviz,
)

__all__ = ["DEFAULT_MAX_NODES", "BackwardRecording", "Frame", "animate_backward", "record_backward"]

DEFAULT_MAX_NODES = 200
"""Values (or Tensors) animated at most unless ``max_nodes`` says otherwise.

A graph of n values takes about 2n frames; past a few hundred no learner follows them.
"""

_TINY_ARRAY = 4  # gradients of at most this many elements are shown in full, else their norm
_SHORT_NAME = 18  # characters an unlabelled node's made-up name (e.g. "x × y") may have


# ------------------------------------------------------------------------ recording


@dataclass
class Frame:
    """One step of the reverse sweep, as ``backward()`` reported it.

    ``kind`` is ``"visit"`` (the sweep reached ``node``; ``grad`` is its final gradient) or
    ``"pass"`` (``node`` added ``contribution`` into the gradient of its ``edge``-th parent,
    ``parent``, whose gradient went from ``before`` to ``grad``; ``local`` is ∂node/∂parent
    for a Value, None for a Tensor; ``upstream`` is ∂L/∂node). Nodes are given by their
    position in ``topological_order(root)``; gradients are copies taken at that step.
    """

    kind: str
    node: int
    grad: Any
    parent: int | None = None
    edge: int | None = None
    local: Any = None
    upstream: Any = None
    contribution: Any = None
    before: Any = None


@dataclass
class BackwardRecording:
    """The frames of one ``backward()`` call, and the graph they refer to.

    ``order`` is ``topological_order(root)``; ``initial[i]`` is the gradient of ``order[i]``
    when the sweep began (after backward reset the intermediate ones and seeded the root).
    """

    order: list[Any]
    frames: list[Frame] = field(default_factory=list)
    initial: list[Any] = field(default_factory=list)


class _Recorder:
    """A :class:`autograd.graph.BackwardObserver` that keeps a copy of every step."""

    def __init__(self, order: list[Any]) -> None:
        self.recording = BackwardRecording(order)
        self.position = {id(node): i for i, node in enumerate(order)}
        self.running: list[Any] = []
        self.next_edge: dict[int, int] = {}  # node → index of the parent it passes to next

    def visit(self, node: Any) -> None:
        if not self.recording.frames and not self.running:  # the sweep begins: every grad now
            self.running = [_copy(other.grad) for other in self.recording.order]
            self.recording.initial = list(self.running)
        i = self.position[id(node)]
        self.recording.frames.append(Frame("visit", i, _copy(node.grad)))

    def passed(self, node: Any, parent: Any, local: Any, contribution: Any) -> None:
        i, j = self.position[id(node)], self.position[id(parent)]
        # Parents are passed to in their order (a Tensor skips those that need no gradient).
        k = self.next_edge.get(i, 0)
        while node.parents[k] is not parent:
            k += 1
        self.next_edge[i] = k + 1
        grad = _copy(parent.grad)
        frame = Frame(
            "pass",
            i,
            grad,
            parent=j,
            edge=k,
            local=_copy(local),
            upstream=_copy(node.grad),
            contribution=_copy(contribution),
            before=self.running[j],
        )
        self.running[j] = grad
        self.recording.frames.append(frame)


def _copy(x: Any) -> Any:
    """A snapshot: Tensor gradients are arrays that later steps add into in place."""
    if x is None or isinstance(x, (int, float)):
        return x
    array = np.array(x, copy=True)
    return array if array.ndim else array[()]


def record_backward(root: Any) -> BackwardRecording:
    """Run ``root.backward()`` and return every step it took (see :class:`Frame`).

    Gradients end as after a plain ``root.backward()`` (leaves accumulate, as always).

    Raises:
        whatever ``root.backward()`` raises (e.g. RuntimeError for a Tensor of many elements).
    """
    recorder = _Recorder(topological_order(root))
    with watching_backward(recorder):
        root.backward()
    return recorder.recording


# ------------------------------------------------------------------------ the page


def animate_backward(
    root: Any,
    path: str | Path,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    module: Any = None,
    rankdir: str = "LR",
    compact: bool | None = None,
    title: str | None = None,
) -> Path:
    """Run ``root.backward()`` and write an HTML page that replays it step by step.

    The page (one file, nothing fetched from anywhere) shows the graph as
    :func:`draw_graph` draws it, with local derivatives on the edges, and a frame per step
    of the sweep: the node being processed, its gradient, the product local × upstream
    travelling along the edge to the parent, and the parent's gradient growing. See the
    module's docstring for the controls.

    **This runs backward**: gradients end as after ``root.backward()``; leaves accumulate,
    so zero them first (``model.zero_grad()``) if they hold gradients you do not want added to.

    Args:
        root: a ``Value``, or a ``Tensor`` of one element.
        path: the ``.html`` file to write (atomically; its directory is created).
        max_nodes: refuse graphs of more values than this, before running anything.
        module: as in :func:`draw_graph`: an ``nn.Module`` whose parameters are drawn
            grouped per neuron.
        rankdir, compact: as in :func:`draw_graph`.
        title: the page's title; by default from ``root``'s label.

    Returns:
        The path written.

    Raises:
        ValueError: the graph has more than ``max_nodes`` values (the message says what
            to do), or ``rankdir`` is not LR, TB, RL or BT; nothing has run then.
        TypeError: ``root`` is not a Value or Tensor, or ``module`` has no
            ``named_parameters()``; nothing has run then.
        ImportError: the Python package ``graphviz`` is not installed.
        autograd.viz.GraphvizNotFoundError: Graphviz's ``dot`` program is not installed.
        RuntimeError: from ``root.backward()`` (e.g. a Tensor of several elements).
        OSError: the file cannot be written.
    """
    if not hasattr(root, "parents") or not hasattr(root, "backward"):
        raise TypeError(
            "animate_backward: root must be a Value or a Tensor (the output whose backward "
            f"pass to show), not {type(root).__name__}"
        )
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(
            f"animate_backward: rankdir must be one of LR, TB, RL, BT, not {rankdir!r}"
        )
    if module is not None and not callable(getattr(module, "named_parameters", None)):
        raise TypeError(
            "animate_backward: module must have a named_parameters() method yielding "
            f"(name, parameter) pairs, like nn.Module; got {type(module).__name__}"
        )
    order = topological_order(root)
    _check_size(order, max_nodes)
    import_viz_graphviz("animate_backward")  # fail before running anything
    recording = record_backward(root)
    if title is None:
        label = getattr(root, "label", "")
        title = f"backward() of {label}" if label else "backward(), step by step"
    graph = _draw_with_widest_gradients(
        recording,
        root,
        show_local_grads=True,
        max_nodes=max_nodes,
        module=module,
        rankdir=rankdir,
        compact=compact,
        name=title,
    )
    svg = graph.pipe(format="svg")
    page = _page(recording, root, graph.source, svg, module, title)
    return write_atomically(path, page.encode("utf-8"))


def _draw_with_widest_gradients(recording: BackwardRecording, root: Any, **options: Any) -> Any:
    """:func:`draw_graph` laid out while each node holds the widest gradient it shows in any
    frame, so that every frame's number fits its box; the final gradients are put back."""
    order = recording.order
    widest = list(recording.initial)
    for frame in recording.frames:
        i = frame.node if frame.kind == "visit" else frame.parent
        assert i is not None
        if len(_text(frame.grad)) > len(_text(widest[i])):
            widest[i] = frame.grad
    final = [node.grad for node in order]
    try:
        for node, grad in zip(order, widest):
            node.grad = grad
        return draw_graph(root, **options)
    finally:
        for node, grad in zip(order, final):
            node.grad = grad


def _check_size(order: list[Any], max_nodes: int) -> None:
    if len(order) <= max_nodes:
        return
    steps = len(order) + sum(len(node.parents) for node in order)
    raise ValueError(
        f"animate_backward: the graph has {len(order)} values (up to {steps} steps of backward), "
        f"more than max_nodes={max_nodes} values; no learner follows an animation this long "
        f"and Graphviz is slow on big graphs. Pass max_nodes={len(order)} (or more) to "
        "animate it anyway, or animate a smaller piece: one neuron's output, one example's "
        "loss, a smaller model."
    )


# ------------------------------------------------------------------------ words and numbers


def _text(grad: Any) -> str:
    """A gradient as a node shows it (as draw_graph writes it): 4 significant digits."""
    if grad is None:
        return "None"
    if isinstance(grad, np.ndarray):
        return _array_summary(grad)
    return _number(float(grad))


def _short(grad: Any) -> str:
    """A gradient in a sentence: a number, a tiny array in full, else its shape and norm."""
    if grad is None:
        return "nothing (None)"
    array = np.asarray(grad, dtype=np.float64)
    if array.ndim == 0:
        return _number(float(array))
    if array.size <= _TINY_ARRAY:
        return f"{_in_full(array)} (shape {array.shape})"
    return f"an array of shape {array.shape} and norm {_number(float(np.linalg.norm(array)))}"


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)  # JSON has no nan/inf


def _value(grad: Any) -> Any:
    """A gradient for the page's state read-back: the number(s), or the norm of a big array."""
    if grad is None:
        return None
    array = np.asarray(grad, dtype=np.float64)
    if array.size <= _TINY_ARRAY:
        numbers = [_json_number(float(x)) for x in array.ravel()]
        return numbers[0] if array.ndim == 0 else numbers
    return {"norm": _json_number(float(np.linalg.norm(array))), "shape": list(array.shape)}


def _is_zero(grad: Any) -> bool:
    return grad is None or not np.any(np.asarray(grad))


def _symbol(op: str) -> str:
    if op.startswith("weighted_sum"):
        return OP_SYMBOLS["weighted_sum"]
    return OP_SYMBOLS.get(op, op) or "?"


def _names(
    order: list[Any], parents: list[list[int]], roles: list[str], numbers: list[int]
) -> list[str]:
    """What a caption calls each node: its label; a constant's number; else a short formula
    of its parents' names (``x × y``, ``tanh(x)``) or, if that is long, its op and number."""
    names: list[str] = []
    formulas: set[int] = set()  # names that are binary formulas, bracketed as operands
    for i, node in enumerate(order):
        if node.label:
            names.append(str(node.label))
            continue
        if roles[i] == "constant":
            data = node.data
            names.append(_short(data) if isinstance(data, np.ndarray) else _number(float(data)))
            continue
        if not node.parents:
            names.append(f"node {numbers[i]}")
            continue
        parts = [f"({names[j]})" if j in formulas else names[j] for j in parents[i]]
        number = getattr(node, "constant", None)
        if number is not None:  # x + 1, 1 − y: the plain number where it was written
            written = _number(number)
            parts = [written, *parts] if number_first(node.op) else [*parts, written]
        symbol = _symbol(node.op)
        if node.op.startswith("**") and len(parts) == 1:
            exponent = node.op[2:]
            power = exponent.translate(_SUPERSCRIPT) if exponent.isdigit() else f"**{exponent}"
            formula = f"{parts[0]}{power}"
        elif len(parts) == 2 and len(symbol) <= 2:  # x × y, 2 ** x
            formula = f"{parts[0]} {symbol} {parts[1]}"
            formulas.add(i)
        else:
            formula = f"{symbol}({', '.join(names[j] for j in parents[i])})"
        if len(formula) > _SHORT_NAME:  # the output "out", else the number on its badge
            formula = "out" if roles[i] == "output" else f"node {numbers[i]}"
            formulas.discard(i)
        names.append(formula)
    return names


def _roles(order: list[Any], root: Any, module: Any) -> list[str]:
    """output / intermediate / parameter / input / constant, as draw_graph colours them."""
    parameters = set()
    if module is not None:  # animate_backward checked it has named_parameters()
        parameters = {id(p) for _, p in module.named_parameters()}
    roles = []
    for node in order:
        if node is root:
            roles.append("output")
        elif node.parents:
            roles.append("intermediate")
        elif id(node) in parameters:
            roles.append("parameter")
        elif node.label or getattr(node, "requires_grad", False):
            roles.append("input")
        else:
            roles.append("constant")
    return roles


_TIMES = {2: "twice", 3: "three times"}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _captions(
    recording: BackwardRecording, parents: list[list[int]], names: list[str], roles: list[str]
) -> list[tuple[str, str]]:
    """A headline and an explanation, per frame, for a learner."""
    order = recording.order
    uses = [0] * len(order)  # how many times each node is an operand
    for indices in parents:
        for j in indices:
            uses[j] += 1
    output = _in_derivative(names[roles.index("output")])
    received = [0] * len(order)
    captions = []
    for step, frame in enumerate(recording.frames, start=1):
        node, name = order[frame.node], names[frame.node]
        if frame.kind == "visit":
            inputs = [names[j] for j in dict.fromkeys(parents[frame.node])]
            captions.append(
                _visit_caption(step, frame, node, name, roles[frame.node], inputs, output)
            )
            continue
        assert frame.parent is not None
        received[frame.parent] += 1
        parent_name = names[frame.parent]
        of_node, of_parent = _in_derivative(name), _in_derivative(parent_name)
        if frame.local is not None:  # a Value: the article's product, in numbers
            headline = f"{name} passes its gradient to {parent_name}: {_product(frame)}"
            detail = (
                f"The local derivative ∂{of_node}/∂{of_parent} = {_short(frame.local)} (on the "
                f"edge) times the upstream gradient ∂{output}/∂{of_node} = "
                f"{_short(frame.upstream)}. "
            )
        else:  # a Tensor: the op's backward rule gives the contribution
            symbol = _symbol(node.op)
            headline = (
                f"{name} passes a gradient to {parent_name} through the {symbol} rule: "
                f"{_short(frame.contribution)}"
            )
            detail = (
                f"The backward rule of {symbol} turns ∂{output}/∂{of_node} "
                f"({_short(frame.upstream)}) into {parent_name}'s share. "
            )
        before, after = _short(frame.before), _short(frame.grad)
        subject = _capital(parent_name)  # it starts a sentence
        times = _TIMES.get(uses[frame.parent], f"{uses[frame.parent]} times")
        if received[frame.parent] > 1:
            detail += (
                f"{subject} is used {times}: its gradient {_grows(frame)} from {before} to {after} "
                f"(share {received[frame.parent]} of {uses[frame.parent]})."
            )
        elif frame.before is None:
            detail += f"{subject} had no gradient yet: now it is {after}."
        elif not _is_zero(frame.before):
            detail += (
                f"{subject}'s gradient goes from {before} to {after}: a leaf's gradient "
                "accumulates, and it held one from an earlier backward()."
            )
        elif uses[frame.parent] > 1:
            detail += (
                f"{subject}'s gradient goes from {before} to {after}; it is used {times}, "
                "so more will be added."
            )
        else:
            detail += f"{subject}'s gradient goes from {before} to {after}."
        captions.append((f"Step {step}: {headline}", detail))
    return captions


def _grows(frame: Frame) -> str:
    """'grows' when a share makes the gradient larger in size, else 'changes'."""
    if frame.before is None or frame.grad is None:
        return "grows"
    before = np.linalg.norm(np.asarray(frame.before, dtype=np.float64))
    after = np.linalg.norm(np.asarray(frame.grad, dtype=np.float64))
    return "grows" if after >= before else "changes"


def _capital(name: str) -> str:
    """A name made up here ("node 3") with a capital letter, to start a sentence; labels are
    left as they are (x is not X)."""
    return "N" + name[1:] if re.fullmatch(r"node \d+", name) else name


def _in_derivative(name: str) -> str:
    """``name`` as it follows a ∂: bracketed if it has spaces, ``∂(x × y)``."""
    return f"({name})" if " " in name else name


def _visit_caption(
    step: int, frame: Frame, node: Any, name: str, role: str, inputs: list[str], output: str
) -> tuple[str, str]:
    grad = _short(frame.grad)
    derivative = f"∂{output}/∂{_in_derivative(name)}"
    if step == 1:
        return (
            f"Step 1: backward() starts at {name}: {derivative} = {grad}",
            "The output's gradient is seeded with 1. The sweep now goes back through the graph, "
            "reaching each node only once every node computed from it has passed its share "
            "back: the numbers on the nodes give that order.",
        )
    if frame.grad is None:
        return (
            f"Step {step}: {name} needs no gradient",
            f"{_capital(name)} does not require grad, so no gradient was passed to it.",
        )
    if node.parents:
        return (
            f"Step {step}: {name} is reached: {derivative} = {grad} is final",
            f"Every node computed from {name} has passed its share back, so its gradient is "
            f"complete. Next it passes it on to {_and(inputs)}, through {_symbol(node.op)}.",
        )
    if role == "parameter":
        what = "a parameter: this is the number an optimizer uses to update it"
    elif role == "input":
        what = "a leaf (an input): nothing was computed to make it, so nothing is passed on"
    else:
        what = "a constant of the formula: nothing learns it, and nothing is passed on"
    return (
        f"Step {step}: {name} is reached: {derivative} = {grad}",
        f"{_capital(name)} is {what}.",
    )


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------------ the picture
# draw_graph names its nodes by position in topological order: value i is "v{i}", the
# operation that made it "op{i}", a module's k-th box of parameters "p{k}" (parameter i its
# port "p{k}:v{i}"). The SVG keeps those names as each node's and edge's <title>, so the
# frames can point at the picture's pieces by them; here they are marked with data-
# attributes (data-value, data-grad, data-op, data-pass, data-out) for the page's script.

_SVG = "{http://www.w3.org/2000/svg}"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_PORT = re.compile(r'port="v(\d+)"')
_INTO_OPERATION = re.compile(r"([vp]\d+)((?::\w+)*)->op(\d+)")
_OUT_OF_OPERATION = re.compile(r"op(\d+)->v\1")


def _annotated_svg(
    svg: bytes, dot_source: str, parents: list[list[int]], numbers: list[int]
) -> str:
    """The SVG of draw_graph's picture, its pieces marked for the page's script, as text
    to put inline in HTML (no XML declaration, doctype or namespaces, which HTML needs not)."""
    tree = ElementTree.fromstring(svg)
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.startswith(_SVG):
            element.tag = element.tag[len(_SVG) :]
        for name in [name for name in element.attrib if name.startswith("{")]:
            value = element.attrib.pop(name)
            element.set("xlink:" + name.rpartition("}")[2], value)
    _pad(tree, 10.0)  # room for the badges on the nodes' corners
    ports = _module_ports(dot_source)
    edges: list[tuple[int, Any, str]] = []
    for group in tree.iter("g"):
        classes = group.get("class", "").split()
        title = group.findtext("title", "")
        if "node" in classes:
            _mark_node(group, title, ports, numbers)
        elif "edge" in classes:
            edges.append((int(_NUMBER.findall(group.get("id", "0"))[-1]), group, title))
    # Edges are numbered (edge1, edge2, ...) in the order draw_graph made them: an
    # operation's parents in their order. That tells apart the two edges of x * x, and the
    # edges leaving one module box (whose SVG titles name the box, "p0:s->op7", not the
    # parameter's port).
    seen: dict[tuple[int, int], int] = {}
    from_box: dict[tuple[int, str], int] = {}
    for _, group, title in sorted(edges, key=lambda edge: edge[0]):
        into_operation = _INTO_OPERATION.fullmatch(title)
        if into_operation is not None:
            source, node = into_operation[1], int(into_operation[3])
            port = re.search(r":v(\d+)", into_operation[2])
            if source.startswith("v"):
                parent = int(source[1:])
            elif port is not None:
                parent = int(port[1])
            else:  # the k-th edge from a box into op{i}: its k-th parameter among the parents
                members = [j for j in parents[node] if j in ports.get(source, ())]
                k = from_box.get((node, source), 0)
                from_box[(node, source)] = k + 1
                if k >= len(members):
                    continue
                parent = members[k]
            occurrence = seen.get((node, parent), 0)
            seen[(node, parent)] = occurrence + 1
            group.set("data-pass", f"{node}:{parent}:{occurrence}")
        elif _OUT_OF_OPERATION.fullmatch(title):  # op{i} -> v{i}
            group.set("data-out", title.rpartition("->v")[2])
    graph = tree.find("g")
    if graph is not None:
        bubble = ElementTree.SubElement(graph, "g", {"id": "cg-bubble", "visibility": "hidden"})
        ElementTree.SubElement(bubble, "rect", {"rx": "4", "ry": "4"})
        ElementTree.SubElement(bubble, "text", {"text-anchor": "middle"})
    return ElementTree.tostring(tree, encoding="unicode")


def _pad(svg: Any, margin: float) -> None:
    """Widen the picture by ``margin`` points on every side."""
    box = [float(x) for x in svg.get("viewBox", "").split()]
    if len(box) != 4:
        return
    x, y, width, height = box
    svg.set(
        "viewBox",
        f"{x - margin:.2f} {y - margin:.2f} {width + 2 * margin:.2f} {height + 2 * margin:.2f}",
    )
    for name in ("width", "height"):
        size = svg.get(name, "")
        if size.endswith("pt"):
            svg.set(name, f"{float(size[:-2]) + 2 * margin:g}pt")


def _module_ports(dot_source: str) -> dict[str, list[int]]:
    """``{"p0": [3, 1, 6], ...}``: the values in each module box, in their drawn order."""
    ports = {}
    for line in dot_source.splitlines():
        name, _, rest = line.strip().partition(" ")
        if re.fullmatch(r"p\d+", name) and rest.startswith("[label=<"):
            ports[name] = [int(i) for i in _PORT.findall(rest)]
    return ports


def _mark_node(group: Any, title: str, ports: dict[str, list[int]], numbers: list[int]) -> None:
    if re.fullmatch(r"op\d+", title):
        group.set("data-op", title[2:])
    elif re.fullmatch(r"v\d+", title):
        i = int(title[1:])
        group.set("data-value", str(i))
        shape = next((child for child in group if child.tag in ("path", "polygon")), None)
        _mark_grad(list(group), i)
        if shape is not None:
            _add_badge(group, shape, numbers[i])
    elif title in ports:
        _split_cells(group, ports[title], numbers)


def _mark_grad(children: list[Any], i: int) -> None:
    """Mark the text showing value i's gradient: the one after "grad", or "∇…" (compact)."""
    texts = [child for child in children if child.tag == "text"]
    for k, text in enumerate(texts):
        content = text.text or ""
        if content == "grad" and k + 1 < len(texts):
            texts[k + 1].set("data-grad", str(i))
            return
        if content.startswith("∇"):
            text.set("data-grad", str(i))
            text.set("data-prefix", "∇")
            return


def _split_cells(group: Any, values: list[int], numbers: list[int]) -> None:
    """Wrap each parameter's part of a module box in a <g data-value=i>: a filled shape
    starts a parameter's cell (its background), its texts and border follow."""
    children = list(group)
    starts = [
        k
        for k, child in enumerate(children)
        if child.tag in ("path", "polygon") and child.get("fill", "none") != "none"
    ]
    if len(starts) != len(values):  # not the layout expected: leave the box as it is
        return
    for child in children[starts[0] :]:
        group.remove(child)
    for start, end, i in zip(starts, [*starts[1:], len(children)], values):
        cell = ElementTree.SubElement(group, "g", {"class": "cell", "data-value": str(i)})
        cell.extend(children[start:end])
        _mark_grad(children[start:end], i)
        _add_badge(cell, children[start], numbers[i])


def _add_badge(group: Any, shape: Any, number: int) -> None:
    """A small numbered disc at the shape's top-right corner: the node's place in the sweep."""
    coordinates = [float(x) for x in _NUMBER.findall(shape.get("d") or shape.get("points", ""))]
    if len(coordinates) < 2:
        return
    x, y = max(coordinates[0::2]), min(coordinates[1::2])
    badge = ElementTree.SubElement(group, "g", {"class": "badge"})
    ElementTree.SubElement(badge, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "7.5"})
    label = ElementTree.SubElement(
        badge, "text", {"x": f"{x:.1f}", "y": f"{y + 3:.1f}", "text-anchor": "middle"}
    )
    label.text = str(number)


# ------------------------------------------------------------------------ the page


def _page(
    recording: BackwardRecording,
    root: Any,
    dot_source: str,
    svg: bytes,
    module: Any,
    title: str,
) -> str:
    order = recording.order
    position = {id(node): i for i, node in enumerate(order)}
    parents = [[position[id(parent)] for parent in node.parents] for node in order]
    numbers = [0] * len(order)  # each node's place in the sweep, from 1
    count = 0
    for frame in recording.frames:
        if frame.kind == "visit":
            count += 1
            numbers[frame.node] = count
    roles = _roles(order, root, module)
    names = _names(order, parents, roles, numbers)
    captions = _captions(recording, parents, names, roles)
    frames = []
    for frame, (headline, detail) in zip(recording.frames, captions):
        entry: dict[str, Any] = {
            "kind": frame.kind,
            "node": frame.node,
            "text": _text(frame.grad),
            "value": _value(frame.grad),
            "headline": headline,
            "detail": detail,
        }
        if frame.kind == "pass":
            assert frame.parent is not None and frame.edge is not None
            occurrence = parents[frame.node][: frame.edge].count(frame.parent)
            entry["parent"] = frame.parent
            entry["edge"] = f"{frame.node}:{frame.parent}:{occurrence}"
            if frame.local is not None:
                entry["bubble"] = _product(frame)
            else:
                entry["bubble"] = _bubble(frame.contribution)
        frames.append(entry)
    data = {
        "title": title,
        "values": [
            {"name": name, "text": _text(grad), "value": _value(grad)}
            for name, grad in zip(names, recording.initial)
        ],
        "frames": frames,
    }
    # "<" escaped: a label holding "</script>" cannot end the script early.
    payload = json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
    visits = sum(1 for frame in recording.frames if frame.kind == "visit")
    summary = (
        f"{len(frames)} steps: {visits} nodes reached, {len(frames) - visits} gradients passed back"
    )
    return _TEMPLATE.format(
        title=html.escape(title),
        summary=html.escape(summary),
        steps=len(frames),
        last=max(len(frames) - 1, 0),
        svg=_annotated_svg(svg, dot_source, parents, numbers),
        data=payload,
        style=_STYLE,
        script=_SCRIPT,
    )


def _product(frame: Frame) -> str:
    """``local × upstream = contribution`` for a Value, a negative factor in brackets."""
    upstream = _short(frame.upstream)
    if upstream.startswith("-"):
        upstream = f"({upstream})"
    return f"{_short(frame.local)} × {upstream} = {_short(frame.contribution)}"


def _bubble(contribution: Any) -> str:
    """A Tensor's contribution on the travelling label: tiny arrays in full, else the norm."""
    if contribution is None:
        return "None"
    array = np.asarray(contribution, dtype=np.float64)
    if array.size <= _TINY_ARRAY:
        return _in_full(array)
    return f"shape {array.shape}, norm {_number(float(np.linalg.norm(array)))}"


def _in_full(array: np.ndarray) -> str:
    """A tiny array's numbers, flattened: ``[0.5, -1, 2]``."""
    return "[" + ", ".join(_number(float(x)) for x in array.ravel()) + "]"


# The page. ``str.format`` fills the template; the style and the script are inserted as
# values, so their braces need no escaping.
_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header id="cg-top">
<div class="row"><h1>{title}</h1><span class="summary">{summary}</span></div>
<div class="row controls">
<button type="button" id="cg-prev" title="previous step (left arrow)">&#9664; Previous</button>
<button type="button" id="cg-play" title="play or pause (space)">&#9654; Play</button>
<button type="button" id="cg-next" title="next step (right arrow)">Next &#9654;</button>
<input id="cg-slider" type="range" min="0" max="{last}" value="0" aria-label="step">
<span id="cg-counter">step 1 of {steps}</span>
<button type="button" id="cg-fit" title="the whole graph, or its true size">Fit to window</button>
</div>
<div id="cg-caption" aria-live="polite"><strong id="cg-headline"></strong>
<span id="cg-detail"></span></div>
<div class="legend"><span class="key active"></span>gradient final, being passed back
<span class="key receiving"></span>receiving local &#215; upstream
<span class="key pending"></span>not reached yet
<span class="key number">7</span>its place in backward()'s order
<span class="hint">keys: &#8592; &#8594; step, space plays</span></div>
</header>
<main id="cg-graph">{svg}</main>
<output id="cg-state" hidden data-frames="{steps}"></output>
<script type="application/json" id="cg-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""

_STYLE = """
:root { --accent: #ea580c; --receive: #2563eb; --ink: #111827; }
html, body { height: 100%; }
body { margin: 0; color: var(--ink); background: #fff; display: flex; flex-direction: column;
  font: 15px/1.45 system-ui, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
header { flex: none; background: #f8fafc; border-bottom: 1px solid #e5e7eb;
  padding: 8px 16px 6px; }
h1 { font-size: 17px; margin: 0; }
.row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.summary, .hint { color: #6b7280; font-size: 13px; }
.controls { margin-top: 6px; }
button { font: inherit; padding: 3px 12px; border: 1px solid #cbd5e1; border-radius: 6px;
  background: #fff; color: var(--ink); cursor: pointer; }
button:hover { background: #f1f5f9; }
button:disabled { opacity: .4; cursor: default; }
#cg-slider { flex: 1; min-width: 160px; accent-color: var(--accent); }
#cg-counter { font-variant-numeric: tabular-nums; min-width: 8em; }
#cg-caption { margin-top: 6px; min-height: 3em; font-size: 16px; }
#cg-headline { display: block; }
#cg-detail { color: #374151; }
.legend { font-size: 13px; color: #4b5563; margin-top: 4px; }
.key { display: inline-block; box-sizing: border-box; width: 14px; height: 14px;
  border: 3px solid; border-radius: 3px; vertical-align: -2px; margin: 0 3px 0 10px; }
.key.active { border-color: var(--accent); }
.key.receiving { border-color: var(--receive); }
.key.pending { border-color: #cbd5e1; }
.key.number { width: auto; height: auto; border: 0; border-radius: 8px; padding: 0 5px;
  background: #374151; color: #fff; font-size: 10px; font-weight: bold; }
main { flex: 1; min-height: 0; overflow: auto; padding: 12px 16px; box-sizing: border-box; }
main svg { display: block; margin: 0 auto; }
main.fit svg { width: 100%; height: 100%; }
svg [data-value] { transition: opacity .2s; }
svg [data-value].pending { opacity: .45; }
svg [data-value].active, svg [data-value].receiving { opacity: 1; }
svg [data-value].active > path, svg [data-value].active > polygon {
  stroke: var(--accent); stroke-width: 3.5px; }
svg [data-value].receiving > path, svg [data-value].receiving > polygon {
  stroke: var(--receive); stroke-width: 3.5px; }
svg text[data-grad].final { fill: var(--ink); }
svg text[data-grad].changed { fill: var(--receive); }
svg .badge circle { fill: #fff; stroke: #9ca3af; }
svg .badge text { fill: #6b7280; font: bold 9px Arial, sans-serif; }
svg .done .badge circle { fill: #374151; stroke: #374151; }
svg .done .badge text { fill: #fff; }
svg .active .badge circle { fill: var(--accent); stroke: var(--accent); }
svg .lit > path { stroke: var(--accent); stroke-width: 3px; }
svg .lit > polygon { fill: var(--accent); stroke: var(--accent); }
svg .lit > ellipse { stroke: var(--accent); stroke-width: 2.5px; fill: #ffedd5; }
#cg-bubble rect { fill: var(--accent); }
#cg-bubble text { fill: #fff; font: bold 11px Arial, sans-serif; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cg-data").textContent);
  var frames = data.frames, count = frames.length;
  var main = document.getElementById("cg-graph"), svg = main.querySelector("svg");
  var slider = document.getElementById("cg-slider");
  var playButton = document.getElementById("cg-play");
  var bubble = document.getElementById("cg-bubble");
  var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var current = 0, timer = null, motion = null;
  var boxes = {}, grads = {};
  svg.querySelectorAll("[data-value]").forEach(function (el) { boxes[el.dataset.value] = el; });
  svg.querySelectorAll("text[data-grad]").forEach(function (text) {
    // Right-aligned where draw_graph ended the number, whatever its length at a frame.
    var box = text.getBBox();
    text.setAttribute("x", box.x + box.width);
    text.setAttribute("text-anchor", "end");
    grads[text.dataset.grad] = text;
  });
  function mark(el, name, on) { if (el) { el.classList.toggle(name, on); } }
  function one(selector) { return svg.querySelector(selector); }

  function show(k) {
    current = Math.max(0, Math.min(count - 1, k));
    var frame = frames[current], latest = data.values.slice(), reached = {};
    for (var f = 0; f <= current; f++) {  // each value's gradient as it stood at this frame
      var step = frames[f];
      if (step.kind === "visit") { reached[step.node] = true; latest[step.node] = step; }
      else { latest[step.parent] = step; }
    }
    var receiving = frame.kind === "pass" ? frame.parent : -1;
    latest.forEach(function (grad, i) {
      mark(boxes[i], "done", !!reached[i]);
      mark(boxes[i], "pending", !reached[i]);
      mark(boxes[i], "active", i === frame.node);
      mark(boxes[i], "receiving", i === receiving);
      var text = grads[i];
      if (text) {
        text.textContent = (text.dataset.prefix || "") + grad.text;
        mark(text, "final", !!reached[i]);
        mark(text, "changed", i === receiving);
      }
    });
    svg.querySelectorAll(".lit").forEach(function (el) { el.classList.remove("lit"); });
    if (frame.kind === "pass") {
      [one('[data-pass="' + frame.edge + '"]'), one('[data-out="' + frame.node + '"]'),
       one('[data-op="' + frame.node + '"]')].forEach(function (el) { mark(el, "lit", true); });
    }
    travel(frame);
    document.getElementById("cg-headline").textContent = frame.headline;
    document.getElementById("cg-detail").textContent = frame.detail;
    document.getElementById("cg-counter").textContent = "step " + (current + 1) + " of " + count;
    slider.value = current;
    document.getElementById("cg-prev").disabled = current === 0;
    document.getElementById("cg-next").disabled = current === count - 1;
    var state = document.getElementById("cg-state"), summary = {};
    latest.forEach(function (grad, i) { summary[i] = grad.value; });
    state.dataset.frame = current + 1;
    state.textContent = JSON.stringify({frame: current + 1, frames: count, grads: summary});
    follow([boxes[frame.node], boxes[receiving]]);
  }

  function travel(frame) {  // local x upstream, moving along the edge towards the parent
    if (motion !== null) { cancelAnimationFrame(motion); motion = null; }
    var edge = frame.kind === "pass" && one('[data-pass="' + frame.edge + '"] path');
    if (!edge) { bubble.setAttribute("visibility", "hidden"); return; }
    var text = bubble.querySelector("text"), rect = bubble.querySelector("rect");
    text.textContent = frame.bubble;
    text.setAttribute("y", 4);
    bubble.setAttribute("visibility", "visible");
    var box = text.getBBox(), length = edge.getTotalLength();
    rect.setAttribute("x", box.x - 5); rect.setAttribute("y", box.y - 2);
    rect.setAttribute("width", box.width + 10); rect.setAttribute("height", box.height + 4);
    function at(t) {  // t = 1: at the operation; the edge starts at the parent
      var p = edge.getPointAtLength(length * t);
      bubble.setAttribute("transform", "translate(" + p.x + "," + p.y + ")");
    }
    at(0.5);
    if (still) { return; }
    var start = null;
    motion = requestAnimationFrame(function move(now) {
      if (start === null) { start = now; }
      var u = Math.min(1, (now - start) / 600);
      at(1 - 0.5 * (1 - Math.pow(1 - u, 3)));
      motion = u < 1 ? requestAnimationFrame(move) : null;
    });
  }

  function follow(elements) {  // scroll the picture to show the nodes of this step
    var view = main.getBoundingClientRect(), box = null;
    elements.forEach(function (el) {
      if (!el) { return; }
      var r = el.getBoundingClientRect();
      box = box ? {top: Math.min(box.top, r.top), bottom: Math.max(box.bottom, r.bottom),
                   left: Math.min(box.left, r.left), right: Math.max(box.right, r.right)} : r;
    });
    if (!box || (box.top >= view.top && box.bottom <= view.bottom &&
                 box.left >= view.left && box.right <= view.right)) { return; }
    main.scrollBy({top: (box.top + box.bottom - view.top - view.bottom) / 2,
                   left: (box.left + box.right - view.left - view.right) / 2,
                   behavior: timer === null ? "auto" : "smooth"});
  }

  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.innerHTML = "&#9654; Play";
  }
  function play() {
    if (current === count - 1) { show(0); }
    timer = setInterval(function () {
      if (current >= count - 1) { pause(); } else { show(current + 1); }
    }, 1500);
    playButton.innerHTML = "&#10074;&#10074; Pause";
  }
  function toggle() { if (timer === null) { play(); } else { pause(); } }

  function stepBy(change) { return function () { pause(); show(current + change); }; }
  document.getElementById("cg-prev").addEventListener("click", stepBy(-1));
  document.getElementById("cg-next").addEventListener("click", stepBy(1));
  playButton.addEventListener("click", toggle);
  document.getElementById("cg-fit").addEventListener("click", function (event) {
    var fit = main.classList.toggle("fit");
    event.target.textContent = fit ? "True size" : "Fit to window";
    follow([boxes[frames[current].node]]);
  });
  slider.addEventListener("input", function () { pause(); show(Number(slider.value)); });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.target === slider && event.key !== " ") { return; }  // the slider moves itself
    var moves = {ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: count - 1};
    if (event.key in moves) { pause(); show(moves[event.key]); event.preventDefault(); }
    else if (event.key === " " && event.target.tagName !== "BUTTON") {
      toggle();
      event.preventDefault();
    }
  });
  function fromHash() {  // page.html#frame=5 (counting from 1) or page.html#last
    var match = /^#frame=(\\d+)$/.exec(window.location.hash);
    if (match) { show(Number(match[1]) - 1); }
    else if (window.location.hash === "#last") { show(count - 1); }
  }
  window.addEventListener("hashchange", function () { pause(); fromHash(); });
  show(0);
  fromHash();
})();
"""
