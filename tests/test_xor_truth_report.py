"""XOR's report tells the truth: logistic regression is undecided, the 2-2-1 network is not.

At logistic regression's optimum on XOR every output is 0.5 to about 1e-12; which side of
0.5 an output lands on is rounding noise, so the demo counts such outputs as undecided and
scores them as chance, and draws no boundary where there is no decision.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.contour import ContourSet

from autograd import Value
from demos import xor
from demos.common import new_figure

SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_report_says_logistic_regression_is_undecided_and_the_network_is_right(seed, tmp_path):
    results = xor.run(seed=seed, out=tmp_path, n_seeds=1, draw=False)
    text = xor.report(results)
    assert results["logistic_undecided"] == 4
    assert results["logistic_accuracy"] == 0.5
    assert "undecided on 4 of 4 points" in text
    assert "chance, accuracy 0.50" in text
    assert results["mlp_undecided"] == 0
    assert results["mlp_accuracy"] == 1.0
    assert "decided on all 4 points: accuracy 1.00" in text


def test_a_run_without_drawing_writes_no_files(tmp_path):
    results = xor.run(seed=0, out=tmp_path / "out", n_seeds=1, draw=False)
    assert results["figures"] == [] and results["graph"] is None
    assert not (tmp_path / "out").exists()
    assert "wrote" not in xor.report(results)


def test_an_output_within_the_tolerance_of_one_half_is_undecided():
    assert xor.is_undecided(0.5 + 0.5 * xor.UNDECIDED_TOLERANCE)
    assert xor.is_undecided(0.5 - 0.5 * xor.UNDECIDED_TOLERANCE)
    assert not xor.is_undecided(0.5 + 2 * xor.UNDECIDED_TOLERANCE)
    assert not xor.is_undecided(0.5 - 2 * xor.UNDECIDED_TOLERANCE)


def constant_model(outputs: list[float]) -> xor.Model:
    """A stand-in model that answers ``outputs[i]`` for the i-th XOR point."""
    table = {tuple(x): p for x, p in zip(xor.POINTS, outputs)}

    def model(x):
        return [Value(table[tuple(x)])]

    return model


def test_an_undecided_point_scores_half_and_a_decided_one_scores_by_its_side():
    # y = 0, 1, 1, 0: right, undecided, wrong, undecided
    model = constant_model([0.1, 0.5 + 1e-13, 0.2, 0.5 - 1e-13])
    assert xor.undecided_count(model) == 2
    assert xor.accuracy(model) == (1 + 0.5 + 0 + 0.5) / 4


def test_the_decision_map_of_trained_logistic_regression_is_flat_with_no_boundary():
    grid = np.linspace(-0.5, 1.5, 9)
    for seed in (0, 2):
        logistic = xor.make_logistic_regression(np.random.default_rng(seed))
        xor.fit(logistic, xor.TrainingConfig())
        shown, boundary = xor.decision_map(logistic, grid)
        assert (shown == 0.5).all()
        assert boundary is None


def test_the_decision_map_of_the_trained_network_has_a_boundary():
    grid = np.linspace(-0.5, 1.5, 9)
    network = xor.train_xor_network(2, xor.TrainingConfig()).model
    shown, boundary = xor.decision_map(network, grid)
    assert boundary is not None
    assert (shown > 0.5).any() and (shown < 0.5).any()


def draw_and_capture(models, path, monkeypatch):
    """Draw the decision-region figure and return the matplotlib Figure it drew on."""
    drawn = []

    def capturing_figure(width, height):
        drawn.append(new_figure(width, height))
        return drawn[-1]

    monkeypatch.setattr(xor, "new_figure", capturing_figure)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. matplotlib's "No contour levels were found"
        xor.plot_decision_regions(models, path, resolution=7)
    return drawn[0]


def test_the_figure_shows_an_undecided_model_flat_with_a_colour_key_and_no_line(
    tmp_path, monkeypatch
):
    network = xor.train_xor_network(0, xor.TrainingConfig()).model
    figure = draw_and_capture(
        {"undecided": lambda x: [Value(0.5)], "network": network}, tmp_path / "r.png", monkeypatch
    )
    flat, decided, key = figure.axes
    assert "undecided everywhere" in flat.get_title()
    assert not any(isinstance(c, ContourSet) for c in flat.collections)
    assert any(isinstance(c, ContourSet) for c in decided.collections)
    assert key.get_ylabel() == "predicted probability p(y = 1)"
    assert (flat.images[0].get_array() == 0.5).all()
