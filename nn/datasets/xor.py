"""The article's XOR problem: four points no single line separates."""

from __future__ import annotations

__all__ = ["xor"]


def xor() -> tuple[list[list[float]], list[float]]:
    """Return XOR's four points and labels as fresh lists: ``(X, y)``.

    X is ``[[0, 0], [0, 1], [1, 0], [1, 1]]`` and y is ``[0, 1, 1, 0]`` (y = x1 XOR x2), as
    floats, ready for the scalar `nn.MLP` (one list of numbers per point) and `nn.mse_loss`.
    Logistic regression cannot fit them; a 2-2-1 network can.
    """
    points = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    labels = [float(int(x1) ^ int(x2)) for x1, x2 in points]
    return points, labels
