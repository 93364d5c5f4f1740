"""python -m autograd.viz --animate, and the 2-2-2 network's page written by the demo."""

from __future__ import annotations

import json

import pytest

from autograd import topological_order
from autograd.viz import main
from demos import backprop_by_hand


def page_data(path) -> dict:
    text = path.read_text(encoding="utf-8")
    start = text.index(">", text.index('<script type="application/json" id="cg-data">')) + 1
    return json.loads(text[start : text.index("</script>", start)])


def test_animate_writes_the_page_and_prints_the_gradients(tmp_path, capsys):
    out = tmp_path / "backprop.html"
    assert main(["x*x + x*y", "--var", "x=3", "--var", "y=2", "--animate", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "d/dx = 8" in printed and "d/dy = 3" in printed
    assert f"wrote {out}" in printed
    data = page_data(out)
    assert data["title"] == "backward() of x*x + x*y"
    assert len(data["frames"]) == 5 + 6  # 5 values reached, 6 gradients passed back


def test_animate_writes_backward_html_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["x*x", "--var", "x=3", "--animate"]) == 0
    assert (tmp_path / "backward.html").is_file()


@pytest.mark.parametrize("output", ["x.svg", "x.png", "x.dot", "x"])
def test_animate_with_a_picture_s_suffix_is_a_usage_error(tmp_path, capsys, output):
    with pytest.raises(SystemExit) as exit_:
        main(["x*x", "--var", "x=3", "--animate", "-o", str(tmp_path / output)])
    assert exit_.value.code == 2
    assert "--animate writes an HTML page; end the name with .html" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_html_output_without_animate_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["x*x", "--var", "x=3", "-o", str(tmp_path / "x.html")])
    assert exit_.value.code == 2
    assert "add --animate" in capsys.readouterr().err


def test_animate_refuses_more_than_200_values_by_default(tmp_path, capsys):
    expression = "x" + ".tanh()" * 200  # x and 200 tanh: 201 values
    with pytest.raises(SystemExit) as exit_:
        main([expression, "--var", "x=1", "--animate", "-o", str(tmp_path / "long.html")])
    assert exit_.value.code == 2
    assert "has 201 values, more than --max-nodes 200" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_max_nodes_sets_the_animation_s_limit(tmp_path, capsys):
    out = tmp_path / "x.html"
    with pytest.raises(SystemExit) as exit_:
        main(["x*x", "--var", "x=3", "--animate", "--max-nodes", "1", "-o", str(out)])
    assert exit_.value.code == 2
    assert "has 2 values, more than --max-nodes 1" in capsys.readouterr().err
    assert main(["x*x", "--var", "x=3", "--animate", "--max-nodes", "2", "-o", str(out)]) == 0


def test_the_demo_writes_the_2_2_2_network_s_backward_page(tmp_path):
    assert backprop_by_hand.main(["--out", str(tmp_path), "--json", str(tmp_path / "r.json")]) == 0
    results = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert results["animation"] == str(tmp_path / "backward.html")
    data = page_data(tmp_path / "backward.html")
    # The page ends with the engine's gradients: those the demo compared with the hand's.
    model = backprop_by_hand.build_network(backprop_by_hand.WEIGHTS, backprop_by_hand.BIASES)
    loss, engine = backprop_by_hand.by_engine(
        model, backprop_by_hand.INPUTS, backprop_by_hand.TARGETS
    )
    names = [value["name"] for value in data["values"]]
    last = {}
    for frame in data["frames"]:
        last[frame["node"] if frame["kind"] == "visit" else frame["parent"]] = frame["value"]
    for label, grad in engine.items():
        assert last[names.index(label)] == grad
    assert len(data["frames"]) == 28 + 31  # 28 values reached, 31 edges passed back along
    assert len(data["values"]) == len(topological_order(loss))
