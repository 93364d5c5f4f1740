"""Graph traversal shared by both engines (scalar ``Value`` and NumPy ``Tensor``).

A node is any object with a ``parents`` attribute: the ordered tuple of nodes it was
computed from (empty for inputs and parameters). Backpropagation needs the nodes in an
order where every node comes after all of its parents; the reverse of that order visits a
node only once every node computed from it has handed its gradient back.

The walk is iterative (an explicit stack, no recursion), so a chain of a million nodes is
as easy as a chain of ten.
"""

from __future__ import annotations

from typing import Any


def topological_order(root: Any) -> list[Any]:
    """Return every node reachable from ``root``, each after all of its parents.

    ``root`` is last. Each node appears once, however many times it is reused. The order
    is deterministic: parents are visited in the order they were recorded.

    Nodes must hash by identity (neither Value nor Tensor defines ``__eq__``).
    """
    order: list[Any] = []
    expanded: set[Any] = set()  # nodes whose parents have been pushed
    # A depth-first walk with an explicit stack. Each entry is (node, done): done=False asks
    # to push the node's parents; done=True, met again once all of them have been placed,
    # places the node itself. A parent cannot still be waiting when its child is placed:
    # that would need a cycle.
    stack = [(root, False)]
    pop, push, place, expand = stack.pop, stack.append, order.append, expanded.add
    while stack:
        node, done = pop()
        if done:
            place(node)
            continue
        if node in expanded:
            continue
        expand(node)
        parents = node.parents
        if not parents:  # a leaf waits for nothing
            place(node)
            continue
        push((node, True))
        # Pushed last, popped first: the first parent is placed first.
        if len(parents) == 2:  # binary ops, most nodes: the loop below, unrolled
            first, second = parents
            if second not in expanded:
                push((second, False))
            if first not in expanded:
                push((first, False))
            continue
        for parent in reversed(parents):
            if parent not in expanded:
                push((parent, False))
    return order
