"""Dropout, AdamW and a cosine schedule together in one short training run."""

from __future__ import annotations

import numpy as np

import nn
from autograd import Tensor


def test_a_net_with_dropout_adamw_and_cosine_schedule_learns_xor_and_evaluates_deterministically():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32).repeat(8, axis=0)
    y = np.array([0, 1, 1, 0]).repeat(8)
    net = nn.Sequential(
        nn.Linear(2, 32, rng=0), nn.Tanh(), nn.Dropout(0.1, rng=1), nn.Linear(32, 2, rng=2)
    )
    optimizer = nn.optim.AdamW(net.parameters(), lr=0.05, weight_decay=0.01)
    epochs = 150
    schedule = nn.optim.CosineAnnealingLR(optimizer, T_max=epochs)
    net.train()
    for _ in range(epochs):
        loss = nn.cross_entropy(net(Tensor(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    assert optimizer.lr == 0.0
    # While training, dropout makes two passes differ; in evaluation mode they are equal.
    assert not np.array_equal(net(Tensor(x)).data, net(Tensor(x)).data)
    net.eval()
    logits = net(Tensor(x)).data
    np.testing.assert_array_equal(net(Tensor(x)).data, logits)
    assert np.array_equal(logits.argmax(axis=1), y)
    assert nn.cross_entropy(net(Tensor(x)), y).item() < 0.1
