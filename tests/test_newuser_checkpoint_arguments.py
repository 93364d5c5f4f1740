"""``nn.save`` and ``nn.load`` name a model or optimizer of the wrong kind, and write nothing."""

from __future__ import annotations

import pytest

import nn


@pytest.mark.parametrize("function", [nn.save, nn.load], ids=["save", "load"])
def test_a_path_in_place_of_the_model_is_named(function, tmp_path):
    path = tmp_path / "model.npz"
    with pytest.raises(TypeError, match=rf"^nn\.{function.__name__}: model must be an nn\.Module"):
        function(str(path), path)
    assert list(tmp_path.iterdir()) == []


def test_a_layer_class_rather_than_a_network_is_named(tmp_path):
    with pytest.raises(TypeError, match=r"model must be an nn\.Module .*not type"):
        nn.save(nn.Linear, tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("function", [nn.save, nn.load], ids=["save", "load"])
def test_an_optimizer_that_is_not_one_is_named(function, tmp_path):
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    path = tmp_path / "model.npz"
    nn.save(model, path)
    with pytest.raises(TypeError, match=r"optimizer must be an optimizer of nn\.optim.*not str"):
        function(model, path, "adam")
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
