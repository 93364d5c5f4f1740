"""Counting what ``backward()`` reports to an observer, independently of the animation."""


class StepCounter:
    """A ``watching_backward`` observer that counts the steps: nodes reached, shares passed."""

    def __init__(self) -> None:
        self.steps = 0

    def visit(self, node) -> None:
        self.steps += 1

    def passed(self, node, parent, local, contribution) -> None:
        self.steps += 1
