"""Graph capture of Tensor steps refuses what it cannot replay, and shows the limit of tracing."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import CaptureError, Tensor, no_grad
from autograd.capture_tensor import MAX_TRACES, capture_tensor

SIZES = (12, 6, 4)


def model_and_batch(rows: int = 8, seed: int = 0):
    model = nn.feedforward(SIZES[0], SIZES[1:], "sigmoid", rng=seed)
    rng = np.random.default_rng(seed)
    x = rng.random((rows, SIZES[0]), dtype=np.float32)
    return model, x, rng.integers(0, SIZES[-1], rows)


def ce_step(model):
    return lambda x, labels: nn.cross_entropy(model(x), labels)


def test_a_partial_last_batch_is_traced_once_more_and_replays_bit_for_bit() -> None:
    model, x, labels = model_and_batch()
    twin, _, _ = model_and_batch()
    replay = capture_tensor(ce_step(model), model.parameters(), (x, labels))
    for rows in (5, 8, 5):  # the epoch's last, smaller batch, then a full one, then again
        _, x, labels = model_and_batch(rows, seed=rows)
        for p, q in zip(model.parameters(), twin.parameters()):
            p.grad = q.grad = None
        expected = ce_step(twin)(x, labels)
        expected.backward()
        assert replay(x, labels) == float(expected.data)
        for p, q in zip(model.parameters(), twin.parameters()):
            assert p.grad.tobytes() == q.grad.tobytes()
    assert replay.traces == 2


def test_without_retrace_a_new_shape_is_refused_naming_both() -> None:
    model, x, labels = model_and_batch()
    replay = capture_tensor(ce_step(model), model.parameters(), (x, labels), retrace=False)
    _, x5, labels5 = model_and_batch(5)
    with pytest.raises(CaptureError, match=r"float32 \(8, 12\).*called with float32 \(5, 12\)"):
        replay(x5, labels5)
    with pytest.raises(CaptureError, match=r"traced with 2 input\(s\), called with 1"):
        replay(x)


def branchy_step(model):
    """Python control flow on the data: which op runs depends on the batch's numbers."""

    def step(x, labels):
        logits = model(x)
        if x.mean() > 0.5:  # decided once, at the trace
            logits = logits.tanh()
        return nn.cross_entropy(logits, labels)

    return step


def test_data_dependent_control_flow_is_frozen_at_the_trace() -> None:
    # The documented limit, as torch.jit.trace and jax.jit: the replay follows the branch the
    # trace took, whatever the new numbers say.
    model, x, labels = model_and_batch()
    bright, dark = x * 0 + 0.9, x * 0 + 0.1
    replay = capture_tensor(branchy_step(model), model.parameters(), (bright, labels))
    traced_branch = nn.cross_entropy(model(dark).tanh(), labels)
    other_branch = branchy_step(model)(dark, labels)
    assert replay(dark, labels) == float(traced_branch.data)
    assert replay(dark, labels) != float(other_branch.data)


def test_check_retraces_and_names_the_first_node_that_differs() -> None:
    model, x, labels = model_and_batch()
    bright, dark = x * 0 + 0.9, x * 0 + 0.1
    replay = capture_tensor(branchy_step(model), model.parameters(), (bright, labels), check=True)
    replay(bright * 0.99, labels)  # the same branch: fine
    with pytest.raises(CaptureError, match=r"node 7 was op 'tanh' of nodes \[6\]") as caught:
        replay(dark, labels)
    assert "is now op 'softmax_cross_entropy'" in str(caught.value)
    assert "control flow that depends on the data" in str(caught.value)


def test_check_finds_a_constant_that_changed_such_as_a_dropout_mask() -> None:
    model, x, labels = model_and_batch()
    dropout = nn.Dropout(0.5, rng=0)
    step = lambda x, labels: nn.cross_entropy(dropout(model(x)), labels)  # noqa: E731
    replay = capture_tensor(step, model.parameters(), (x, labels), check=True)
    with pytest.raises(CaptureError, match=r"a constant float32 array of shape \(8, 4\)"):
        replay(x, labels)


def test_an_op_the_replay_does_not_know_is_refused_at_capture_naming_it() -> None:
    model, x, labels = model_and_batch()

    def step(x, labels):
        logits = model(x)
        return nn.cross_entropy(logits - logits.max(axis=1, keepdims=True), labels)

    with pytest.raises(CaptureError, match=r"cannot replay op 'max' \(node 7.*the replay knows"):
        capture_tensor(step, model.parameters(), (x, labels))


def test_labels_converted_inside_the_step_are_refused() -> None:
    # A copy of the labels in another dtype reaches the loss, not the labels given: the
    # labels given at the next call would be ignored. Refused, with the fix.
    model, x, labels = model_and_batch()
    step = lambda x, labels: nn.cross_entropy(model(x), labels.astype(np.int32))  # noqa: E731
    with pytest.raises(CaptureError, match=r"input 1 \(int64 \(8,\)\) does not reach the graph"):
        capture_tensor(step, model.parameters(), (x, labels))


def test_an_input_converted_to_another_dtype_is_refused() -> None:
    model, x, labels = model_and_batch()
    pixels = (x * 255).astype(np.uint8)
    with pytest.raises(CaptureError, match=r"input 0 \(uint8 \(8, 12\)\).*by identity"):
        capture_tensor(ce_step(model), model.parameters(), (pixels, labels))


def test_a_leaf_that_requires_grad_must_be_a_parameter() -> None:
    model, x, labels = model_and_batch()
    extra = Tensor(np.zeros(SIZES[-1], dtype=np.float32), requires_grad=True)
    step = lambda x, labels: nn.cross_entropy(model(x) + extra, labels)  # noqa: E731
    with pytest.raises(CaptureError, match="requires grad but is not among the parameters"):
        capture_tensor(step, model.parameters(), (x, labels))
    capture_tensor(step, [*model.parameters(), extra], (x, labels))  # given: fine


def test_steps_that_record_no_graph_or_return_no_loss_are_refused() -> None:
    model, x, labels = model_and_batch()
    with no_grad(), pytest.raises(CaptureError, match="grad mode is off"):
        capture_tensor(ce_step(model), model.parameters(), (x, labels))
    with pytest.raises(TypeError, match="returned float, not a Tensor"):
        capture_tensor(lambda x, y: ce_step(model)(x, y).item(), model.parameters(), (x, labels))
    with pytest.raises(CaptureError, match=r"shape \(8, 4\); return a one-element loss"):
        capture_tensor(lambda x, y: model(x), model.parameters(), (x, labels))


def test_inputs_must_be_arrays_and_parameters_tensors() -> None:
    model, x, labels = model_and_batch()
    with pytest.raises(TypeError, match=r"example_inputs\[1\] is a list"):
        capture_tensor(ce_step(model), model.parameters(), (x, labels.tolist()))
    with pytest.raises(TypeError, match="parameters must be Tensors, got ndarray"):
        capture_tensor(ce_step(model), [x], (x, labels))
    replay = capture_tensor(ce_step(model), model.parameters(), (x, labels))
    with pytest.raises(TypeError, match=r"inputs\[1\] is a list"):
        replay(x, labels.tolist())


def test_a_replay_that_does_not_reproduce_the_engine_is_refused_at_capture(monkeypatch) -> None:
    # The capture replays the traced batch and compares with the engine before returning:
    # a forward kernel that computes other numbers than its op (here tanh, one ulp off) is
    # caught there, and nothing is captured.
    from autograd import capture_tensor as module

    def off_by_an_ulp(node, labels) -> None:
        data = np.tanh(node.parents[0].data)
        node._data = np.nextafter(data, np.inf, dtype=data.dtype)

    monkeypatch.setitem(module._FORWARD, "tanh", off_by_an_ulp)
    model, x, labels = model_and_batch()
    step = lambda x, labels: nn.cross_entropy(model(x).tanh(), labels)  # noqa: E731
    with pytest.raises(CaptureError, match=r"replay does not reproduce .* bit for bit"):
        capture_tensor(step, model.parameters(), (x, labels))


def test_at_most_max_traces_graphs_are_kept_and_every_batch_size_still_replays():
    model = nn.feedforward(4, [3, 2], "sigmoid", rng=0)

    def step(x, labels):
        return nn.cross_entropy(model(x), labels)

    rng = np.random.default_rng(0)
    replay = capture_tensor(step, model.parameters(), (np.ones((1, 4)), np.zeros(1, int)))
    for size in [*range(2, MAX_TRACES + 4), 1]:
        x = rng.random((size, 4)).astype(np.float32)
        labels = rng.integers(0, 2, size)
        assert replay(x, labels) == float(step(x, labels).data)
        assert replay.traces <= MAX_TRACES
    assert replay.traces == MAX_TRACES
