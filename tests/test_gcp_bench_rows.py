"""The scalar benchmark's gc_paused() rows run the same step with the collector paused."""

from __future__ import annotations

import gc

import pytest
from gc_counting import counting_collections

from benchmarks import scalar_step

PAIRS = [
    (scalar_step.PlainOpsTrainer, scalar_step.PausedPlainOpsTrainer),
    (scalar_step.IdiomaticTrainer, scalar_step.PausedIdiomaticTrainer),
]


def _collections_during(step, monkeypatch) -> tuple[int, float]:
    """Collections started during ``step``'s forward and backward (collector on); its loss.

    Counted when the step asks for its learning rate, right after backward: a collection
    may run once the step's pause ends, and that one is not the step's graph building.
    """
    seen_at_update: list[int] = []

    schedule = scalar_step.learning_rate

    def learning_rate(k: int) -> float:
        seen_at_update.append(len(collections))
        return schedule(k)

    monkeypatch.setattr(scalar_step, "learning_rate", learning_rate)

    try:
        with counting_collections() as collections:
            loss = step()
    finally:
        monkeypatch.undo()
    (during,) = seen_at_update
    return during, loss


@pytest.mark.parametrize("plain, paused", PAIRS, ids=["plain ops", "nn.MLP"])
def test_the_paused_row_is_the_same_step_without_collections(plain, paused, monkeypatch) -> None:
    points, labels = scalar_step.two_moons(12, seed=3)
    weights = scalar_step.MicrogradTrainer(points, labels, seed=3).weights()
    collections, loss = _collections_during(plain(points, labels, weights).step, monkeypatch)
    paused_collections, paused_loss = _collections_during(
        paused(points, labels, weights).step, monkeypatch
    )
    assert collections > 0  # the unpaused step does make the collector run
    assert paused_collections == 0
    assert paused_loss == loss
    assert gc.isenabled()


def test_the_paused_rows_are_in_the_report_with_what_they_include() -> None:
    names = [trainer.name for trainer in scalar_step.new_trainers(seed=1, points=4)]
    assert names[3:5] == ["chaingrad plain ops, gc_paused()", "nn.MLP, gc_paused()"]
    for name in names:
        assert name in scalar_step.ROW_NOTE
    assert "gc_paused()" in scalar_step.ROW_NOTE["nn.MLP, gc_paused()"]
