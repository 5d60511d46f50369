# `make run` opens the app, `make test` runs every test. Both create .venv and install the
# package into it when pyproject.toml changed (the first time compiles llama.cpp and
# stable-diffusion.cpp: several minutes; pip caches the wheels), and are quick after that.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint screenshots

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m remix_desktop

test: $(STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/bench_consent.py
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_render.py
	$(PY) benchmarks/bench_frames.py
	$(PY) benchmarks/bench_captions.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/bench_gui.py
	$(PY) benchmarks/bench_diffusion.py

# Screenshots of the real window on a virtual screen (Debian: xvfb, libxcb-cursor0,
# libxkbcommon-x11-0), saved into docs/.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) tools/screenshots.py docs
