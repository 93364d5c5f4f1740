"""Writing files so that nothing half-written is ever read: one helper, used everywhere.

Checkpoints, the data cache, pictures and results all go through :func:`write_atomically`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one.

    The bytes go to a temporary file in the same directory, which is flushed, fsynced and
    then renamed over ``path`` (``os.replace`` is atomic on POSIX and Windows); the directory
    is fsynced where the platform allows, so the rename survives a crash. Parent directories
    are created. On any error the temporary file is removed and ``path`` is untouched.
    The file is readable by all (0o644), like a file written with ``open``.

    Returns the path written. Raises OSError when the directory cannot be created or written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    # Make the rename itself durable; directories cannot be opened on every platform.
    with contextlib.suppress(OSError, AttributeError):
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return target
