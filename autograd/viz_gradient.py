"""Gradient health at a glance: the colour of a node by the size of its gradient.

``draw_graph(root, color_by="grad")`` fills each node with a colour read off a log scale of
``|∂L/∂node|``: pale for gradients that have all but vanished, dark for large ones, so a
network whose early layers learn nothing shows it before a number is read. This module
holds the arithmetic behind that: how big a gradient is, the scale (whole powers of ten
around the gradients drawn), and the colour of a point on it. It needs neither NumPy's
warnings nor Graphviz: :mod:`autograd.viz_graph` turns the colours into DOT.

How big a gradient is:

* a Value's: ``|grad|``;
* a Tensor's: the root mean square of its elements, ``sqrt(mean(grad²))`` — the typical
  size of one element's gradient, so a layer of 10,000 weights and one of 10 compare fairly
  (a norm ``‖grad‖₂`` would grow with the number of elements);
* ``0.0`` for a gradient that is exactly zero, which no log scale holds: it gets a marking of
  its own, as does a gradient with a NaN or an infinity in it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "GRADIENT_RAMP",
    "GradientScale",
    "gradient_magnitude",
    "gradient_scale",
]

GRADIENT_RAMP = (
    "#ffffd9",
    "#edf8b1",
    "#c7e9b4",
    "#7fcdbb",
    "#41b6c4",
    "#1d91c0",
    "#225ea8",
    "#253494",
    "#081d58",
)
"""The colours of the scale, smallest gradient first (ColorBrewer's YlGnBu): from pale yellow,
a gradient that has vanished, to dark blue, the largest on the scale."""

DARK_FROM = 0.55
"""From this point of the scale on (0 to 1) the fill is dark enough for white text."""

MAX_TICKS = 7
"""Numbers written under the scale in the legend at most (every decade when they fit)."""


def gradient_magnitude(grad: Any) -> float | None:
    """How big a gradient is: ``|grad|`` for a number, the root mean square for an array.

    Returns ``None`` for no gradient (a Tensor's ``.grad`` before ``backward()``), ``0.0``
    for an exact zero, and ``inf`` or ``nan`` when the gradient holds a non-finite number
    (``nan`` if any element is NaN). Large arrays are scaled by their largest element before
    squaring, so an exploding gradient is measured, not overflowed.
    """
    if grad is None:
        return None
    values = np.asarray(grad, dtype=np.float64)
    if values.size == 0:
        return 0.0
    if np.isnan(values).any():
        return math.nan
    if np.isinf(values).any():
        return math.inf
    largest = float(np.abs(values).max())
    if values.size == 1 or largest == 0.0:
        return largest
    # largest · sqrt(mean((g / largest)²)) = sqrt(mean(g²)), without squaring a 1e200.
    return largest * float(np.sqrt(np.mean(np.square(values / largest))))


class GradientScale(NamedTuple):
    """A log scale from ``10**low`` to ``10**high`` (whole decades, ``low < high``)."""

    low: int
    high: int

    def position(self, magnitude: float) -> float:
        """Where a positive, finite ``magnitude`` sits on the scale: 0 at the bottom, 1 at the
        top (clipped to that range)."""
        where = (math.log10(magnitude) - self.low) / (self.high - self.low)
        return min(1.0, max(0.0, where))

    def colour(self, magnitude: float) -> str:
        """The fill for a positive, finite ``magnitude``, as ``#rrggbb``."""
        return ramp_colour(self.position(magnitude))

    def decade_colour(self, decade: int) -> str:
        """The fill at ``10**decade`` (computed from the exponent: 1e-330 is no float)."""
        return ramp_colour((decade - self.low) / (self.high - self.low))

    def is_dark(self, magnitude: float) -> bool:
        """Whether text on this magnitude's fill should be white."""
        return self.position(magnitude) >= DARK_FROM

    def ticks(self) -> list[int]:
        """The decades written in the legend: both ends, and evenly spaced ones between."""
        step = max(1, math.ceil((self.high - self.low) / (MAX_TICKS - 1)))
        decades = list(range(self.low, self.high, step))
        return [*decades, self.high]


def gradient_scale(magnitudes: Iterable[float | None]) -> GradientScale:
    """The smallest scale of whole decades that holds every positive, finite magnitude.

    Zeros, non-finite and missing gradients are left out (they are marked, not shaded). With
    none left the scale is 1e-1 … 1; with one decade only, the next one up is added.
    """
    logs = [math.log10(m) for m in magnitudes if m is not None and math.isfinite(m) and m > 0.0]
    if not logs:
        return GradientScale(-1, 0)
    low, high = math.floor(min(logs)), math.ceil(max(logs))
    if high == low:
        high = low + 1
    return GradientScale(low, high)


def ramp_colour(position: float) -> str:
    """The colour at ``position`` (0 to 1) along :data:`GRADIENT_RAMP`, interpolated."""
    where = min(1.0, max(0.0, position)) * (len(GRADIENT_RAMP) - 1)
    index = min(int(where), len(GRADIENT_RAMP) - 2)
    fraction = where - index
    start, end = _rgb(GRADIENT_RAMP[index]), _rgb(GRADIENT_RAMP[index + 1])
    mixed = (round(a + (b - a) * fraction) for a, b in zip(start, end))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def decade_text(decade: int) -> str:
    """A power of ten as the legend writes it: ``1e-12``, ``0.01``, ``1``, ``100``, ``1e+06``.

    Written from the exponent, so the ends of the float range (1e-324, 1e+309) are too.
    """
    if -4 <= decade < 6:
        return f"{10.0**decade:g}"
    return f"1e{decade:+03d}"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
