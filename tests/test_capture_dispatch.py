"""``autograd.capture`` captures a step on either engine: Values or Tensors."""

from __future__ import annotations

import numpy as np

import nn
from autograd import CapturedStep, CapturedTensorStep, Value, capture


def test_a_step_on_tensors_is_captured_by_the_tensor_capture():
    model = nn.feedforward(4, [3, 2], "sigmoid", rng=0)
    x, labels = np.ones((5, 4), np.float32), np.array([0, 1, 1, 0, 1])

    def step(x, labels):
        return nn.cross_entropy(model(x), labels)

    replay = capture(step, model.parameters(), (x, labels))
    assert isinstance(replay, CapturedTensorStep)
    loss = replay(x, labels)
    assert loss == float(step(x, labels).data)


def test_a_step_on_values_is_compiled_to_straight_line_code():
    w = Value(0.5)
    replay = capture(lambda x: w * x, [w], 2.0)
    assert isinstance(replay, CapturedStep)
    assert replay(3.0) == 1.5
