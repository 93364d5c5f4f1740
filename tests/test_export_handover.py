"""demos.handover: DistributedDataParallel in two processes, the engines' agreement, the CLI.

The distributed test starts two real PyTorch processes (gloo over TCP on 127.0.0.1), as
the demo does, with a tiny float64 network and a time limit: their start-up is most of
this file's time. It checks what makes data-parallel training correct: every process ends
with the same weights, and they are the weights one process gets from the same steps on
the processes' batches taken together (DDP averages the gradients).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing

import nn
from autograd import Tensor
from demos import handover
from demos.trained import network
from nn import export

PROCESSES, BATCH, STEPS, LR = 2, 3, 2, 0.5


def test_two_processes_take_the_steps_of_one_on_their_combined_batches() -> None:
    rng = np.random.default_rng(0)
    model = nn.feedforward(4, [5, 3], "tanh", rng=1, dtype=np.float64)
    x = rng.standard_normal((PROCESSES * BATCH * STEPS, 4))
    labels = rng.integers(0, 3, len(x))

    run = handover.train_distributed(
        export.to_torch(model),
        x,
        labels,
        processes=PROCESSES,
        batch_size=BATCH,
        lr=LR,
        shuffle=False,
        timeout=120,
    )

    assert run.steps == STEPS and len(run.states) == PROCESSES
    for state in run.states[1:]:  # every process holds the same weights, bit for bit
        for key, value in state.items():
            np.testing.assert_array_equal(value, run.states[0][key])
    # Unshuffled, process r reads examples r, r + 2, r + 4, ...: step s of the two together
    # sees the 6 consecutive examples 6s .. 6s + 5. The reference: chaingrad, one process.
    optimizer = nn.optim.SGD(model.parameters(), lr=LR)
    together = PROCESSES * BATCH
    for step in range(STEPS):
        batch = slice(step * together, (step + 1) * together)
        loss = nn.cross_entropy(model(Tensor(x[batch])), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    expected = export.to_torch_state_dict(model, numpy=True)
    moved = export.to_torch_state_dict(nn.feedforward(4, [5, 3], "tanh", rng=1), numpy=True)
    for key, value in expected.items():
        assert np.max(np.abs(value - moved[key])) > 1e-3  # the steps changed the weights
        np.testing.assert_allclose(run.states[0][key], value, rtol=0, atol=1e-12)
    # The other way back: PyTorch's weights in chaingrad, as the demo evaluates them.
    back = export.from_torch_state_dict(
        run.states[0], nn.feedforward(4, [5, 3], "tanh", dtype=np.float64)
    )
    np.testing.assert_allclose(back(Tensor(x)).data, model(Tensor(x)).data, atol=1e-12)


def test_pytorch_and_onnx_runtime_agree_with_chaingrad_on_digits(tmp_path: Path) -> None:
    model = network([16], "sigmoid", "ce", seed=3).eval()
    images = np.random.default_rng(0).integers(0, 256, (200, 784), dtype=np.uint8)
    x = nn.datasets.to_float(images)
    labels = np.arange(200) % 10
    path = export.to_onnx(model, tmp_path / "model.onnx", (784,))
    ours, torch_run, onnx_run = handover.compare_engines(model, path, x, labels)
    assert ours.engine == "chaingrad" and ours.max_difference == 0.0
    assert torch_run.engine.startswith("PyTorch") and onnx_run.engine.startswith("ONNX Runtime")
    for agreement in (torch_run, onnx_run):
        assert agreement.max_difference < 1e-5
        assert agreement.same_predictions == 200
        assert agreement.accuracy == ours.accuracy


def test_help_names_the_article_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        handover.main(["--help"])
    assert exit.value.code == 0
    text = capsys.readouterr().out
    assert text.count("一文读懂神经网络") == 1
    assert "DistributedDataParallel" in text or "--processes" in text


@pytest.mark.parametrize(
    "options, message",
    [
        (["--processes", "0"], "--processes 0: must be from 1 to 16"),
        (["--torch-limit", "60000"], "--torch-limit 60000: must be from 1 to 50000"),
        (["--torch-epochs", "0"], "--torch-epochs 0: must be at least 1"),
        (["--epochs", "-1"], "--epochs -1: must be at least 1"),
        (["--batch-size", "0"], "--batch-size 0: must be at least 1"),
        (["--lr", "nan"], "--lr nan: the learning rate must be a finite number above 0"),
        (["--seed", "-3"], "--seed -3: must be from 0 to"),
        (["--timeout", "0"], "--timeout 0: must be a number of seconds above 0"),
        (["--processes", "two"], "argument --processes: invalid int value: 'two'"),
    ],
)
def test_a_bad_option_is_a_usage_error(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit:
        handover.main([*options, "--out", str(tmp_path / "out")])
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.startswith("usage: python -m demos.handover")
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_an_out_that_is_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit) as exit:
        handover.main(["--out", str(tmp_path / "file")])
    assert exit.value.code == 2
    assert "exists and is not a directory" in capsys.readouterr().err


class FakeProcesses:
    """What ``torch.multiprocessing.spawn(..., join=False)`` returns, without processes."""

    def __init__(self, join) -> None:
        self.join, self.processes = join, []


def test_a_process_that_fails_is_reported() -> None:
    def join(timeout: float) -> bool:
        raise torch.multiprocessing.ProcessRaisedException("ValueError: bad input", 1, 4242)

    with pytest.raises(RuntimeError, match="a PyTorch process failed: ValueError: bad input"):
        handover._join(FakeProcesses(join), timeout=60)


def test_a_process_that_crashes_is_reported() -> None:
    def join(timeout: float) -> bool:
        raise torch.multiprocessing.ProcessExitedException("killed", 0, 4242, -6, "SIGABRT")

    with pytest.raises(RuntimeError, match="a PyTorch process failed: killed"):
        handover._join(FakeProcesses(join), timeout=60)


def test_processes_that_take_too_long_are_stopped() -> None:
    with pytest.raises(TimeoutError, match=r"longer than 0\.05 s and were stopped"):
        handover._join(FakeProcesses(lambda timeout: False), timeout=0.05)
