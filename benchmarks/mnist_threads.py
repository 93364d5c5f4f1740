"""How many BLAS threads should the MNIST demo use? Seconds per epoch at 1, 2, ... threads.

    python -m benchmarks.mnist_threads                    # the demo's default network
    python -m benchmarks.mnist_threads --rounds 5 --epochs 3 -- --hidden 64

Runs ``python -m demos.mnist --threads N`` itself (each run a subprocess, so nothing is
shared), for N = 1, 2, ... up to the number of cores and 0 ("one per core"), round after
round with the order rotated, so that a busy neighbour on a shared machine slows every
setting alike. Reports the median seconds per training epoch (the demo's own figure: the
training loop only, not loading or validation) over all rounds, and each setting's ratio to
one thread. Options after ``--`` go to the demo (e.g. another network).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def run_demo(threads: int, epochs: int, extra: list[str]) -> list[float]:
    """Seconds per epoch of one demo run with ``--threads threads``."""
    with tempfile.TemporaryDirectory() as directory:
        result = Path(directory) / "result.json"
        command = [sys.executable, "-m", "demos.mnist", "--threads", str(threads)]
        command += ["--epochs", str(epochs), "--no-figures", "--quiet", "--json", str(result)]
        subprocess.run([*command, *extra], check=True, stdout=subprocess.DEVNULL)
        return json.loads(result.read_text())["seconds_per_epoch"]


def main(argv: list[str] | None = None) -> dict[str, float]:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mnist_threads")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each setting")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run")
    args = parser.parse_args(own)
    if args.rounds < 1 or args.epochs < 1:
        parser.error("--rounds and --epochs must be at least 1")
    cores = os.cpu_count() or 1
    settings = [*range(1, cores + 1), 0]
    seconds: dict[int, list[float]] = {n: [] for n in settings}
    for round_ in range(args.rounds):
        shift = round_ % len(settings)
        for threads in settings[shift:] + settings[:shift]:
            seconds[threads] += run_demo(threads, args.epochs, extra)
    medians = {n: statistics.median(values) for n, values in seconds.items()}
    network = " ".join(extra) or "(the default network)"
    print(f"demos.mnist {network}, {cores} cores, {args.rounds} rounds x {args.epochs} epochs:")
    print("median seconds per training epoch")
    for threads, median in medians.items():
        name = f"{threads} thread{'s' if threads != 1 else ''}" if threads else "0 (per core)"
        print(f"  --threads {name:<14} {median:7.3f} s  ({median / medians[1]:.2f}x one thread)")
    return {str(n): m for n, m in medians.items()}


if __name__ == "__main__":
    main()
