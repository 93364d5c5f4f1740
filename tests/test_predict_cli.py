"""python -m demos.predict on digits drawn here, with a network trained here by demos.mnist.

The network is the demo's own: ``python -m demos.mnist --hidden 64 --epochs 2`` run on the
real MNIST training digits (about a second of training), saved with ``--checkpoint``. The digits
0-9 are typeset by matplotlib in bold DejaVu Sans (its bundled font, so every machine draws
the same pictures) at various sizes and places, dark on light and light on dark, saved as
RGB and greyscale PNGs and JPEGs. Nothing is trained on them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

import autograd
import nn
from demos import predict
from demos.digits import load_digit, mnist_style
from demos.trained import TrainedModelError, build_network, load_trained

ROOT = Path(__file__).resolve().parents[1]

# digit: (figure size in inches, font size, (x, y) in the figure, ink, paper, file kind)
DRAWINGS = {
    0: ((1.6, 1.6), 72, (0.5, 0.5), "black", "white", "rgb.png"),
    1: ((2.5, 1.5), 40, (0.3, 0.6), "white", "black", "grey.png"),
    2: ((2.4, 2.4), 120, (0.5, 0.5), "black", "white", "jpg"),
    3: ((3.0, 2.0), 60, (0.7, 0.4), "white", "black", "rgb.png"),
    4: ((1.8, 1.8), 90, (0.5, 0.5), "black", "white", "grey.png"),
    5: ((2.0, 1.5), 64, (0.4, 0.5), "navy", "#dddddd", "rgb.png"),
    6: ((1.0, 1.0), 30, (0.5, 0.5), "white", "black", "grey.png"),
    7: ((2.0, 3.0), 100, (0.5, 0.3), "black", "white", "rgb.png"),
    8: ((1.5, 1.5), 80, (0.5, 0.5), "white", "#102040", "jpg"),
    9: ((4.0, 1.0), 50, (0.8, 0.5), "black", "white", "grey.png"),
}


def draw_digit(digit: int, directory: Path) -> Path:
    """Typeset ``digit`` as DRAWINGS says and save it in ``directory``; return the path."""
    size, font_size, (x, y), ink, paper, kind = DRAWINGS[digit]
    figure = Figure(figsize=size, dpi=100, facecolor=paper)
    FigureCanvasAgg(figure)
    figure.text(x, y, str(digit), fontsize=font_size, fontweight="bold", family="DejaVu Sans")
    figure.texts[0].set(color=ink, ha="center", va="center")
    figure.canvas.draw()
    pixels = Image.fromarray(np.asarray(figure.canvas.buffer_rgba())).convert("RGB")
    path = directory / f"digit{digit}.{kind}"
    if kind == "grey.png":
        pixels = pixels.convert("L")
    pixels.save(path, **({"quality": 90} if kind == "jpg" else {}))
    return path


def train(path: Path, *options: str) -> Path:
    """Run ``python -m demos.mnist ... --checkpoint path`` as a user would; return the path.

    BLAS gets one thread: a small network's tiny matrix products slow down many times over
    when spread across the busy cores of a shared machine.
    """
    one_thread = {
        name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    command = [sys.executable, "-m", "demos.mnist", *options, "--no-figures", "--quiet"]
    finished = subprocess.run(
        [*command, "--checkpoint", str(path)],
        cwd=ROOT,
        env={**os.environ, **one_thread},
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return path


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train(
        tmp_path_factory.mktemp("trained") / "mnist.npz", "--hidden", "64", "--epochs", "2"
    )


@pytest.fixture(scope="session")
def drawings(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("digits")
    return [draw_digit(digit, directory) for digit in range(10)]


@pytest.fixture(scope="session")
def predictions(checkpoint: Path, drawings: list[Path], tmp_path_factory) -> dict:
    json_path = tmp_path_factory.mktemp("out") / "predictions.json"
    returned = predict.main([str(checkpoint), *map(str, drawings), "--json", str(json_path)])
    return {"returned": returned, "saved": json.loads(json_path.read_text(encoding="utf-8"))}


@pytest.fixture(scope="session")
def data() -> nn.datasets.MNIST:
    return nn.datasets.mnist()


def classify(model: nn.Module, images: np.ndarray) -> np.ndarray:
    with autograd.no_grad():
        return model(autograd.Tensor(nn.datasets.to_float(images))).data.argmax(axis=1)


# ------------------------------------------------------------------------- predictions


def test_at_least_8_of_10_drawn_digits_are_read_correctly(predictions: dict) -> None:
    read = [result["top"][0][0] for result in predictions["returned"]]
    correct = sum(digit == guess for digit, guess in enumerate(read))
    assert correct >= 8, f"read {read} for 0-9"


def test_each_picture_gets_one_line_naming_it_with_its_top_3(
    checkpoint: Path, drawings: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    predict.main([str(checkpoint), *map(str, drawings)])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    share = r"(\d) \((\d{1,3}\.\d)%\)"
    for path, line in zip(drawings, lines):
        match = re.fullmatch(rf"{re.escape(str(path))}: {share}, {share}, {share}", line)
        assert match, line
        percents = [float(match.group(k)) for k in (2, 4, 6)]
        assert percents == sorted(percents, reverse=True) and sum(percents) <= 100.1


def test_the_json_holds_each_picture_with_its_top_3_sorted(
    predictions: dict, drawings: list[Path]
) -> None:
    saved = predictions["saved"]
    assert saved == predictions["returned"]
    assert [entry["image"] for entry in saved] == [str(path) for path in drawings]
    for entry in saved:
        assert set(entry) == {"image", "top"} and len(entry["top"]) == 3
        digits = [digit for digit, _ in entry["top"]]
        shares = [share for _, share in entry["top"]]
        assert len(set(digits)) == 3 and all(isinstance(d, int) and 0 <= d <= 9 for d in digits)
        assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1 + 1e-9


def test_top_10_lists_every_digit_and_sums_to_1(checkpoint: Path, drawings: list[Path]) -> None:
    (result,) = predict.main([str(checkpoint), str(drawings[3]), "--top", "10"])
    assert sorted(digit for digit, _ in result["top"]) == list(range(10))
    assert sum(share for _, share in result["top"]) == pytest.approx(1)


def test_mnist_s_own_test_digits_keep_their_accuracy_through_the_preparation(
    checkpoint: Path, data: nn.datasets.MNIST
) -> None:
    """Prepared as MNIST was made, an MNIST digit stays an MNIST digit."""
    model, _ = load_trained(checkpoint)
    images, labels = data.test_images[:1000], data.test_labels[:1000]
    prepared = np.stack([mnist_style(image.reshape(28, 28) / 255).reshape(-1) for image in images])
    raw = np.mean(classify(model, images) == labels)
    again = np.mean(classify(model, prepared) == labels)
    assert raw >= 0.9 and again >= raw - 0.01


def test_softmax_turns_logits_into_probabilities() -> None:
    logits = np.zeros((1, 10))
    logits[0, 7] = np.log(9.0)  # e^logit: 9 for the 7, 1 for each of the other nine
    shares = predict.probabilities(logits, "ce")
    assert shares[0, 7] == pytest.approx(0.5) and shares[0, 0] == pytest.approx(0.5 / 9)


def test_mse_outputs_are_divided_by_their_sum() -> None:
    sigmoids = np.array([[0.8, 0.4, 0.2, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], np.zeros(10)])
    shares = predict.probabilities(sigmoids, "mse")
    np.testing.assert_allclose(shares[0, :4], [0.5, 0.25, 0.125, 0.125])
    np.testing.assert_allclose(shares[1], np.full(10, 0.1))  # nothing: no digit is favoured


def test_an_mse_network_is_rebuilt_with_sigmoid_outputs_and_its_shares_normalised(
    tmp_path: Path, drawings: list[Path]
) -> None:
    path = train(tmp_path / "mse.npz", "--loss", "mse", "--limit", "3000", "--epochs", "1")
    model, options = load_trained(path)
    assert options["loss"] == "mse" and isinstance(model[len(model) - 1], nn.Sigmoid)
    (result,) = predict.main([str(path), str(drawings[0]), "--top", "10"])
    picture = load_digit(drawings[0])
    with autograd.no_grad():
        outputs = model(autograd.Tensor(nn.datasets.to_float(picture.reshape(1, -1)))).data[0]
    expected = outputs / outputs.sum()
    for digit, share in result["top"]:
        assert share == pytest.approx(expected[digit], rel=1e-6)


# ------------------------------------------------------------------------- load_trained


def test_load_trained_rebuilds_the_network_and_its_options(
    checkpoint: Path, data: nn.datasets.MNIST
) -> None:
    model, options = load_trained(checkpoint)
    assert options["hidden"] == (64,) and options["activation"] == "sigmoid"
    assert options["loss"] == "ce" and options["seed"] == 0
    assert [type(layer) for layer in model] == [nn.Linear, nn.Sigmoid, nn.Linear]
    assert np.mean(classify(model, data.test_images[:2000]) == data.test_labels[:2000]) >= 0.9


def save_with_options(path: Path, model: nn.Module | None = None, **options) -> Path:
    """A checkpoint of ``model`` (784-64-10 by default) recording ``options``."""
    model = model or nn.feedforward(784, [64, 10], "sigmoid", rng=0)
    recorded = {"hidden": [64], "activation": "sigmoid", "loss": "ce", **options}
    metadata = {f"option_{name}": np.array(value) for name, value in recorded.items() if value}
    return nn.save(model, path, **metadata)


def refused(path: Path, pattern: str) -> None:
    with pytest.raises(TrainedModelError, match=pattern):
        load_trained(path)


def test_a_missing_checkpoint_is_refused_by_name(tmp_path: Path) -> None:
    refused(tmp_path / "none.npz", r"none\.npz: no such file$")


def test_a_directory_is_refused_by_name(tmp_path: Path) -> None:
    refused(tmp_path, rf"^{tmp_path}: is a directory; name a checkpoint file$")


def test_a_file_that_is_not_a_checkpoint_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.npz"
    path.write_text("hello\n")
    refused(path, r"notes\.npz: not a checkpoint \(a checkpoint is the \.npz archive that")


def test_an_npz_that_nn_save_did_not_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    refused(path, r"other\.npz: not a chaingrad checkpoint")


def test_a_checkpoint_without_the_demo_s_options_is_refused(tmp_path: Path) -> None:
    path = nn.save(nn.feedforward(784, [64, 10], "sigmoid", rng=0), tmp_path / "bare.npz")
    refused(
        path,
        r"bare\.npz: a chaingrad checkpoint, but it does not record the network's options "
        r"\(option_hidden, option_activation, option_loss\)",
    )


def test_a_truncated_checkpoint_is_refused_as_damaged(checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    path.write_bytes(checkpoint.read_bytes()[:-5000])
    refused(path, r"cut\.npz: (cannot read it \(damaged or truncated\?\)|not a checkpoint)")


def test_a_checkpoint_with_a_corrupt_weight_is_refused_as_damaged(
    checkpoint: Path, tmp_path: Path
) -> None:
    content = bytearray(checkpoint.read_bytes())
    content[len(content) // 3] ^= 0xFF  # inside the first layer's weights
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(content))
    refused(path, r"flipped\.npz: cannot read it \(damaged or truncated\?\)")


def test_a_network_that_diverged_is_refused(tmp_path: Path) -> None:
    model = nn.feedforward(784, [64, 10], "sigmoid", rng=0)
    model[2].bias.data[3] = np.nan
    path = save_with_options(tmp_path / "nan.npz", model)
    refused(path, r"nan\.npz: its weights hold NaN or infinity \(2\.bias\): the training diverged")


def test_options_that_do_not_fit_the_weights_are_refused(tmp_path: Path) -> None:
    path = save_with_options(tmp_path / "misfit.npz", hidden=[32])
    refused(
        path, r"misfit\.npz: damaged: its options describe 25,450 parameters, but it holds 50,890"
    )


def test_weights_of_the_right_count_but_other_shapes_are_refused(tmp_path: Path) -> None:
    # 784-64-10 sigmoid recorded as mse: the same 50,890 weights, but no sigmoid layer 2.
    path = save_with_options(tmp_path / "shapes.npz", hidden=[64], loss="mse")
    model, _ = load_trained(path)  # the sigmoid has no parameters: this one fits
    model_keys = list(model.state_dict())
    assert model_keys == ["0.weight", "0.bias", "2.weight", "2.bias"]
    odd = nn.Sequential(nn.Linear(784, 64), nn.Sigmoid(), nn.Sigmoid(), nn.Linear(64, 10))
    path = save_with_options(tmp_path / "moved.npz", odd)
    refused(path, r"moved\.npz: damaged: its weights do not fit the network its options describe")


def test_options_describing_a_network_larger_than_the_file_are_refused_before_building(
    tmp_path: Path,
) -> None:
    path = save_with_options(tmp_path / "big.npz", hidden=[4000, 4000])
    refused(path, r"big\.npz: damaged: its options describe 19,184,010 parameters, but it holds")


def test_options_describing_a_huge_network_are_refused(tmp_path: Path) -> None:
    path = save_with_options(tmp_path / "huge.npz", hidden=[10**6, 10**6])
    refused(path, r"huge\.npz: damaged: it records a network of [\d,]+ parameters, more than")


@pytest.mark.parametrize(
    ("options", "what"),
    [
        ({"hidden": [0]}, "hidden layer sizes"),
        ({"hidden": [6.5]}, "hidden layer sizes"),
        ({"activation": "swish"}, "the activation 'swish'"),
        ({"loss": "hinge"}, "the loss 'hinge'"),
        ({"dropout": 1.5}, "the dropout 1.5"),
    ],
    ids=["zero-units", "fractional-units", "activation", "loss", "dropout"],
)
def test_options_that_cannot_be_built_are_refused(tmp_path: Path, options: dict, what: str) -> None:
    path = save_with_options(tmp_path / "odd.npz", **options)
    refused(path, rf"odd\.npz: damaged: it records {re.escape(what)}")


def test_an_oversized_option_is_refused_in_a_line_of_its_own(tmp_path: Path) -> None:
    path = save_with_options(tmp_path / "long.npz", activation="s" * 5000)
    with pytest.raises(TrainedModelError) as error:
        load_trained(path)
    assert re.match(r".*long\.npz: damaged: it records the activation 'sss", str(error.value))
    assert len(str(error.value)) < 300


def test_metadata_larger_than_checkpoints_hold_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_with_options(tmp_path / "bloated.npz", activation="s" * 5000)
    monkeypatch.setattr(nn.checkpoint, "MAX_METADATA_BYTES", 4096)
    refused(path, r"bloated\.npz: its metadata declares more than 4096 bytes")


def test_a_recorded_dropout_is_rebuilt_after_each_hidden_activation(tmp_path: Path) -> None:
    """The Dropout layers shift the Linear layers' positions: the weights still load."""
    path = tmp_path / "dropout.npz"
    with_dropout = {"hidden": (32, 16), "activation": "relu", "loss": "ce", "dropout": 0.25}
    network = build_network(path, dict(with_dropout))
    save_with_options(path, network, hidden=[32, 16], activation="relu", dropout=0.25)
    model, options = load_trained(path)
    assert not any(layer.training for layer in model)  # ready to predict: dropout off
    assert [type(layer).__name__ for layer in model] == [
        "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"
    ]  # fmt: skip
    assert options["dropout"] == 0.25
    for key, value in network.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value)


# ------------------------------------------------------------------------- the command line


def usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run predict with ``argv``, expect status 2 and nothing printed; return the error line."""
    with pytest.raises(SystemExit) as exit_:
        predict.main(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    usage, error = captured.err.splitlines()
    assert usage.startswith("usage: python -m demos.predict CHECKPOINT IMAGE...")
    return error


def test_a_missing_picture_is_a_usage_error_naming_it(
    checkpoint: Path, drawings: list[Path], tmp_path: Path, capsys
) -> None:
    argv = [str(checkpoint), str(drawings[0]), str(tmp_path / "gone.png")]
    assert usage_error(capsys, argv).endswith(f"error: IMAGE {tmp_path / 'gone.png'}: no such file")


def test_a_directory_given_as_a_picture_is_a_usage_error_naming_it(
    checkpoint: Path, tmp_path: Path, capsys
) -> None:
    error = usage_error(capsys, [str(checkpoint), str(tmp_path)])
    assert error.endswith(f"IMAGE {tmp_path}: is a directory; name a PNG or JPEG file")


def test_a_file_that_is_not_an_image_is_a_usage_error_naming_it(
    checkpoint: Path, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "seven.png"
    path.write_text("7\n")
    error = usage_error(capsys, [str(checkpoint), str(path)])
    assert error.endswith(f"IMAGE {path}: not a PNG or JPEG image")


def test_a_blank_picture_is_a_usage_error_naming_it(
    checkpoint: Path, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "blank.jpg"
    Image.new("RGB", (120, 90), "white").save(path)
    error = usage_error(capsys, [str(checkpoint), str(path)])
    assert f"IMAGE {path}: no digit found" in error


def test_a_bad_checkpoint_is_a_usage_error_naming_it(
    drawings: list[Path], tmp_path: Path, capsys
) -> None:
    error = usage_error(capsys, [str(drawings[0]), str(drawings[1])])
    assert f"CHECKPOINT {drawings[0]}: not a checkpoint" in error


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--top", "0"], "--top 0: must be from 1 to 10"),
        (["--top", "11"], "--top 11: must be from 1 to 10"),
        (["--top", "three"], "argument --top: invalid int value: 'three'"),
    ],
)
def test_a_bad_top_is_a_usage_error(
    checkpoint: Path, drawings: list[Path], capsys, option: list[str], message: str
) -> None:
    assert usage_error(capsys, [str(checkpoint), str(drawings[0]), *option]).endswith(message)


def test_json_into_a_directory_is_a_usage_error(
    checkpoint: Path, drawings: list[Path], tmp_path: Path, capsys
) -> None:
    error = usage_error(capsys, [str(checkpoint), str(drawings[0]), "--json", str(tmp_path)])
    assert error.endswith(f"--json {tmp_path}: is a directory; name a file")


def test_json_over_an_input_is_a_usage_error(
    checkpoint: Path, drawings: list[Path], capsys
) -> None:
    error = usage_error(capsys, [str(checkpoint), str(drawings[0]), "--json", str(drawings[0])])
    assert error.endswith("is also an input file; name another file for the JSON")
    assert drawings[0].read_bytes()[:4] == b"\x89PNG"  # untouched


def test_a_network_whose_outputs_overflow_is_a_usage_error(
    drawings: list[Path], tmp_path: Path, capsys
) -> None:
    model = nn.feedforward(784, [64, 10], "sigmoid", rng=0)
    for layer in (model[0], model[2]):
        layer.weight.data[...] = 1e37  # finite, but 64 of them sum past float32's 3.4e38
    path = save_with_options(tmp_path / "loud.npz", model)
    error = usage_error(capsys, [str(path), str(drawings[0])])
    assert error.endswith(f"CHECKPOINT {path}: its network's outputs overflow (inf or NaN)")


def test_no_picture_is_a_usage_error(checkpoint: Path, capsys) -> None:
    assert "the following arguments are required: IMAGE" in usage_error(capsys, [str(checkpoint)])


def test_help_names_the_article_and_the_json_format(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        predict.main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert 'From the article "一文读懂神经网络" ("Neural networks in one read").' in text
    assert '[{"image": path, "top": [[digit, probability], ...]}, ...]' in text
    assert "python -m demos.mnist --checkpoint" in text


def test_a_fifo_given_as_the_checkpoint_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_trained(fifo)
        except BaseException as error:
            outcome.append(error)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    loader.join(timeout=20)
    assert not loader.is_alive(), "load_trained blocked on a FIFO"
    assert isinstance(outcome[0], TrainedModelError)
    assert (
        str(outcome[0])
        == f"{fifo}: is not a regular file (a FIFO or device?); name a checkpoint file"
    )
