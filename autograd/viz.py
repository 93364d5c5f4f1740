"""Computation graphs drawn with Graphviz, from Python or from the command line.

From Python::

    from autograd import Value, draw_graph
    from autograd.viz import render_svg

    x, y = Value(2.0, label="x"), Value(-1.0, label="y")
    out = (x * y + x).tanh()
    out.backward()
    graph = draw_graph(out, show_local_grads=True)  # a graphviz.Digraph; inline in Jupyter
    render_svg(graph, "graph.svg")  # or graph.render(outfile="graph.svg", cleanup=True)

    draw_graph(loss, module=model)  # colour model's parameters, grouped per neuron

From the command line (the expression is parsed, never evaluated as Python)::

    python -m autograd.viz "(x*y + x).tanh()" --var x=2 --var y=-1 -o graph.svg [--local-grads]
    python -m autograd.viz "(x*y + x).tanh()" --var x=2 --var y=-1 --animate -o backprop.html

The suffix of ``-o`` picks the format (.svg, .png, .pdf, or .dot/.gv for the DOT text); the
directory must exist. Graphs of more than ``--max-nodes`` values (500) are refused.
``--animate`` writes instead an HTML page that replays backward() step by step
(:func:`autograd.animate_backward`; ``-o`` must end in .html; at most 200 values unless
``--max-nodes`` says otherwise).

Building a graph and its DOT text (``graph.source``) needs only the Python package
``graphviz``; writing SVG needs Graphviz's ``dot`` program (``apt-get install graphviz``,
``brew install graphviz`` or ``conda install graphviz``). Without it, rendering raises
:class:`GraphvizNotFoundError`, which says so.

Importing this module does not import ``graphviz``: drawing does. Without the package,
``draw_graph`` (and ``from autograd.viz import render_svg``, ``ComputationGraph`` or
``GraphvizNotFoundError``) raises an ImportError saying ``pip install graphviz``, and the
command line prints it and exits with status 1.
"""

from __future__ import annotations

import argparse
import keyword
import os
import signal
import subprocess
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.files import write_atomically
from autograd.graph import topological_order
from autograd.value import Value
from autograd.viz_animate import DEFAULT_MAX_NODES as ANIMATE_MAX_NODES
from autograd.viz_animate import animate_backward
from autograd.viz_expression import METHODS_TEXT, ExpressionError, build_expression
from autograd.viz_graph import DEFAULT_MAX_NODES, draw_graph, import_viz_graphviz

if TYPE_CHECKING:  # at run time these come from __getattr__, which imports graphviz
    import graphviz

    from autograd.viz_graphviz import ComputationGraph, GraphvizNotFoundError, render_svg

__all__ = [
    "DEFAULT_MAX_NODES",
    "OUTPUT_FORMATS",
    "ComputationGraph",
    "ExpressionError",
    "GraphvizNotFoundError",
    "build_expression",
    "draw_graph",
    "main",
    "render_svg",
]


_NEED_GRAPHVIZ = ("ComputationGraph", "GraphvizNotFoundError", "render_svg")


def __getattr__(name: str) -> Any:
    """The names built on the ``graphviz`` package, imported when first asked for.

    Raises:
        ImportError: ``name`` needs the Python package ``graphviz``, which is not installed.
        AttributeError: this module has no such name.
    """
    if name in _NEED_GRAPHVIZ:
        return getattr(import_viz_graphviz(f"autograd.viz.{name}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


OUTPUT_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
"""The file suffixes ``python -m autograd.viz -o FILE`` accepts, and the format each means.

``.dot``/``.gv`` write the DOT text itself (no Graphviz program needed).
"""

ANIMATION_SUFFIXES = (".html", ".htm")
"""The suffixes ``-o`` takes with ``--animate``, which writes an HTML page."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m autograd.viz``: draw an expression's graph, with gradients, to a file.

    Returns the exit status: 0 on success, 1 if Graphviz cannot render the graph (the
    Python package ``graphviz`` or the ``dot`` program is not installed, or ``dot`` fails
    on it) or the file cannot be written. A bad expression or option, an output file whose
    suffix is not one of ``OUTPUT_FORMATS`` or whose directory does not exist, or a graph of
    more than ``--max-nodes`` values exits with status 2 (``SystemExit``) and a two-line
    usage message naming the problem. Ctrl-C while drawing returns 130 (the status a shell
    gives an interrupted program), with no file written.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = "backward.html" if args.animate else "graph.svg"
    if args.max_nodes is None:
        args.max_nodes = ANIMATE_MAX_NODES if args.animate else DEFAULT_MAX_NODES
    output_format = _check_output(parser, args.output, args.animate)
    variables: dict[str, Value] = {}
    for name, number in args.var:
        if name in variables:
            parser.error(f"variable {name!r} is given twice")
        variables[name] = Value(number, label=name)
    try:
        result = build_expression(args.expression, variables)
    except ExpressionError as error:
        parser.error(str(error))
    size = len(topological_order(result))
    if size > args.max_nodes:
        parser.error(
            f"the expression's graph has {size} values, more than --max-nodes {args.max_nodes}; "
            f"pass --max-nodes {size} to draw it anyway (Graphviz is slow on big graphs)"
        )
    who = "python -m autograd.viz" + (" --animate" if args.animate else "")
    try:
        viz_graphviz = import_viz_graphviz(who)
    except ImportError as error:  # the Python package graphviz is not installed
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        if args.animate:  # runs backward itself, recording each step
            path = animate_backward(
                result,
                args.output,
                max_nodes=args.max_nodes,
                rankdir=args.rankdir,
                title=f"backward() of {args.expression.strip()}",
            )
        else:
            result.backward()
            graph = draw_graph(
                result,
                show_local_grads=args.local_grads,
                rankdir=args.rankdir,
                max_nodes=args.max_nodes,
                name=args.expression.strip(),  # the SVG's title
            )
            path = _render(graph, args.output, output_format)
    except viz_graphviz.GraphvizNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:  # graphviz raises its own subclass
        print(f"error: Graphviz's dot failed on this graph: {_dot_failure(error)}", file=sys.stderr)
        print(
            "  draw a smaller expression (a variable used hundreds of times can crash dot)",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while dot works: the file is written atomically or not
        print("\ninterrupted", file=sys.stderr)
        return 130
    _print(f"{args.expression.strip()} = {result.data:.6g}")
    for name, variable in variables.items():
        _print(f"  d/d{name} = {variable.grad:.6g}")
    what = ": backward() step by step; open it in a browser" if args.animate else ""
    _print(f"wrote {path}{what}")
    return 0


def _check_output(parser: argparse.ArgumentParser, output: str, animate: bool = False) -> str:
    """The format ``-o output`` asks for; a usage error unless it can be written there.

    Refused before any work: an empty name, a directory, an unknown suffix (with
    ``--animate``, anything but .html), a directory that does not exist (it is not created:
    a typo in the path should not leave new directories behind), a directory we cannot write
    into, and an existing path that is not a regular file.
    """
    target = Path(output)
    example = "backward.html" if animate else "graph.svg"
    if not output:
        parser.error(f"-o needs the name of a file to write, e.g. -o {example}")
    try:
        if target.is_dir():
            parser.error(f"-o {output}: is a directory; name a file in it, e.g. {target / example}")
    except OSError as error:  # e.g. a name too long for the file system
        parser.error(f"-o {output}: {error.strerror or error}")
    accepted = ", ".join(OUTPUT_FORMATS)
    output_format = OUTPUT_FORMATS.get(target.suffix.lower())
    if animate:
        if target.suffix.lower() not in ANIMATION_SUFFIXES:
            parser.error(
                f"-o {output}: --animate writes an HTML page; end the name with .html "
                "(or leave out --animate to draw a picture)"
            )
        output_format = "html"
    elif target.suffix.lower() in ANIMATION_SUFFIXES:
        parser.error(
            f"-o {output}: an HTML page is what --animate writes (backward, step by step); "
            f"add --animate, or end the name with {accepted} for a picture"
        )
    if output_format is None:
        suffix = repr(target.suffix) if target.suffix else "no suffix"
        parser.error(f"-o {output}: {suffix} is not an output format; end the name with {accepted}")
    directory = target.parent
    try:
        if not directory.is_dir():
            parser.error(f"-o {output}: the directory {directory} does not exist; create it first")
        if not os.access(directory, os.W_OK | os.X_OK):
            parser.error(
                f"-o {output}: cannot write into the directory {directory} (permission denied)"
            )
        if target.exists() and not target.is_file():
            parser.error(f"-o {output}: exists and is not a regular file; name a file to write")
    except OSError as error:  # e.g. a name too long for the file system
        parser.error(f"-o {output}: {error.strerror or error}")
    return output_format


def _render(graph: graphviz.Digraph, output: str, output_format: str) -> Path:
    """Write ``graph`` to ``output`` atomically, as SVG, PNG, PDF or DOT text."""
    if output_format == "svg":
        return import_viz_graphviz().render_svg(graph, output)
    if output_format == "dot":
        return write_atomically(output, graph.source.encode("utf-8"))
    return write_atomically(output, graph.pipe(format=output_format))


def _dot_failure(error: subprocess.CalledProcessError) -> str:
    """What went wrong in ``dot``, in one line: its signal or exit status, and its first message."""
    if error.returncode < 0:
        try:
            what = f"it crashed ({signal.Signals(-error.returncode).name})"
        except ValueError:
            what = f"it was killed by signal {-error.returncode}"
    else:
        what = f"it exited with status {error.returncode}"
    stderr = error.stderr.decode("utf-8", "replace") if isinstance(error.stderr, bytes) else ""
    first_line = stderr.strip().splitlines()[0] if stderr.strip() else ""
    return f"{what}: {first_line}" if first_line else what


def _print(text: str) -> None:
    """Print to stdout, writing characters its encoding cannot hold as escapes, not crashing."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    print(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograd.viz",
        usage="%(prog)s [options] EXPRESSION  (see --help)",
        description=(
            "Draw the computation graph of an expression, after backpropagation, as SVG, PNG, "
            "PDF or DOT (from the -o suffix). "
            "Allowed: numbers, the variables given with --var, + - * / **, unary minus, "
            "parentheses and the methods " + METHODS_TEXT + "."
        ),
        epilog='example: python -m autograd.viz "(x*y + x).tanh()" --var x=2 --var y=-1 -o g.svg',
    )
    parser.add_argument("expression", metavar="EXPRESSION", help='e.g. "(x*y + x).tanh()"')
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        type=_variable,
        metavar="NAME=NUMBER",
        help="a variable's value; repeat for each variable",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="file to write, in an existing directory; its suffix picks the format: "
        + ", ".join(OUTPUT_FORMATS)
        + " (default: graph.svg), or .html with --animate (default: backward.html)",
    )
    parser.add_argument(
        "--animate",
        action="store_true",
        help="write an HTML page that replays backward() step by step, a frame per step "
        "(open it in a browser; -o must end in .html)",
    )
    parser.add_argument(
        "--local-grads",
        action="store_true",
        help="label each edge with the local derivative ∂out/∂in",
    )
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR")
    parser.add_argument(
        "--max-nodes",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"refuse graphs of more than N values (default: {DEFAULT_MAX_NODES}, "
        f"{ANIMATE_MAX_NODES} with --animate)",
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number, got {text!r}"
        ) from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _variable(text: str) -> tuple[str, float]:
    name, equals, number = text.partition("=")
    # Python reads identifiers in NFKC form (the ligature "ﬁ" is the name "fi"), so the
    # expression's names can only match variables spelt the same way.
    name = unicodedata.normalize("NFKC", name.strip())
    if not equals or not name.isidentifier() or keyword.iskeyword(name):
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER (e.g. x=2.0), got {text!r}")
    try:
        return name, float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{name}: {number.strip()!r} is not a number (e.g. {name}=2.0)"
        ) from None


if __name__ == "__main__":
    sys.exit(main())
