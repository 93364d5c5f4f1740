"""A demo's figure is written whole or not at all: a failure while writing keeps the old one."""

from __future__ import annotations

import errno

import pytest

from demos import common


def drawn_figure():
    figure = common.new_figure(2, 2)
    figure.add_subplot().plot([0, 1], [1, 0])
    return figure


def test_a_figure_is_saved_in_the_format_its_suffix_names(tmp_path):
    png = common.save_figure(drawn_figure(), tmp_path / "curve.png")
    svg = common.save_figure(drawn_figure(), tmp_path / "curve.svg")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()[:1000]


def test_ctrl_c_while_a_figure_is_drawn_leaves_the_old_figure_and_no_fragment(
    tmp_path, monkeypatch
):
    path = tmp_path / "curves.png"
    path.write_bytes(b"the figure of the previous run")
    figure = drawn_figure()

    def interrupted_savefig(target, **options):
        """Matplotlib writes the PNG in pieces; Ctrl-C comes after the first."""
        if hasattr(target, "write"):
            target.write(b"\x89PNG half a picture")
        else:
            with open(target, "wb") as file:
                file.write(b"\x89PNG half a picture")
        raise KeyboardInterrupt

    monkeypatch.setattr(figure, "savefig", interrupted_savefig)
    with pytest.raises(KeyboardInterrupt):
        common.save_figure(figure, path)
    assert path.read_bytes() == b"the figure of the previous run"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_a_disk_full_while_saving_leaves_the_old_figure_and_no_fragment(tmp_path, monkeypatch):
    path = tmp_path / "curves.png"
    path.write_bytes(b"the figure of the previous run")

    def disk_full(descriptor, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(common.os, "write", disk_full)  # the atomic writer's own writes
    with pytest.raises(OSError, match="No space left on device"):
        common.save_figure(drawn_figure(), path)
    assert path.read_bytes() == b"the figure of the previous run"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]
