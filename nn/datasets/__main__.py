"""Fetch MNIST ahead of time and say where it is cached: ``python -m nn.datasets``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from .cache import CACHE_DIR_ENV, cache_file
from .errors import CacheWarning, DatasetError
from .mnist import mnist


def cache_problem(directory: Path, origin: str) -> str | None:
    """Why the cache cannot be written in ``directory`` (named by ``origin``), in one line;
    None if it can. The directory is created, and a probe file written in it and removed."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(dir=directory, prefix=".probe-", suffix=".tmp")
        os.close(descriptor)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        return f"{origin} {directory}: is not a directory; name a directory for the cache"
    except OSError as error:
        return f"{origin} {directory}: cannot write the cache there: {error.strerror or error}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Load MNIST through the usual sources (filling the cache), print where it lives.

    With ``--refresh`` the cache is not read; it is replaced only by data that was fetched and
    verified. Returns the exit status: 0 on success, 1 if no source worked (the reason goes
    to stderr), 130 on Ctrl-C.

    Raises:
        SystemExit: status 2, before anything is fetched, when the cache directory cannot be
            written or ``--data-dir`` is not a directory (the message names the option).
    """
    parser = argparse.ArgumentParser(
        prog="python -m nn.datasets",
        description="Fetch MNIST ahead of time into the cache (from the first source that "
        "works) and print where it lives. Exit status: 0 on success, 1 if no source worked, "
        "2 for a bad option.",
    )
    parser.add_argument("--data-dir", help="directory with the IDX files or mnist.pkl.gz")
    parser.add_argument(
        "--cache-dir",
        help="cache directory (default: $CHAINGRAD_CACHE_DIR, else $XDG_CACHE_HOME/chaingrad, "
        "else ~/.cache/chaingrad)",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="fetch and verify the data again, then replace the cache with it "
        "(if that fails, the old cache is kept)",
    )
    args = parser.parse_args(argv)

    path = cache_file(args.cache_dir)
    if args.cache_dir is not None:
        origin = "--cache-dir"
    elif os.environ.get(CACHE_DIR_ENV):
        origin = f"${CACHE_DIR_ENV}"
    else:
        origin = "the cache directory"
    # Checked before anything is fetched: the cache is what this command is for.
    problem = cache_problem(path.parent, origin)
    if problem:
        parser.error(problem)
    if args.data_dir is not None and not Path(args.data_dir).expanduser().is_dir():
        parser.error(
            f"--data-dir {args.data_dir}: is not a directory; name the directory that holds "
            "the four MNIST IDX files or mnist.pkl.gz (or leave it out to download)"
        )
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CacheWarning)
            data = mnist(args.data_dir, cache_dir=args.cache_dir, refresh=args.refresh)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.refresh and path.is_file():
            print(f"the cache {path} was kept as it was", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the cache is written atomically: whole or untouched
        print("\ninterrupted", file=sys.stderr)
        return 130
    for warning in caught:  # one line each, as the errors are, not Python's file:line format
        if issubclass(warning.category, CacheWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    seconds = time.perf_counter() - start
    print(
        f"MNIST: {len(data.train_images)} train / {len(data.test_images)} test images "
        f"from {data.source} in {seconds:.1f} s"
    )
    if path.exists():
        print(f"cache: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
