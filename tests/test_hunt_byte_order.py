"""Big-endian data: a gradient keeps its Tensor's dtype, byte order included, also when
backward adds into a gradient that is already there."""

import numpy as np

from autograd import Tensor

BIG_ENDIAN = np.dtype(">f4")


def test_a_leaf_gradient_accumulated_over_two_backward_calls_keeps_big_endian_dtype():
    x = Tensor(np.arange(3.0).astype(BIG_ENDIAN), requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    loss.backward()  # adds into the gradient of the first call
    assert x.grad.dtype == BIG_ENDIAN
    np.testing.assert_array_equal(x.grad, [0.0, 4.0, 8.0])


def test_a_leaf_gradient_accumulated_into_a_big_endian_zero_d_gradient_stays_an_array():
    x = Tensor(np.array(2.0, dtype=BIG_ENDIAN), requires_grad=True)
    loss = x * x
    loss.backward()
    loss.backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == BIG_ENDIAN
    assert x.grad == 8.0


def test_a_big_endian_leaf_backpropagated_from_twice_keeps_its_dtype():
    x = Tensor(np.arange(3.0).astype(BIG_ENDIAN), requires_grad=True)
    x.backward(np.ones(3))
    x.backward(np.ones(3))  # the seed is added to the gradient already there
    assert x.grad.dtype == BIG_ENDIAN
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_a_big_endian_view_in_the_graph_sums_its_two_gradients_in_its_dtype():
    x = Tensor(np.arange(3.0).astype(BIG_ENDIAN), requires_grad=True)
    view = x.reshape(3)  # views of x's array: big-endian too
    first, second = view.reshape(3), view.reshape(3)
    assert view.dtype == first.dtype == BIG_ENDIAN
    # view's gradient: first's (shared, a view of it), then second's added to it
    (first + second * 3.0).sum().backward()
    assert view.grad.dtype == BIG_ENDIAN
    np.testing.assert_array_equal(view.grad, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(x.grad, [4.0, 4.0, 4.0])
