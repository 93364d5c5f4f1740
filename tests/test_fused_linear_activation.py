"""The fused layer ``autograd.linear(x, w, b, activation)``: one node for a Linear layer and
its activation, with the numbers and gradients of the two nodes it replaces, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from test_tcap_replay import bits

import autograd
import nn
from autograd import Tensor, gradcheck, gradgradcheck
from autograd.capture_tensor import capture_tensor
from autograd.tensor_fused import LINEAR_ACTIVATIONS

ACTIVATIONS = sorted(LINEAR_ACTIVATIONS.values())


def operands(dtype: type, bias: bool, seed: int = 0) -> tuple[Tensor, ...]:
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((5, 4)).astype(dtype), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True)
    b = Tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
    return (x, w, b) if bias else (x, w)


def test_one_op_per_activation_of_the_table() -> None:
    table = [name for name, entry in autograd.ops.ELEMENTWISE.items() if entry.activation]
    assert sorted(table) == ACTIVATIONS
    assert {"sigmoid", "relu", "tanh"} <= set(ACTIVATIONS)
    assert all(op == f"linear_{name}" for op, name in LINEAR_ACTIVATIONS.items())


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_numbers_and_gradients_are_those_of_the_two_nodes(
    activation: str, dtype: type, bias: bool
) -> None:
    tensors = operands(dtype, bias)
    upstream = Tensor(np.random.default_rng(1).standard_normal((5, 3)).astype(dtype))

    fused = autograd.linear(*tensors, activation=activation)
    assert fused.op == f"linear_{activation}"
    assert [p is t for p, t in zip(fused.parents, tensors)] == [True] * len(tensors)
    (fused * upstream).sum().backward()
    fused_grads = [bits(t.grad) for t in tensors]
    for t in tensors:
        t.grad = None

    unfused = getattr(autograd.linear(*tensors), activation)()
    assert unfused.parents[0].op == "linear"
    (unfused * upstream).sum().backward()
    assert bits(fused.data) == bits(unfused.data)
    assert fused_grads == [bits(t.grad) for t in tensors]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_finite_differences(activation: str) -> None:
    x, w, b = operands(np.float64, True, seed=2)
    if activation == "relu":  # away from the kink at 0, where the derivative jumps
        b.data = b.data + np.sign(b.data) * 0.5
        x.data = np.abs(x.data) + 0.1
        w.data = np.abs(w.data) * np.sign(b.data)
    assert gradcheck(lambda x, w, b: autograd.linear(x, w, b, activation), [x, w, b])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_second_derivatives_match_finite_differences_and_the_two_nodes(activation: str) -> None:
    # softplus' derivative σ(z) reads the pre-activation z: evaluated on nodes, the rule
    # makes z a node again, so that it is differentiated through too.
    x, w, b = operands(np.float64, True, seed=3)
    squares = lambda x, w, b: (autograd.linear(x, w, b, activation) ** 2).sum()  # noqa: E731
    assert gradgradcheck(squares, [x, w, b])

    def second(fused: bool) -> list[np.ndarray]:
        if fused:
            out = autograd.linear(x, w, b, activation)
        else:
            out = getattr(autograd.linear(x, w, b), activation)()
        first = autograd.grad((out * out).sum(), [x, w, b], create_graph=True)
        total = sum(((g * g).sum() for g in first), Tensor(0.0))
        return [g.data for g in autograd.grad(total, [x, w, b])]

    for a, c in zip(second(True), second(False)):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)


def test_inside_no_grad_it_is_a_constant() -> None:
    x, w, b = operands(np.float32, True)
    with autograd.no_grad():
        out = autograd.linear(x, w, b, "relu")
    assert not out.requires_grad and out.parents == ()
    assert bits(out.data) == bits(autograd.linear(x, w, b).relu().data)


def test_a_wrong_activation_is_refused_with_the_choices() -> None:
    x, w, b = operands(np.float32, True)
    with pytest.raises(ValueError, match=r"activation='swish' is not an activation.*'sigmoid'"):
        autograd.linear(x, w, b, "swish")
    with pytest.raises(ValueError, match=r"activation='exp' is not an activation"):
        autograd.linear(x, w, b, "exp")  # in the op table, but not an activation
    with pytest.raises(TypeError, match=r"activation must be the name of an activation"):
        autograd.linear(x, w, b, nn.ReLU())  # type: ignore[arg-type]


def test_shape_errors_name_the_fused_op() -> None:
    x, w, b = operands(np.float32, True)
    with pytest.raises(ValueError, match=r"^linear_tanh: x has shape \(4, 5\)"):
        autograd.linear(x.T, w, b, "tanh")


# ------------------------------------------------------------------ nn.Sequential


def test_sequential_fuses_hidden_layers_and_keeps_the_last_activation_apart() -> None:
    model = nn.feedforward(6, [5, 4, 3], "tanh", "sigmoid", rng=0)
    x = np.random.default_rng(0).random((7, 6)).astype(np.float32)
    out = model(x)
    ops = [node.op for node in autograd.graph.topological_order(out) if node.parents]
    # The output's sigmoid stays a node: nn.quadratic_cost fuses with it.
    assert ops == ["linear_tanh", "linear_tanh", "linear", "sigmoid"]

    one_by_one = Tensor(x)
    for module in model:
        one_by_one = module(one_by_one)
    assert bits(out.data) == bits(one_by_one.data)


def test_sequential_gradients_are_those_of_the_layers_one_by_one() -> None:
    model = nn.feedforward(6, [5, 4], "relu", rng=1)
    x = np.random.default_rng(1).random((7, 6)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 0, 1, 2])
    nn.cross_entropy(model(x), labels).backward()
    fused = [bits(p.grad) for p in model.parameters()]
    model.zero_grad()
    h = Tensor(x)
    for module in model:
        h = module(h)
    nn.cross_entropy(h, labels).backward()
    assert fused == [bits(p.grad) for p in model.parameters()]


def test_a_subclass_that_changes_the_activation_is_called_as_written() -> None:
    class Doubled(nn.ReLU):
        def __call__(self, x: Tensor) -> Tensor:
            return super().__call__(x) * 2.0

    model = nn.Sequential(nn.Linear(3, 2, rng=0), Doubled(), nn.Linear(2, 1, rng=1))
    x = np.ones((2, 3), np.float32)
    out = model(x)
    hidden = out.parents[0]
    assert hidden.op == "*c" or hidden.op == "*"
    expected = model[2](model[0](x).relu() * 2.0)
    assert bits(out.data) == bits(expected.data)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_captured_steps_replay_the_fused_layers_bit_for_bit(activation: str) -> None:
    rng = np.random.default_rng(4)
    model = nn.feedforward(6, [5, 4], activation, rng=2)
    step = lambda x, labels: nn.cross_entropy(model(x), labels)  # noqa: E731
    hidden = step(np.zeros((8, 6), np.float32), np.zeros(8, np.int64)).parents[0].parents[0]
    assert hidden.op == f"linear_{activation}"
    x0 = rng.random((8, 6)).astype(np.float32)
    labels0 = rng.integers(0, 4, 8)
    replay = capture_tensor(step, model.parameters(), (x0, labels0))
    for _ in range(3):
        x, labels = rng.random((8, 6)).astype(np.float32), rng.integers(0, 4, 8)
        model.zero_grad()
        loss = replay(x, labels)
        replayed = [bits(p.grad) for p in model.parameters()]
        model.zero_grad()
        expected = step(x, labels)
        expected.backward()
        assert loss == float(expected.data)
        assert replayed == [bits(p.grad) for p in model.parameters()]


def test_a_sigmoid_layer_far_below_zero_gives_zero_without_a_warning_uncompiled_and_captured():
    # e⁻ᶻ overflows to inf for z = -1e4: σ(z) is then exactly 0, an IEEE result, and NumPy's
    # overflow warning (an error in this suite) must not escape, from the op or the replay.
    x = np.full((4, 3), -1e4, np.float32)
    w = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    assert np.array_equal(autograd.linear(Tensor(x), w, b, "sigmoid").data, np.zeros((4, 2)))

    def step(x: np.ndarray) -> Tensor:
        return autograd.linear(x, w, b, "sigmoid").sum()

    replay = capture_tensor(step, [w, b], x)
    w.grad = b.grad = None
    assert replay(x) == 0.0
    assert np.array_equal(w.grad, np.zeros((3, 2))) and np.array_equal(b.grad, np.zeros(2))
