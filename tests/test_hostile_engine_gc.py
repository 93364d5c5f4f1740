"""``Value.backward`` leaves Python's garbage collector switch to the program.

The switch (``gc.enable()`` / ``gc.disable()``) is shared by every thread. Backward does not
touch it, so what other code sets while a backward pass runs is what stays set.
"""

import gc
import threading

import pytest
from gc_counting import counting_collections

from autograd import Value, topological_order

TIMEOUT = 10


class _CallsBackWhenVisited(Value):
    """A leaf that runs ``on_visit`` when backward asks for its parents (a hook into backward)."""

    __slots__ = ("on_visit",)

    @property
    def parents(self):
        self.on_visit()
        return ()

    @parents.setter
    def parents(self, value):  # Value.__init__ sets it; a leaf's parents stay ()
        pass


@pytest.fixture
def collector_restored():
    """Put the collector back as it was, whatever the test did to it."""
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def _graph_that_calls(on_visit):
    leaf = _CallsBackWhenVisited(2.0)
    leaf.on_visit = on_visit
    return leaf * Value(3.0) + Value(1.0)


@pytest.mark.usefixtures("collector_restored")
def test_collector_disabled_by_another_thread_during_backward_stays_disabled():
    inside_backward = threading.Event()
    disabled = threading.Event()

    def wait_for_the_other_thread():
        if not inside_backward.is_set():
            inside_backward.set()
            assert disabled.wait(TIMEOUT)

    gc.enable()
    root = _graph_that_calls(wait_for_the_other_thread)
    worker = threading.Thread(target=root.backward)
    worker.start()
    assert inside_backward.wait(TIMEOUT)
    gc.disable()  # this thread wants the collector off from now on
    disabled.set()
    worker.join(TIMEOUT)
    assert not worker.is_alive()
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
@pytest.mark.parametrize("switch", ["enable", "disable"])
def test_collector_switched_during_backward_stays_as_switched(switch):
    gc.enable() if switch == "disable" else gc.disable()
    root = _graph_that_calls(getattr(gc, switch))
    root.backward()
    assert gc.isenabled() == (switch == "enable")


@pytest.mark.usefixtures("collector_restored")
@pytest.mark.parametrize("enabled", [True, False])
def test_backward_leaves_the_collector_as_it_found_it(enabled):
    gc.enable() if enabled else gc.disable()
    x = Value(2.0)
    (x * x + x).backward()
    assert x.grad == 5.0
    assert gc.isenabled() == enabled


def test_the_graph_walk_gives_the_collector_nothing_to_collect(collector_restored) -> None:
    # Without a pause, a deep graph stays cheap only if the walk allocates no tracked object
    # per node: each allocation counts toward a collection, and collections over a big graph
    # are what made long chains slow.
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    with counting_collections() as collections:
        order = topological_order(y)
    assert len(order) == 100_001  # one node per "+ 1.0": the number is no node
    assert len(collections) <= 2, f"{len(collections)} collections during the walk"
