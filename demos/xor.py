"""XOR: why one logistic unit fails and three (a 2-2-1 network) succeed.

The article's first example. XOR's four points::

    x1 x2 | y
     0  0 | 0
     0  1 | 1
     1  0 | 1
     1  1 | 0

1. Logistic regression, y = σ(w₁x₁ + w₂x₂ + b), draws one straight line; no line puts both
   1s on one side and both 0s on the other, so at best three of four are right. Trained
   properly (cross-entropy, gradient descent to convergence) it ends at w ≈ 0, predicting
   0.5 everywhere, with loss ln 2 — the best a line can do on these points. An output of
   0.5 is no decision: which side of 0.5 it lands on is rounding noise (about 1e-13), so an
   output within ``UNDECIDED_TOLERANCE`` of 0.5 counts as undecided, and an undecided point
   scores what a coin flip scores on average, half a point. Undecided on all four, logistic
   regression's accuracy is chance, 0.5, and its decision-region figure is flat at 0.5.
2. The article's 2-2-1 sigmoid network: the hidden layer is a feature transformation
   h = σ(W⁽¹⁾x + b⁽¹⁾) that moves the four points to where a line separates them, and the
   output unit is logistic regression on h. It gets all four right.

A 2-2-1 sigmoid network can stall: from about one initialization in seven, gradient descent
runs into a region where two of the points sit at 0.5 and the gradient vanishes (the
hidden units saturate; more steps do not help). So training restarts from a fresh
initialization, at most ``RESTARTS`` times, when a run ends without 100%. The demo trains
20 seeds and prints how many reach 100%, with and without restarts.

Run: ``python -m demos.xor [--seed N] [--json PATH] [--out DIR]``. Writes to ``DIR``
(default ``runs/xor``): the points before/after the hidden layer with the output unit's
line, both models' decision regions, and the graph of one point's loss (SVG).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

import nn
from autograd import Value, draw_graph, no_grad
from demos.common import (
    check_outputs,
    interrupt_exits,
    label_parameters,
    labelled_forward,
    new_figure,
    output_dir,
    save_figure,
    subscript,
    whole_number,
    write_graph,
    write_json,
)

POINTS, LABELS = nn.datasets.xor()  # [[0, 0], [0, 1], [1, 0], [1, 1]] and [0, 1, 1, 0]

# An output p with |p − 0.5| < UNDECIDED_TOLERANCE is undecided: neither class. Logistic
# regression's outputs on XOR end within about 1e-12 of 0.5; the 2-2-1 network's are
# decided by far more than this (0.02 or more from 0.5 once trained).
UNDECIDED_TOLERANCE = 1e-6


@dataclass(frozen=True)
class TrainingConfig:
    """How both models are trained: full-batch gradient descent on the four points.

    Binary cross-entropy (the loss that matches a sigmoid output: its gradient at the
    output is simply a - y, so saturated outputs still learn) and SGD with momentum.
    Chosen by sweeping lr, momentum, steps, initialization and loss over 100 seeds: no
    setting avoids the stall in more than ~90% of runs, so restarts handle the rest.
    """

    lr: float = 1.0
    momentum: float = 0.9
    steps: int = 500
    restarts: int = 3


Model = Callable[[Sequence[float]], list[Value]]


def make_logistic_regression(rng: np.random.Generator) -> nn.MLP:
    """Logistic regression: a network with no hidden layer and one sigmoid output."""
    return nn.MLP(2, [1], output_activation="sigmoid", rng=rng)


def make_xor_network(rng: np.random.Generator) -> nn.MLP:
    """The article's 2-2-1 network: sigmoid hidden layer, sigmoid output."""
    return nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", rng=rng)


def loss_of(model: Model) -> Value:
    """Binary cross-entropy of ``model`` over the four points."""
    return nn.binary_cross_entropy([model(x)[0] for x in POINTS], LABELS)


def fit(model: nn.MLP, config: TrainingConfig) -> float:
    """Train ``model`` on the four points; return the final loss."""
    optimizer = nn.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    for _ in range(config.steps):
        loss = loss_of(model)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with no_grad():
        return loss_of(model).data


def predict(model: Model, x: Sequence[float]) -> float:
    """The model's probability that ``x`` is a 1, without recording a graph."""
    with no_grad():
        return model(x)[0].data


def is_undecided(probability: float) -> bool:
    """True if ``probability`` is within ``UNDECIDED_TOLERANCE`` of 0.5: no class chosen."""
    return abs(probability - 0.5) < UNDECIDED_TOLERANCE


def undecided_count(model: Model) -> int:
    """How many of the four points the model is undecided on."""
    return sum(is_undecided(predict(model, x)) for x in POINTS)


def accuracy(model: Model) -> float:
    """Fraction of the four points right: a decided point scores 1 on the right side of 0.5
    and 0 on the wrong one; an undecided point scores ½, as a coin flip would on average."""
    score = 0.0
    for x, y in zip(POINTS, LABELS):
        probability = predict(model, x)
        if is_undecided(probability):
            score += 0.5
        elif (probability > 0.5) == (y > 0.5):
            score += 1.0
    return score / len(POINTS)


@dataclass
class XorRun:
    """One seed's training: the model, its loss, and how many initializations it took."""

    seed: int
    model: nn.MLP
    loss: float
    attempts: int

    @property
    def solved(self) -> bool:
        """True if the trained model gets all four points right."""
        return accuracy(self.model) == 1.0


def train_xor_network(seed: int, config: TrainingConfig) -> XorRun:
    """Train the 2-2-1 network from ``seed``, restarting from a fresh initialization (drawn
    from the same seeded generator) when a run ends below 100%."""
    rng = np.random.default_rng(seed)
    for attempt in range(1, config.restarts + 2):
        model = make_xor_network(rng)
        loss = fit(model, config)
        run = XorRun(seed, model, loss, attempt)
        if run.solved:
            break
    return run


def hidden_points(model: nn.MLP) -> list[list[float]]:
    """The four points after the hidden layer: the article's feature transformation."""
    with no_grad():
        return [[h.data for h in model.layers[0](x)] for x in POINTS]


# ------------------------------------------------------------------ figures

_COLORS = {0.0: "tab:blue", 1.0: "tab:orange"}


def _scatter(axes: Any, points: Sequence[Sequence[float]]) -> None:
    for (a, b), y in zip(points, LABELS):
        axes.scatter(a, b, s=120, color=_COLORS[y], edgecolor="black", zorder=3)
    for label in (0.0, 1.0):
        axes.scatter([], [], s=60, color=_COLORS[label], edgecolor="black", label=f"y = {label:g}")


def plot_feature_transformation(model: nn.MLP, path: Path) -> Path:
    """Points in input space, and in hidden space with the output unit's line w·h + b = 0."""
    figure = new_figure(9.0, 4.2)
    before, after = figure.subplots(1, 2)
    _scatter(before, POINTS)
    before.set(title="input x: no line separates them", xlabel="x₁", ylabel="x₂")

    hidden = hidden_points(model)
    _scatter(after, hidden)
    # (0,0) and (1,1) often land on the same spot: label the last point below the others.
    offsets = [(8, 6), (8, 6), (8, 6), (8, -14)]
    for (h1, h2), x, (dx, dy) in zip(hidden, POINTS, offsets):
        # A label right of a point near the right edge would leave the axes: put it left.
        dx, align = (-8, "right") if h1 > 0.8 else (dx, "left")
        after.annotate(
            f"({x[0]:g},{x[1]:g})",
            (h1, h2),
            textcoords="offset points",
            xytext=(dx, dy),
            horizontalalignment=align,
        )
    output = model.layers[-1].neurons[0]
    w1, w2 = (w.data for w in output.weights)
    grid = np.linspace(-0.1, 1.1, 241)
    h1, h2 = np.meshgrid(grid, grid)
    after.contour(h1, h2, w1 * h1 + w2 * h2 + output.bias.data, levels=[0.0], colors="black")
    after.plot([], [], color="black", label="w·h + b = 0")
    after.set(title="after the hidden layer h = σ(W⁽¹⁾x + b⁽¹⁾)", xlabel="h₁", ylabel="h₂")
    for axes in (before, after):
        axes.set(xlim=(-0.1, 1.1), ylim=(-0.1, 1.1), aspect="equal")
        axes.legend(loc="center", fontsize="small")
    return save_figure(figure, path)


def probability_grid(model: Model, grid: np.ndarray) -> np.ndarray:
    """The model's probability at every point of ``grid`` × ``grid`` (rows follow x₂)."""
    return np.array([[predict(model, (a, b)) for a in grid] for b in grid])


def decision_map(model: Model, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """What the decision-region figure draws for ``model`` over ``grid`` × ``grid``.

    Returns the probabilities to colour, with undecided ones set to exactly 0.5, and the
    decided probabilities (undecided ones masked) whose 0.5 contour is the boundary — or
    None when the model is not decided for both classes somewhere, so there is no boundary.
    """
    probability = probability_grid(model, grid)
    undecided = np.abs(probability - 0.5) < UNDECIDED_TOLERANCE
    shown = np.where(undecided, 0.5, probability)
    decided = np.ma.masked_array(probability, mask=undecided)
    if (decided > 0.5).any() and (decided < 0.5).any():
        return shown, decided
    return shown, None


def plot_decision_regions(models: dict[str, Model], path: Path, resolution: int = 61) -> Path:
    """Each model's probability over the plane around the four points, with its boundary.

    Colour is the predicted probability p(y = 1), from light blue (0) through grey (0.5,
    undecided) to light orange (1), with a colour bar as the key; undecided outputs are
    drawn as exactly 0.5.
    The boundary p = 0.5 is drawn only between decided regions of both classes, so a model
    undecided everywhere (logistic regression on XOR) shows a flat grey plane and no line.
    """
    from matplotlib.colors import LinearSegmentedColormap

    colours = LinearSegmentedColormap.from_list("p(y=1)", ["#9ecae1", "#e6e6e6", "#fdae6b"])
    figure = new_figure(4.2 * len(models) + 0.8, 4.2)
    grid = np.linspace(-0.5, 1.5, resolution)
    image = None
    for axes, (title, model) in zip(figure.subplots(1, len(models)), models.items()):
        shown, boundary = decision_map(model, grid)
        image = axes.imshow(
            shown,
            origin="lower",
            extent=(grid[0], grid[-1], grid[0], grid[-1]),
            cmap=colours,
            vmin=0.0,
            vmax=1.0,
            interpolation="bilinear",
        )
        if boundary is not None:
            axes.contour(grid, grid, boundary, levels=[0.5], colors="black")
        _scatter(axes, POINTS)
        n_undecided = undecided_count(model)
        if (shown == 0.5).all():
            note = "undecided everywhere: p = 0.5"
        elif n_undecided:
            note = f"undecided on {n_undecided} of {len(POINTS)} points"
        else:
            note = f"decided on all {len(POINTS)} points"
        axes.set(title=f"{title}\n{note}", xlabel="x₁", ylabel="x₂", aspect="equal")
    figure.colorbar(image, ax=figure.axes, label="predicted probability p(y = 1)", shrink=0.8)
    return save_figure(figure, path)


# ------------------------------------------------------------------ the demo


def run(
    seed: int = 0,
    out: Path = Path("runs/xor"),
    n_seeds: int = 20,
    config: TrainingConfig | None = None,
    resolution: int = 61,
    draw: bool = True,
) -> dict[str, Any]:
    """Train both models, sweep ``n_seeds`` seeds, draw the figures; return the results.

    ``resolution`` is the number of grid points per side of the decision-region figure;
    with ``draw=False`` nothing is drawn or written (the results list no files).
    """
    config = config or TrainingConfig()

    logistic = make_logistic_regression(np.random.default_rng(seed))
    logistic_loss = fit(logistic, config)

    runs = [train_xor_network(s, config) for s in range(seed, seed + n_seeds)]
    network = runs[0]  # the run of ``seed`` itself

    figures: list[Path] = []
    graph: Path | None = None
    if draw:
        figures, graph = draw_results(logistic, network.model, output_dir(out), resolution)

    return {
        "seed": seed,
        "config": asdict(config),
        "undecided_tolerance": UNDECIDED_TOLERANCE,
        "logistic_accuracy": accuracy(logistic),
        "logistic_undecided": undecided_count(logistic),
        "logistic_loss": logistic_loss,
        "logistic_outputs": [predict(logistic, x) for x in POINTS],
        "mlp_accuracy": accuracy(network.model),
        "mlp_undecided": undecided_count(network.model),
        "mlp_loss": network.loss,
        "mlp_outputs": [predict(network.model, x) for x in POINTS],
        "mlp_attempts": network.attempts,
        "hidden_points": hidden_points(network.model),
        "state_dict": {k: v.tolist() for k, v in network.model.state_dict().items()},
        "seeds_tried": n_seeds,
        "seeds_reaching_100": sum(r.solved for r in runs),
        "seeds_reaching_100_first_try": sum(r.solved and r.attempts == 1 for r in runs),
        "figures": [str(path) for path in figures],
        "graph": None if graph is None else str(graph),
    }


def draw_results(
    logistic: nn.MLP, network: nn.MLP, directory: Path, resolution: int
) -> tuple[list[Path], Path]:
    """Write the two figures and the graph of one point's loss; return their paths."""
    figures = [
        plot_feature_transformation(network, directory / "xor_feature_transformation.png"),
        plot_decision_regions(
            {"logistic regression": logistic, "2-2-1 network": network},
            directory / "xor_decision_regions.png",
            resolution=resolution,
        ),
    ]
    graph = write_graph(loss_graph(network), directory / "xor_loss_graph.svg")
    return figures, graph


def loss_graph(network: nn.MLP, point: int = 1) -> graphviz.Digraph:
    """The graph of one point's loss, named as the article names it, after backward.

    x₁, x₂ (inputs), the hidden sums z⁽¹⁾₁, z⁽¹⁾₂ and units h₁, h₂, the output's sum z⁽²⁾
    and probability ŷ, and the loss L = −[y·log ŷ + (1 − y)·log(1 − ŷ)], whose y, 1 − y
    and 1 are constants; every edge carries its local derivative. Drawn top to bottom, so
    it fits a screen. The network's gradients are left at zero.
    """
    network.zero_grad()
    label_parameters(network)  # w⁽¹⁾₁₁ … b⁽²⁾, as the article writes them
    x = [Value(xi, label=f"x{subscript(i)}") for i, xi in enumerate(POINTS[point], start=1)]
    (y_hat,) = labelled_forward(network, x, [("z⁽¹⁾", "h"), ("z⁽²⁾", "ŷ")])
    loss = nn.binary_cross_entropy([y_hat], [LABELS[point]])
    loss.label = "L"
    loss.backward()
    x1, x2 = POINTS[point]
    graph = draw_graph(
        loss,
        module=network,
        show_local_grads=True,
        rankdir="TB",
        name=f"XOR loss graph: binary cross-entropy at x = ({x1:g}, {x2:g})",
    )
    network.zero_grad()
    return graph


def describe_accuracy(score: float, undecided: int, tolerance: float) -> str:
    """One line on how many points a model left undecided and what its accuracy means."""
    n = len(POINTS)
    if undecided == n:
        return (
            f"undecided on {undecided} of {n} points (|p − 0.5| < {tolerance:g}): "
            f"chance, accuracy {score:.2f}"
        )
    if undecided:
        return (
            f"undecided on {undecided} of {n} points (|p − 0.5| < {tolerance:g}, "
            f"each scored ½): accuracy {score:.2f}"
        )
    return f"decided on all {n} points: accuracy {score:.2f}"


def report(results: dict[str, Any]) -> str:
    """The results as text."""
    tolerance = results["undecided_tolerance"]
    gap = max(abs(p - 0.5) for p in results["logistic_outputs"])
    lines = [
        "logistic regression (one sigmoid unit):",
        f"  loss {results['logistic_loss']:.4f} (ln 2 = {math.log(2):.4f}: 0.5 for every point)",
        f"  outputs within {gap:.0e} of 0.5"
        + (": which side of 0.5 is rounding noise, not a decision" if gap < tolerance else ""),
        "  "
        + describe_accuracy(results["logistic_accuracy"], results["logistic_undecided"], tolerance),
        f"2-2-1 sigmoid network (seed {results['seed']}, "
        f"{results['mlp_attempts']} initialization(s)):",
        f"  loss {results['mlp_loss']:.4f}",
        "  " + describe_accuracy(results["mlp_accuracy"], results["mlp_undecided"], tolerance),
        "  x₁ x₂ | y |     h₁     h₂ |     ŷ",
    ]
    for x, y, h, out in zip(POINTS, LABELS, results["hidden_points"], results["mlp_outputs"]):
        lines.append(f"   {x[0]:g}  {x[1]:g} | {y:g} | {h[0]:.4f} {h[1]:.4f} | {out:.4f}")
    n = results["seeds_tried"]
    restarts = results["config"]["restarts"]
    lines += [
        f"seeds reaching 100%: {results['seeds_reaching_100']}/{n} "
        f"(with up to {restarts} restarts; {results['seeds_reaching_100_first_try']}/{n} "
        "on the first initialization)",
    ]
    if results["graph"] is not None:
        lines.append("wrote " + ", ".join([*results["figures"], results["graph"]]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status (2 for a bad option, from argparse;
    130 on Ctrl-C, as :class:`SystemExit`)."""
    parser = argparse.ArgumentParser(
        prog="python -m demos.xor",
        description=__doc__.splitlines()[0]
        + ' From the article "一文读懂神经网络" ("Neural networks in one read").',
    )
    parser.add_argument(
        "--seed", type=whole_number(0), default=0, help="random seed, ≥ 0 (default 0)"
    )
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument("--out", type=Path, default=Path("runs/xor"), help="output directory")
    parser.add_argument(
        "--seeds", type=whole_number(1), default=20, help="seeds to sweep, ≥ 1 (default 20)"
    )
    args = parser.parse_args(argv)
    check_outputs(parser, out=args.out, json=args.json)  # before the work: no waiting
    with interrupt_exits():
        start = time.perf_counter()
        results = run(seed=args.seed, out=args.out, n_seeds=args.seeds)
        results["seconds"] = time.perf_counter() - start
        print(report(results))
        if args.json:
            write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
