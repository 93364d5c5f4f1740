"""Graph capture: a traced Value step, replayed, equals the uncompiled step bit for bit."""

from __future__ import annotations

import random

import nn
from autograd import Value, capture, sum_values, weighted_sum
from autograd.ops import ELEMENTWISE


def bits(x: float) -> str:
    """A float's exact bits (0.0 and -0.0 differ, nan equals nan)."""
    return x.hex()


def as_values(structure):
    if isinstance(structure, list):
        return [as_values(item) for item in structure]
    return Value(structure)


def two_models(seed: int) -> tuple[nn.MLP, nn.MLP]:
    """Two copies of micrograd's demo network (2-16-16-1, relu), with the same weights."""
    first = nn.MLP(2, (16, 16, 1), activation="relu", rng=seed)
    second = nn.MLP(2, (16, 16, 1), activation="relu", rng=seed)
    return first, second


def demo_step(model: nn.MLP):
    """micrograd's demo step as chaingrad writes it: max-margin loss + L2, labels as inputs."""
    params = model.parameters()

    def step(inputs):
        points, labels = inputs
        scores = [model(x)[0] for x in points]
        losses = [(1.0 - y * s).relu() for y, s in zip(labels, scores)]
        data_loss = sum_values(losses) * (1.0 / len(losses))
        reg_loss = sum_values([p * p for p in params]) * 1e-4
        return data_loss + reg_loss

    return step


def batch(rng: random.Random, n: int = 20) -> list:
    points = [[rng.uniform(-1.5, 2.5), rng.uniform(-1.0, 1.5)] for _ in range(n)]
    labels = [rng.choice((-1.0, 1.0)) for _ in range(n)]
    return [points, labels]


def test_mlp_demo_step_equals_uncompiled_bit_for_bit_over_sgd_steps():
    plain, captured_model = two_models(seed=3)
    rng = random.Random(0)
    step = demo_step(plain)
    replay = capture(demo_step(captured_model), captured_model.parameters(), batch(rng))
    assert replay.source.count("def part") > 1  # compiled in several parts
    plain_sgd = nn.optim.SGD(plain.parameters(), lr=0.05)
    captured_sgd = nn.optim.SGD(captured_model.parameters(), lr=0.05)
    for _ in range(4):
        inputs = batch(rng)  # new numbers every step
        plain_sgd.zero_grad()
        loss = step(as_values(inputs))
        loss.backward()
        plain_sgd.step()
        captured_sgd.zero_grad()
        replayed = replay(inputs)
        captured_gradients = [bits(p.grad) for p in captured_model.parameters()]
        captured_sgd.step()
        assert bits(replayed) == bits(loss.data)
        assert captured_gradients == [bits(p.grad) for p in plain.parameters()]
    assert [bits(p.data) for p in captured_model.parameters()] == [
        bits(p.data) for p in plain.parameters()
    ]


def test_plain_operator_step_with_number_inputs_equals_uncompiled():
    # micrograd's own style: sum() of w * x (a chain of + and *), a Value bias.
    rng = random.Random(1)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    b = Value(0.1)

    def step(inputs):
        xs, y = inputs
        score = sum((w * x for w, x in zip(ws, xs)), b).tanh()
        return (score - y) ** 2 + 0.5 * b * b

    replay = capture(step, [*ws, b], [[0.1, 0.2, 0.3], 1.0])
    for _ in range(3):
        inputs = [[rng.uniform(-2, 2) for _ in range(3)], rng.uniform(-1, 1)]
        for p in (*ws, b):
            p.grad = 0.0
        loss = step(as_values(inputs))
        loss.backward()
        expected = [bits(p.grad) for p in (*ws, b)]
        for p in (*ws, b):
            p.grad = 0.0
        assert bits(replay(inputs)) == bits(loss.data)
        assert [bits(p.grad) for p in (*ws, b)] == expected
        for p in (*ws, b):
            p.data -= 0.1 * p.grad


def every_op_step(a: Value, c: Value):
    """An expression using every operator, every table op, sum_values and weighted_sum."""

    def step(inputs):
        x, y = inputs  # x in (0.5, 2), y in (0.5, 2): inside every op's domain
        terms = [getattr(a * x, name)() for name in ELEMENTWISE]
        arithmetic = [
            a + x,
            x - c,
            a * c,
            a / y,
            3.0 / c,
            a**2,
            a**0.5,
            x**c,
            2.0**a,
            -c,
            1.0 - a,
            abs(c - y),
        ]
        neuron = weighted_sum([a, c], [x, y], c)
        return sum_values(terms + arithmetic) * neuron

    return step


def test_every_op_replays_bit_for_bit_over_several_steps():
    a, c = Value(0.7), Value(1.3)
    step = every_op_step(a, c)
    replay = capture(step, [a, c], [1.1, 0.9])
    rng = random.Random(2)
    for _ in range(4):
        inputs = [rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0)]
        a.grad = c.grad = 0.0
        loss = step(as_values(inputs))
        loss.backward()
        expected = [bits(a.grad), bits(c.grad)]
        a.grad = c.grad = 0.0
        assert bits(replay(inputs)) == bits(loss.data)
        assert [bits(a.grad), bits(c.grad)] == expected
        a.data -= 0.01 * a.grad
        c.data -= 0.01 * c.grad


def test_every_table_op_is_in_the_every_op_step():
    a, c = Value(0.7), Value(1.3)
    loss = every_op_step(a, c)([Value(1.1), Value(0.9)])
    seen: set[str] = set()
    stack = [loss]
    while stack:
        node = stack.pop()
        seen.add(node.op)
        stack.extend(node.parents)
    assert set(ELEMENTWISE) <= seen
    assert {"+", "-", "*", "/", "**", "**2", "**0.5", "neg", "sum", "weighted_sum:2"} <= seen


def test_gradients_accumulate_across_calls_as_backward_does():
    w = Value(0.5)
    replay = capture(lambda x: (w * x[0]).tanh(), [w], [1.0])
    replay([2.0])
    once = w.grad
    replay([2.0])
    assert w.grad == 2 * once


def test_the_parameters_data_is_read_on_every_call():
    w = Value(2.0)
    replay = capture(lambda x: w * x, [w], 3.0)
    assert replay(3.0) == 6.0
    w.data = 5.0
    assert replay(3.0) == 15.0
    assert replay(-1.0) == -5.0


def test_a_pure_python_step_source_is_kept_for_reading():
    w = Value(2.0)
    replay = capture(lambda x: w * x + 1.0, [w], 3.0)
    assert replay.node_count == 4  # w, x, w*x, the sum (the number 1.0 is no node)
    assert "def replay(X, P, C):" in replay.source
    assert "v[2] = v[0] * v[1]" in replay.source
    assert "v[3] = v[2] + 1.0" in replay.source


def test_signed_zeros_of_gradients_match_backward():
    # The node w·x gets ∂L/∂(w·x) = 0.0 + (-0.0 · 1) = 0.0 from backward, not -0.0; with a
    # gradient of -0.0 already in w, only that +0.0 leaves w.grad at +0.0.
    w = Value(1.0)
    replay = capture(lambda x: (w * x) * -0.0, [w], 1.0)
    w.grad = -0.0
    ((w * Value(1.0)) * -0.0).backward()
    expected = bits(w.grad)
    w.grad = -0.0
    replay(1.0)
    assert bits(w.grad) == expected == bits(0.0)
