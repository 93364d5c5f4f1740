"""draw_graph(root, color_by="grad"): nodes shaded by |gradient| on a log scale."""

import itertools
import math
import re

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, draw_graph, topological_order, weighted_sum
from autograd.viz_gradient import decade_text, gradient_magnitude, gradient_scale, ramp_colour
from autograd.viz_graph import NO_GRAD_COLOURS, NON_FINITE_COLOURS, ZERO_GRAD_COLOURS


def attributes(source: str, name: str) -> str:
    match = re.search(rf"^\s*{name} \[(.*?)\]$", source, flags=re.M | re.S)
    assert match, f"no node {name} in the DOT source"
    return match.group(1)


def fill(source: str, name: str) -> str:
    return re.search(r'fillcolor="(#[0-9a-f]{6})"', attributes(source, name)).group(1)


def lightness(colour: str) -> int:
    return sum(int(colour[k : k + 2], 16) for k in (1, 3, 5))


def sigmoid_chain(layers: int = 10):
    x = Value(1.0, label="x")
    h, weights = x, []
    for k in range(layers):
        w = Value(1.5 if k % 2 else -1.2, label=f"w{k + 1}")
        b = Value(0.3, label=f"b{k + 1}")
        weights.append(w)
        h = weighted_sum([w], [h], b).sigmoid()
    loss = (h - 1.0) ** 2
    loss.backward()
    return loss, weights


def dot_name(root, node) -> str:
    return f"v{next(i for i, n in enumerate(topological_order(root)) if n is node)}"


def test_a_vanishing_gradient_is_pale_and_a_large_one_dark():
    loss, weights = sigmoid_chain()
    assert abs(weights[0].grad) < 1e-3 * abs(weights[-1].grad)  # it does vanish
    source = draw_graph(loss, color_by="grad").source
    first, last = (
        fill(source, dot_name(loss, weights[0])),
        fill(source, dot_name(loss, weights[-1])),
    )
    assert lightness(first) > lightness(last) + 300


def test_the_shade_grows_with_the_gradient_along_the_chain():
    loss, weights = sigmoid_chain()
    source = draw_graph(loss, color_by="grad").source
    shades = [lightness(fill(source, dot_name(loss, w))) for w in weights]
    magnitudes = [abs(w.grad) for w in weights]
    # Sorted by gradient, the fills get darker (ties allowed within one colour step).
    by_size = [shade for _, shade in sorted(zip(magnitudes, shades))]
    assert all(a >= b for a, b in itertools.pairwise(by_size))


def test_the_legend_shows_the_scale_with_its_powers_of_ten():
    loss, weights = sigmoid_chain()
    source = draw_graph(loss, color_by="grad").source
    low = math.floor(math.log10(min(abs(w.grad) for w in weights)))
    assert "|grad|, log scale" in source
    assert f">{10.0**low:g}<" in source  # e.g. >1e-07<, under the palest colour
    assert ">1<" in source  # the output's own gradient, 1
    assert ramp_colour(0.0) in source and ramp_colour(1.0) in source


def test_role_colouring_is_the_default_and_has_no_scale():
    loss, _ = sigmoid_chain(2)
    assert "log scale" not in draw_graph(loss).source
    assert draw_graph(loss).source == draw_graph(loss, color_by="role").source


def test_a_zero_gradient_is_white_and_dashed():
    x = Value(-1.0, label="x")
    out = x.relu()  # relu′(-1) = 0: a dead unit
    out.backward()
    source = draw_graph(out, color_by="grad").source
    node = attributes(source, dot_name(out, x))
    assert f'fillcolor="{ZERO_GRAD_COLOURS[0]}"' in node and "dashed" in node
    assert "grad = 0" in source


def test_a_non_finite_gradient_is_fuchsia():
    x = Value(0.0, label="x")
    out = x.sqrt()  # d√x/dx = inf at 0
    out.backward()
    assert math.isinf(x.grad)
    source = draw_graph(out, color_by="grad").source
    assert f'fillcolor="{NON_FINITE_COLOURS[0]}"' in attributes(source, dot_name(out, x))
    assert "grad nan or ±inf" in source


def test_a_tensor_is_shaded_by_the_root_mean_square_of_its_gradient():
    assert gradient_magnitude(np.array([3.0, -4.0, 0.0, 0.0])) == pytest.approx(2.5)
    w = Tensor(np.full((2, 3), 0.5), requires_grad=True)
    loss = (Tensor(np.ones((1, 2))) @ w).sum()
    loss.backward()
    source = draw_graph(loss, color_by="grad").source
    scale = gradient_scale([gradient_magnitude(w.grad), 1.0])
    assert fill(source, dot_name(loss, w)) == scale.colour(1.0)
    assert "(a Tensor's: √mean(grad²))" in source


def test_a_tensor_without_a_gradient_is_grey():
    w = Tensor(np.ones(3), requires_grad=True)
    loss = (w * 2.0).sum()  # no backward: every grad is None
    source = draw_graph(loss, color_by="grad").source
    assert f'fillcolor="{NO_GRAD_COLOURS[0]}"' in attributes(source, dot_name(loss, w))
    assert "no grad (None)" in source


def test_an_exploding_gradient_is_measured_without_overflow():
    huge = np.array([1e300, -1e300, 1e300], dtype=np.float64)
    assert gradient_magnitude(huge) == pytest.approx(1e300)  # no RuntimeWarning either
    assert gradient_magnitude(np.array([1.0, np.nan])) != gradient_magnitude(np.array([1.0]))


def test_the_scale_spans_whole_decades_around_the_gradients():
    scale = gradient_scale([3e-12, 0.5, 0.0, None, math.inf])
    assert (scale.low, scale.high) == (-12, 0)
    assert scale.ticks()[0] == -12 and scale.ticks()[-1] == 0
    assert gradient_scale([]) == (-1, 0)
    assert gradient_scale([0.01]) == (-2, -1)


def test_module_parameters_are_shaded_inside_their_box():
    nn.manual_seed(0)
    model = nn.MLP(1, [1, 1], activation="sigmoid")
    (out,) = model([Value(1.0, label="x")])
    out.backward()
    source = draw_graph(out, module=model, color_by="grad").source
    fills = set(re.findall(r'bgcolor="(#[0-9a-f]{6})" style="rounded"', source))
    assert fills and fills != {"#fef3c7"}  # not the parameter role's fill
    svg = draw_graph(out, module=model, color_by="grad").pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg


@pytest.mark.parametrize("bad", ["gradient", "Grad", ""])
def test_an_unknown_color_by_is_refused(bad):
    loss, _ = sigmoid_chain(1)
    with pytest.raises(ValueError, match=r'color_by must be "role" .* or "grad"'):
        draw_graph(loss, color_by=bad)


def test_a_color_by_that_is_not_a_string_is_refused():
    loss, _ = sigmoid_chain(1)
    with pytest.raises(TypeError, match="color_by must be"):
        draw_graph(loss, color_by=None)


def test_gradients_at_the_ends_of_the_float_range_are_drawn():
    tiny, huge = Value(5e-324, label="tiny"), Value(1.7e308, label="huge")
    out = tiny + huge
    tiny.grad, huge.grad = 5e-324, 1.7e308  # set by hand: no formula gives both at once
    source = draw_graph(out, color_by="grad").source
    assert ">1e-324<" in source and ">1e+309<" in source
    assert decade_text(-12) == "1e-12" and decade_text(-2) == "0.01" and decade_text(6) == "1e+06"


def test_a_parameter_with_a_zero_gradient_is_dashed_inside_its_box():
    nn.manual_seed(0)
    model = nn.MLP(1, [1], activation="sigmoid")
    (out,) = model([Value(0.0, label="x")])  # input 0: ∂out/∂w = 0
    out.backward()
    source = draw_graph(out, module=model, color_by="grad").source
    assert f'bgcolor="{ZERO_GRAD_COLOURS[0]}" style="rounded,dashed"' in source
    assert "<svg" in draw_graph(out, module=model, color_by="grad").pipe(
        format="svg", encoding="utf-8"
    )
