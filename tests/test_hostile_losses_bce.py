"""Binary cross-entropy stays finite where the sigmoid saturates, on both engines.

σ(40) is exactly 1.0 in float64, so log(1 - σ(40)) is log 0. ``binary_cross_entropy`` clamps
each log at ≥ -100 as PyTorch does; ``binary_cross_entropy_with_logits`` never forms σ and
stays exact. No test here may see a NumPy RuntimeWarning (the suite turns them into errors).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, gradcheck
from autograd.tensor_fused import binary_cross_entropy, sigmoid_binary_cross_entropy

# Logits from saturated (σ rounds to exactly 0 or 1, or below e^-100) to ordinary.
LOGITS = np.array([-800.0, -110.0, -40.0, -10.0, -0.5, 0.0, 0.7, 10.0, 40.0, 800.0])
LABELS = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0])
SOFT = np.array([0.3, 0.2, 1.0, 0.0, 0.5, 0.0, 1.0, 0.9, 0.0, 1.0])


def scalar_leaves(array: np.ndarray) -> list[Value]:
    return [Value(float(x)) for x in array]


def tensor_leaf(array: np.ndarray) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def scalar_bce_of_sigmoid(*z: Value, target=LABELS) -> Value:
    return nn.binary_cross_entropy([v.sigmoid() for v in z], list(target))


# ------------------------------------------------------------------ the saturated sigmoid


@pytest.mark.parametrize(("label", "expected"), [(1.0, 0.0), (0.0, 100.0)])
def test_scalar_binary_cross_entropy_is_finite_at_a_saturated_sigmoid(label, expected) -> None:
    z = Value(40.0)
    loss = nn.binary_cross_entropy([z.sigmoid()], [label])
    loss.backward()
    assert loss.data == expected
    assert math.isfinite(z.grad)


@pytest.mark.parametrize(("label", "expected"), [(1.0, 0.0), (0.0, 100.0)])
def test_tensor_binary_cross_entropy_is_finite_at_a_saturated_sigmoid(label, expected) -> None:
    z = tensor_leaf([40.0])
    loss = nn.binary_cross_entropy(z.sigmoid(), np.array([label]))
    loss.backward()
    assert float(loss.data) == expected
    assert np.isfinite(z.grad).all()


@pytest.mark.parametrize("p", [0.0, 1.0, 1e-50, 1e-300, 5e-324])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_binary_cross_entropy_of_an_extreme_probability_is_finite_on_both_engines(p, y) -> None:
    leaf = Value(p)
    scalar = nn.binary_cross_entropy([leaf], [y])
    scalar.backward()
    tensor = tensor_leaf([p])
    loss = nn.binary_cross_entropy(tensor, np.array([y]))
    loss.backward()
    assert math.isfinite(scalar.data) and 0.0 <= scalar.data <= 100.0
    assert math.isfinite(leaf.grad) and np.isfinite(tensor.grad).all()
    assert float(loss.data) == pytest.approx(scalar.data, rel=1e-12, abs=1e-15)
    assert tensor.grad[0] == pytest.approx(leaf.grad, rel=1e-12, abs=1e-15)


def test_binary_cross_entropy_clamps_each_log_at_minus_100_as_pytorch_does() -> None:
    # -log(1e-50) is 115.1; clamped, the loss is 100 for either engine.
    assert nn.binary_cross_entropy([Value(1e-50)], [1.0]).data == 100.0
    assert float(nn.binary_cross_entropy(Tensor([0.0, 1.0]), [1.0, 0.0]).data) == 100.0


def test_a_perfect_prediction_costs_plus_zero() -> None:
    scalar = nn.binary_cross_entropy([Value(1.0), Value(0.0)], [1.0, 0.0]).data
    tensor = float(nn.binary_cross_entropy(Tensor([1.0, 0.0]), [1.0, 0.0]).data)
    assert math.copysign(1.0, scalar) == 1.0 and math.copysign(1.0, tensor) == 1.0


# ------------------------------------------------------------------ gradients: gradcheck


def test_scalar_binary_cross_entropy_of_a_sigmoid_passes_gradcheck_when_saturated() -> None:
    assert gradcheck(scalar_bce_of_sigmoid, scalar_leaves(LOGITS))


def test_tensor_binary_cross_entropy_of_a_sigmoid_passes_gradcheck_when_saturated() -> None:
    assert gradcheck(lambda z: nn.binary_cross_entropy(z.sigmoid(), LABELS), [tensor_leaf(LOGITS)])


def test_binary_cross_entropy_passes_gradcheck_in_probability_and_target() -> None:
    p = np.array([0.01, 0.3, 0.5, 0.9, 0.999])
    y = np.array([0.0, 1.0, 0.4, 1.0, 0.2])
    assert gradcheck(nn.binary_cross_entropy, [tensor_leaf(p), tensor_leaf(y)])
    leaves = scalar_leaves(np.concatenate([p, y]))
    assert gradcheck(lambda *v: nn.binary_cross_entropy(list(v[:5]), list(v[5:])), leaves)


@pytest.mark.parametrize("target", [LABELS, SOFT], ids=["hard", "soft"])
def test_scalar_binary_cross_entropy_with_logits_passes_gradcheck_everywhere(target) -> None:
    def loss(*values: Value) -> Value:
        return nn.binary_cross_entropy_with_logits(list(values[:10]), list(values[10:]))

    assert gradcheck(loss, scalar_leaves(np.concatenate([LOGITS, target])))


@pytest.mark.parametrize("target", [LABELS, SOFT], ids=["hard", "soft"])
def test_tensor_binary_cross_entropy_with_logits_passes_gradcheck_everywhere(target) -> None:
    leaves = [tensor_leaf(LOGITS), tensor_leaf(target)]
    assert gradcheck(nn.binary_cross_entropy_with_logits, leaves)


# ------------------------------------------------------------------ the two engines agree


@pytest.mark.parametrize("form", ["probability", "logits"])
def test_scalar_and_tensor_binary_cross_entropy_agree_in_loss_and_gradients(form) -> None:
    z = np.concatenate([LOGITS, np.random.default_rng(7).standard_normal(6) * 4])
    y = np.concatenate([SOFT, [0.0, 1.0, 1.0, 0.0, 0.5, 1.0]])
    leaves, tensor = scalar_leaves(z), tensor_leaf(z)
    if form == "probability":
        scalar_loss = nn.binary_cross_entropy([v.sigmoid() for v in leaves], list(y))
        tensor_loss = nn.binary_cross_entropy(tensor.sigmoid(), y)
    else:
        scalar_loss = nn.binary_cross_entropy_with_logits(leaves, list(y))
        tensor_loss = nn.binary_cross_entropy_with_logits(tensor, y)
    scalar_loss.backward()
    tensor_loss.backward()
    assert float(tensor_loss.data) == pytest.approx(scalar_loss.data, rel=1e-12)
    np.testing.assert_allclose(tensor.grad, [v.grad for v in leaves], rtol=1e-9, atol=1e-15)


def test_from_logits_equals_the_probability_form_where_the_sigmoid_does_not_saturate() -> None:
    z = np.linspace(-8.0, 8.0, 9)
    y = np.linspace(0.0, 1.0, 9)
    from_logits = nn.binary_cross_entropy_with_logits(Tensor(z), y)
    from_probability = nn.binary_cross_entropy(Tensor(z).sigmoid(), y)
    assert float(from_logits.data) == pytest.approx(float(from_probability.data), rel=1e-12)


def test_from_logits_stays_exact_where_the_sigmoid_saturates() -> None:
    """Wrong by 800 at each end: loss 800, gradient σ(z) - y = ±1 over n = 2."""
    leaves = scalar_leaves(np.array([800.0, -800.0]))
    scalar = nn.binary_cross_entropy_with_logits(leaves, [0.0, 1.0])
    scalar.backward()
    assert scalar.data == 800.0
    assert [v.grad for v in leaves] == [0.5, -0.5]
    tensor = tensor_leaf([800.0, -800.0])
    loss = nn.binary_cross_entropy_with_logits(tensor, np.array([0.0, 1.0]))
    loss.backward()
    assert float(loss.data) == 800.0
    np.testing.assert_array_equal(tensor.grad, [0.5, -0.5])


# ------------------------------------------------------------------ contracts


@pytest.mark.parametrize(
    ("make", "args"),
    [
        (binary_cross_entropy, ([0.2, 0.9], [1.0, 0.0])),
        (sigmoid_binary_cross_entropy, ([2.0, -1.0], [1.0, 0.0])),
    ],
    ids=["probability", "logits"],
)
def test_tensor_binary_cross_entropy_is_one_node_that_keeps_float32(make, args) -> None:
    prediction = Tensor(np.array(args[0], dtype=np.float32), requires_grad=True)
    target = np.array(args[1], dtype=np.float32)
    loss = make(prediction, target)
    loss.backward()
    assert loss.parents[0] is prediction and len(loss.parents) == 2
    assert loss.data.dtype == np.float32 and prediction.grad.dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5, -math.inf, math.inf])
def test_binary_cross_entropy_refuses_a_probability_outside_0_1_on_both_engines(p) -> None:
    with pytest.raises(ValueError, match=r"binary_cross_entropy: probabilities must be in"):
        nn.binary_cross_entropy([Value(0.5), Value(p)], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"binary_cross_entropy: probabilities must be in"):
        nn.binary_cross_entropy(Tensor([0.5, p]), [1.0, 0.0])


def test_non_finite_inputs_give_nan_without_warnings_on_both_engines() -> None:
    """nan propagates (the non-finite rule); infinite logits give nan (inf - inf)."""
    assert math.isnan(nn.binary_cross_entropy([Value(math.nan)], [1.0]).data)
    assert np.isnan(nn.binary_cross_entropy(Tensor([math.nan]), [1.0]).data)
    for z in (math.inf, -math.inf):
        y = 1.0 if z > 0 else 0.0
        scalar = nn.binary_cross_entropy_with_logits([Value(z)], [y]).data
        tensor = tensor_leaf([z])
        loss = nn.binary_cross_entropy_with_logits(tensor, np.array([y]))
        loss.backward()
        assert math.isnan(scalar) and np.isnan(loss.data)


@pytest.mark.parametrize(
    "loss", [nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits], ids=lambda f: f.__name__
)
def test_binary_cross_entropy_refuses_an_empty_prediction_on_both_engines(loss) -> None:
    with pytest.raises(ValueError, match="empty"):
        loss([], [])
    with pytest.raises(ValueError, match="empty"):
        loss(Tensor(np.zeros(0)), np.zeros(0))
