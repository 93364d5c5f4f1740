"""The per-node ops silence NumPy without making an errstate per call, and still give IEEE
results without warnings, restore the caller's error state, and hold in threads."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import autograd.tensor as tensor_module
import nn
from autograd import Tensor


def raising() -> np.errstate:
    """The strictest setting a caller may hold (underflow is NumPy's default: ignored)."""
    return np.errstate(over="raise", invalid="raise", divide="raise")


@pytest.fixture
def no_new_errstate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if an op makes an errstate through the with-statement helper."""

    def refuse(**kwargs: str) -> None:
        raise AssertionError("a new np.errstate was made for one op")

    monkeypatch.setattr(tensor_module, "_quiet", refuse)


def operands() -> tuple[Tensor, Tensor]:
    x = Tensor(np.array([[-1000.0, 0.0, 1e30]], dtype=np.float32), requires_grad=True)
    w = Tensor(np.array([[1e30], [0.0], [1e30]], dtype=np.float32), requires_grad=True)
    return x, w


def test_table_ops_make_no_errstate_per_call(no_new_errstate) -> None:
    x, _ = operands()
    assert x.sigmoid().data.tolist() == [[0.0, 0.5, 1.0]]  # e^1000 overflows: σ = 0
    assert x.exp().data[0, 2] == np.inf


def test_binary_ops_and_matmul_make_no_errstate_per_call(no_new_errstate) -> None:
    x, w = operands()
    assert (x * x).data[0, 2] == np.inf
    assert np.isnan((x * x - x * x).data[0, 2])  # inf - inf
    assert (x @ w).data[0, 0] == np.inf


def test_ops_give_ieee_results_without_warnings_and_restore_the_callers_state() -> None:
    x, w = operands()
    with warnings.catch_warnings(), raising():
        warnings.simplefilter("error")
        values = [x.sigmoid().data, (x * x).data, (x @ w).data]
        with pytest.raises(FloatingPointError):  # the caller's own setting holds again
            np.float32(1e30) * np.float32(1e30)
    assert [v.ravel()[-1] for v in values] == [1.0, np.inf, np.inf]


def test_an_optimizer_step_restores_the_callers_error_state() -> None:
    w = Tensor(np.array([3e38], dtype=np.float32), requires_grad=True)
    optimizer = nn.optim.SGD([w], lr=10.0, momentum=0.5)
    w.grad = np.array([-3e38], dtype=np.float32)
    with warnings.catch_warnings(), raising():
        warnings.simplefilter("error")
        optimizer.step()  # 3e38 + 3e39 overflows: inf, silently
        with pytest.raises(FloatingPointError):
            np.float32(1e30) * np.float32(1e30)
    assert w.data.tolist() == [np.inf]


def test_ops_in_threads_give_the_same_results_without_warnings() -> None:
    x, w = operands()
    expected = [x.sigmoid().data, (x * x).data, (x @ w).data]
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                for _ in range(200):
                    got = [x.sigmoid().data, (x * x).data, (x @ w).data]
                    for a, b in zip(got, expected):
                        np.testing.assert_array_equal(a, b)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
