"""The scalar-step benchmark runs in a tiny configuration and reports what it promises.

No assertion on time: only that every engine's step, collection, charge, peak memory and
ratio is there and positive, and that the charge is what the report says it is.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from benchmarks import scalar_step

ENGINES = {
    "micrograd",
    "chaingrad plain ops",
    "chaingrad idiomatic",
    "chaingrad plain ops, gc_paused()",
    "nn.MLP, gc_paused()",
    "chaingrad plain ops, captured",
    "nn.MLP, captured",
}


@pytest.fixture(scope="module")
def results() -> dict:
    # 12 points instead of the demo's 100: the same code paths, a tenth of the work.
    return scalar_step.run(steps=1, chain_length=2_000, points=12)


def test_every_engine_has_step_collect_and_charge_in_both_gc_modes(results: dict) -> None:
    assert set(results["modes"]) == {"gc_on", "gc_off"}
    for numbers in results["modes"].values():
        for figure in ("ms_per_step", "ms_per_collect", "ms_per_idle_collect", "ms_charged"):
            assert set(numbers[figure]) == ENGINES
            assert all(ms > 0 for ms in numbers[figure].values())
        for key in ("speedup_vs_micrograd", "speedup_vs_micrograd_step_only"):
            assert set(numbers[key]) == ENGINES - {"micrograd"}
            assert all(ratio > 0 for ratio in numbers[key].values())


def test_the_charge_is_the_step_plus_what_freeing_its_garbage_cost(results: dict) -> None:
    # One step, so each median is that step's own figure.
    for numbers in results["modes"].values():
        for name in ENGINES:
            freeing = numbers["ms_per_collect"][name] - numbers["ms_per_idle_collect"][name]
            expected = numbers["ms_per_step"][name] + max(freeing, 0.0)
            assert numbers["ms_charged"][name] == pytest.approx(expected)
        micrograd = numbers["ms_charged"]["micrograd"]
        for name, ratio in numbers["speedup_vs_micrograd"].items():
            assert ratio == pytest.approx(micrograd / numbers["ms_charged"][name])


def test_peak_memory_is_measured_for_every_engine_and_the_chain(results: dict) -> None:
    assert set(results["peak_step_bytes"]) == ENGINES
    assert all(peak > 0 for peak in results["peak_step_bytes"].values())
    chain = results["chain"]
    assert chain["length"] == 2_000 and chain["peak_bytes_per_node"] > 0
    # a Value, its one-parent tuple and its float at least; the walk and the gradients too
    assert chain["graph_bytes_per_node"] > 100 and chain["backward_peak_bytes_per_node"] > 24
    total = chain["graph_bytes_per_node"] + chain["backward_peak_bytes_per_node"]
    assert chain["peak_bytes_per_node"] == pytest.approx(total)
    assert chain["micrograd_result"].startswith("RecursionError")


def test_machine_versions_rows_and_the_place_for_compiled_rows(results: dict) -> None:
    machine = results["machine"]
    assert machine["cpu"] and machine["usable_cores"] >= 1 and machine["python"]
    assert machine["micrograd"] == "0.1.0"
    assert set(results["rows"]) == ENGINES
    assert "gc.collect()" in results["timing"]
    assert set(results["compiled"]) == {"chaingrad plain ops, captured", "nn.MLP, captured"}
    for figures in results["compiled"].values():
        assert figures["compile_seconds"] > 0 and figures["compile_peak_bytes"] > 0
        each = figures["compile_seconds_each"]
        assert len(each) == 3 and figures["compile_seconds"] == sorted(each)[1]
    text = scalar_step.report(results)
    assert "compile" in text and "charged ms" in text and "tracemalloc" in text


def test_captured_rows_train_bit_for_bit_as_the_uncompiled_ones() -> None:
    points, labels = scalar_step.two_moons(8, seed=2)
    weights = scalar_step.MicrogradTrainer(points, labels, seed=2).weights()
    pairs = [
        (scalar_step.PlainOpsTrainer, scalar_step.CapturedPlainOpsTrainer),
        (scalar_step.IdiomaticTrainer, scalar_step.CapturedIdiomaticTrainer),
    ]
    for plain_class, captured_class in pairs:
        plain = plain_class(points, labels, weights)
        captured = captured_class(points, labels, weights)
        for _ in range(3):
            assert plain.step().hex() == captured.step().hex()
        ours, theirs = plain.parameters(), captured.parameters()
        assert [p.data.hex() for p in ours] == [p.data.hex() for p in theirs]


def test_timing_leaves_the_collector_as_it_found_it() -> None:
    gc.disable()
    try:
        trainers = scalar_step.new_trainers(seed=1, points=4)
        scalar_step.time_steps(trainers, steps=1, gc_enabled=True)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_main_writes_the_results_as_json(
    results: dict, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(scalar_step, "run", lambda steps, chain_length: results)
    out = tmp_path / "scalar.json"
    assert scalar_step.main(["--quick", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["modes"]["gc_on"]["ms_charged"].keys() == ENGINES
    assert "x micrograd" in capsys.readouterr().out
