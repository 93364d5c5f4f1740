"""``gradcheck`` puts its inputs back when ``fn`` raises or the check is interrupted.

The numeric gradient perturbs each input in place (x ± ε); a function that fails on its N-th
call must not leave an input at x + ε or x - ε.
"""

import numpy as np
import pytest

from autograd import Tensor, Value, gradcheck


class FailsOnCall:
    """``sum(x²)``, raising ``error`` on call number ``failing_call`` (counting from 1)."""

    def __init__(self, failing_call, error):
        self.calls = 0
        self.failing_call = failing_call
        self.error = error

    def __call__(self, *inputs):
        self.calls += 1
        if self.calls == self.failing_call:
            raise self.error
        total = inputs[0] * inputs[0]
        for x in inputs[1:]:
            total = total + x * x
        return total.sum() if isinstance(total, Tensor) else total


# gradcheck calls fn once for the output's shape and once for the analytic gradient; the
# numeric passes come after: call 3 is at x + ε, call 4 at x - ε, call 6 on the next element.
NUMERIC_CALLS = [3, 4, 6]


@pytest.mark.parametrize("failing_call", NUMERIC_CALLS)
@pytest.mark.parametrize("error", [RuntimeError("fn failed"), KeyboardInterrupt()])
def test_tensor_inputs_hold_their_numbers_after_fn_raises(failing_call, error):
    start = np.array([0.5, -1.25, 2.0])
    x = Tensor(start.copy(), requires_grad=True)
    fn = FailsOnCall(failing_call, error)
    with pytest.raises(type(error)):
        gradcheck(fn, [x])
    assert fn.calls == failing_call
    np.testing.assert_array_equal(x.data, start)


@pytest.mark.parametrize("failing_call", NUMERIC_CALLS)
@pytest.mark.parametrize("error", [RuntimeError("fn failed"), KeyboardInterrupt()])
def test_value_inputs_hold_their_numbers_after_fn_raises(failing_call, error):
    a, b = Value(0.5), Value(-1.25)
    fn = FailsOnCall(failing_call, error)
    with pytest.raises(type(error)):
        gradcheck(fn, [a, b])
    assert (a.data, b.data) == (0.5, -1.25)


@pytest.mark.parametrize("failing_call", [3, 4])
def test_large_input_checked_along_a_direction_holds_its_numbers_after_fn_raises(failing_call):
    start = np.linspace(-1.0, 1.0, 50)
    x = Tensor(start.copy(), requires_grad=True)
    fn = FailsOnCall(failing_call, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        gradcheck(fn, [x], max_elements=10)
    np.testing.assert_array_equal(x.data, start)


def test_gradients_are_restored_when_fn_raises_in_the_numeric_pass():
    x = Tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    x.grad = np.array([7.0, 8.0])
    with pytest.raises(RuntimeError):
        gradcheck(FailsOnCall(3, RuntimeError("fn failed")), [x])
    np.testing.assert_array_equal(x.grad, [7.0, 8.0])


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"eps": 0.0}, "eps must be positive"),
        ({"eps": -1e-6}, "eps must be positive"),
        ({"eps": float("nan")}, "eps must be positive"),
        ({"atol": -1.0}, "atol must be 0 or positive"),
        ({"rtol": float("inf")}, "rtol must be 0 or positive"),
        ({"max_elements": 0}, "max_elements must be a positive int"),
        ({"max_elements": 2.5}, "max_elements must be a positive int"),
    ],
)
def test_settings_that_make_the_comparison_meaningless_are_refused_before_fn_runs(setting, message):
    fn = FailsOnCall(0, RuntimeError("never raised"))
    with pytest.raises(ValueError, match=message):
        gradcheck(fn, [Value(1.0)], **setting)
    assert fn.calls == 0
