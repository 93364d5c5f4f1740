"""Graph traversal shared by both engines (scalar ``Value`` and NumPy ``Tensor``).

A node is any object with a ``parents`` attribute: the ordered tuple of nodes it was
computed from (empty for inputs and parameters). Backpropagation needs the nodes in an
order where every node comes after all of its parents; the reverse of that order visits a
node only once every node computed from it has handed its gradient back.

The walk is iterative (an explicit stack, no recursion), so a chain of a million nodes is
as easy as a chain of ten.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar


def topological_order(root: Any) -> list[Any]:
    """Return every node reachable from ``root``, each after all of its parents.

    ``root`` is last. Each node appears once, however many times it is reused. The order
    is deterministic: parents are visited in the order they were recorded.

    Nodes must hash by identity (neither Value nor Tensor defines ``__eq__``).

    ``Value.backward`` (unless watched, see :func:`watching_backward`) orders its graph
    with a walk of its own, ``autograd.value._computed_nodes``: the same order without the
    leaves, found without a set (it marks the nodes it places in their gradients).
    """
    order: list[Any] = []
    placed: set[Any] = set()  # nodes already in ``order``
    # A depth-first walk with an explicit stack. The node on top is placed once all of its
    # parents are; until then its parents not yet placed go on the stack above it (the first
    # parent on top, so it is placed first) and are dealt with first. A node pushed twice
    # (by two of its children) is skipped when met again after it was placed. Only nodes go
    # on the stack, no (node, state) pairs: a walk that allocates nothing per node gives
    # Python's garbage collector nothing to count, so a million-node graph triggers no
    # collections over it.
    stack = [root]
    pop, push, place, mark = stack.pop, stack.append, order.append, placed.add
    while stack:
        node = stack[-1]
        parents = node.parents
        count = len(parents)
        if count == 1:  # functions, and operations with a number: unrolled
            parent = parents[0]
            if parent not in placed:
                push(parent)
                continue
        elif count == 2:  # binary operations, most nodes: unrolled
            first, second = parents
            waiting = False
            if second not in placed:
                push(second)
                waiting = True
            if first not in placed:
                push(first)
                waiting = True
            if waiting:
                continue
        elif count:
            waiting = False
            for parent in reversed(parents):
                if parent not in placed:
                    push(parent)
                    waiting = True
            if waiting:
                continue
        pop()  # every parent is placed (or this is a leaf)
        if node not in placed:
            mark(node)
            place(node)
    return order


# -------------------------------------------------------------------- watching the sweep


class BackwardObserver(Protocol):
    """What ``backward()`` tells an observer installed with :func:`watching_backward`.

    Both engines call ``visit(node)`` when the reverse sweep reaches a node (its ``grad`` is
    then final: every node computed from it has handed its share back), and
    ``passed(node, parent, local, contribution)`` right after ``contribution`` was added into
    ``parent.grad``. For a Value, ``local`` is ∂node/∂parent and ``contribution`` is
    ``local * node.grad``; for a Tensor the backward rule gives the contribution directly and
    ``local`` is None. A parent used twice is passed to twice, and its ``grad`` grows.
    """

    def visit(self, node: Any) -> None: ...

    def passed(self, node: Any, parent: Any, local: Any, contribution: Any) -> None: ...


class _Watch(threading.local):
    observer: BackwardObserver | None = None  # each thread's own; None: nobody watches


_WATCH = _Watch()

_Observer = TypeVar("_Observer", bound=BackwardObserver)


@contextlib.contextmanager
def watching_backward(observer: _Observer) -> Iterator[_Observer]:
    """Report every step of the reverse sweeps run in this block (in this thread) to
    ``observer``; see :class:`BackwardObserver`. Blocks nest: inside another block both
    observers are told, the outer one first.

    The numbers are the real sweep's: ``backward()`` runs the article's loop as written
    (for each node, from the output back: for each parent, ``parent.grad += local * grad``)
    and reports as it goes. Outside such a block backward checks one attribute per call and
    runs as fast as ever. ``autograd.grad`` (which returns gradients rather than storing
    them) is not reported.
    """
    previous = _WATCH.observer
    # Blocks nest: an observer already watching (anomaly mode's checks, say) goes on
    # watching, and is told each step first.
    _WATCH.observer = observer if previous is None else _Both(previous, observer)
    try:
        yield observer
    finally:
        _WATCH.observer = previous


class _Both:
    """Two observers of one sweep, the one installed first told first."""

    __slots__ = ("first", "second")

    def __init__(self, first: BackwardObserver, second: BackwardObserver) -> None:
        self.first, self.second = first, second

    def visit(self, node: Any) -> None:
        self.first.visit(node)
        self.second.visit(node)

    def passed(self, node: Any, parent: Any, local: Any, contribution: Any) -> None:
        self.first.passed(node, parent, local, contribution)
        self.second.passed(node, parent, local, contribution)
