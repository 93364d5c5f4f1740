"""Fetch MNIST ahead of time and say where it is cached: ``python -m nn.datasets``."""

from __future__ import annotations

import argparse
import sys
import time

from .cache import cache_file
from .errors import DatasetError
from .mnist import mnist


def main(argv: list[str] | None = None) -> int:
    """Load MNIST through the usual sources (filling the cache), print where it lives.

    With ``--refresh`` the cache is not read; it is replaced only by data that was fetched and
    verified. Returns the exit status: 0 on success, 1 if no source worked (the reason goes
    to stderr).
    """
    parser = argparse.ArgumentParser(prog="python -m nn.datasets", description=main.__doc__)
    parser.add_argument("--data-dir", help="directory with the IDX files or mnist.pkl.gz")
    parser.add_argument("--cache-dir", help="cache directory (default: ~/.cache/chaingrad)")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="fetch and verify the data again, then replace the cache with it "
        "(if that fails, the old cache is kept)",
    )
    args = parser.parse_args(argv)

    path = cache_file(args.cache_dir)
    start = time.perf_counter()
    try:
        data = mnist(args.data_dir, cache_dir=args.cache_dir, refresh=args.refresh)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.refresh and path.is_file():
            print(f"the cache {path} was kept as it was", file=sys.stderr)
        return 1
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
