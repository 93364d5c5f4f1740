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

Building a graph and its DOT text (``graph.source``) needs only the Python package
``graphviz``; writing SVG needs Graphviz's ``dot`` program (``apt-get install graphviz``,
``brew install graphviz`` or ``conda install graphviz``). Without it, rendering raises
:class:`GraphvizNotFoundError`, which says so.
"""

from __future__ import annotations

import argparse
import keyword
import sys
from collections.abc import Sequence

from autograd.value import Value
from autograd.viz_expression import METHODS_TEXT, ExpressionError, build_expression
from autograd.viz_graph import (
    DEFAULT_MAX_NODES,
    ComputationGraph,
    GraphvizNotFoundError,
    draw_graph,
    render_svg,
)

__all__ = [
    "DEFAULT_MAX_NODES",
    "ComputationGraph",
    "ExpressionError",
    "GraphvizNotFoundError",
    "build_expression",
    "draw_graph",
    "main",
    "render_svg",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m autograd.viz``: draw an expression's graph, with gradients, to SVG.

    Returns the exit status: 0 on success, 1 if the file cannot be rendered (e.g. Graphviz
    is not installed). A bad expression or option exits with status 2 and a message
    naming the problem.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    variables: dict[str, Value] = {}
    for name, number in args.var:
        if name in variables:
            parser.error(f"variable {name!r} is given twice")
        variables[name] = Value(number, label=name)
    try:
        result = build_expression(args.expression, variables)
    except ExpressionError as error:
        parser.error(str(error))
    result.backward()
    try:
        graph = draw_graph(result, show_local_grads=args.local_grads, rankdir=args.rankdir)
        path = render_svg(graph, args.output)
    except (GraphvizNotFoundError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{args.expression.strip()} = {result.data:.6g}")
    for name, variable in variables.items():
        print(f"  d/d{name} = {variable.grad:.6g}")
    print(f"wrote {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograd.viz",
        description=(
            "Draw the computation graph of an expression, after backpropagation, as SVG. "
            "Allowed: numbers, the variables given with --var, + - * / **, unary minus, "
            "parentheses and the methods " + METHODS_TEXT + "."
        ),
        epilog='example: python -m autograd.viz "(x*y + x).tanh()" --var x=2 --var y=-1 -o g.svg',
    )
    parser.add_argument("expression", help='e.g. "(x*y + x).tanh()"')
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        type=_variable,
        metavar="NAME=NUMBER",
        help="a variable's value; repeat for each variable",
    )
    parser.add_argument("-o", "--output", default="graph.svg", help="SVG file to write")
    parser.add_argument(
        "--local-grads",
        action="store_true",
        help="label each edge with the local derivative ∂out/∂in",
    )
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR")
    return parser


def _variable(text: str) -> tuple[str, float]:
    name, equals, number = text.partition("=")
    name = name.strip()
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
