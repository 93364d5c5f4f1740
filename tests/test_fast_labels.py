"""check_labels, the per-batch label check of the fused losses: every integer dtype's range
is checked by arithmetic on its item size, without looking the range up per batch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd.tensor_fused as fused
from autograd.tensor_fused import check_labels

SIGNED = [np.int8, np.int16, np.int32, np.int64]
UNSIGNED = [np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.fixture
def no_iinfo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any call of np.iinfo from the checks fail the test."""

    def refuse(dtype: object) -> None:
        raise AssertionError(f"np.iinfo({dtype}) was called")

    monkeypatch.setattr(fused.np, "iinfo", refuse)


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED)
def test_labels_in_range_pass_without_looking_up_the_dtype_range(no_iinfo, dtype) -> None:
    labels = np.array([0, 9, 3], dtype=dtype)
    assert np.array_equal(check_labels(labels, (3, 10)), labels)


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED)
def test_a_label_equal_to_the_class_count_is_refused(no_iinfo, dtype) -> None:
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        check_labels(np.array([0, 10, 3], dtype=dtype), (3, 10))


@pytest.mark.parametrize("dtype", SIGNED)
def test_a_negative_label_is_refused(no_iinfo, dtype) -> None:
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\).*from -1 to 3"):
        check_labels(np.array([0, -1, 3], dtype=dtype), (3, 10))


def test_a_negative_int8_label_is_refused_with_more_classes_than_int8_holds(no_iinfo) -> None:
    # 200 classes exceed int8's 127: seen as uint8, -1 (255) would pass as a class index
    # below 200 were both ends not checked separately.
    labels = np.array([5, -1], dtype=np.int8)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 200\)"):
        check_labels(labels, (2, 200))
    assert np.array_equal(check_labels(np.array([5, 127], dtype=np.int8), (2, 200)), [5, 127])


@pytest.mark.parametrize("dtype", [">i2", ">i8", ">u4"])
def test_big_endian_labels_are_checked_and_returned_native(no_iinfo, dtype) -> None:
    labels = check_labels(np.array([1, 2], dtype=dtype), (2, 3))
    assert labels.dtype.isnative and labels.tolist() == [1, 2]
    with pytest.raises(ValueError, match="labels must be in"):
        check_labels(np.array([1, 3], dtype=dtype), (2, 3))


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED + [">i4", ">u8"])
def test_cross_entropy_finds_each_rows_label_the_same_for_every_integer_dtype(dtype) -> None:
    # The loss picks row i's label as element i·classes + label of the flattened logits;
    # that index is int64 whatever the labels' dtype (uint64 included).
    from autograd import Tensor, softmax_cross_entropy

    rng = np.random.default_rng(3)
    logits = rng.standard_normal((6, 5)).astype(np.float32)
    labels = np.array([4, 0, 2, 2, 1, 3])
    expected = -np.log(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))
    x = Tensor(logits, requires_grad=True)
    loss = softmax_cross_entropy(x, labels.astype(dtype))
    loss.backward()
    assert float(loss.data) == pytest.approx(expected[np.arange(6), labels].mean(), rel=1e-6)
    onehot = np.eye(5, dtype=np.float32)[labels]
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(x.grad, (softmax - onehot) / 6, atol=1e-7)


def test_cross_entropy_of_transposed_logits_subtracts_each_rows_label() -> None:
    # A transposed array makes Fortran-ordered results; the rule subtracts 1/batch at each
    # row's label through a flattened view, which must be a view of the gradient itself.
    from autograd import Tensor, softmax_cross_entropy

    columns = np.zeros((3, 2))
    x = Tensor(columns, requires_grad=True)
    loss = softmax_cross_entropy(x.T, np.array([0, 1]))
    loss.backward()
    # ∂L/∂logits = (softmax − onehot)/2 with softmax = ½ everywhere; x.grad is its transpose.
    expected = (np.full((2, 3), 1 / 3) - np.eye(2, 3)) / 2
    assert np.allclose(x.grad, expected.T, atol=1e-12)
    assert float(loss.data) == pytest.approx(np.log(3))


@pytest.mark.parametrize("rows", [0, 2])
def test_a_prediction_without_classes_is_refused_by_name(rows: int) -> None:
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: .*no classes"):
        check_labels(np.zeros(rows, np.int64), (rows, 0), "softmax_cross_entropy")
