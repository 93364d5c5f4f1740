"""Backpropagation by hand, checked against the engine.

The article's example: two inputs, a hidden layer of two sigmoid units, two sigmoid
outputs, MSE loss. Notation (the article's): superscript (l) is the layer, and
w⁽ˡ⁾ᵢⱼ is the weight from unit i of the layer below to unit j of layer l::

    z⁽¹⁾ⱼ = Σᵢ w⁽¹⁾ᵢⱼ xᵢ + b⁽¹⁾ⱼ      hⱼ = σ(z⁽¹⁾ⱼ)
    z⁽²⁾ₖ = Σⱼ w⁽²⁾ⱼₖ hⱼ + b⁽²⁾ₖ      aₖ = σ(z⁽²⁾ₖ)
    L = (1/n) Σₖ (aₖ - yₖ)²           (n = 2 outputs, so ∂L/∂aₖ = aₖ - yₖ)

The chain rule, from the output back, gives every gradient as a weighted sum:

    δ⁽²⁾ₖ = ∂L/∂z⁽²⁾ₖ = (aₖ - yₖ) · aₖ(1 - aₖ)
    δ⁽¹⁾ⱼ = ∂L/∂z⁽¹⁾ⱼ = (Σₖ w⁽²⁾ⱼₖ δ⁽²⁾ₖ) · hⱼ(1 - hⱼ)
    ∂L/∂w⁽ˡ⁾ᵢⱼ = (input i of layer l) · δ⁽ˡ⁾ⱼ        ∂L/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ

The article gives no numbers, so this demo uses the ones of Matt Mazur's widely used
"A Step by Step Backpropagation Example" (2015), the same network: x = (0.05, 0.10),
y = (0.01, 0.99), w⁽¹⁾ = .15 .20 .25 .30, w⁽²⁾ = .40 .45 .50 .55 (see ``WEIGHTS`` for
which is which), biases 0.35 (hidden) and 0.60 (output). Its loss Σ ½(t - o)² is our
mean over two outputs, so its published results (L = 0.298371109,
∂L/∂w⁽²⁾₁₁ = 0.082167041, ∂L/∂w⁽¹⁾₁₁ = 0.000438568) are checked too.

It also writes ``backward.html`` (:func:`autograd.animate_backward`): the engine's backward
pass on this graph, step by step, in a browser.

Run: ``python -m demos.backprop_by_hand [--json PATH] [--out DIR]``. Exits with status 1
if a hand-derived gradient and the engine's differ by more than 1e-12 (relative), or if the
hand-derived numbers miss Mazur's published ones by 1e-9 or more.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

import nn
from autograd import Value, animate_backward, draw_graph
from demos.common import (
    bias_name,
    check_outputs,
    interrupt_exits,
    label_parameters,
    labelled_forward,
    output_dir,
    subscript,
    weight_name,
    write_graph,
    write_json,
)

INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
# WEIGHTS[l][i][j] = w⁽ˡ⁺¹⁾ᵢⱼ: from unit i of the layer below to unit j (shape (in, out)).
WEIGHTS = [
    [[0.15, 0.25], [0.20, 0.30]],  # x₁→h₁ .15, x₁→h₂ .25; x₂→h₁ .20, x₂→h₂ .30
    [[0.40, 0.50], [0.45, 0.55]],  # h₁→a₁ .40, h₁→a₂ .50; h₂→a₁ .45, h₂→a₂ .55
]
BIASES = [[0.35, 0.35], [0.60, 0.60]]
# Mazur's published results for these numbers (9 significant digits).
REFERENCE = {"L": 0.298371109, "w⁽²⁾₁₁": 0.082167041, "w⁽¹⁾₁₁": 0.000438568}
TOLERANCE = 1e-12


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e⁻ᶻ)."""
    return 1.0 / (1.0 + math.exp(-z))


def by_hand(
    x: Sequence[float], y: Sequence[float], weights: list, biases: list
) -> tuple[float, dict[str, float]]:
    """The loss and every ∂L/∂w, ∂L/∂b from the hand-derived formulas, in plain floats."""
    # Forward: each layer's outputs are the next layer's inputs.
    layer_inputs = [list(x)]
    for w, b in zip(weights, biases):
        below = layer_inputs[-1]
        z = [sum(w[i][j] * below[i] for i in range(len(below))) + b[j] for j in range(len(b))]
        layer_inputs.append([sigmoid(zj) for zj in z])
    a = layer_inputs[-1]
    n = len(a)
    loss = sum((ak - yk) ** 2 for ak, yk in zip(a, y)) / n

    # δ at the output: ∂L/∂aₖ = (2/n)(aₖ - yₖ), which is aₖ - yₖ for n = 2; times σ'(z).
    deltas = [[(2.0 / n) * (ak - yk) * ak * (1.0 - ak) for ak, yk in zip(a, y)]]
    # δ one layer down: the weighted sum of the deltas above, times σ'(z) = h(1 - h).
    for layer in range(len(weights) - 1, 0, -1):
        w, h, above = weights[layer], layer_inputs[layer], deltas[0]
        deltas.insert(
            0,
            [
                sum(w[j][k] * above[k] for k in range(len(above))) * h[j] * (1.0 - h[j])
                for j in range(len(h))
            ],
        )

    gradients = {}
    for layer, (w, delta) in enumerate(zip(weights, deltas), start=1):
        below = layer_inputs[layer - 1]
        for i in range(len(w)):
            for j in range(len(w[i])):
                gradients[weight_name(layer, i, j)] = below[i] * delta[j]  # input · δ
        for j in range(len(delta)):
            gradients[bias_name(layer, j)] = delta[j]
    return loss, gradients


def build_network(weights: list, biases: list) -> nn.MLP:
    """The same network as an ``nn.MLP`` of Values, parameters labelled as in the article."""
    sizes = [len(b) for b in biases]
    # The initial draw is overwritten below; a private generator leaves the global one alone.
    model = nn.MLP(
        len(weights[0]),
        sizes,
        activation="sigmoid",
        output_activation="sigmoid",
        rng=np.random.default_rng(0),
    )
    state = {}
    for k, (w, b) in enumerate(zip(weights, biases)):
        state[f"{2 * k}.weight"] = np.array(w)
        state[f"{2 * k}.bias"] = np.array(b)
    model.load_state_dict(state)
    label_parameters(model)
    return model


def labelled_loss(model: nn.MLP, x: Sequence[float], y: Sequence[float]) -> Value:
    """The forward pass: the loss Value, its graph naming what the docstring names: x₁, x₂,
    z⁽¹⁾ⱼ, hⱼ, z⁽²⁾ₖ, aₖ and L (the targets and the 1/n of the mean are constants)."""
    inputs = [Value(xi, label=f"x{subscript(i)}") for i, xi in enumerate(x, start=1)]
    outputs = labelled_forward(model, inputs, [("z⁽¹⁾", "h"), ("z⁽²⁾", "a")])
    loss = nn.mse_loss(outputs, list(y))
    loss.label = "L"
    return loss


def by_engine(
    model: nn.MLP, x: Sequence[float], y: Sequence[float]
) -> tuple[Any, dict[str, float]]:
    """The loss Value (after backward) and every parameter's ``.grad``, by label."""
    model.zero_grad()
    loss = labelled_loss(model, x, y)
    loss.backward()
    return loss, {p.label: p.grad for p in model.parameters()}


GRAPH_TITLE = "backpropagation by hand: the 2-2-2 network on Mazur's numbers"


def loss_graph(loss: Value, model: nn.MLP) -> graphviz.Digraph:
    """The graph of ``loss`` from :func:`by_engine`, drawn the article's way round.

    Left to right, as the article draws the network: x₁ above x₂, h₁ above h₂, a₁ above
    a₂, each neuron's parameters grouped in its order (w⁽ˡ⁾₁ⱼ, w⁽ˡ⁾₂ⱼ, b⁽ˡ⁾ⱼ), every edge
    labelled with its local derivative.
    """
    return draw_graph(loss, module=model, show_local_grads=True, rankdir="TB", name=GRAPH_TITLE)


def animate(model: nn.MLP, path: Path) -> Path:
    """Write the page that replays the engine's backward pass through the same graph, laid
    out as :func:`loss_graph` draws it; the model's gradients end as :func:`by_engine`
    leaves them (they are zeroed first, then backward runs once)."""
    model.zero_grad()
    loss = labelled_loss(model, INPUTS, TARGETS)
    return animate_backward(
        loss, path, module=model, rankdir="TB", title=f"backward(), step by step: {GRAPH_TITLE}"
    )


def relative_difference(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|); 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0.0 else abs(a - b) / scale


def run(out: Path = Path("runs/backprop_by_hand")) -> dict[str, Any]:
    """Compute the gradients both ways, draw the graph; return the comparison."""
    hand_loss, hand = by_hand(INPUTS, TARGETS, WEIGHTS, BIASES)
    model = build_network(WEIGHTS, BIASES)
    loss, engine = by_engine(model, INPUTS, TARGETS)
    rows = [
        {
            "name": name,
            "hand": hand[name],
            "engine": engine[name],
            "relative_difference": relative_difference(hand[name], engine[name]),
        }
        for name in hand
    ]
    rows.append(
        {
            "name": "L",
            "hand": hand_loss,
            "engine": loss.data,
            "relative_difference": relative_difference(hand_loss, loss.data),
        }
    )
    reference_ok = all(
        abs(value - (hand_loss if name == "L" else hand[name])) < 1e-9
        for name, value in REFERENCE.items()
    )
    graph = write_graph(loss_graph(loss, model), output_dir(out) / "backprop_graph.svg")
    animation = animate(model, out / "backward.html")
    worst = max(row["relative_difference"] for row in rows)
    return {
        "inputs": INPUTS,
        "targets": TARGETS,
        "weights": WEIGHTS,
        "biases": BIASES,
        "rows": rows,
        "max_relative_difference": worst,
        "tolerance": TOLERANCE,
        "matches_engine": worst <= TOLERANCE,
        "matches_reference": reference_ok,
        "graph": str(graph),
        "animation": str(animation),
    }


def report(results: dict[str, Any]) -> str:
    """The side-by-side table as text."""
    lines = [
        f"x = {results['inputs']}, y = {results['targets']}",
        f"{'∂L/∂':10} {'by hand (δ formulas)':>22} {'engine (backward)':>22} {'rel. diff.':>10}",
    ]
    for row in results["rows"]:
        lines.append(
            f"{row['name']:10} {row['hand']:22.17f} {row['engine']:22.17f} "
            f"{row['relative_difference']:10.1e}"
        )
    verdict = "agree" if results["matches_engine"] else "DISAGREE"
    lines.append(
        f"hand and engine {verdict}: largest relative difference "
        f"{results['max_relative_difference']:.1e} (tolerance {results['tolerance']:.0e})"
    )
    reference = "match" if results["matches_reference"] else "do NOT match"
    published = ", ".join(
        f"{'L' if name == 'L' else '∂L/∂' + name} = {value}" for name, value in REFERENCE.items()
    )
    lines.append(f"Mazur's published numbers ({published}) {reference}")
    lines.append(f"wrote {results['graph']}")
    lines.append(f"wrote {results['animation']} (backward step by step: open it in a browser)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; 1 if hand and engine disagree, else 0 (130 on Ctrl-C, as
    :class:`SystemExit`)."""
    parser = argparse.ArgumentParser(
        prog="python -m demos.backprop_by_hand",
        description=__doc__.splitlines()[0]
        + ' The network of the article "一文读懂神经网络" ("Neural networks in one read"),'
        + ' with the numbers of Matt Mazur\'s "A Step by Step Backpropagation Example" (2015).',
    )
    parser.add_argument("--json", type=Path, help="write the comparison to this JSON file")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/backprop_by_hand"), help="output directory"
    )
    args = parser.parse_args(argv)
    check_outputs(parser, out=args.out, json=args.json)
    with interrupt_exits():
        results = run(args.out)
        print(report(results))
        if args.json:
            write_json(args.json, results)
    return 0 if results["matches_engine"] and results["matches_reference"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
