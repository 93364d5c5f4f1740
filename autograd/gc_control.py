"""Pausing Python's garbage collector while graphs are built: ``gc_paused``.

Python frees most objects by reference counting, the moment the last reference goes. Its
*cyclic* garbage collector is for the rest: objects that refer to each other in a loop. It
runs by itself, whenever enough new objects have been allocated, and walks the objects that
survived earlier runs. Building a graph allocates many small objects that all stay alive until
the step ends (a Value and a tuple or two per operation), so the collector runs again and
again during a step, walks the growing graph each time, and finds nothing to free: a graph
has no reference cycles (a node refers to its parents, never back to itself or its children),
so reference counting frees it when the step's last Value goes.

Inside ``with gc_paused():`` (or a function decorated with ``@gc_paused()`` or
``@gc_paused``) the collector does not run; reference counting frees memory as usual. On
micrograd's demo step (benchmarks/scalar_step.py, collector on) this makes code written with
plain ``+`` and ``*`` about 2x faster and ``nn.MLP`` less (fused neurons make fewer
objects): 142 ms to 71 ms, and 39 ms to 28 ms (29 to 25 ms for the step alone, without
freeing its garbage), in the run the README's Speed section shows.
Small graphs (a few hundred nodes a step, as in the XOR demo) gain nothing measurable.

Pause a function that builds the graph, uses it and returns plain numbers (decorate the
training step): the graph is then freed before the pause ends. If the graph is still alive
when the block closes (``loss`` assigned inside a ``with`` block and kept), the first
collection after it walks the whole graph once, which gives back part of the gain.

It is opt-in and explicit because the switch it uses (``gc.disable()``/``gc.enable()``) is
shared by the whole process: while any thread is inside a paused block, the collector is off
in every thread. Keep the blocks to the work that builds graphs (a training step or loop), and
do not pause code that makes cyclic garbage of its own for long, or its memory grows until the
block ends. ``Value.backward`` itself never touches the switch.

Rules for several blocks at once (nested, in several threads, or both):

* one count of open blocks is kept for the whole process, under a lock: the collector is
  switched off when the first block opens and back on when the last one closes, whichever
  thread opened or closes it;
* it is switched back on only if it was on when the first block opened: inside a program that
  runs with ``gc.disable()``, ``gc_paused`` leaves it off;
* closing never switches the collector off: if code inside a block calls ``gc.enable()``, the
  collector runs from then on, and stays on after the block. A ``gc.disable()`` inside a block
  changes nothing (it is already off) and is undone when the last block closes, if the
  collector was on when the first one opened; call ``gc.disable()`` after the block instead.
* an exception leaving a block closes it like a normal exit.

Nothing is collected when a block closes: the garbage a graph leaves has no cycles and is
already freed by then, and an explicit ``gc.collect(0)`` there measured no gain.

``gc.freeze()`` (which moves every object alive at the call out of the collector's sight) is
no substitute: it spares collections the long-lived objects (parameters, data), but here the
time goes into walking the young graph itself. Measured on the same step, it gives about
1.1x on plain ops and nothing on ``nn.MLP``, and adds nothing on top of ``gc_paused``.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from autograd.grad_mode import runs_later

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_open_blocks = 0  # paused blocks open in the whole process, every thread together
_was_enabled = False  # the collector's switch when the first of them opened


def _pause() -> None:
    """Open one paused block: the first one records the switch and turns the collector off."""
    global _open_blocks, _was_enabled
    with _lock:
        if _open_blocks == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _open_blocks += 1


def _resume() -> None:
    """Close one paused block: the last one turns the collector back on if it was on.

    Raises:
        RuntimeError: if no paused block is open (a close without a matching open).
    """
    global _open_blocks
    with _lock:
        if _open_blocks == 0:
            raise RuntimeError(
                "gc_paused: closing a block that was never opened; use `with gc_paused():` "
                "or `@gc_paused()` rather than calling __exit__ by hand"
            )
        _open_blocks -= 1
        if _open_blocks == 0 and _was_enabled:
            gc.enable()


def paused_blocks() -> int:
    """How many ``gc_paused`` blocks are open right now, in all threads together."""
    return _open_blocks


class gc_paused:
    """Python's cyclic garbage collector paused for a block: ``with gc_paused():``.

    Also a decorator: ``@gc_paused()`` or ``@gc_paused`` pauses the collector for each call
    of the function. It affects the whole process (every thread), nests, and is safe to use
    from many threads at once; see :mod:`autograd.gc_control` for the exact rules.

    Raises:
        TypeError: when asked to decorate something that is not a function, or a generator
            or ``async`` function (the pause would cover only the creation of the generator
            or coroutine, not its body; put ``with gc_paused():`` inside the body instead).
    """

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        pause = super().__new__(cls)
        if function is None:
            return pause
        return pause(function)  # used as @gc_paused, without parentheses

    def __enter__(self) -> None:
        _pause()

    def __exit__(self, *exc_info: object) -> None:
        _resume()  # exceptions propagate: the block is closed either way

    def __call__(self, function: F) -> F:
        if not callable(function):
            raise TypeError(
                f"gc_paused() decorates a function, got {type(function).__name__}; "
                "write `with gc_paused():` around a block instead"
            )
        if runs_later(function):
            raise TypeError(
                f"gc_paused() cannot decorate {function.__qualname__}: it is a generator or "
                "async function, so only the creation of its generator or coroutine would be "
                "paused; put `with gc_paused():` inside its body instead"
            )

        @functools.wraps(function)
        def paused(*args: Any, **kwargs: Any) -> Any:
            with gc_paused():
                return function(*args, **kwargs)

        return paused  # type: ignore[return-value]
