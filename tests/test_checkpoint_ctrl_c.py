"""A Ctrl-C while a checkpoint is being written lands once the file is whole."""

from __future__ import annotations

import signal

import numpy as np
import pytest

import nn
from autograd.files import ctrl_c_deferred
from nn import checkpoint


def test_ctrl_c_in_the_middle_of_serializing_lands_after_the_whole_file(tmp_path, monkeypatch):
    model = nn.feedforward(4, [3, 2], "sigmoid", rng=0)
    path = tmp_path / "run.npz"
    real_savez = np.savez

    def interrupted_savez(file, **arrays):
        signal.raise_signal(signal.SIGINT)  # Ctrl-C arrives while the archive is made
        real_savez(file, **arrays)

    monkeypatch.setattr(checkpoint.np, "savez", interrupted_savez)
    with pytest.raises(KeyboardInterrupt):
        nn.save(model, path, epoch=3)
    monkeypatch.setattr(checkpoint.np, "savez", real_savez)
    restored = nn.feedforward(4, [3, 2], "sigmoid", rng=1)
    assert nn.load(restored, path)["epoch"] == 3
    for a, b in zip(model.parameters(), restored.parameters()):
        assert np.array_equal(a.data, b.data)


def test_the_program_s_own_handler_is_put_back_and_told(monkeypatch):
    told = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: told.append(number))
    try:
        with ctrl_c_deferred():
            signal.raise_signal(signal.SIGINT)
            assert told == []  # held back inside the block
        assert told == [signal.SIGINT]
        handler = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert callable(handler) and handler is not signal.default_int_handler


def test_without_a_ctrl_c_the_block_changes_nothing():
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_deferred():
        pass
    assert signal.getsignal(signal.SIGINT) is before
