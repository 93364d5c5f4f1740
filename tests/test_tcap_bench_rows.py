"""The MNIST benchmark's compiled row trains exactly as the uncompiled row, and is reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import mnist_epoch


@pytest.mark.parametrize("workload", ["A-ce", "A-mse", "B"])
def test_the_compiled_peer_gives_the_uncompiled_losses_bit_for_bit(workload: str) -> None:
    spec = mnist_epoch.WORKLOADS[workload]
    state = mnist_epoch.initial_state(spec.sizes, seed=3)
    plain, plain_predict = mnist_epoch.make_ours(spec, state)
    compiled, compiled_predict = mnist_epoch.make_ours_compiled(spec, state)
    assert compiled.compile_seconds > 0
    rng = np.random.default_rng(0)
    for rows in (spec.batch_size, spec.batch_size, 7):  # the last batch of an epoch is smaller
        x = rng.random((rows, spec.sizes[0]), dtype=np.float32)
        labels = rng.integers(0, spec.sizes[-1], rows)
        assert compiled(x, labels) == plain(x, labels)
    x = rng.random((5, spec.sizes[0]), dtype=np.float32)
    assert np.array_equal(compiled_predict(x), plain_predict(x))


def test_a_tiny_run_reports_the_compiled_row_and_its_compile_time(tmp_path: Path, capsys) -> None:
    out = tmp_path / "mnist.json"
    tiny = ["--epochs", "2", "--limit", "200", "--workloads", "A-mse"]
    mnist_epoch.main([*tiny, "--peers", "ours", "ours-compiled", "--json", str(out)])
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())

    outcome = report["threads"]["1"]["A-mse"]
    compiled, plain = outcome["peers"]["ours-compiled"], outcome["peers"]["ours"]
    assert compiled["train_loss"] == plain["train_loss"]  # the same numbers, every epoch
    assert compiled["compile_seconds"] > 0 and plain["compile_seconds"] is None
    assert report["compiled"] == {"A-mse": compiled["compile_seconds"]}
    assert set(outcome["ratios"]) == {"ours-compiled/ours step", "ours-compiled/ours epoch"}
    assert "ours-compiled/ours" in printed and "compile (capture)" in printed
