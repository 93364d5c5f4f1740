"""Newton's method against gradient descent, with Hessians from gradients of gradients.

Gradient descent steps downhill, x ← x − η∇f, with one learning rate η for every direction.
In a long curved valley that rate must be small enough for the steepest direction, so
progress along the gentle one is slow. Newton's method fits a quadratic to f at x — the
gradient ∇f and the Hessian H of second derivatives — and jumps to that quadratic's
minimum, x ← x − H⁻¹∇f, taking a long step where f is flat and a short one where it is
steep. The Hessian comes from the engine: ``autograd.hessian`` differentiates the graph of
the gradient that ``autograd.grad(..., create_graph=True)`` builds.

Two problems, each solved both ways:

1. The Rosenbrock function f(x, y) = (1 − x)² + 100(y − x²)² from (−1.2, 1.0), the classic
   curved valley, minimum 0 at (1, 1). Converged: ‖∇f‖ ≤ 1e-8.
2. The loss of the article's 2-2-1 sigmoid XOR network (``nn.MLP(2, [2, 1], ...)``): the
   mean squared error over the four XOR points, as a function of the 9 weights and biases.
   Its minimum, 0, lies at infinity (a sigmoid never reaches 0 or 1), so converged means
   loss ≤ 1e-3: every output within about 0.03 of its target.

Where H is not positive definite (away from a minimum, as at the start of both problems),
−H⁻¹∇f need not point downhill, so this demo damps it: it solves (H + μI)p = −∇f with a
shift μ that makes H + μI positive definite (more so where the gradient is large), and
counts those steps. Every Newton step then backtracks (halves the step until f drops
enough), so that f never rises. Near the minimum the full Newton step is taken, and the
convergence is quadratic: the digits of accuracy double with each step.

Last, the graph of a derivative: for f(x) = x·x·x, ``grad(f, [x], create_graph=True)``
returns f'(x) = 3x² as a graph of ordinary operations on x, drawn with ``draw_graph``, and
differentiated again for f''(x) = 6x.

Run: ``python -m demos.newton [--seed N] [--max-steps-gd N] [--json PATH] [--out DIR]``.
Writes to ``DIR`` (default ``runs/newton``): both paths on Rosenbrock's contours, the loss
against the step for both problems (PNG), and the graph of the derivative (SVG).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd import Value, grad, hessian, no_grad, weighted_sum
from demos.common import (
    check_outputs,
    interrupt_exits,
    new_figure,
    output_dir,
    save_figure,
    save_graph,
    whole_number,
    write_json,
)

Objective = Callable[..., Value]

POINTS, LABELS = nn.datasets.xor()  # [[0, 0], [0, 1], [1, 0], [1, 1]] and [0, 1, 1, 0]

# Armijo's sufficient decrease: accept a step t·p once f drops by at least this fraction of
# what the slope promises, f(x + tp) ≤ f(x) + c·t·∇f·p. Halve t at most HALVINGS times.
SUFFICIENT_DECREASE = 1e-4
HALVINGS = 50


# ------------------------------------------------------------------ the problems


def rosenbrock(x: Value, y: Value) -> Value:
    """f(x, y) = (1 − x)² + 100(y − x²)²: a curved valley with its minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def make_xor_network(seed: int) -> nn.MLP:
    """The article's 2-2-1 network (sigmoid hidden layer, sigmoid output), seeded."""
    return nn.MLP(
        2,
        [2, 1],
        activation="sigmoid",
        output_activation="sigmoid",
        rng=np.random.default_rng(seed),
    )


def xor_loss(*parameters: Value) -> Value:
    """The 2-2-1 sigmoid network's mean squared error over the four XOR points.

    ``parameters`` are the network's 9 numbers in the order of ``nn.MLP.parameters()``:
    hidden neuron 1's two weights and bias, hidden neuron 2's, then the output neuron's.
    The network is written out here, rather than called, so that these 9 Values — the
    inputs of the Hessian — are the ones its graph is built from.

    Raises:
        ValueError: not exactly 9 parameters.
    """
    if len(parameters) != 9:
        raise ValueError(f"xor_loss: expected the network's 9 parameters, got {len(parameters)}")
    hidden = [parameters[0:3], parameters[3:6]]
    output = parameters[6:9]
    predictions = []
    for point in POINTS:
        h = [weighted_sum(unit[:2], point, unit[2]).sigmoid() for unit in hidden]
        predictions.append(weighted_sum(output[:2], h, output[2]).sigmoid())
    return nn.mse_loss(predictions, LABELS)


@dataclass(frozen=True)
class Problem:
    """What to minimize, from where, when to stop, and each method's budget."""

    title: str
    f: Objective
    start: tuple[float, ...]
    stop_on: str  # "gradient": ‖∇f‖ ≤ tolerance; "loss": f ≤ tolerance
    tolerance: float
    learning_rate: float
    max_steps_gd: int
    max_steps_newton: int

    def converged(self, loss: float, gradient_norm: float) -> bool:
        """True once the stopping rule holds."""
        measure = gradient_norm if self.stop_on == "gradient" else loss
        return measure <= self.tolerance

    @property
    def rule(self) -> str:
        """The stopping rule as text."""
        measure = "‖∇f‖" if self.stop_on == "gradient" else "loss"
        return f"{measure} ≤ {self.tolerance:g}"


def rosenbrock_problem(max_steps_gd: int) -> Problem:
    """Rosenbrock from (−1.2, 1). η = 0.001 is stable: the largest curvature on the way (the
    Hessian's largest eigenvalue, at the start) is about 1,506, and gradient descent
    diverges for η above 2/1,506 ≈ 0.0013."""
    return Problem(
        title="Rosenbrock (1 − x)² + 100(y − x²)²",
        f=rosenbrock,
        start=(-1.2, 1.0),
        stop_on="gradient",
        tolerance=1e-8,
        learning_rate=1e-3,
        max_steps_gd=max_steps_gd,
        max_steps_newton=100,
    )


def xor_problem(seed: int, max_steps_gd: int) -> Problem:
    """The XOR network's loss from ``nn.MLP``'s seeded initialization.

    η = 10: the loss is flat (a sigmoid's slope is at most 1/4, and the MSE averages over
    four points), so a large rate is stable. From seeds 0-19 it reaches the tolerance in
    380-800 steps, except from two (8 and 9) that stall at loss 0.125 — two points stuck
    at 0.5; η = 1 gets there from all 20, in 3,800-7,700 steps.
    """
    start = tuple(p.data for p in make_xor_network(seed).parameters())
    return Problem(
        title="2-2-1 sigmoid XOR network, MSE",
        f=xor_loss,
        start=start,
        stop_on="loss",
        tolerance=1e-3,
        learning_rate=10.0,
        max_steps_gd=max_steps_gd,
        max_steps_newton=200,
    )


# ------------------------------------------------------------------ the methods


@dataclass
class Run:
    """One method on one problem: where it went and what it reached."""

    method: str
    converged: bool = False
    steps: int = 0
    seconds: float = 0.0
    losses: list[float] = field(default_factory=list)  # losses[k]: the loss after k steps
    path: list[list[float]] = field(default_factory=list)  # path[k]: the point after k steps
    gradient_norm: float = math.nan
    damped_steps: int = 0  # Newton: steps where H was not positive definite
    note: str = ""

    def summary(self) -> dict[str, Any]:
        """The figures of the run (no histories), for JSON."""
        return {
            "method": self.method,
            "converged": self.converged,
            "steps": self.steps,
            "loss": self.losses[-1],
            "gradient_norm": self.gradient_norm,
            "seconds": self.seconds,
            "point": self.path[-1],
            "damped_steps": self.damped_steps,
            "note": self.note,
        }


def loss_and_gradient(f: Objective, point: Sequence[float]) -> tuple[float, np.ndarray]:
    """f and ∇f at ``point``, from one forward pass and ``autograd.grad``."""
    leaves = [Value(x) for x in point]
    loss = f(*leaves)
    return loss.data, np.array([g.data for g in grad(loss, leaves)])


def loss_at(f: Objective, point: Sequence[float]) -> float:
    """f at ``point``, without recording a graph."""
    with no_grad():
        return f(*[Value(float(x)) for x in point]).data


def record_step(run: Run, problem: Problem, point: np.ndarray, step: int) -> tuple:
    """f and ∇f at ``point``, recorded in ``run`` (loss, path, ‖∇f‖, steps, converged)."""
    loss, gradient = loss_and_gradient(problem.f, point)
    run.losses.append(loss)
    run.path.append(point.tolist())
    run.gradient_norm = float(np.linalg.norm(gradient))
    run.steps = step
    run.converged = problem.converged(loss, run.gradient_norm)
    return loss, gradient


def gradient_descent(problem: Problem) -> Run:
    """x ← x − η∇f until the stopping rule holds or ``max_steps_gd`` steps are spent."""
    run = Run("gradient descent")
    start = time.perf_counter()
    point = np.array(problem.start, dtype=float)
    for step in range(problem.max_steps_gd + 1):
        _, gradient = record_step(run, problem, point, step)
        if run.converged:
            break
        if step < problem.max_steps_gd:
            point = point - problem.learning_rate * gradient
    run.seconds = time.perf_counter() - start
    if not run.converged:
        run.note = f"did not reach {problem.rule} in {problem.max_steps_gd:,} steps"
    return run


def newton_direction(hessian_matrix: np.ndarray, gradient: np.ndarray) -> tuple[np.ndarray, bool]:
    """The Newton step p = −H⁻¹∇f, damped where H is not positive definite.

    Returns p and whether it was damped. A positive definite H (its Cholesky factorization
    exists) gives the pure Newton step. Otherwise p solves (H + μI)p = −∇f with
    μ = −λ_min(H) + max(‖∇f‖, 10⁻³·λ_max(H)): H + μI is positive definite, so p points
    downhill, and the larger the gradient, the shorter p and the closer to −∇f. (With a
    margin of 10⁻³·λ_max alone, Newton stalls on XOR from 5 of seeds 0-19; with this one,
    from 1.)
    """
    try:
        np.linalg.cholesky(hessian_matrix)
        return np.linalg.solve(hessian_matrix, -gradient), False
    except np.linalg.LinAlgError:
        eigenvalues = np.linalg.eigvalsh(hessian_matrix)  # ascending
        margin = max(float(np.linalg.norm(gradient)), 1e-3 * abs(eigenvalues[-1]))
        shift = -eigenvalues[0] + margin
        identity = np.eye(len(gradient))
        return np.linalg.solve(hessian_matrix + shift * identity, -gradient), True


def newton(problem: Problem) -> Run:
    """x ← x + t·p with p = −H⁻¹∇f (damped where needed) and t from backtracking.

    H is ``autograd.hessian(f, x)``; ∇f is ``autograd.grad``. Stops when the rule holds,
    after ``max_steps_newton`` steps, or if no step size lowers f (then not converged).
    """
    run = Run("Newton")
    start = time.perf_counter()
    point = np.array(problem.start, dtype=float)
    for step in range(problem.max_steps_newton + 1):
        loss, gradient = record_step(run, problem, point, step)
        if run.converged:
            break
        if step == problem.max_steps_newton:
            break
        direction, damped = newton_direction(np.array(hessian(problem.f, point)), gradient)
        run.damped_steps += damped
        slope = float(gradient @ direction)  # < 0: p points downhill
        size = 1.0
        for _ in range(HALVINGS):
            if (
                loss_at(problem.f, point + size * direction)
                <= loss + SUFFICIENT_DECREASE * size * slope
            ):
                break
            size /= 2
        else:
            run.note = f"stopped at step {step}: no step along the Newton direction lowers f"
            break
        point = point + size * direction
    run.seconds = time.perf_counter() - start
    if not run.converged and not run.note:
        run.note = f"did not reach {problem.rule} in {problem.max_steps_newton} steps"
    return run


# ------------------------------------------------------------------ the derivative's graph


def derivative_as_graph(x0: float) -> tuple[Value, float, float]:
    """f(x) = x·x·x at ``x0``: f'(x) as a graph (built by ``grad(..., create_graph=True)``),
    its value 3x², and f''(x) = 6x from differentiating that graph once more.

    The graph's nodes get names, and ``backward`` fills their ``.grad`` with ∂f'/∂node, so
    the drawing shows x's grad as f''(x) too.
    """
    x = Value(x0, label="x")
    f = x * x * x
    [derivative] = grad(f, [x], create_graph=True)
    [second] = grad(derivative, [x])
    derivative.label = "f′(x) = 3x²"
    derivative.backward()
    return derivative, derivative.data, second.data


# ------------------------------------------------------------------ figures


def plot_rosenbrock_paths(runs: dict[str, Run], problem: Problem, path: Path) -> Path:
    """Both methods' paths over Rosenbrock's contours (log-spaced levels)."""
    figure = new_figure(7.0, 5.2)
    axes = figure.subplots()
    from matplotlib.colors import LogNorm  # imported here, as demos.common imports matplotlib

    xs, ys = np.meshgrid(np.linspace(-2.0, 2.0, 401), np.linspace(-1.0, 3.0, 401))
    levels = 10.0 ** np.arange(-2.0, 3.6, 0.5)  # 0.01, 0.03, 0.1, ..., 3162: log-spaced
    # f is 0 at (1, 1), a grid point, where a log scale has no place: floor it below the levels.
    values = np.maximum((1 - xs) ** 2 + 100 * (ys - xs**2) ** 2, levels[0] / 10)
    contours = axes.contour(
        xs,
        ys,
        values,
        levels=levels,
        norm=LogNorm(vmin=levels[0], vmax=1e5),  # dark grey to mid grey: the paths stand out
        cmap="Greys_r",
        linewidths=0.8,
    )
    figure.colorbar(contours, ax=axes, label="f(x, y) on each contour (log-spaced levels)")
    styles = {
        "gradient descent": {"color": "tab:blue", "linewidth": 1.5},
        "Newton": {"color": "tab:red", "marker": "o", "markersize": 4, "linewidth": 1.2},
    }
    for run in runs.values():
        points = np.array(run.path)
        status = "converged" if run.converged else "not converged"
        axes.plot(
            points[:, 0],
            points[:, 1],
            label=f"{run.method}: {run.steps:,} steps ({status})",
            **styles[run.method],
        )
    axes.plot(*problem.start, "s", color="black", markersize=8, label=f"start {problem.start}")
    axes.plot(
        1.0, 1.0, "*", color="gold", markeredgecolor="black", markersize=16, label="minimum (1, 1)"
    )
    axes.set(
        title=f"{problem.title}\nconverged when {problem.rule}",
        xlabel="x",
        ylabel="y",
        xlim=(-2, 2),
        ylim=(-1, 3),
    )
    axes.legend(loc="upper left", fontsize="small")
    return save_figure(figure, path)


def plot_losses(
    results: dict[str, dict[str, Run]], problems: dict[str, Problem], path: Path
) -> Path:
    """Loss against step for each problem and method; log-scaled loss, log-scaled steps."""
    figure = new_figure(11.0, 5.0)
    colors = {"gradient descent": "tab:blue", "Newton": "tab:red"}
    for axes, (name, runs) in zip(figure.subplots(1, len(results)), results.items()):
        problem = problems[name]
        for run in runs.values():
            steps = np.arange(len(run.losses))
            marker = "o" if run.method == "Newton" else None
            axes.plot(
                steps,
                run.losses,
                color=colors[run.method],
                marker=marker,
                markersize=3,
                label=f"{run.method}: {run.steps:,} steps"
                + ("" if run.converged else ", not converged"),
            )
        if problem.stop_on == "loss":
            axes.axhline(
                problem.tolerance,
                color="gray",
                linestyle="--",
                linewidth=1,
                label=f"tolerance: loss = {problem.tolerance:g}",
            )
        axes.set_xscale("symlog", linthresh=1.0)  # linear from 0 to 1, logarithmic past 1
        axes.set_xlim(left=0.0)
        axes.set_yscale("log")
        axes.set(
            title=f"{problem.title}\nconverged when {problem.rule}",
            xlabel="step (log scale past 1)",
            ylabel="loss",
        )
        # Under the plot: inside, it would hide a curve (Newton's falls across the bottom).
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize="small")
    return save_figure(figure, path)


# ------------------------------------------------------------------ the demo


def run(
    seed: int = 0, out: Path = Path("runs/newton"), max_steps_gd: int = 20_000
) -> dict[str, Any]:
    """Solve both problems both ways, draw the figures and the graph; return the results."""
    directory = output_dir(out)
    problems = {
        "rosenbrock": rosenbrock_problem(max_steps_gd),
        "xor": xor_problem(seed, max_steps_gd),
    }
    runs = {
        name: {"gd": gradient_descent(problem), "newton": newton(problem)}
        for name, problem in problems.items()
    }
    figures = [
        plot_rosenbrock_paths(
            runs["rosenbrock"], problems["rosenbrock"], directory / "newton_rosenbrock_paths.png"
        ),
        plot_losses(runs, problems, directory / "newton_losses.png"),
    ]
    derivative, first, second = derivative_as_graph(3.0)
    graph = save_graph(derivative, directory / "newton_derivative_graph.svg")

    results: dict[str, Any] = {"seed": seed, "problems": {}}
    for name, problem in problems.items():
        gd, newton_run = runs[name]["gd"], runs[name]["newton"]
        # Gradient descent's loss after as many steps as Newton took: same work counted in steps.
        at = min(newton_run.steps, len(gd.losses) - 1)
        results["problems"][name] = {
            "title": problem.title,
            "start": list(problem.start),
            "rule": problem.rule,
            "learning_rate": problem.learning_rate,
            "max_steps_gd": problem.max_steps_gd,
            "max_steps_newton": problem.max_steps_newton,
            "gd": gd.summary(),
            "newton": newton_run.summary(),
            "gd_loss_at_newton_steps": gd.losses[at],
        }
    results["derivative"] = {"function": "x·x·x", "x": 3.0, "first": first, "second": second}
    results["figures"] = [str(p) for p in figures]
    results["graph"] = str(graph)
    return results


def report(results: dict[str, Any]) -> str:
    """The results as text."""
    lines = []
    for problem in results["problems"].values():
        lines.append(f"{problem['title']}, converged when {problem['rule']}:")
        for key in ("gd", "newton"):
            r = problem[key]
            extra = f", η = {problem['learning_rate']:g}" if key == "gd" else ""
            if key == "newton":
                extra = (
                    f", H not positive definite at {r['damped_steps']} step(s): damped, H + μI"
                    if r["damped_steps"]
                    else ", H positive definite at every step"
                )
            status = "converged" if r["converged"] else "NOT converged"
            lines.append(
                f"  {r['method']:<17} {status:<13} steps {r['steps']:>6,}  loss {r['loss']:.3e}  "
                f"‖∇f‖ {r['gradient_norm']:.1e}  {r['seconds']:.3f} s{extra}"
            )
            if r["note"]:
                lines.append(f"  {'':<17} ({r['note']})")
        newton_steps = problem["newton"]["steps"]
        lines.append(
            f"  after {newton_steps} steps gradient descent's loss is "
            f"{problem['gd_loss_at_newton_steps']:.3e}"
        )
    rosenbrock_point = results["problems"]["rosenbrock"]["newton"]["point"]
    lines.append(
        "  Newton's end point on Rosenbrock: ("
        + ", ".join(f"{v:.9f}" for v in rosenbrock_point)
        + ")"
    )
    d = results["derivative"]
    lines += [
        f"f(x) = {d['function']} at x = {d['x']:g}: grad(f, [x], create_graph=True) gives "
        f"f′(x) = 3x² = {d['first']:g} as a graph;",
        f"  grad of that graph gives f″(x) = 6x = {d['second']:g} (in the drawing, each node's "
        "grad is ∂f′/∂node: x's is f″)",
        "wrote " + ", ".join([*results["figures"], results["graph"]]),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status (2 for a bad option, from argparse;
    130 on Ctrl-C, as :class:`SystemExit`)."""
    parser = argparse.ArgumentParser(
        prog="python -m demos.newton",
        usage="%(prog)s [options]  (see --help)",
        description=__doc__.splitlines()[0]
        + ' Its XOR network is the one of the article "一文读懂神经网络"'
        + ' ("Neural networks in one read").',
    )
    parser.add_argument(
        "--seed",
        type=whole_number(0),
        default=0,
        help="seed of the XOR network's initialization, ≥ 0 (default 0)",
    )
    parser.add_argument(
        "--max-steps-gd",
        type=whole_number(1),
        default=20_000,
        help="gradient descent's step budget on each problem, ≥ 1 (default 20000)",
    )
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument("--out", type=Path, default=Path("runs/newton"), help="output directory")
    args = parser.parse_args(argv)
    check_outputs(parser, out=args.out, json=args.json)  # before the work: no waiting
    with interrupt_exits():
        results = run(seed=args.seed, out=args.out, max_steps_gd=args.max_steps_gd)
        print(report(results))
        if args.json:
            write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
