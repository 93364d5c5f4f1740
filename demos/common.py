"""Helpers shared by the demos: output directories, JSON results, figures, graph drawings.

Nothing here touches global state: figures are drawn on their own ``matplotlib`` Figure
(no ``pyplot``, so no backend switch and no figure registry), and every demo makes its own
random generator from its ``--seed``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import graphviz

from autograd import Value, draw_graph
from autograd.files import NotARegularFileError, open_regular_file, write_atomically
from autograd.viz import render_svg


def output_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and its parents) if needed and return it as a Path."""
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically (temporary file, then rename).

    A reader never sees half a file; a failure leaves the old file (or none) in place.
    """
    text = json.dumps(data, indent=2) + "\n"
    return write_atomically(path, text.encode("utf-8"))


def open_input(
    path: str | os.PathLike[str], *, error: type[Exception], expected: str, who: str
) -> BinaryIO:
    """Open the user's file ``path`` for reading, as a regular file only (never blocking on a
    FIFO); every failure raises ``error`` with one line naming the file.

    ``expected`` says what the file should be ("a checkpoint file"), for the message about
    a directory or device; ``who`` names the caller for the low-level check.
    """
    try:
        return open_regular_file(path, who=who)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except NotARegularFileError:
        what = "a directory" if Path(path).is_dir() else "not a regular file (a FIFO or device?)"
        raise error(f"{path}: is {what}; name {expected}") from None
    except OSError as exc:
        raise error(f"{path}: cannot open it: {exc.strerror or exc}") from None


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure drawn with the Agg renderer, independent of ``pyplot``."""
    from matplotlib.figure import Figure  # imported here: only the demos that plot need it

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(figure: Any, path: str | os.PathLike[str]) -> Path:
    """Save a Figure from :func:`new_figure` (format from the suffix) and return the path."""
    target = Path(path)
    figure.savefig(target, dpi=120)
    return target


def save_graph(root: Any, path: str | os.PathLike[str], **options: Any) -> Path:
    """Draw the graph that produced ``root`` as SVG: :func:`autograd.draw_graph` with
    ``options`` (its keyword arguments; ``show_local_grads`` is on unless they turn it off).

    Returns the path written; see :func:`write_graph`.
    """
    return write_graph(draw_graph(root, **{"show_local_grads": True, **options}), path)


def write_graph(graph: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Render ``graph`` as SVG to ``path`` and return the path.

    Without Graphviz's ``dot`` program, writes the DOT source next to it (``.dot``) instead
    and returns that path, so a demo still completes; the printed note says how to get SVG.
    """
    target = Path(path)
    try:
        return render_svg(graph, target)
    except graphviz.ExecutableNotFound as error:
        dot_path = target.with_suffix(".dot")
        write_atomically(dot_path, graph.source.encode("utf-8"))
        print(f"note: {error}\n      wrote the DOT source to {dot_path} instead")
        return dot_path


@contextlib.contextmanager
def blas_threads(count: int) -> Iterator[str]:
    """Limit the BLAS library's threads to ``count`` (0: one per core) inside the block.

    NumPy's matrix products run on a BLAS library (OpenBLAS in NumPy's wheels) that spreads
    each product over every core. For the small products of small networks, on a machine
    doing other work, that costs more than it gains, so the demos choose. Yields a phrase
    for the run's header, e.g. ``"1 BLAS thread (openblas) of 2 cores"``.

    Raises:
        SystemExit: ``threadpoolctl`` (a demos dependency) is not installed.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        raise SystemExit(
            "the demos set the BLAS thread count with threadpoolctl, which is not installed: "
            "pip install 'chaingrad[demos]'"
        ) from None
    cores = os.cpu_count() or 1
    wanted = count or cores
    with threadpool_limits(limits=wanted, user_api="blas"):
        libraries = [info for info in threadpool_info() if info["user_api"] == "blas"]
        names = ", ".join(sorted({info["internal_api"] for info in libraries})) or "no BLAS"
        threads = max((info["num_threads"] for info in libraries), default=wanted)
        plural = "s" if threads != 1 else ""
        yield f"{threads} BLAS thread{plural} ({names}) of {cores} cores"


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(number: int) -> str:
    """``number`` in subscript digits: 12 → ₁₂."""
    return str(number).translate(_SUBSCRIPT)


def labelled_forward(
    model: Any, inputs: Sequence[Value], names: Sequence[tuple[str, str]]
) -> list[Value]:
    """``model(inputs)`` for an ``nn.MLP``, run layer by layer, naming what the article names.

    ``names[l]`` is ``(weighted sum, activation)`` for layer ``l``, e.g. ``("z⁽¹⁾", "h")``:
    neuron j's z = Σ wᵢxᵢ + b and its activation σ(z) get those labels with the subscript
    j + 1 (none in a layer of one neuron), so a drawn graph reads z⁽¹⁾₁, h₁, …, ŷ.

    Raises:
        ValueError: ``names`` does not give one pair per layer.
    """
    if len(names) != len(model.layers):
        raise ValueError(
            f"labelled_forward: {len(names)} pairs of names for {len(model.layers)} layers; "
            "give one (weighted sum, activation) pair per layer"
        )
    values = list(inputs)
    for layer, (sum_name, activation_name) in zip(model.layers, names):
        values = layer(values)
        for j, value in enumerate(values, start=1):
            suffix = subscript(j) if len(values) > 1 else ""
            if len(value.parents) == 1:  # σ(z): its one parent is the weighted sum z
                value.parents[0].label = sum_name + suffix
                value.label = activation_name + suffix
            else:  # a linear neuron's output is z itself
                value.label = sum_name + suffix
    return values
