"""The MNIST benchmark runs end to end in a tiny configuration and reports what it promises.

Nothing here asserts on a time: only that the figures exist, are positive, and are paired
the way the report says, and that PyTorch's hand-written-update row trains as torch.optim does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import mnist_epoch

FIGURES = ("wall_seconds", "loader_seconds", "train_seconds", "step_median_seconds")


def test_ratios_are_paired_per_epoch_then_the_median() -> None:
    # A slow spell in epoch 2 hits both peers; a slow epoch 3 hits only ours.
    results = {
        "ours": {"per_epoch": {"train_seconds": [1.0, 10.0, 3.0]}},
        "numpy": {"per_epoch": {"train_seconds": [1.0, 10.0, 1.0]}},
    }
    # Paired: median(1, 1, 3) = 1, where the ratio of the medians would say 3 / 1.
    assert mnist_epoch.paired_ratio(results, "ours", "numpy", "train_seconds") == 1.0
    assert mnist_epoch.paired_ratio(results, "ours", "torch", "train_seconds") is None


def test_a_tiny_run_writes_every_figure_to_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "mnist.json"
    tiny = ["--epochs", "2", "--limit", "256", "--workloads", "A-ce", "--peers", "ours", "numpy"]
    mnist_epoch.main([*tiny, "--json", str(out)])
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())

    assert report["machine"]["cpu"] and report["machine"]["usable_cores"] >= 1
    assert report["machine"]["python"] and report["machine"]["numpy"] == np.__version__
    assert set(report["peers"]) == {"ours", "numpy"}
    assert "loader" in report["timing"] and report["compiled"] is None
    outcome = report["threads"]["1"]["A-ce"]
    for peer in ("ours", "numpy"):
        figures = outcome["peers"][peer]
        assert figures["steps_per_epoch"] == 8  # 256 digits in batches of 32
        for name in FIGURES:
            assert len(figures["per_epoch"][name]) == 2
            assert figures["median"][name] > 0
        # The loader is timed apart: the steps alone take less than the whole loop.
        assert all(
            train < wall
            for train, wall in zip(
                figures["per_epoch"]["train_seconds"], figures["per_epoch"]["wall_seconds"]
            )
        )
        assert figures["blas_threads"] == {"openblas": 1} or figures["blas_threads"] is None
        assert 0.0 <= figures["test_accuracy"] <= 1.0
    # Same weights, same batches: the same loss, whichever engine computes it.
    assert outcome["peers"]["ours"]["train_loss"] == pytest.approx(
        outcome["peers"]["numpy"]["train_loss"], rel=1e-4
    )
    assert set(outcome["ratios"]) == {"ours/numpy step", "ours/numpy epoch"}
    assert all(value > 0 for value in outcome["ratios"].values())
    assert "ours/numpy" in printed and "compiled rows" in printed


@pytest.mark.parametrize("workload", ["A-mse", "B", "C"])
def test_torch_hand_written_update_trains_as_torch_optim_does(workload: str) -> None:
    spec = mnist_epoch.WORKLOADS[workload]
    state = mnist_epoch.initial_state(spec.sizes, seed=3)
    idiomatic, _ = mnist_epoch.make_torch(spec, state)
    manual, predict = mnist_epoch.make_torch(spec, state, manual_update=True)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.random((16, spec.sizes[0]), dtype=np.float32)
        labels = rng.integers(0, spec.sizes[-1], 16)
        assert manual(x, labels) == pytest.approx(idiomatic(x, labels), rel=1e-5)
    assert predict(x).shape == (16,)


def test_runs_as_a_script_from_any_directory(tmp_path: Path) -> None:
    # ``make bench`` runs ``python benchmarks/mnist_epoch.py``: the parent must find the
    # ``benchmarks`` package and this checkout's engine without ``-m`` or PYTHONPATH.
    script = Path(mnist_epoch.__file__)
    out = tmp_path / "script.json"
    command = [sys.executable, str(script), "--epochs", "1", "--limit", "64"]
    command += ["--workloads", "A-ce", "--peers", "numpy", "--json", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
    assert (
        json.loads(out.read_text())["threads"]["1"]["A-ce"]["peers"]["numpy"]["steps_per_epoch"]
        == 2
    )
