"""Helpers shared by the demos: output directories, JSON results, figures, graph drawings.

Nothing here touches global state: figures are drawn on their own ``matplotlib`` Figure
(no ``pyplot``, so no backend switch and no figure registry), and every demo makes its own
random generator from its ``--seed``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import graphviz

from autograd import Value, draw_graph
from autograd.files import NotARegularFileError, open_regular_file, write_atomically
from autograd.viz import render_svg


@contextlib.contextmanager
def interrupt_exits() -> Iterator[None]:
    """Ctrl-C inside the block ends the demo with one line, "interrupted", and status 130 (as
    a shell reports an interrupted program), not a traceback. Every file a demo writes is
    written atomically, so none is left half-written.

    Raises:
        SystemExit: status 130, on KeyboardInterrupt.
    """
    try:
        yield
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        raise SystemExit(130) from None


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


def path_kind(path: Path) -> str:
    """ "file", "directory", "missing" or "other" (a FIFO, a device...), following symlinks.

    Raises:
        OSError: the path cannot be examined (a name too long, no permission).
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    if stat.S_ISREG(mode):
        return "file"
    return "directory" if stat.S_ISDIR(mode) else "other"


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file (existing or not)."""
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return os.path.abspath(first) == os.path.abspath(second)


def check_writable(
    parser: argparse.ArgumentParser, option: str, path: Path, *, directory: bool = False
) -> None:
    """Create ``path``'s directory (or ``path`` itself, a directory) and write a probe file there.

    Done before training, so that a path that cannot be written is a usage error now rather
    than a traceback after an epoch. Exits with status 2 naming the option and the reason.
    """
    folder = path if directory else path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Named like the atomic writer's temporary file, so a name it cannot make fails here.
        prefix = ".probe-" if directory else f".{path.name}."
        descriptor, probe = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
        os.close(descriptor)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        parser.error(f"{option} {path}: {folder} is not a directory")
    except OSError as error:
        parser.error(f"{option} {path}: cannot write in {folder}: {error.strerror or error}")


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number ≥ ``minimum`` (argparse turns its error into exit 2)."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number ≥ {minimum}, got {text!r}"
            ) from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {number}")
        return number

    return parse


def output_problem(option: str, path: Path | None, *, directory: bool = False) -> str | None:
    """What is wrong with an output option, in one line; None if it may be written.

    A file option (``directory=False``) must not name a directory or a FIFO, device or
    socket; a directory option must not name anything but a directory.
    """
    if path is None:
        return None
    try:
        kind = path_kind(path)
    except OSError as error:  # e.g. a name too long for the file system
        return f"{option} {path}: {error.strerror or error}"
    if directory:
        return (
            None
            if kind in ("directory", "missing")
            else f"{option} {path}: exists and is not a directory"
        )
    if kind in ("directory", "other"):
        what = "a directory" if kind == "directory" else "not a regular file"
        return f"{option} {path}: is {what}; name a file"
    return None


def check_outputs(
    parser: argparse.ArgumentParser, *, out: Path | None = None, json: Path | None = None
) -> None:
    """Check a demo's ``--out DIR`` and ``--json FILE`` before any work, and create them.

    Each is checked to be the right kind of thing and then probed by writing in it
    (:func:`check_writable`), so a path that cannot be written is a usage error (status 2)
    now rather than a traceback after the run.
    """
    for problem in (output_problem("--out", out, directory=True), output_problem("--json", json)):
        if problem:
            parser.error(problem)
    if out is not None:
        check_writable(parser, "--out", out, directory=True)
    if json is not None:
        check_writable(parser, "--json", json)


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure drawn with the Agg renderer, independent of ``pyplot``."""
    from matplotlib.figure import Figure  # imported here: only the demos that plot need it

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(figure: Any, path: str | os.PathLike[str]) -> Path:
    """Save a Figure from :func:`new_figure` (format from the suffix) and return the path.

    Written atomically, as every file of the demos: drawn into memory, then written whole,
    so a full disk or Ctrl-C leaves the old picture (or none), never half a picture.

    Raises:
        OSError: the file cannot be written (the old one is then untouched).
    """
    target = Path(path)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=target.suffix.lstrip(".").lower() or "png", dpi=120)
    write_atomically(target, buffer.getvalue())
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
        note = " (more threads than cores: expect no gain)" if threads > cores else ""
        yield f"{threads} BLAS thread{plural} ({names}) of {cores} cores{note}"


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(number: int) -> str:
    """``number`` in subscript digits: 12 → ₁₂."""
    return str(number).translate(_SUBSCRIPT)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def weight_name(layer: int, i: int, j: int) -> str:
    """``w⁽ˡ⁾ᵢⱼ`` (input i to unit j of layer l) for a 1-based layer, 0-based unit indices."""
    return f"w⁽{str(layer).translate(_SUPERSCRIPT)}⁾{subscript(i + 1)}{subscript(j + 1)}"


def bias_name(layer: int, j: int) -> str:
    """``b⁽ˡ⁾ⱼ`` for a 1-based layer and a 0-based unit index."""
    return f"b⁽{str(layer).translate(_SUPERSCRIPT)}⁾{subscript(j + 1)}"


def label_parameters(model: Any) -> None:
    """Label every parameter of an ``nn.MLP`` as the article writes it: w⁽ˡ⁾ᵢⱼ and b⁽ˡ⁾ⱼ."""
    for layer_number, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            for i, weight in enumerate(neuron.weights):
                weight.label = weight_name(layer_number, i, j)
            neuron.bias.label = bias_name(layer_number, j)


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
