# chaingrad: `make demo` runs the demos, `make test` runs the tests.
# Each target does its own set-up from nothing: a virtual environment in .venv with the
# project and its extras, Graphviz's `dot`, headless Chromium (for the tests of the backward
# animation) and the MNIST data in the user's cache.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo docs test lint setup graphviz chromium data bench clean

demo: setup graphviz data
	$(PY) -m demos.xor --json runs/xor/result.json
	$(PY) -m demos.backprop_by_hand --json runs/backprop_by_hand/result.json
	$(PY) -m demos.newton --json runs/newton/result.json
	$(PY) -m demos.mnist --json runs/mnist/result.json --checkpoint runs/mnist/model.npz

# Every picture README.md shows, drawn again from the code it documents into docs/
# (tests/test_docs_pictures.py fails when a committed picture differs from what the code draws).
docs: setup graphviz
	$(PY) -m docs.make_pictures

# The tests start with the whole lint: what `make lint` rejects, CI rejects.
test: lint graphviz chromium data
	$(PY) -m pytest

# ruff and mypy are pinned in pyproject.toml, so every machine gives the same verdict.
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

setup: $(INSTALLED)

# `interop` (PyTorch, ONNX) is installed with `dev` because the tests import torch to check
# chaingrad's gradients and Hessians against it: those tests fail, never skip, without it, so
# CI (a bare machine running `make test`) must have it. The stamp depends on pyproject.toml,
# so changing a pin or an extra reinstalls.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c "import ensurepip" 2>/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && apt-get install -y -qq python3-venv; \
	    else echo "Python's venv module is missing: install it (Debian: sudo apt-get install python3-venv)"; exit 1; fi; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,interop]'
	touch $@

# A system program the tests need, installed with apt-get when running as root (as CI does),
# otherwise named with the command that installs it.
# $(call system_program,COMMAND,DEBIAN PACKAGE,WHAT IT IS FOR)
define system_program
	@command -v $(1) >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Installing $(2) ($(3)) with apt-get"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2); \
	    else echo "$(1) is missing ($(3)). Install it: sudo apt-get install $(2) (Debian/Ubuntu), brew install $(2) (macOS)"; exit 1; fi; }
	@command -v $(1) >/dev/null 2>&1 || { echo "$(1) is still missing after installing $(2)"; exit 1; }
endef

graphviz:
	$(call system_program,dot,graphviz,Graphviz's dot program: it draws the graphs)

# tests/test_anim_browser.py loads the backward animation in Debian's headless Chromium.
chromium:
	$(call system_program,chromium,chromium,a headless browser for the animation's tests)

data: setup
	$(PY) -m nn.datasets

bench: setup
	$(PY) benchmarks/scalar_step.py
	$(PY) benchmarks/mnist_epoch.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis .ruff_cache .mypy_cache
