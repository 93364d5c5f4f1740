"""Graph capture writes short code: sums as one line, a chain's gradients as slices.

Each shape is checked twice: the generated source has it, and the replay still equals the
uncompiled step bit for bit over several steps with new inputs and updated parameters.
"""

from __future__ import annotations

import random
import re
from itertools import pairwise

from test_capture_replay import as_values, bits

import nn
from autograd import Value, capture, sum_values


def assert_replays_as_backward(step, parameters, new_inputs, steps: int = 3) -> None:
    """Capture ``step``; then, for each of ``steps`` new inputs, replay and backward() give
    the same loss and gradients, bit for bit, and SGD moves the parameters on."""
    rng = random.Random(7)
    replay = capture(step, parameters, new_inputs(rng))
    for _ in range(steps):
        inputs = new_inputs(rng)
        for p in parameters:
            p.grad = 0.0
        loss = step(as_values(inputs))
        loss.backward()
        expected = [bits(p.grad) for p in parameters]
        for p in parameters:
            p.grad = 0.0
        assert bits(replay(inputs)) == bits(loss.data)
        assert [bits(p.grad) for p in parameters] == expected
        for p in parameters:
            p.data -= 0.05 * p.grad


def neuron_step(weights: list[Value], bias: Value):
    """micrograd's neuron, with plain + and *: tanh(Σ wᵢ·xᵢ + b), squared error."""

    def step(inputs):
        points, targets = inputs
        losses = []
        for x, y in zip(points, targets):
            activation = sum((w * xi for w, xi in zip(weights, x)), bias).tanh()
            losses.append((activation - y) ** 2)
        return sum_values(losses)

    return step


def test_a_sum_of_products_is_one_forward_line():
    rng = random.Random(0)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    b = Value(0.2)
    replay = capture(lambda x: sum((w * xi for w, xi in zip(ws, x)), b), [*ws, b], [1.0, 2.0, 3.0])
    # b + w₁·x₁ + w₂·x₂ + w₃·x₃: no line for the partial sums and the products
    one_line = r"    v\[\d+\] = v\[\d+\]( \+ v\[\d+\] \* v\[\d+\]){3}$"
    assert re.search(one_line, replay.source, re.MULTILINE)
    assert replay.source.count("    v[") == 1 + 3 + 3 + 1  # b, the weights, the inputs, the sum


def test_a_neurons_gradients_are_slices_and_equal_backward():
    rng = random.Random(1)
    weights = [Value(rng.uniform(-0.5, 0.5)) for _ in range(12)]
    bias = Value(0.1)

    def new_inputs(rng):
        points = [[rng.uniform(-1, 1) for _ in range(12)] for _ in range(3)]
        return [points, [rng.uniform(-1, 1) for _ in range(3)]]

    step = neuron_step(weights, bias)
    replay = capture(step, [*weights, bias], new_inputs(rng))
    assert "map(add, g[" in replay.source  # ∂L/∂wₖ += xₖ · grad, for a run of k at once
    assert_replays_as_backward(step, [*weights, bias], new_inputs)


def test_a_chain_using_a_node_that_its_term_also_uses_keeps_the_engines_order():
    # x gets ∂L/∂x from w₁·x and from x·c (inside the chain's last term). The engine adds
    # x·c's share first: (10¹⁶ - 10¹⁶) + 1 = 1; the other order gives (10¹⁶ + 1) - 10¹⁶ = 0.
    x, w1, w2, c, b = Value(1.0), Value(1.0), Value(1.0), Value(-1e16), Value(0.0)
    parameters = [x, w1, w2, c, b]

    def step(inputs):
        return b + w1 * x + w2 * (x * c) + inputs[0] * w1

    replay = capture(step, parameters, [1.0])
    for start in (1e16, 0.0, -3.0):
        for p in parameters:
            p.grad = 0.0
        x.grad = start
        step([Value(2.0)]).backward()
        expected = [bits(p.grad) for p in parameters]
        for p in parameters:
            p.grad = 0.0
        x.grad = start
        replay([2.0])
        assert [bits(p.grad) for p in parameters] == expected
        if start == 1e16:
            assert bits(x.grad) == bits(1.0)


def test_a_chain_passing_two_gradients_to_one_node_equals_backward():
    # x is the input of two products of the same chain: it receives two contributions.
    ws = [Value(0.3 * k - 1.0) for k in range(10)]
    x = Value(0.7)
    parameters = [*ws, x]

    def step(inputs):
        terms = [w * (x if k % 3 == 0 else xi) for k, (w, xi) in enumerate(zip(ws, inputs))]
        return sum(terms, x).tanh()

    assert_replays_as_backward(step, parameters, lambda rng: [rng.uniform(-1, 1)] * 10)


def test_a_python_sum_of_thousands_of_terms_compiles_and_equals_backward():
    # One line per 3,000 additions would be too deep for Python's compiler.
    ws = [Value(random.Random(k).uniform(-1, 1)) for k in range(3000)]

    def step(inputs):
        return sum(w * x for w, x in zip(ws, inputs)) ** 2

    assert_replays_as_backward(step, ws, lambda rng: [rng.uniform(-1, 1) for _ in ws], steps=2)


def plain_ops_mlp(rng: random.Random, sizes: list[int]):
    """micrograd's MLP with plain + and * (ReLU hidden layers): parameters and a forward."""
    layers = []
    for fan_in, fan_out in pairwise(sizes):
        neurons = []
        for _ in range(fan_out):
            weights = [Value(rng.uniform(-1, 1)) for _ in range(fan_in)]
            neurons.append((weights, Value(0.0)))
        layers.append(neurons)
    parameters = [p for layer in layers for ws, b in layer for p in (*ws, b)]

    def forward(x):
        for index, layer in enumerate(layers):
            sums = [sum((w * xi for w, xi in zip(ws, x)), b) for ws, b in layer]
            x = sums if index == len(layers) - 1 else [s.relu() for s in sums]
        return x[0]

    return parameters, forward


def test_the_plain_ops_demo_step_is_far_fewer_lines_than_nodes_and_equals_backward():
    rng = random.Random(3)
    parameters, forward = plain_ops_mlp(rng, [2, 16, 16, 1])

    def step(inputs):
        points, labels = inputs
        losses = [(1 + -y * forward(x)).relu() for x, y in zip(points, labels)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in parameters)

    def new_inputs(rng):
        points = [[rng.uniform(-1.5, 2.5), rng.uniform(-1.0, 1.5)] for _ in range(12)]
        return [points, [rng.choice((-1.0, 1.0)) for _ in points]]

    replay = capture(step, parameters, new_inputs(rng))
    assert replay.node_count > 7000
    assert replay.source.count("\n") < replay.node_count / 2  # before: 3 lines a node
    assert_replays_as_backward(step, parameters, new_inputs)


def test_fused_neurons_read_evenly_spaced_weights_as_slices_in_parts_of_bounded_size():
    model = nn.MLP(2, (16, 16, 1), activation="relu", rng=4)

    def step(points):
        return sum_values([model(x)[0] ** 2 for x in points])

    rng = random.Random(5)
    replay = capture(step, model.parameters(), [[rng.uniform(-1, 1)] * 2 for _ in range(10)])
    assert re.search(r"sum\(map\(mul, v\[\d+:\d+\], v\[\d+:\d+(:\d+)?\]\)\)", replay.source)
    parts = replay.source.split("\ndef ")
    assert len(parts) > 2
    assert max(map(len, parts)) < 40_000
