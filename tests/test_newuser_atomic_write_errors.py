"""A file the atomic writer cannot create is named in the error as the file asked for.

The writer creates a hidden ``.<name>.<random>.tmp`` next to the target first; a reader of
``PermissionError: ... '/data/.model.npz.3f9a0c.tmp'`` would not know which file failed.
"""

from __future__ import annotations

import errno
import os

import pytest

import nn
from autograd.files import write_atomically

REAL_OPEN = os.open


@pytest.fixture
def read_only_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating a temporary file fails as in a directory without write permission (the tests
    may run as root, whom permission bits do not stop)."""

    def fake_open(path, flags, mode=0o777, *args, **kwargs):
        if str(path).endswith(".tmp") and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return REAL_OPEN(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)


def test_write_atomically_names_the_target_not_its_temporary_file(tmp_path, read_only_directory):
    target = tmp_path / "result.json"
    with pytest.raises(PermissionError) as error:
        write_atomically(target, b"{}")
    assert error.value.filename == str(target)
    assert str(error.value) == f"[Errno {errno.EACCES}] Permission denied: '{target}'"
    assert list(tmp_path.iterdir()) == []


def test_nn_save_into_a_read_only_directory_names_the_checkpoint(tmp_path, read_only_directory):
    path = tmp_path / "model.npz"
    with pytest.raises(PermissionError) as error:
        nn.save(nn.Sequential(nn.Linear(2, 2, rng=0)), path)
    assert error.value.filename == str(path)
    assert list(tmp_path.iterdir()) == []
