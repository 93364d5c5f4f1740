"""Switching graph recording off: ``no_grad``.

Inside ``with no_grad():`` (or a function decorated with ``@no_grad()`` or ``@no_grad``)
operations still compute their results, but record no parents, so nothing can be
backpropagated through them and no memory is spent on the graph. Use it for inference
and for optimizer updates. ``enable_grad`` switches recording back on inside.

The switch is per thread, as in PyTorch: ``no_grad()`` in an inference thread leaves a
training thread recording its graph. A new thread starts with recording on. Every form is
safe to use from many threads at once:

* a decorated function saves its caller's mode on its own call stack, so concurrent and
  recursive calls each get their own mode back;
* one instance used in many ``with`` blocks (``switch = no_grad()``, then ``with switch:`` in
  several threads, or nested in one) keeps a separate stack of saved modes per thread;
* a decorated generator function runs its body in the switch's mode, and gives the caller its
  own mode back at every ``yield`` (so ``for batch in loader():`` does not leak the mode into
  the loop body); the same holds for a decorated ``async def`` at every ``await``.

Tasks of one asyncio event loop share their thread's mode: a ``with no_grad():`` block that
spans an ``await`` is seen by the tasks that run meanwhile. Decorate the coroutine function
instead, or keep such blocks free of ``await``.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any


class _GradMode(threading.local):
    # Each thread's starting values; setting them changes only that thread's.
    #
    # ``enabled``: True, operations record the graph; False (inside no_grad()), they do not.
    # Inside autograd.detect_anomaly() it holds that module's marker CHECKING: record the
    # graph, and check each result. Operations read it only while some thread has switched
    # it away from True (see SWITCHED below); every change goes through set_enabled().
    enabled: Any = True
    recording: Any = True  # what "on" means in this thread: what enable_grad() switches to


GRAD_MODE = _GradMode()

# How many threads have ``GRAD_MODE.enabled`` set to anything but True just now (inside
# no_grad() or detect_anomaly()). Reading a thread-local attribute costs several times what
# reading a list item does, and operations are made millions of times: while this count is 0,
# no thread has switched anything, and an operation records its graph without reading its
# thread's mode. Only when some thread has switched does each operation read its own
# thread's mode. (A thread that ends inside no_grad() leaves the count above 0: correct,
# only a little slower.)
SWITCHED = [0]
_switched_lock = threading.Lock()


def set_enabled(mode: Any) -> None:
    """Set this thread's ``GRAD_MODE.enabled`` to ``mode``, keeping :data:`SWITCHED` right.

    Every change of the mode goes through here. The count goes up before a thread leaves
    plain recording and down after it is back, so an operation made in between always
    reads its own thread's mode.
    """
    was_on = GRAD_MODE.enabled is True
    now_on = mode is True
    if was_on and not now_on:
        with _switched_lock:
            SWITCHED[0] += 1
    GRAD_MODE.enabled = mode
    if now_on and not was_on:
        with _switched_lock:
            SWITCHED[0] -= 1


def is_grad_enabled() -> bool:
    """True when operations record the graph (the default)."""
    return GRAD_MODE.enabled is not False  # True, or anomaly mode's (falsy) marker


def _mode(switch_to: bool) -> Any:
    """The value of ``GRAD_MODE.enabled`` that switches recording on or off in this thread."""
    return GRAD_MODE.recording if switch_to else False


def runs_later(function: Callable[..., Any]) -> bool:
    """Whether calling ``function`` returns before its body runs (a generator or async
    function): a decorator that switches something around the call would miss the body."""
    return (
        inspect.isgeneratorfunction(function)
        or inspect.iscoroutinefunction(function)
        or inspect.isasyncgenfunction(function)
    )


class _GradSwitch:
    """Sets the grad mode on entry and restores the previous one on exit.

    Used as ``with switch():``, ``@switch()`` or, as in PyTorch, ``@switch`` without the
    parentheses. See the module docstring for threads, recursion and generators.

    Raises:
        TypeError: when given something other than a function to decorate, or an async
            generator function (whose steps cannot be switched one by one).
    """

    _switch_to: bool

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        switch = super().__new__(cls)
        if function is None:
            return switch
        cls.__init__(switch)  # not called for us: __new__ returns the decorated function
        return switch(function)

    def __init__(self) -> None:
        # One stack of saved modes per thread: the same instance may be entered by several
        # threads at once, and several times in one thread (nested blocks).
        self._saved_per_thread = threading.local()

    def __enter__(self) -> _GradSwitch:
        saved = getattr(self._saved_per_thread, "stack", None)
        if saved is None:
            saved = self._saved_per_thread.stack = []
        saved.append(GRAD_MODE.enabled)
        set_enabled(_mode(self._switch_to))
        return self

    def __exit__(self, *exc_info: object) -> None:
        set_enabled(self._saved_per_thread.stack.pop())

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate ``function``: every call runs in this switch's mode (see the module doc)."""
        name = type(self).__name__
        if not callable(function):
            raise TypeError(
                f"{name}() takes no arguments; use `with {name}():`, "
                f"`@{name}()` or `@{name}`, not {name}({function!r:.40})"
            )
        if inspect.isasyncgenfunction(function):
            raise TypeError(
                f"@{name} cannot decorate the async generator function "
                f"{function.__qualname__}: its mode could not be restored around each step; "
                f"use `with {name}():` inside its body, around code that does not await"
            )
        mode = self._switch_to
        if inspect.isgeneratorfunction(function):

            @functools.wraps(function)
            def generator_in_mode(*args: Any, **kwargs: Any) -> Any:
                return (yield from _step_in_mode(function(*args, **kwargs), mode))

            return generator_in_mode

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def coroutine_in_mode(*args: Any, **kwargs: Any) -> Any:
                return await _AwaitInMode(function(*args, **kwargs), mode)

            return coroutine_in_mode

        @functools.wraps(function)
        def function_in_mode(*args: Any, **kwargs: Any) -> Any:
            previous = GRAD_MODE.enabled  # on this call's stack: safe for threads, recursion
            set_enabled(_mode(mode))
            try:
                return function(*args, **kwargs)
            finally:
                set_enabled(previous)

        return function_in_mode


def _step_in_mode(steps: Any, mode: bool) -> Generator[Any, Any, Any]:
    """Run a generator or coroutine ``steps`` in grad ``mode``, one step at a time.

    Each step (up to the next ``yield``, to a ``send``, ``throw`` or ``close``) runs with the
    mode switched; between steps the caller has its own mode. Values sent, exceptions thrown
    and the return value pass through unchanged, as with ``yield from``.
    """
    sent: Any = None
    thrown: BaseException | None = None
    while True:
        previous = GRAD_MODE.enabled
        set_enabled(_mode(mode))
        try:
            if thrown is None:
                yielded = steps.send(sent)
            else:
                error, thrown = thrown, None
                yielded = steps.throw(error)
        except StopIteration as stop:
            return stop.value
        finally:
            set_enabled(previous)
        try:
            sent = yield yielded
        except GeneratorExit:  # close(): let the body's finally blocks run in the mode
            previous = GRAD_MODE.enabled
            set_enabled(_mode(mode))
            try:
                steps.close()
            finally:
                set_enabled(previous)
            raise
        except BaseException as error:  # throw(): raise it inside the body, in the mode
            sent, thrown = None, error


class _AwaitInMode:
    """An awaitable running a coroutine in a grad mode, switched around each step."""

    def __init__(self, coroutine: Any, mode: bool) -> None:
        self._coroutine = coroutine
        self._mode = mode

    def __await__(self) -> Generator[Any, Any, Any]:
        return _step_in_mode(self._coroutine, self._mode)


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
