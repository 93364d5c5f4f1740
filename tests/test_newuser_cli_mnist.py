"""``python -m demos.mnist --evaluate`` names a bad file as ``--resume`` does: option, path, why."""

from __future__ import annotations

import os

from test_hostile_cli_mnist import refusal as error_line

import nn
from demos import mnist as demo


def test_evaluate_with_random_bytes_names_the_option_then_the_file(tmp_path, capsys, no_data):
    junk = tmp_path / "model.npz"
    junk.write_bytes(os.urandom(158))
    message = error_line(capsys, ["--evaluate", str(junk)])
    assert message.startswith(f"python -m demos.mnist: error: --evaluate {junk}: not a checkpoint")


def test_evaluate_and_resume_word_a_damaged_file_alike(tmp_path, capsys, no_data):
    junk = tmp_path / "model.npz"
    junk.write_bytes(b"PK\x03\x04" + bytes(154))
    evaluate = error_line(capsys, ["--evaluate", str(junk)])
    resume = error_line(capsys, ["--resume", str(junk)])
    assert evaluate.split(": not a checkpoint")[0].endswith(f"--evaluate {junk}")
    assert resume.split(": not a checkpoint")[0].endswith(f"--resume {junk}")


def test_steps_without_the_scalar_engine_is_refused_rather_than_ignored(capsys, no_data):
    message = error_line(capsys, ["--steps", "3", "--epochs", "1"])
    assert message.endswith(
        "--steps 3: is for --engine scalar (the steps of its comparison); the Tensor engine "
        "trains for --epochs"
    )


TINY_RUN = ["--limit", "40", "--batch-size", "20", "--validation", "100", "--quiet"]


def test_a_run_resumed_into_another_checkpoint_saves_its_best_network_beside_it(
    tmp_path, monkeypatch
):
    """Epoch 1 stays the best: resumed from first.npz into second.npz, epoch 3 does not
    improve, yet second.best.npz must hold epoch 1's network, so that second.npz can be
    resumed in turn (and read by demos.predict)."""
    accuracies = iter([0.5, 0.4, 0.3, 0.2])
    monkeypatch.setattr(demo, "accuracy_on", lambda model, images, labels: next(accuracies))
    first, second = tmp_path / "first.npz", tmp_path / "second.npz"
    demo.main([*TINY_RUN, "--no-figures", "--epochs", "2", "--checkpoint", str(first)])
    resumed = ["--epochs", "3", "--resume", str(first), "--checkpoint", str(second)]
    demo.main([*TINY_RUN, "--no-figures", *resumed])
    model = demo.build(demo.parse_args(TINY_RUN))[0]
    assert nn.load(model, tmp_path / "second.best.npz")["epoch"] == 0
    best_weights = model.state_dict()
    nn.load(model, tmp_path / "first.best.npz")
    for name, weights in model.state_dict().items():
        assert (weights == best_weights[name]).all()
    result = demo.main([*TINY_RUN, "--no-figures", "--epochs", "4", "--resume", str(second)])
    assert result["best_epoch"] == 1


def test_a_checkpoint_copied_without_its_best_network_says_to_copy_both(
    tmp_path, monkeypatch, capsys
):
    accuracies = iter([0.5, 0.4])
    monkeypatch.setattr(demo, "accuracy_on", lambda model, images, labels: next(accuracies))
    run = tmp_path / "run.npz"
    demo.main([*TINY_RUN, "--no-figures", "--epochs", "2", "--checkpoint", str(run)])
    copy = tmp_path / "elsewhere" / "run.npz"
    copy.parent.mkdir()
    copy.write_bytes(run.read_bytes())
    capsys.readouterr()
    message = error_line(capsys, [*TINY_RUN, "--epochs", "3", "--resume", str(copy)])
    assert f"its best epoch (1) was saved to {tmp_path / 'elsewhere' / 'run.best.npz'}" in message
    assert message.endswith("a checkpoint and its .best.npz go together: copy or move both")
