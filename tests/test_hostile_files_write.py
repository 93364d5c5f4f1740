"""write_atomically never clobbers what is not a regular file, and never reports a failed write
as a success: symlinks are written through, modes are kept, the umask is honoured, and every
write error leaves the old file intact."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograd.files import NotARegularFileError, write_atomically


def leftovers(directory: Path) -> list[str]:
    """Temporary files the writer left behind (hidden ``.name.*.tmp`` files)."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that sets it."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


# ----------------------------------------------------------------- non-regular targets


def test_a_fifo_is_refused_and_left_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError, match=r"pipe'? is a FIFO .*not a regular file"):
        write_atomically(fifo, b"data")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_a_character_device_is_refused_and_left_a_device(tmp_path: Path) -> None:
    device = tmp_path / "null"
    try:  # the same device as /dev/null, made in tmp_path (root may do this)
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError):
        device.symlink_to(os.devnull)  # not permitted: reach a device through a symlink
    with pytest.raises(NotARegularFileError, match="character device"):
        write_atomically(device, b"data")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_symlink_to_dev_null_is_refused_and_dev_null_is_untouched(tmp_path: Path) -> None:
    link = tmp_path / "out.bin"
    link.symlink_to(os.devnull)
    with pytest.raises(NotARegularFileError, match=r"symlink points to '/dev/null'"):
        write_atomically(link, b"data")
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert leftovers(tmp_path) == []


def test_a_directory_is_refused_and_keeps_its_content(tmp_path: Path) -> None:
    directory = tmp_path / "results"
    directory.mkdir()
    (directory / "keep.txt").write_text("x")
    with pytest.raises(NotARegularFileError, match=r"results'? is a directory"):
        write_atomically(directory, b"data")
    assert (directory / "keep.txt").read_text() == "x"


def test_the_refusal_is_an_os_error_naming_the_path(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as caught:
        write_atomically(fifo, b"data")
    message = str(caught.value)
    assert str(fifo) in message and "Choose the path of a regular file" in message


# ------------------------------------------------------------------------- symlinks


def test_a_symlink_is_kept_and_its_target_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")  # relative, as most links are
    assert write_atomically(link, b"new") == link
    assert link.is_symlink() and os.readlink(link) == "real.txt"
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_a_chain_of_symlinks_into_another_directory_writes_the_final_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    final = tmp_path / "data" / "model.npz"
    final.write_bytes(b"old")
    (tmp_path / "middle").symlink_to(final)
    (tmp_path / "first").symlink_to(tmp_path / "middle")
    write_atomically(tmp_path / "first", b"new")
    assert final.read_bytes() == b"new"
    assert (tmp_path / "first").is_symlink() and (tmp_path / "middle").is_symlink()


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("created.txt")
    write_atomically(link, b"new")
    assert link.is_symlink() and (tmp_path / "created.txt").read_bytes() == b"new"


# ---------------------------------------------------------------------- permissions


def test_an_existing_private_file_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "secret.npz"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write_atomically(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b"new"


def test_an_existing_file_keeps_unusual_mode_bits(tmp_path: Path) -> None:
    path = tmp_path / "script.sh"
    path.write_bytes(b"old")
    path.chmod(0o751)
    write_atomically(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


def test_the_target_of_a_symlink_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.write_bytes(b"old")
    target.chmod(0o640)
    (tmp_path / "link").symlink_to(target)
    write_atomically(tmp_path / "link", b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_an_existing_file_keeps_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "owned"
    path.write_bytes(b"old")
    if os.geteuid() == 0:  # only root can give a file to someone else
        os.chown(path, 4321, 4322)
    before = path.stat()
    write_atomically(path, b"new")
    after = path.stat()
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)


@pytest.mark.parametrize(("mask", "expected"), [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)])
def test_a_new_file_honours_the_umask(
    tmp_path: Path, umask: None, mask: int, expected: int
) -> None:
    os.umask(mask)
    path = tmp_path / "new.txt"
    write_atomically(path, b"data")
    assert stat.S_IMODE(path.stat().st_mode) == expected


def test_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.txt"
    write_atomically(path, b"data")
    assert path.read_bytes() == b"data"


# --------------------------------------------------------------------- write errors


def test_a_full_disk_is_reported_and_the_old_file_is_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.npz"
    path.write_bytes(b"old content")
    real_write = os.write
    calls = []

    def fill_the_disk(descriptor: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:  # the first write goes half through, then the disk is full
            return real_write(descriptor, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", fill_the_disk)
    with pytest.raises(OSError) as caught:
        write_atomically(path, b"x" * 10_000)
    assert caught.value.errno == errno.ENOSPC
    assert len(calls) == 2  # the short write was noticed and the rest attempted
    assert path.read_bytes() == b"old content"
    assert leftovers(tmp_path) == []


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data)[:7]))
    data = bytes(range(256)) * 10
    write_atomically(tmp_path / "f", data)
    assert (tmp_path / "f").read_bytes() == data


def test_a_write_that_makes_no_progress_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    monkeypatch.setattr(os, "write", lambda fd, data: 0)
    with pytest.raises(OSError, match="no progress"):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_a_failed_fsync_is_reported_and_the_old_file_is_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")

    def failing_fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError) as caught:
        write_atomically(path, b"new")
    assert caught.value.errno == errno.EIO
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_ctrl_c_during_the_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")

    def interrupted(descriptor: int, data: bytes) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_the_data_reaches_the_disk_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    write_atomically(tmp_path / "f", b"data")
    assert events == ["fsync", "replace", "fsync"]  # the file, the rename, the directory
