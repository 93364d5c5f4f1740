"""autograd.animate_backward: the frames are backward()'s own steps, the page stands alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from backward_steps import StepCounter

from autograd import Tensor, Value, animate_backward, topological_order
from autograd.graph import watching_backward
from autograd.viz_animate import record_backward
from demos import backprop_by_hand


def expression() -> tuple[Value, Value, Value]:
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    return x, y, (x * y + x).tanh() * x  # x is used three times


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    start = text.index('<script type="application/json" id="cg-data">')
    start = text.index(">", start) + 1
    return json.loads(text[start : text.index("</script>", start)])


def final_gradients(data: dict) -> list:
    """Each value's gradient after the last frame, folded from the frames as the page does."""
    latest = [value["value"] for value in data["values"]]
    for frame in data["frames"]:
        latest[frame["node"] if frame["kind"] == "visit" else frame["parent"]] = frame["value"]
    return latest


def test_there_is_a_frame_per_step_backward_reports(tmp_path):
    *_, twin = expression()
    with watching_backward(StepCounter()) as counter:
        twin.backward()
    *_, out = expression()
    data = page_data(animate_backward(out, tmp_path / "b.html"))
    order = topological_order(out)
    assert len(data["frames"]) == counter.steps
    assert counter.steps == len(order) + sum(len(node.parents) for node in order)


def test_the_frames_follow_backward_s_order():
    *_, out = expression()
    recording = record_backward(out)
    visited = [recording.order[frame.node] for frame in recording.frames if frame.kind == "visit"]
    assert visited == list(reversed(topological_order(out)))


def test_the_first_frame_is_the_output_with_gradient_one(tmp_path):
    *_, out = expression()
    data = page_data(animate_backward(out, tmp_path / "b.html"))
    first = data["frames"][0]
    assert first["kind"] == "visit"
    assert first["node"] == len(data["values"]) - 1  # the root is last in topological order
    assert first["value"] == 1.0
    assert "starts at" in first["headline"]


def test_a_value_used_twice_has_its_gradient_grow_across_frames(tmp_path):
    x = Value(3.0, label="x")
    out = x * x
    data = page_data(animate_backward(out, tmp_path / "b.html"))
    into_x = [frame for frame in data["frames"] if frame.get("parent") == 0]
    assert [frame["value"] for frame in into_x] == [3.0, 6.0]
    assert "x is used twice: its gradient grows from 3 to 6" in into_x[1]["detail"]
    assert into_x[0]["bubble"] == "3 × 1 = 3"  # local × upstream = contribution


def test_the_last_frame_holds_the_engine_s_gradients(tmp_path):
    x, _, out = expression()
    data = page_data(animate_backward(out, tmp_path / "b.html"))
    order = topological_order(out)
    assert final_gradients(data) == [node.grad for node in order]
    assert final_gradients(data)[order.index(x)] == x.grad


def test_gradients_end_as_after_a_plain_backward(tmp_path):
    *_, plain = expression()
    plain.backward()
    *_, out = expression()
    animate_backward(out, tmp_path / "b.html")
    assert [n.grad for n in topological_order(out)] == [n.grad for n in topological_order(plain)]


def test_a_leaf_s_earlier_gradient_is_accumulated_and_explained(tmp_path):
    x = Value(3.0, label="x")
    x.grad = 0.5  # left over from an earlier backward
    out = x * 2.0
    data = page_data(animate_backward(out, tmp_path / "b.html"))
    assert x.grad == 2.5
    into_x = [frame for frame in data["frames"] if frame.get("parent") == 0]
    assert "accumulates" in into_x[0]["detail"]


def test_a_tensor_graph_is_animated_with_shapes_and_its_gradients(tmp_path):
    w = Tensor(np.array([[1.0, -2.0, 0.5], [0.5, 3.0, -1.0]]), requires_grad=True, label="w")
    x = Tensor(np.array([[0.2, 0.7]]), label="x")  # needs no gradient
    hidden = x @ w
    loss = (hidden.tanh() * hidden).sum()  # hidden (and so w) used twice
    steps = StepCounter()
    twin_w = Tensor(w.data.copy(), requires_grad=True)
    twin_hidden = x @ twin_w
    with watching_backward(steps):
        (twin_hidden.tanh() * twin_hidden).sum().backward()

    data = page_data(animate_backward(loss, tmp_path / "t.html"))
    assert len(data["frames"]) == steps.steps
    order = topological_order(loss)
    last = final_gradients(data)
    assert last[order.index(w)] == {"norm": float(np.linalg.norm(w.grad)), "shape": [2, 3]}
    assert last[order.index(x)] is None
    into_hidden = [frame for frame in data["frames"] if frame.get("parent") == order.index(hidden)]
    assert len(into_hidden) == 2
    assert "is used twice" in into_hidden[1]["detail"]
    assert "shape (1, 3)" in into_hidden[1]["detail"]


def test_tensor_steps_are_snapshots_not_the_arrays_backward_adds_into():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = (a * a).sum()
    recording = record_backward(out)
    into_a = [
        frame.grad for frame in recording.frames if frame.kind == "pass" and frame.parent == 0
    ]
    np.testing.assert_array_equal(into_a[0], [1.0, 2.0])  # the first share, not the sum
    np.testing.assert_array_equal(into_a[1], a.grad)


def test_a_graph_over_the_node_limit_is_refused_before_backward_runs(tmp_path):
    x = Value(0.5, label="x")
    out = x
    for _ in range(10):
        out = out * x
    with pytest.raises(ValueError) as error:
        animate_backward(out, tmp_path / "b.html", max_nodes=5)
    message = str(error.value)
    assert message.startswith("animate_backward: the graph has 11 values")
    assert "max_nodes=5" in message and "Pass max_nodes=11" in message
    assert x.grad == 0.0  # nothing ran
    assert not (tmp_path / "b.html").exists()


def test_a_root_that_is_not_a_node_is_refused(tmp_path):
    with pytest.raises(TypeError, match="animate_backward: root must be a Value or a Tensor"):
        animate_backward([Value(1.0)], tmp_path / "b.html")


def test_the_page_fetches_nothing(tmp_path):
    *_, out = expression()
    text = animate_backward(out, tmp_path / "b.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://", text)
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|<img\b|@import|url\(", text)
    assert "xmlns" not in text  # inline SVG needs no namespace declaration in HTML


def test_a_label_cannot_end_the_page_s_script(tmp_path):
    x = Value(2.0, label="</script><script>alert(1)</script>")
    text = animate_backward(x * x, tmp_path / "b.html").read_text(encoding="utf-8")
    assert text.count("<script") == 2  # the data and the page's own script
    assert page_data(tmp_path / "b.html")["values"][0]["name"].startswith("</script>")


def test_every_step_points_at_a_piece_of_the_picture(tmp_path):
    """The 2-2-2 network: parameters drawn in module boxes, edges leaving a box's ports."""
    model = backprop_by_hand.build_network(backprop_by_hand.WEIGHTS, backprop_by_hand.BIASES)
    loss = backprop_by_hand.labelled_loss(model, backprop_by_hand.INPUTS, backprop_by_hand.TARGETS)
    path = animate_backward(loss, tmp_path / "net.html", module=model, rankdir="TB")
    text, data = path.read_text(encoding="utf-8"), page_data(path)
    edges = set(re.findall(r'data-pass="([\d:]+)"', text))
    passes = [frame["edge"] for frame in data["frames"] if frame["kind"] == "pass"]
    assert len(passes) == 31 and set(passes) == edges
    boxes = set(re.findall(r'data-value="(\d+)"', text))
    assert boxes == {str(i) for i in range(len(data["values"]))}
    for parameter in model.parameters():  # each parameter's number sits in its own cell
        i = topological_order(loss).index(parameter)
        cell = re.search(rf'<g class="cell" data-value="{i}">(.*?)</g>', text, re.S)
        assert cell is not None and parameter.label in cell.group(1)


def test_a_share_that_shrinks_a_gradient_is_not_said_to_grow_it(tmp_path):
    x = Value(1.0, label="x")
    out = x * 2.0 + x * -3.0  # shares 2 and -3, in either order: |second sum| < |first share|
    data = page_data(animate_backward(out, tmp_path / "b.html"))
    second = [frame for frame in data["frames"] if frame.get("parent") == 0][1]
    assert "x is used twice: its gradient changes from" in second["detail"]
    assert second["value"] == -1.0


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"rankdir": "up"}, ValueError, "rankdir must be one of LR, TB, RL, BT"),
        ({"module": object()}, TypeError, "module must have a named_parameters() method"),
    ],
)
def test_bad_options_are_refused_before_backward_runs(tmp_path, options, error, message):
    x = Value(3.0, label="x")
    with pytest.raises(error, match=re.escape(message)):
        animate_backward(x * x, tmp_path / "b.html", **options)
    assert x.grad == 0.0
