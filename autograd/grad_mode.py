"""Switching graph recording off: ``no_grad``.

Inside ``with no_grad():`` (or a function decorated with ``@no_grad()`` or ``@no_grad``)
operations still compute their results, but record no parents, so nothing can be
backpropagated through them and no memory is spent on the graph. Use it for inference
and for optimizer updates.

The switch is per thread, as in PyTorch: ``no_grad()`` in an inference thread leaves a
training thread recording its graph. A new thread starts with recording on.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any


class _GradMode(threading.local):
    enabled = True  # each thread's starting value; setting it changes only that thread's


# Read by every operation of both engines.
GRAD_MODE = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations record the graph (the default)."""
    return GRAD_MODE.enabled


class _GradSwitch(contextlib.ContextDecorator):
    """Sets the grad mode on entry and restores the previous one on exit (re-entrant).

    Used as ``with switch():``, ``@switch()`` or, as in PyTorch, ``@switch`` without the
    parentheses.
    """

    _switch_to: bool

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        switch = super().__new__(cls)
        if function is None:
            return switch
        if not callable(function):
            raise TypeError(
                f"{cls.__name__}() takes no arguments; use `with {cls.__name__}():`, "
                f"`@{cls.__name__}()` or `@{cls.__name__}`, not {cls.__name__}({function!r:.40})"
            )
        cls.__init__(switch)  # not called for us: __new__ returns the decorated function
        return switch(function)

    def __init__(self) -> None:
        # A stack, not one slot: a decorated function may call itself recursively.
        self._previous: list[bool] = []

    def __enter__(self) -> _GradSwitch:
        self._previous.append(GRAD_MODE.enabled)
        GRAD_MODE.enabled = self._switch_to
        return self

    def __exit__(self, *exc_info: object) -> None:
        GRAD_MODE.enabled = self._previous.pop()


class no_grad(_GradSwitch):
    """Context manager and decorator (``@no_grad()`` or ``@no_grad``): record no graph inside.

    >>> from autograd import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents
    ()
    """

    _switch_to = False


class enable_grad(_GradSwitch):
    """Context manager and decorator: record the graph again inside a ``no_grad`` block."""

    _switch_to = True
