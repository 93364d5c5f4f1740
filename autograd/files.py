"""Files that are never half-written and never anything but files: two helpers, used everywhere.

Checkpoints, the data cache, pictures and results are written with :func:`write_atomically`;
checkpoints and data files are read through :func:`open_regular_file`, which cannot block on
a FIFO or read a device.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["NotARegularFileError", "ctrl_c_deferred", "open_regular_file", "write_atomically"]


class NotARegularFileError(OSError):
    """The target of a write, or the file to read, exists but is not a regular file.

    A directory, FIFO, device node (``/dev/null``) or socket is never replaced by a file.
    It is an ``OSError``, like every other "cannot write there" error, so code that already
    handles an unwritable path handles this one too.
    """


@contextlib.contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) back until the block has finished, then let it act as usual.

    For short work that must not stop halfway, such as serializing a checkpoint: a
    ``KeyboardInterrupt`` raised inside ``zipfile`` leaves a half-written archive object that
    complains with a traceback when it is collected. Here the block completes, and the
    interrupt is raised again right after it (``KeyboardInterrupt``, or whatever the
    program's own SIGINT handler does). Signals reach only the main thread: in another thread,
    or where SIGINT's handler was not installed from Python, the block simply runs.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield
        return
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            signal.raise_signal(signal.SIGINT)  # now handled as the program had it


def open_regular_file(path: str | os.PathLike[str], *, who: str) -> BinaryIO:
    """Open ``path`` for reading (binary), refusing anything but a regular file.

    The file is opened with ``O_NONBLOCK`` and checked with ``fstat`` on the open descriptor,
    so a FIFO cannot block the caller, a device is never read, and nothing can be swapped in
    between the check and the read. ``who`` names the caller in the message.

    Raises:
        NotARegularFileError: ``path`` is a directory, FIFO, device node or socket.
        OSError: ``path`` cannot be opened (it does not exist, no permission, ...).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except IsADirectoryError:  # Windows cannot open a directory at all
        raise NotARegularFileError(
            errno.EISDIR, f"{who}: {str(path)!r} is a directory, not a regular file"
        ) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFileError(
                f"{who}: {str(path)!r} is {_describe(mode)}, not a regular file; "
                "refusing to read it"
            )
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def write_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one.

    The bytes go to a temporary file in the same directory as the file written, are fsynced,
    and the temporary file is then renamed over it (``os.replace`` is atomic on POSIX and
    Windows); the directory is fsynced too, so the rename survives a crash. Parent directories
    of ``path`` are created.

    - **Symlinks** are followed: the file they finally point to is replaced, and the link stays.
    - **Only regular files are replaced.** A directory, FIFO, device node or socket (also when
      reached through a symlink, such as a link to ``/dev/null``) raises
      :class:`NotARegularFileError` and is left alone.
    - **Permissions**: an existing file keeps its permission bits (a 0600 file stays 0600)
      and, where allowed, its owner and group. A new file gets ``0o666`` minus the umask, as
      with ``open``: the temporary file is created with mode ``0o666`` and the kernel applies
      the process umask itself, so the umask is never read (reading it means setting it, a
      race with other threads creating files).
    - **Errors**: every write, the fsync and the close are checked (a full disk raises
      ``OSError`` with ``ENOSPC``); on any error, or on Ctrl-C, the temporary file is removed
      and the old file is left exactly as it was.

    Replacing a file gives it a new inode, so other hard links to the old file keep the old
    content (as with every atomic writer).

    Returns the path written (``path`` itself, even when it is a symlink).

    Raises:
        NotARegularFileError: ``path`` (or the file a symlink points to) exists and is not a
            regular file. The message names the path and what it is.
        OSError: the directory cannot be created or written, the disk is full, or the data
            could not be flushed to disk; the old file is then untouched. (One late case: if
            the directory cannot be flushed after the rename, the new file is in place and the
            message says it may not survive a crash.)
    """
    requested = Path(path)
    requested.parent.mkdir(parents=True, exist_ok=True)
    # The file actually written: symlinks resolved, so the link itself survives.
    target = Path(os.path.realpath(requested))
    existing = _regular_file_status(requested, target)
    temporary = _write_temporary(target, data, existing)
    try:
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(target.parent)
    return requested


def _regular_file_status(requested: Path, target: Path) -> os.stat_result | None:
    """The status of ``target`` if it is a regular file, None if it does not exist yet.

    Raises NotARegularFileError for anything else that exists there.
    """
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISREG(status.st_mode):
        return status
    kind = _describe(status.st_mode)
    via = "" if target == requested else f" (the symlink points to {str(target)!r})"
    raise NotARegularFileError(
        f"write_atomically: {str(requested)!r} is {kind}{via}, not a regular file; "
        "refusing to replace it. Choose the path of a regular file."
    )


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _write_temporary(target: Path, data: bytes, existing: os.stat_result | None) -> str:
    """Write ``data`` to a new file next to ``target``, fsynced and closed; return its path.

    On any error the temporary file is removed before the error propagates.
    """
    # Private while it is written when it will replace an existing file (the old file's
    # mode is applied below); else 0o666, from which the kernel removes the umask bits.
    create_mode = 0o600 if existing is not None else 0o666
    descriptor, temporary = _create_unique(target, create_mode)
    try:
        try:
            if existing is not None:
                _copy_owner_and_mode(descriptor, existing)
            _write_all(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)  # close can report a deferred write error too
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _create_unique(target: Path, mode: int) -> tuple[int, str]:
    """Create and open a new hidden file ``.<name>.<random>.tmp`` in ``target``'s directory.

    Raises:
        OSError: the file cannot be created (a read-only directory...): the error of that
            kind, naming ``target``, the file asked for, rather than the hidden name.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)  # Windows: no newline translation
    for _ in range(100):
        temporary = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, flags, mode), temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise type(error)(error.errno, error.strerror, str(target)) from None
    raise FileExistsError(
        errno.EEXIST, f"write_atomically: no free temporary name next to {str(target)!r}"
    )


def _copy_owner_and_mode(descriptor: int, existing: os.stat_result) -> None:
    if hasattr(os, "fchown"):
        # Only root may give a file away; others keep their own ownership (as ``cp`` does).
        with contextlib.suppress(PermissionError):
            os.fchown(descriptor, existing.st_uid, existing.st_gid)
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, stat.S_IMODE(existing.st_mode))  # after chown, which clears setuid


def _write_all(descriptor: int, data: bytes) -> None:
    """Write every byte: ``os.write`` may write fewer bytes than asked (a short write)."""
    view = memoryview(data).cast("B")
    written = 0
    while written < len(view):
        count = os.write(descriptor, view[written:])
        if count <= 0:  # never for a regular file that has room, but never loop forever
            raise OSError(errno.EIO, f"write_atomically: write made no progress at byte {written}")
        written += count


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (where the platform and filesystem can sync a directory)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # Windows, or a directory we may write but not read: nothing to sync with
        return
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
            raise OSError(
                error.errno,
                f"write_atomically: {str(directory)!r}: the new file is in place but the "
                f"directory could not be flushed to disk ({error.strerror}); after a crash the "
                "old file may come back",
            ) from error
    finally:
        os.close(descriptor)
