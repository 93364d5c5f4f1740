"""The backward animation in a real browser: Debian's headless Chromium (``make chromium``)
loads the page, runs its script, and the DOM (or a screenshot) is read back.

The page's script writes the frame it shows into ``<output id="cg-state">``: the frame's
number, the number of frames and every value's gradient at that frame. ``#frame=N`` or
``#last`` in the address opens it at a frame.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
from backward_steps import StepCounter
from PIL import Image

from autograd import Tensor, Value, animate_backward, topological_order
from autograd.graph import watching_backward

TIMEOUT = 60  # seconds; a page loads in about one


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is not installed: run `make chromium` (apt-get install chromium)"
    return path


def browse(page: Path, fragment: str, tmp_path: Path, *options: str) -> str:
    """Run headless Chromium on ``page#fragment`` with ``options``; its stdout."""
    command = [
        chromium(),
        "--headless",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=3000",  # let the page's script run before the DOM is read
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        *options,
        f"{page.resolve().as_uri()}#{fragment}",
    ]
    if os.geteuid() == 0:  # Chromium refuses to run as root inside its sandbox
        command.insert(2, "--no-sandbox")
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def state_at(page: Path, fragment: str, tmp_path: Path) -> dict:
    """What the page's script reports at ``#fragment``."""
    dom = browse(page, fragment, tmp_path, "--dump-dom")
    match = re.search(r'<output id="cg-state"[^>]*>(.*?)</output>', dom, re.S)
    assert match, "the page's script did not report its state: " + dom[:500]
    return json.loads(html.unescape(match.group(1)))


def value_expression() -> tuple[Value, Value, Value]:
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    return x, y, (x * y + x).tanh() * x  # x is used three times


def test_the_browser_shows_a_frame_per_step_and_the_engine_s_gradients_at_the_end(tmp_path):
    *_, twin = value_expression()
    with watching_backward(StepCounter()) as counter:
        twin.backward()
    *_, out = value_expression()
    page = animate_backward(out, tmp_path / "backward.html")

    state = state_at(page, "last", tmp_path)
    assert state["frames"] == counter.steps
    assert state["frame"] == counter.steps
    engine = {str(i): node.grad for i, node in enumerate(topological_order(out))}
    assert state["grads"] == engine


def test_the_browser_opens_the_frame_the_address_names(tmp_path):
    x = Value(3.0, label="x")
    out = x * x
    page = animate_backward(out, tmp_path / "backward.html")
    # Frame 1 is x * x with gradient 1; frame 2 passes 3 × 1 into x, frame 3 the second.
    second = state_at(page, "frame=2", tmp_path)
    assert second["frame"] == 2 and second["grads"] == {"0": 3.0, "1": 1.0}
    assert state_at(page, "frame=3", tmp_path)["grads"] == {"0": 6.0, "1": 1.0}


def test_a_tensor_page_ends_with_the_engine_s_gradients_in_the_browser(tmp_path):
    w = Tensor(np.array([[1.0, -2.0, 0.5], [0.5, 3.0, -1.0]]), requires_grad=True, label="w")
    b = Tensor(np.array([0.1, -0.1]), requires_grad=True, label="b")
    x = Tensor(np.array([[0.2, 0.7]]), label="x")
    loss = ((x @ w).tanh().sum(axis=1) * b.sum()).sum()
    page = animate_backward(loss, tmp_path / "tensor.html")
    state = state_at(page, "last", tmp_path)
    order = topological_order(loss)
    grads = state["grads"]
    assert grads[str(order.index(b))] == b.grad.tolist()  # two numbers: shown in full
    assert grads[str(order.index(w))] == {"norm": float(np.linalg.norm(w.grad)), "shape": [2, 3]}
    assert grads[str(order.index(x))] is None  # x needs no gradient


def test_a_screenshot_of_a_frame_is_not_blank(tmp_path):
    *_, out = value_expression()
    page = animate_backward(out, tmp_path / "backward.html")
    shot = tmp_path / "frame.png"
    browse(page, "frame=6", tmp_path, f"--screenshot={shot}", "--window-size=1280,800")
    with Image.open(shot) as png:
        image = png.convert("RGB")
    assert image.size == (1280, 800)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # text, boxes, edges: not one flat colour
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    assert (pixels.min(axis=1) < 200).mean() > 0.01  # more than a few specks of ink
    orange = np.abs(pixels - (0xEA, 0x58, 0x0C)).max(axis=1) < 30  # the active node's outline
    assert orange.sum() > 200


DRIVER = """<script>
(function () {  // presses the page's controls as a reader would, noting the frame after each
  var seen = [];
  function frame() { seen.push(Number(document.getElementById("cg-state").dataset.frame)); }
  function key(name) {
    document.body.dispatchEvent(new KeyboardEvent("keydown", {key: name, bubbles: true}));
  }
  document.getElementById("cg-next").click(); frame();
  document.getElementById("cg-next").click(); frame();
  key("ArrowLeft"); frame();
  key("End"); frame();
  document.getElementById("cg-prev").click(); frame();
  var slider = document.getElementById("cg-slider");
  slider.value = 4; slider.dispatchEvent(new Event("input")); frame();
  key("Home"); frame();
  seen.push(document.getElementById("cg-prev").disabled ? "first" : "not first");
  key(" ");  // plays: a step every 1.5 s (of the browser's virtual time)
  setTimeout(function () {
    frame();
    document.body.setAttribute("data-seen", JSON.stringify(seen));
  }, 2000);
})();
</script>
</body>"""


def test_the_buttons_keys_and_slider_move_between_frames(tmp_path):
    x = Value(3.0, label="x")
    page = animate_backward(x * x + x, tmp_path / "backward.html")  # 7 frames
    driven = tmp_path / "driven.html"
    driven.write_text(page.read_text(encoding="utf-8").replace("</body>", DRIVER), "utf-8")
    dom = browse(driven, "frame=1", tmp_path, "--dump-dom")
    match = re.search(r'data-seen="([^"]*)"', dom)
    assert match, "the driver did not run"
    assert json.loads(html.unescape(match.group(1))) == [2, 3, 2, 7, 6, 5, 1, "first", 2]
