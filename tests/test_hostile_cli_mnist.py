"""``python -m demos.mnist`` against bad options and files: refused before any training.

Every bad value, ``--resume`` file or output path is a two-line usage error (status 2) that
comes before the data is even read: the tests replace the data loader with one that fails,
so a refusal that came after training would show. Runs that do train use a few dozen images.
Ctrl-C exits 130 saying where the last checkpoint is.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
from demos import mnist as demo

TINY = ["--limit", "40", "--batch-size", "20", "--quiet", "--no-figures"]
ADVICE_NEVER_GIVEN = ("unsafe", "allow_pickle", "pickle.load", "delete", "remove")


def refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the demo; check it exits 2 with two lines on stderr; return the error line."""
    with pytest.raises(SystemExit) as exit_:
        demo.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("usage: python -m demos.mnist")
    assert not any(advice in err.lower() for advice in ADVICE_NEVER_GIVEN), err
    return lines[1]


BAD_VALUES = {
    "--lr 0": (["--lr", "0"], "--lr 0: the learning rate must be a finite number above 0"),
    "--lr -0.1": (["--lr", "-0.1"], "--lr -0.1: the learning rate must be"),
    "--lr nan": (["--lr", "nan"], "--lr nan: the learning rate must be"),
    "--lr inf": (["--lr", "inf"], "--lr inf: the learning rate must be"),
    "--lr 1e999": (["--lr", "1e999"], "--lr inf: the learning rate must be"),
    "--lr abc": (["--lr", "abc"], "argument --lr: invalid float value: 'abc'"),
    "--momentum 1": (["--momentum", "1"], "--momentum 1: must be at least 0 and below 1"),
    "--momentum -0.5": (["--momentum", "-0.5"], "--momentum -0.5: must be at least 0"),
    "--momentum nan": (["--momentum", "nan"], "--momentum nan: must be"),
    "--momentum with adam": (
        ["--optimizer", "adam", "--momentum", "0.9"],
        "--momentum is for --optimizer sgd",
    ),
    "--weight-decay -1": (["--weight-decay", "-1"], "--weight-decay -1: must be a finite"),
    "--weight-decay inf": (["--weight-decay", "inf"], "--weight-decay inf: must be a finite"),
    "--hidden 0": (["--hidden", "0"], "--hidden 0: every layer size must be at least 1"),
    "--hidden 16 -3": (["--hidden", "16", "-3"], "--hidden 16 -3: every layer size"),
    "--hidden too big": (["--hidden", "100000", "100000"], "more than the 100,000,000"),
    "--seed -1": (["--seed", "-1"], "--seed -1: must be from 0 to 9223372036854775807"),
    "--seed 2**64": (["--seed", str(2**64)], "must be from 0 to 9223372036854775807"),
    "--epochs 0": (["--epochs", "0"], "--epochs 0: must be at least 1"),
    "--epochs -2": (["--epochs", "-2"], "--epochs -2: must be at least 1"),
    "--batch-size 0": (["--batch-size", "0"], "--batch-size 0: must be at least 1"),
    "--limit -5": (["--limit", "-5"], "--limit -5: must be at least 1"),
    "--limit 0": (["--limit", "0"], "--limit 0: must be at least 1"),
    "--steps 0": (["--engine", "scalar", "--steps", "0"], "--steps 0: must be at least 1"),
    "--activation swish": (["--activation", "swish"], "argument --activation: invalid choice"),
    "--loss hinge": (["--loss", "hinge"], "argument --loss: invalid choice"),
    "--optimizer rmsprop": (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice"),
    "--engine gpu": (["--engine", "gpu"], "argument --engine: invalid choice"),
    "--hidden (nothing)": (["--hidden"], "argument --hidden: expected at least one argument"),
    "--checkpoint with --engine scalar": (
        ["--engine", "scalar", "--checkpoint", "c.npz"],
        "--checkpoint and --resume are for --engine tensor",
    ),
    "--override-hyperparameters without --resume": (
        ["--override-hyperparameters"],
        "--override-hyperparameters applies only with --resume FILE",
    ),
    "an unknown option": (["--learning-rate", "0.1"], "unrecognized arguments: --learning-rate"),
    "--dropout with --engine scalar": (
        ["--engine", "scalar", "--dropout", "0.2", "--shift", "1"],
        "--dropout, --shift: not for --engine scalar",
    ),
    "--evaluate with training options": (
        ["--evaluate", "README.md", "--hidden", "32", "--lr", "0.1"],
        "takes the network from the file and trains nothing: leave out --hidden, --lr",
    ),
    "--dropout 1": (["--dropout", "1"], "--dropout 1: must be at least 0 and below 1"),
    "--shift 5": (["--shift", "5"], "--shift 5: must be from 0 to 4 pixels"),
    "--validation 60000": (["--validation", "60000"], "--validation 60000: must be from 0"),
    "--threads -1": (["--threads", "-1"], "--threads -1: must be 0 (one per core) or more"),
    "--schedule linear": (["--schedule", "linear"], "argument --schedule: invalid choice"),
    "--momentum with adamw": (
        ["--optimizer", "adamw", "--momentum", "0.9"],
        "--momentum is for --optimizer sgd",
    ),
}


@pytest.mark.parametrize("case", BAD_VALUES, ids=list(BAD_VALUES))
def test_a_bad_value_is_a_two_line_usage_error_before_any_training(case, no_data, capsys):
    argv, message = BAD_VALUES[case]
    assert message in refusal(capsys, [*TINY, *argv])


# ------------------------------------------------------------------ --resume files


def write_resume_file(kind: str, directory: Path) -> Path:
    """A file (or other thing) that is not a checkpoint this demo can resume from."""
    path = directory / f"{kind}.npz"
    if kind == "json":
        path.write_text(json.dumps({"epoch": 3, "lr": 0.5}))
    elif kind == "pickle":
        path.write_bytes(pickle.dumps({"epoch": 3}))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "npy":
        np.save(path.with_suffix(".npy"), np.arange(3))
        path.with_suffix(".npy").rename(path)
    elif kind == "zip header only":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    elif kind == "foreign npz":
        np.savez(path, weights=np.zeros(3))
    elif kind == "text zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "not arrays")
    elif kind == "other network":
        model = nn.feedforward(784, [8, 10], "sigmoid", rng=0)
        nn.save(model, path, nn.optim.SGD(model.parameters(), lr=0.5), epoch=0)
    elif kind == "no demo metadata":
        model = nn.feedforward(784, [16, 10], "sigmoid", rng=0)
        nn.save(model, path, nn.optim.SGD(model.parameters(), lr=0.5))
    elif kind == "string epoch":
        model = nn.feedforward(784, [16, 10], "sigmoid", rng=0)
        history = {key: np.zeros(1) for key in demo.HISTORY}
        nn.save(model, path, nn.optim.SGD(model.parameters(), lr=0.5), epoch="one", **history)
    elif kind == "damaged member":  # a checkpoint of this demo, with its weights damaged
        model = nn.feedforward(784, [16, 10], "sigmoid", rng=0)
        history = {key: np.zeros(1) for key in demo.HISTORY}
        options = demo.hyperparameters(demo.parse_args([*TINY, "--epochs", "2"]))
        recorded = {f"option_{name}": np.array(value) for name, value in options.items()}
        nn.save(model, path, epoch=0, best_epoch=0, **history, **recorded)
        data = bytearray(path.read_bytes())
        data[2000:2100] = bytes(byte ^ 0xFF for byte in data[2000:2100])
        path.write_bytes(bytes(data))
    elif kind == "object array":
        np.savez(path, format=np.array([{"code": "run me"}], dtype=object))
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    return path


RESUME_FILES = {
    "missing": "no such file",
    "json": "not a checkpoint",
    "pickle": "not a checkpoint",
    "empty": "not a checkpoint",
    "npy": "not a checkpoint",
    "zip header only": "not a checkpoint",
    "foreign npz": "not a chaingrad checkpoint",
    "text zip": "not a chaingrad checkpoint",
    "damaged member": "cannot read it (damaged or truncated?): Bad CRC-32",
    "object array": "declares dtype object",
    "other network": "not one written by python -m demos.mnist --checkpoint",
    "no demo metadata": "not one written by python -m demos.mnist --checkpoint",
    "string epoch": "not one written by python -m demos.mnist --checkpoint",
    "directory": "is a directory; name a file",
    "fifo": "is not a regular file; name a file",
}


@pytest.mark.parametrize("kind", RESUME_FILES)
def test_a_resume_file_that_is_not_a_fitting_checkpoint_is_refused_and_kept(
    kind, tmp_path, no_data, capsys
):
    path = write_resume_file(kind, tmp_path)
    before = path.read_bytes() if path.is_file() else None
    message = refusal(capsys, [*TINY, "--epochs", "2", "--resume", str(path)])
    assert RESUME_FILES[kind] in message
    assert str(path) in message
    if before is not None:
        assert path.read_bytes() == before


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-epoch checkpoint of the demo on 40 images (SGD, batch 20, the defaults else)."""
    path = tmp_path_factory.mktemp("run") / "run.npz"
    demo.main([*TINY, "--epochs", "1", "--checkpoint", str(path)])
    return path


CHANGED_OPTIONS = {
    "--lr": (["--lr", "0.1"], "--lr 0.5", "--lr 0.1"),
    "--batch-size": (["--batch-size", "10"], "--batch-size 20", "--batch-size 10"),
    "--loss": (["--loss", "mse", "--lr", "0.5"], "--loss ce", "--loss mse"),
    "--activation": (["--activation", "relu"], "--activation sigmoid", "--activation relu"),
    "--optimizer": (["--optimizer", "adam", "--lr", "0.5"], "--optimizer sgd", "--optimizer adam"),
    "--momentum": (["--momentum", "0.9"], "--momentum 0", "--momentum 0.9"),
    "--weight-decay": (["--weight-decay", "1e-4"], "--weight-decay 0", "--weight-decay 0.0001"),
    "--seed": (["--seed", "7"], "--seed 0", "--seed 7"),
    "--limit": (["--limit", "30"], "--limit 40", "--limit 30"),
}


@pytest.mark.parametrize("option", CHANGED_OPTIONS)
def test_resume_with_another_option_is_refused_naming_both_values(
    option, checkpoint, no_data, capsys
):
    argv, saved, given = CHANGED_OPTIONS[option]
    message = refusal(capsys, [*TINY, "--epochs", "2", "--resume", str(checkpoint), *argv])
    assert f"was trained with {saved}, not {given}" in message
    assert "--override-hyperparameters" in message


def test_resume_with_other_hidden_sizes_is_refused_naming_both_shapes(checkpoint, capsys):
    argv = [*TINY, "--epochs", "2", "--resume", str(checkpoint), "--hidden", "32"]
    assert "has shape (784, 16), expected (784, 32)" in refusal(capsys, argv)


def test_resume_with_another_dropout_is_refused_naming_it_then_continues_if_overridden(
    checkpoint, capsys
):
    argv = [*TINY, "--epochs", "2", "--resume", str(checkpoint), "--dropout", "0.3"]
    assert "was trained with --dropout 0, not --dropout 0.3" in refusal(capsys, argv)
    # Dropout layers move the weights' positions: they are still loaded, by layer.
    result = demo.main([*argv, "--override-hyperparameters"])
    assert len(result["train_loss"]) == 2


def test_resume_from_the_best_file_says_to_use_the_checkpoint_beside_it(tmp_path, capsys):
    path = tmp_path / "run.npz"
    demo.main([*TINY, "--epochs", "1", "--checkpoint", str(path)])
    capsys.readouterr()
    argv = [*TINY, "--epochs", "2", "--resume", str(tmp_path / "run.best.npz")]
    message = refusal(capsys, argv)
    assert "holds only the network of the epoch chosen on validation" in message
    assert "resume from the checkpoint beside it (run.npz)" in message


def test_resume_with_no_epochs_left_to_train_is_refused(checkpoint, no_data, capsys):
    message = refusal(capsys, [*TINY, "--epochs", "1", "--resume", str(checkpoint)])
    assert "already holds 1 epoch(s); pass --epochs 2 or more" in message


@pytest.mark.parametrize(
    "option", ["--lr", "--batch-size", "--optimizer", "--activation", "--momentum", "--seed"]
)
def test_override_hyperparameters_continues_with_the_new_options(option, checkpoint, capsys):
    argv, _, _ = CHANGED_OPTIONS[option]
    result = demo.main(
        [*TINY, "--epochs", "2", "--resume", str(checkpoint), *argv, "--override-hyperparameters"]
    )
    assert len(result["train_loss"]) == 2
    out = capsys.readouterr().out
    assert "resumed from" in out
    # SGD's velocities fit neither Adam nor momentum-free SGD: that optimizer starts afresh.
    assert ("the optimizer starts afresh" in out) == (option in ("--optimizer", "--momentum"))


def test_the_override_flag_is_documented_in_help(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--help"])
    assert "--override-hyperparameters" in capsys.readouterr().out


def test_a_checkpoint_records_the_options_it_was_trained_with(checkpoint):
    model = nn.feedforward(784, [16, 10], "sigmoid", rng=0)
    metadata = nn.load(model, checkpoint)
    assert metadata["option_lr"] == 0.5
    assert metadata["option_batch_size"] == 20
    assert metadata["option_loss"] == "ce"
    assert list(metadata["option_hidden"]) == [16]


# ------------------------------------------------------------------ output paths


@pytest.mark.parametrize("option", ["--checkpoint", "--json"])
def test_an_output_file_under_a_regular_file_is_refused_before_training(
    option, tmp_path, no_data, capsys
):
    (tmp_path / "file").write_text("mine")
    message = refusal(capsys, [*TINY, option, str(tmp_path / "file" / "run.npz")])
    assert f"{tmp_path / 'file'} is not a directory" in message
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.parametrize("option", ["--checkpoint", "--json", "--resume"])
def test_a_directory_is_refused_as_a_file(option, tmp_path, no_data, capsys):
    message = refusal(capsys, [*TINY, "--epochs", "2", option, str(tmp_path)])
    assert f"{option} {tmp_path}: is a directory; name a file" in message


def test_a_fifo_is_refused_as_the_checkpoint(tmp_path, no_data, capsys):
    os.mkfifo(tmp_path / "run.npz")
    message = refusal(capsys, [*TINY, "--checkpoint", str(tmp_path / "run.npz")])
    assert "is not a regular file" in message


def test_the_json_file_may_not_be_the_checkpoint(tmp_path, no_data, capsys):
    path = str(tmp_path / "run.npz")
    message = refusal(capsys, [*TINY, "--checkpoint", path, "--json", path])
    assert "is also the --checkpoint file" in message


def test_a_figure_directory_that_is_a_file_is_refused(tmp_path, no_data, capsys):
    (tmp_path / "figures").write_text("mine")
    argv = ["--limit", "40", "--quiet", "--out", str(tmp_path / "figures")]
    assert "exists and is not a directory" in refusal(capsys, argv)


def test_the_checkpoint_directory_is_created_and_probed_leaving_no_probe(tmp_path, capsys):
    path = tmp_path / "new" / "dir" / "run.npz"
    demo.main([*TINY, "--epochs", "1", "--checkpoint", str(path)])
    # The run's state, and the best network on validation beside it: no probe left over.
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.best.npz", "run.npz"]


def test_a_failed_checkpoint_write_is_reported_and_training_goes_on(monkeypatch, tmp_path, capsys):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nn, "save", disk_full)
    result = demo.main([*TINY, "--epochs", "2", "--checkpoint", str(tmp_path / "run.npz")])
    assert len(result["train_loss"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the checkpoint" in err and "No space left on device" in err


def test_missing_data_is_a_message_with_status_1_not_a_traceback(monkeypatch):
    def offline():
        raise nn.datasets.DataUnavailableError("MNIST is not cached and the network is down")

    monkeypatch.setattr(nn.datasets, "mnist", offline)
    with pytest.raises(SystemExit) as exit_:
        demo.main(TINY)
    assert (
        exit_.value.code
        == "python -m demos.mnist: error: MNIST is not cached and the network is down"
    )


# ------------------------------------------------------------------ Ctrl-C


def interrupt_epoch(monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    """Make the ``number``-th epoch of the run (counting from 1) raise KeyboardInterrupt."""
    real_train_epoch, calls = demo.train_epoch, []

    def train_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise KeyboardInterrupt
        return real_train_epoch(*args, **kwargs)

    monkeypatch.setattr(demo, "train_epoch", train_epoch)


def test_ctrl_c_exits_130_naming_the_last_checkpoint(monkeypatch, tmp_path, capsys):
    path = tmp_path / "run.npz"
    interrupt_epoch(monkeypatch, 2)
    with pytest.raises(SystemExit) as exit_:
        demo.main([*TINY, "--epochs", "3", "--checkpoint", str(path)])
    assert exit_.value.code == 130
    err = capsys.readouterr().err.strip()
    assert err == f"interrupted: the last checkpoint is {path} (after epoch 1)"
    model = nn.feedforward(784, [16, 10], "sigmoid", rng=0)
    assert nn.load(model, path)["epoch"] == 0


def test_ctrl_c_without_a_checkpoint_says_there_is_none(monkeypatch, capsys):
    interrupt_epoch(monkeypatch, 1)
    with pytest.raises(SystemExit) as exit_:
        demo.main([*TINY, "--epochs", "2"])
    assert exit_.value.code == 130
    assert "interrupted: no checkpoint was saved" in capsys.readouterr().err


def test_ctrl_c_before_a_new_checkpoint_names_the_resumed_one(monkeypatch, checkpoint, capsys):
    interrupt_epoch(monkeypatch, 1)
    with pytest.raises(SystemExit) as exit_:
        demo.main([*TINY, "--epochs", "3", "--resume", str(checkpoint)])
    assert exit_.value.code == 130
    assert f"the last checkpoint is {checkpoint} (after epoch 1)" in capsys.readouterr().err


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_to_the_program_exits_130_after_saying_where_the_checkpoint_is(tmp_path):
    path = tmp_path / "run.npz"
    command = [sys.executable, "-m", "demos.mnist", *TINY, "--epochs", "100000"]
    with subprocess.Popen(
        [*command, "--checkpoint", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell that starts a job in the background (as CI may start us) makes it ignore
        # SIGINT, and the child would inherit that: give it the default a terminal gives.
        preexec_fn=_default_sigint,
    ) as process:
        try:
            for line in process.stdout:
                if line.startswith("epoch  2 "):  # so epoch 1's checkpoint is written
                    break
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert f"interrupted: the last checkpoint is {path} (after epoch" in err


def test_the_program_gives_the_usage_error_on_stderr_with_status_2(tmp_path):
    command = [sys.executable, "-m", "demos.mnist", "--lr", "nan", "--out", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "usage: python -m demos.mnist [options]  (see --help)",
        "python -m demos.mnist: error: --lr nan: the learning rate must be a finite number "
        "above 0 (e.g. 0.1)",
    ]
    assert result.stdout == ""


@pytest.mark.parametrize("option", ["--checkpoint", "--json", "--resume", "--out"])
def test_a_name_too_long_for_the_file_system_is_refused_before_training(
    option, tmp_path, no_data, capsys
):
    argv = ["--limit", "40", "--quiet", "--epochs", "2", option, str(tmp_path / ("a" * 300))]
    assert "File name too long" in refusal(capsys, argv)


def test_a_checkpoint_name_too_long_for_the_temporary_file_is_refused_before_training(
    tmp_path, no_data, capsys
):
    # 250 characters fit, but the atomic writer's ".<name>.XXXXXXXX.tmp" does not.
    message = refusal(capsys, [*TINY, "--checkpoint", str(tmp_path / ("b" * 250))])
    assert "File name too long" in message
    assert list(tmp_path.iterdir()) == []


def test_results_that_cannot_be_written_after_training_say_where_the_checkpoint_is(
    monkeypatch, tmp_path
):
    def disk_full(path, data):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(demo, "write_json", disk_full)
    path, results = tmp_path / "run.npz", tmp_path / "result.json"
    with pytest.raises(SystemExit) as exit_:
        demo.main([*TINY, "--epochs", "1", "--checkpoint", str(path), "--json", str(results)])
    assert exit_.value.code == (
        f"python -m demos.mnist: error: cannot write {results}: No space left on device; "
        f"the last checkpoint is {path} (after epoch 1)"
    )
