"""``autograd.gc_paused``: the cyclic collector paused for a block, safely nested and threaded.

The collector's switch is one for the whole process, so the contract is about that switch:
it is off while any paused block is open (in any thread), and when the last block closes it
is what it was when the first one opened, unless code inside switched it on.
"""

from __future__ import annotations

import gc
import threading

import pytest
from gc_counting import counting_collections

import autograd
from autograd import Value, gc_paused
from autograd.gc_control import paused_blocks

TIMEOUT = 10


@pytest.fixture(autouse=True)
def collector_restored():
    """Put the collector back as it was, whatever the test did to it."""
    was_enabled = gc.isenabled()
    yield
    assert paused_blocks() == 0, "a test left a paused block open"
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def test_it_is_exported_by_the_package() -> None:
    assert autograd.gc_paused is gc_paused
    assert "gc_paused" in autograd.__all__


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_off_inside_and_as_before_after(enabled: bool) -> None:
    gc.enable() if enabled else gc.disable()
    with gc_paused():
        assert not gc.isenabled()
        x = Value(2.0)
        (x * x + x).backward()
    assert x.grad == 5.0
    assert gc.isenabled() == enabled


def test_nested_blocks_switch_it_back_on_only_when_the_outermost_closes() -> None:
    gc.enable()
    with gc_paused():
        with gc_paused():
            assert paused_blocks() == 2
        assert not gc.isenabled()  # the inner close leaves the outer block paused
        assert paused_blocks() == 1
    assert gc.isenabled()


def test_one_instance_can_be_entered_several_times() -> None:
    gc.enable()
    pause = gc_paused()
    with pause:
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_exception_inside_closes_the_block_and_propagates() -> None:
    gc.enable()
    with pytest.raises(ZeroDivisionError), gc_paused():
        Value(1.0).data / 0.0  # float division raises; the engine's own ops give inf
    assert gc.isenabled()
    assert paused_blocks() == 0


def test_gc_enable_inside_a_block_is_respected_after_it() -> None:
    gc.disable()
    with gc_paused():
        gc.enable()  # the program wants the collector on from now on
    assert gc.isenabled()


def test_gc_disable_inside_a_block_is_undone_if_it_was_on_before() -> None:
    # Documented: the switch is already off inside, so the call changes nothing; the last
    # close switches the collector back on because it was on when the block opened.
    gc.enable()
    with gc_paused():
        gc.disable()
    assert gc.isenabled()


@pytest.mark.parametrize("with_parentheses", [True, False])
def test_a_decorated_function_runs_with_the_collector_paused(with_parentheses: bool) -> None:
    def step(x: float) -> tuple[bool, float]:
        y = Value(x)
        (y * y).backward()
        return gc.isenabled(), y.grad

    decorated = gc_paused()(step) if with_parentheses else gc_paused(step)
    gc.enable()
    assert decorated(3.0) == (False, 6.0)
    assert gc.isenabled()
    assert decorated.__name__ == "step"


def test_a_decorated_function_that_raises_closes_its_block() -> None:
    @gc_paused
    def fails() -> None:
        raise ValueError("inside")

    gc.enable()
    with pytest.raises(ValueError, match="inside"):
        fails()
    assert gc.isenabled()


def test_a_decorated_recursive_function_nests() -> None:
    seen: list[int] = []

    @gc_paused()
    def depth(n: int) -> int:
        seen.append(paused_blocks())
        return 0 if n == 0 else 1 + depth(n - 1)

    gc.enable()
    assert depth(3) == 3
    assert seen == [1, 2, 3, 4]
    assert gc.isenabled()


def test_generator_and_async_functions_are_refused_with_the_fix() -> None:
    def batches():
        yield 1

    async def step():
        return 1

    async def stream():
        yield 1

    for function in (batches, step, stream):
        with pytest.raises(TypeError, match=r"put `with gc_paused\(\):` inside its body"):
            gc_paused(function)
    with pytest.raises(TypeError, match="decorates a function, got int"):
        gc_paused()(3)


def test_closing_a_block_that_was_never_opened_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="never opened"):
        gc_paused().__exit__(None, None, None)


def _in_order(steps: list[tuple[str, str]], enabled_before: bool) -> list[bool]:
    """Two threads open and close paused blocks in the order ``steps`` gives.

    Each step is (thread, "open" or "close"); the threads take turns through events, so the
    order is exact. Returns the collector's switch seen after every step.
    """
    gc.enable() if enabled_before else gc.disable()
    turns = {name: threading.Event() for name in ("a", "b")}
    done = threading.Event()
    seen: list[bool] = []
    errors: list[BaseException] = []
    position = [0]

    def hand_on() -> None:
        seen.append(gc.isenabled())
        position[0] += 1
        if position[0] == len(steps):
            done.set()
        else:
            turns[steps[position[0]][0]].set()

    def worker(name: str) -> None:
        pause = gc_paused()
        try:
            for thread, action in steps:
                if thread != name:
                    continue
                assert turns[name].wait(TIMEOUT)
                turns[name].clear()
                pause.__enter__() if action == "open" else pause.__exit__(None, None, None)
                hand_on()
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            done.set()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    turns[steps[0][0]].set()
    assert done.wait(TIMEOUT)
    for thread in threads:
        thread.join(TIMEOUT)
    assert not errors, errors
    return seen


INTERLEAVED = [("a", "open"), ("b", "open"), ("a", "close"), ("b", "close")]
CROSSED = [("a", "open"), ("b", "open"), ("b", "close"), ("a", "close")]


@pytest.mark.parametrize("steps", [INTERLEAVED, CROSSED], ids=["interleaved", "crossed"])
def test_two_threads_leave_it_on_only_when_both_have_closed(steps) -> None:
    assert _in_order(steps, enabled_before=True) == [False, False, False, True]


@pytest.mark.parametrize("steps", [INTERLEAVED, CROSSED], ids=["interleaved", "crossed"])
def test_two_threads_leave_it_off_if_it_was_off_before(steps) -> None:
    assert _in_order(steps, enabled_before=False) == [False, False, False, False]


def test_many_threads_at_once_leave_the_switch_as_it_was() -> None:
    gc.enable()
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def train() -> None:
        try:
            start.wait(TIMEOUT)
            for _ in range(200):
                with gc_paused():
                    x = Value(1.5)
                    (x * x).backward()
                    assert x.grad == 3.0
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=train) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not failures, failures
    assert paused_blocks() == 0
    assert gc.isenabled()


def test_no_collection_runs_while_a_graph_is_built_inside() -> None:
    with counting_collections() as collections, gc_paused():
        x = Value(1.0)
        y = x
        for _ in range(20_000):  # ~40,000 tracked objects: dozens of collections if on
            y = y * 1.0001
        y.backward()
        during = list(collections)
    assert x.grad > 1.0
    assert during == []
    assert gc.isenabled()
