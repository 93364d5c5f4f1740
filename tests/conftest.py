"""Shared test settings.

Hypothesis runs with no deadline (timings on a shared machine are noise, never a test
result). Under CI (``CI`` set) examples are derandomized so a run is reproducible;
``HYPOTHESIS_PROFILE=thorough`` draws 20 times as many.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# HYPOTHESIS_PROFILE=thorough: many more examples, for a hunt before a release.
settings.register_profile(
    "thorough", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def no_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading MNIST fails the test: a demo's refusal of its arguments must come before the
    data (and training)."""

    def fail():
        raise AssertionError("the data was loaded: the refusal came too late")

    import nn

    monkeypatch.setattr(nn.datasets, "mnist", fail)
