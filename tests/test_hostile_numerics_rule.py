"""Examples of the non-finite rule of :mod:`autograd.numerics` that both engines follow.

The differential fuzz in ``test_hostile_numerics_differential.py`` found each of these; here
each is one readable case.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value

INF = math.inf


def tensor(x: float, shape: tuple[int, ...] = ()) -> Tensor:
    return Tensor(np.full(shape, x, dtype=np.float64), requires_grad=True)


@pytest.fixture
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("engine", [Value, tensor])
def test_minus_infinity_to_the_power_one_half_is_nan_as_a_square_root(engine):
    x = engine(-INF)
    out = x**0.5
    out.backward()
    assert math.isnan(float(out.data))
    assert float(x.grad) == 0.0  # 0.5 · (-inf) ** -0.5 = 0.5 · 0


@pytest.mark.parametrize("engine", [Value, tensor])
def test_minus_zero_to_the_power_one_half_is_minus_zero(engine):
    out = engine(-0.0) ** 0.5
    assert float(out.data) == 0.0 and math.copysign(1.0, float(out.data)) == -1.0


@pytest.mark.parametrize(
    "exponent",
    [0.5, Tensor(0.5), Tensor([0.5]), Tensor([0.5, 0.5])],
    ids=["number", "0-d tensor", "1-element tensor", "array"],
)
def test_tensor_power_one_half_is_the_square_root_for_every_exponent_layout(exponent):
    # NumPy's np.power takes the square root only for a broadcast exponent of 0.5.
    out = Tensor([-INF, -0.0], dtype=np.float64) ** exponent
    assert np.isnan(out.data[0])
    assert out.data[1] == 0.0 and np.signbit(out.data[1])


@pytest.mark.parametrize("shape", [(), (1,), (3,)])
def test_tensor_node_reused_by_several_children_gets_every_contribution(shape):
    # For 0-d arrays NumPy returns a scalar from a + b, which backward then failed to add into
    # in place: n1's second contribution was lost and x.grad came out -0.0.
    x = tensor(0.0, shape)
    n1 = -x
    n2 = n1 + n1
    out = -n2 + n1  # = -n1 = x
    out.backward(np.ones(shape))
    np.testing.assert_array_equal(x.grad, np.ones(shape))
    assert type(x.grad) is np.ndarray and type(n1.grad) is np.ndarray


def test_zero_d_leaf_gradient_stays_an_array_after_two_backward_calls():
    x = tensor(2.0)
    x.backward()
    x.backward()
    assert type(x.grad) is np.ndarray and x.grad == 2.0


@pytest.mark.parametrize("engine", [Value, tensor])
def test_zero_local_derivative_times_an_infinite_gradient_is_nan(engine):
    x = engine(0.0)
    # ∂/∂(x**0) of exp(1000 · x**0) is inf; x**0 is constant, local derivative 0: 0 · inf
    (1000.0 * x**0).exp().backward()
    assert math.isnan(float(x.grad))


@pytest.mark.parametrize("engine", [Value, tensor])
def test_division_gradient_is_the_local_derivative_times_the_upstream_gradient(engine):
    # ∂(1/a)/∂a = -(1/a)/a overflows to -inf at a = -6e-207, and exp(1/a) is 0 there with
    # derivative 0: the gradient is -inf · 0 = nan on both engines.
    a = engine(-6.056e-207)
    (1.0 / a).exp().backward()
    assert math.isnan(float(a.grad))


@pytest.mark.parametrize(
    "build",
    [
        lambda x: (x * x).exp() * 0.0,  # 0 · inf in backward
        lambda x: (x.exp() * x.exp()).log(),  # inf - inf, inf / inf
        lambda x: (x * 1e308 * 1e308).tanh(),  # overflow of the gradient of *
        lambda x: (x**-2.0).sigmoid(),
        lambda x: (x / 0.0).relu() * x.log(),
        lambda x: (x ** Tensor(0.5, dtype=np.float64)) * x,
    ],
)
@pytest.mark.parametrize("point", [0.0, -0.0, INF, -INF, np.nan, 800.0])
def test_tensor_backward_emits_no_numpy_warning(warnings_are_errors, build, point):
    x = tensor(point, (2,))
    build(x).sum().backward()


def test_tensor_sum_and_matmul_overflow_to_inf_without_a_warning(warnings_are_errors):
    x = tensor(1e308, (2,))
    assert x.sum().data == INF
    assert (x @ x).data == INF
