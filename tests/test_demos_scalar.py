"""The scalar demos run end to end, reproduce the article's claims and write their files."""

from __future__ import annotations

import json

import pytest

from demos import backprop_by_hand, xor


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory):
    """``python -m demos.xor --json ... --out ...`` run once, in-process."""
    directory = tmp_path_factory.mktemp("xor")
    status = xor.main(
        ["--seed", "0", "--json", str(directory / "xor.json"), "--out", str(directory / "out")]
    )
    results = json.loads((directory / "xor.json").read_text())
    return status, results, directory / "out"


def test_xor_demo_exits_successfully(xor_run):
    status, _, _ = xor_run
    assert status == 0


def test_logistic_regression_is_undecided_on_all_four_xor_points(xor_run):
    _, results, _ = xor_run
    assert results["logistic_undecided"] == 4
    assert results["logistic_accuracy"] == 0.5


def test_two_two_one_network_gets_all_four_xor_points_right(xor_run):
    _, results, _ = xor_run
    assert results["mlp_accuracy"] == 1.0


def test_nearly_every_seed_reaches_100_percent(xor_run):
    _, results, _ = xor_run
    assert results["seeds_tried"] == 20
    assert results["seeds_reaching_100"] >= 19


def test_hidden_layer_makes_the_points_linearly_separable(xor_run):
    _, results, _ = xor_run
    state = results["state_dict"]
    (w1,), (w2,) = state["2.weight"]
    (b,) = state["2.bias"]
    sides = [w1 * h1 + w2 * h2 + b > 0 for h1, h2 in results["hidden_points"]]
    assert sides == [label == 1.0 for label in xor.LABELS]


def test_xor_demo_writes_both_figures_and_the_graph(xor_run):
    _, _, out = xor_run
    for name in ("xor_feature_transformation.png", "xor_decision_regions.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    graph = next(out.glob("xor_loss_graph.*"))  # .svg, or .dot without Graphviz
    assert graph.stat().st_size > 0


def test_xor_demo_is_deterministic_for_a_seed(tmp_path):
    first = xor.run(seed=5, out=tmp_path / "a", n_seeds=1)
    second = xor.run(seed=5, out=tmp_path / "b", n_seeds=1)
    assert first["state_dict"] == second["state_dict"]
    assert first["logistic_outputs"] == second["logistic_outputs"]


def test_backprop_demo_exits_zero_when_hand_and_engine_agree(tmp_path):
    status = backprop_by_hand.main(["--json", str(tmp_path / "bp.json"), "--out", str(tmp_path)])
    results = json.loads((tmp_path / "bp.json").read_text())
    assert status == 0
    assert results["max_relative_difference"] <= 1e-12
    assert len(results["rows"]) == 8 + 4 + 1  # weights, biases, loss


def test_backprop_demo_reproduces_the_published_numbers():
    loss, gradients = backprop_by_hand.by_hand(
        backprop_by_hand.INPUTS,
        backprop_by_hand.TARGETS,
        backprop_by_hand.WEIGHTS,
        backprop_by_hand.BIASES,
    )
    assert loss == pytest.approx(0.298371109, abs=1e-9)
    assert gradients["w⁽²⁾₁₁"] == pytest.approx(0.082167041, abs=1e-9)
    assert gradients["w⁽¹⁾₁₁"] == pytest.approx(0.000438568, abs=1e-9)


def test_backprop_demo_exits_nonzero_when_a_gradient_disagrees(tmp_path, monkeypatch):
    by_hand = backprop_by_hand.by_hand

    def slightly_wrong(*args):
        loss, gradients = by_hand(*args)
        gradients["b⁽²⁾₂"] *= 1.0 + 1e-9
        return loss, gradients

    monkeypatch.setattr(backprop_by_hand, "by_hand", slightly_wrong)
    assert backprop_by_hand.main(["--out", str(tmp_path)]) == 1


def test_backprop_demo_draws_its_graph(tmp_path):
    backprop_by_hand.main(["--out", str(tmp_path)])
    assert next(tmp_path.glob("backprop_graph.*")).stat().st_size > 0
