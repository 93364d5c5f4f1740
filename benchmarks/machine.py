"""What a benchmark ran on: CPU, cores, Python, NumPy, PyTorch and the BLAS thread count.

Benchmarks print this above their tables and store it in their JSON, so that a figure is
never separated from the machine and the versions that produced it.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def package_version(name: str) -> str | None:
    """The installed version of ``name``, without importing it; None if it is not installed."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def blas_threads() -> dict[str, int] | None:
    """Threads per BLAS library NumPy has loaded, via threadpoolctl; None if it is missing."""
    try:
        import numpy  # noqa: F401  (load NumPy's BLAS so threadpoolctl can see it)
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return {
        info.get("internal_api", "?"): int(info["num_threads"])
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    }


def describe() -> dict:
    """The machine and software versions, as a JSON-ready dict."""
    import numpy

    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "torch": package_version("torch"),
        "micrograd": package_version("micrograd"),
        "blas_threads": blas_threads(),
    }


def summary(machine: dict) -> str:
    """``describe()`` as two lines for the top of a report."""
    blas = machine["blas_threads"]
    blas_text = ", ".join(f"{k} {v}" for k, v in blas.items()) if blas else "unknown"
    return (
        f"machine: {machine['cpu']}, {machine['usable_cores']} usable cores "
        f"({machine['logical_cores']} logical), {machine['platform']}\n"
        f"versions: Python {machine['python']}, NumPy {machine['numpy']}, "
        f"PyTorch {machine['torch'] or 'not installed'}, "
        f"micrograd {machine['micrograd'] or 'not installed'}; BLAS threads: {blas_text}"
    )
