"""``python -m demos.newton``: Newton's method beats gradient descent, and says what it did."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import nn
from demos import newton


@pytest.fixture(scope="module")
def newton_run(tmp_path_factory):
    """``python -m demos.newton --json ... --out ...`` run once, in-process, with the defaults."""
    directory = tmp_path_factory.mktemp("newton")
    status = newton.main(["--json", str(directory / "newton.json"), "--out", str(directory)])
    results = json.loads((directory / "newton.json").read_text())
    return status, results, directory


def test_newton_demo_exits_successfully(newton_run):
    status, _, _ = newton_run
    assert status == 0


def test_newton_converges_on_rosenbrock_in_a_tenth_of_gradient_descents_steps(newton_run):
    _, results, _ = newton_run
    rosenbrock = results["problems"]["rosenbrock"]
    gd, newton_result = rosenbrock["gd"], rosenbrock["newton"]
    assert newton_result["converged"]
    assert newton_result["gradient_norm"] <= 1e-8
    # gd["steps"] is its whole budget when it does not converge.
    assert newton_result["steps"] * 10 < gd["steps"]


def test_gradient_descent_on_rosenbrock_is_reported_as_not_converging_in_its_budget(newton_run):
    _, results, _ = newton_run
    gd = results["problems"]["rosenbrock"]["gd"]
    assert gd["converged"] is False
    assert gd["steps"] == results["problems"]["rosenbrock"]["max_steps_gd"] == 20_000
    assert "did not reach" in gd["note"]


def test_newton_ends_at_rosenbrocks_minimum(newton_run):
    _, results, _ = newton_run
    x, y = results["problems"]["rosenbrock"]["newton"]["point"]
    assert abs(x - 1.0) <= 1e-6
    assert abs(y - 1.0) <= 1e-6


def test_newton_solves_xor_and_gradient_descent_is_far_behind_after_as_many_steps(newton_run):
    _, results, _ = newton_run
    xor = results["problems"]["xor"]
    assert xor["newton"]["converged"]
    assert xor["newton"]["loss"] <= 1e-3
    assert xor["gd_loss_at_newton_steps"] > 10 * xor["newton"]["loss"]


def test_the_derivative_graph_gives_3x_squared_and_differentiates_to_6x(newton_run):
    _, results, _ = newton_run
    assert results["derivative"]["first"] == 27.0  # 3x² at x = 3
    assert results["derivative"]["second"] == 18.0  # 6x


def test_newton_demo_writes_two_pictures_and_the_derivatives_graph(newton_run):
    _, _, out = newton_run
    for name in ("newton_rosenbrock_paths.png", "newton_losses.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000  # a plot with curves, not an empty canvas
    svg = (out / "newton_derivative_graph.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!--"))
    for label in ("f′(x) = 3x²", "x"):  # the node names
        assert re.search(rf">{re.escape(label)}</text>", svg)
    for number in ("27", "18"):  # f′(3) as the output's data, f″(3) as x's grad
        assert re.search(rf">\s*{number}</text>", svg)


def test_xor_loss_is_the_networks_mse_over_the_four_points():
    model = newton.make_xor_network(seed=3)
    parameters = [p.data for p in model.parameters()]
    expected = nn.mse_loss([model(x)[0] for x in newton.POINTS], newton.LABELS)
    assert newton.loss_at(newton.xor_loss, parameters) == pytest.approx(expected.data, rel=1e-12)


def test_xor_loss_refuses_a_wrong_number_of_parameters():
    with pytest.raises(ValueError, match="9 parameters"):
        newton.xor_loss(*[newton.Value(0.0)] * 8)


def test_newton_direction_is_the_exact_step_for_a_positive_definite_hessian():
    hessian = np.array([[4.0, 1.0], [1.0, 3.0]])
    gradient = np.array([1.0, 2.0])
    direction, damped = newton.newton_direction(hessian, gradient)
    assert not damped
    np.testing.assert_allclose(hessian @ direction, -gradient, rtol=1e-12)


def test_newton_direction_is_damped_downhill_where_the_hessian_is_indefinite():
    hessian = np.array([[1.0, 0.0], [0.0, -2.0]])  # a saddle: the pure step would climb in y
    gradient = np.array([1.0, 1.0])
    direction, damped = newton.newton_direction(hessian, gradient)
    assert damped
    assert gradient @ direction < 0


def test_newton_demo_is_deterministic_for_a_seed_and_reports_a_short_budget(tmp_path):
    first = newton.run(seed=4, out=tmp_path / "a", max_steps_gd=50)
    second = newton.run(seed=4, out=tmp_path / "b", max_steps_gd=50)
    for name in ("rosenbrock", "xor"):
        for method in ("gd", "newton"):
            a, b = first["problems"][name][method], second["problems"][name][method]
            assert (a["steps"], a["loss"], a["point"]) == (b["steps"], b["loss"], b["point"])
        gd = first["problems"][name]["gd"]
        assert not gd["converged"]
        assert gd["note"] == f"did not reach {first['problems'][name]['rule']} in 50 steps"


@pytest.mark.parametrize(
    "arguments",
    [
        ["--max-steps-gd", "0"],
        ["--max-steps-gd", "-3"],
        ["--max-steps-gd", "1.5"],
        ["--max-steps-gd", "many"],
        ["--seed", "-1"],
        ["--seed", "x"],
    ],
)
def test_bad_option_values_exit_2_with_a_short_message(arguments, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        newton.main([*arguments, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()
    assert len(message) == 2  # the usage line and the error
    assert arguments[0] in message[1]


def test_an_out_path_that_is_a_file_exits_2_before_any_work(tmp_path, capsys):
    in_the_way = tmp_path / "file"
    in_the_way.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        newton.main(["--out", str(in_the_way)])
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err
