"""softmax_cross_entropy on an empty batch: the mean of no losses is nan, as the unfused
``-logits.log_softmax()[rows, labels].mean()`` gives it, without a NumPy warning; the
gradient is empty."""

import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor, softmax_cross_entropy


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("classes", [4, 1])
def test_cross_entropy_of_an_empty_batch_is_nan_without_a_warning(dtype, classes):
    logits = Tensor(np.zeros((0, classes), dtype=dtype), requires_grad=True)
    labels = np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = softmax_cross_entropy(logits, labels)
        loss.backward()
    assert loss.dtype == dtype and loss.shape == ()
    assert np.isnan(loss.item())
    assert logits.grad.shape == (0, classes) and logits.grad.dtype == dtype


def test_cross_entropy_of_an_empty_batch_matches_the_unfused_expression():
    logits = Tensor(np.zeros((0, 3)), requires_grad=True)
    labels = np.zeros(0, dtype=np.int64)
    unfused = -logits.log_softmax()[np.arange(0), labels].mean()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fused = nn.cross_entropy(logits, labels)
    assert np.isnan(unfused.item()) and np.isnan(fused.item())
