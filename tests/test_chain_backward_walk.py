"""``Value.backward``'s own walk: the same gradients as the article's loop, for less memory.

Backward orders the graph with a walk of its own (``_computed_nodes``), which marks the nodes
it places by resetting their gradients instead of keeping a set, and walks runs of one-parent
nodes at once. These tests hold it to :func:`topological_order`: the same order (without the
leaves), the same gradients bit for bit, and a smaller peak.
"""

from __future__ import annotations

import gc
import math
import random
import tracemalloc

import pytest
from gc_counting import counting_collections

from autograd import Value, sum_values, topological_order
from autograd.value import _computed_nodes

ONE_PARENT_STEPS = [
    lambda v: v + 1.0,
    lambda v: 2.5 * v,
    lambda v: v.tanh(),
    lambda v: -v,
    lambda v: v**2,
]


def random_graph(seed: int) -> tuple[Value, list[Value]]:
    """A graph mixing every shape the walk treats apart: runs of one-parent nodes (some
    starting from leaves, some from shared nodes, some from sums), binary operations, sums
    of three or more, nodes used several times. Returns the root and every Value made."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1.0, 1.0)) for _ in range(4)]
    for _ in range(rng.randint(5, 40)):
        shape = rng.random()
        if shape < 0.4:  # a run of one-parent nodes, from any node made so far
            node = rng.choice(nodes)
            for _ in range(rng.randint(1, 6)):
                node = rng.choice(ONE_PARENT_STEPS)(node)
                nodes.append(node)
        elif shape < 0.8:
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(a * b if rng.random() < 0.5 else a + b)
        else:
            nodes.append(sum_values(rng.choices(nodes, k=rng.randint(3, 5))))
    root = sum_values(rng.sample(nodes, k=min(3, len(nodes))))
    return root.tanh(), [*nodes, root]


def article_backward(root: Value) -> None:
    """The article's loop, as written: every node in reverse topological order, every
    parent receives local derivative times the node's gradient."""
    order = topological_order(root)
    for node in order:
        if node.parents:
            node.grad = 0.0
    root.grad += 1.0
    for node in reversed(order):
        for parent, local_grad in zip(node.parents, node.local_grads):
            parent.grad += local_grad * node.grad


def chain(length: int) -> tuple[Value, Value]:
    x = Value(0.0)
    y = x
    for _ in range(length):
        y = y + 1.0
    return x, y


@pytest.mark.parametrize("seed", range(60))
def test_the_walk_places_the_nodes_with_parents_in_topological_order(seed: int) -> None:
    root, _ = random_graph(seed)
    expected = [node for node in topological_order(root) if node.parents]
    assert _computed_nodes(root) == expected


@pytest.mark.parametrize("seed", range(60))
def test_backward_gives_the_article_loop_s_gradients_bit_for_bit(seed: int) -> None:
    root, nodes = random_graph(seed)
    root.backward()
    root.backward()  # twice: intermediate gradients start again, leaves accumulate
    ours = [node.grad.hex() for node in nodes]
    for node in nodes:
        node.grad = 0.0
    root.grad = 0.0
    article_backward(root)
    article_backward(root)
    assert ours == [node.grad.hex() for node in nodes]


def test_every_gradient_is_a_plain_float_after_backward() -> None:
    root, nodes = random_graph(7)
    root.backward()
    assert {type(node.grad) for node in nodes} == {float}


def test_a_negative_zero_contribution_gives_a_positive_zero_gradient_as_zero_plus_it_does():
    x = Value(2.0)
    a = x * 1.0
    (a * -0.0).backward()  # a receives -0.0 · 1 = -0.0, added to its reset 0.0
    assert math.copysign(1.0, a.grad) == 1.0
    assert math.copysign(1.0, x.grad) == 1.0


def test_a_run_reached_again_through_another_branch_is_placed_once() -> None:
    x = Value(0.5)
    run = x.tanh().exp() + 1.0
    root = run * run.tanh() + (run - 2.0)
    order = _computed_nodes(root)
    assert len(order) == len(set(map(id, order)))
    root.backward()
    plain = x.grad
    x.grad = 0.0
    article_backward(root)
    assert plain == x.grad


def test_backward_from_a_leaf_seeds_it_and_walks_nothing() -> None:
    x = Value(3.0)
    x.grad = 2.0
    assert _computed_nodes(x) == []
    x.backward()
    assert x.grad == 3.0


def test_backward_through_a_chain_adds_under_40_bytes_a_node_at_its_peak() -> None:
    # The walk keeps no set of placed nodes (that set was ~28 bytes a node, ~48 while it
    # grew): the peak is the order (8 bytes a node) and the gradients themselves (a float,
    # 24 bytes, per node).
    length = 100_000
    x, y = chain(length)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        y.backward()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert x.grad == 1.0
    assert peak / length < 40, f"backward's peak: {peak / length:.1f} bytes a node"


def test_backward_through_a_deep_chain_runs_no_collection_over_it() -> None:
    x, y = chain(100_000)
    with counting_collections() as collections:
        y.backward()
    assert x.grad == 1.0
    assert len(collections) <= 2, f"{len(collections)} collections during backward"
