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
    """
    order: list[Any] = []
    visited = {id(root)}  # ids of nodes already pushed; all of them stay alive during the walk
    # Each stack entry is a node and an iterator over its parents that still need a visit.
    stack = [(root, iter(root.parents))]
    while stack:
        node, pending_parents = stack[-1]
        for parent in pending_parents:
            if id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:  # every parent is already in ``order``: the node can follow them
            stack.pop()
            order.append(node)
    return order
