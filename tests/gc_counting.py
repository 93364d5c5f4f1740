"""Counting the garbage collector's collections while a block runs."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def counting_collections() -> Iterator[list[int]]:
    """Switch the collector on, collect once, then list the generation of every collection
    that starts inside the block (the list is filled as they happen)."""
    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.enable()
    gc.collect()
    gc.callbacks.append(count)
    try:
        yield collections
    finally:
        gc.callbacks.remove(count)
