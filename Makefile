# `make run` opens the app, `make test` runs every test. Both create .venv and install the
# package into it when pyproject.toml changed (the first time compiles llama.cpp and
# stable-diffusion.cpp: several minutes; pip caches the wheels), and are quick after that.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint screenshots dist dist-smoke

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
	$(PY) benchmarks/bench_backup.py
	$(PY) benchmarks/bench_look.py
	$(PY) benchmarks/bench_animate.py

# Screenshots of the real window on a virtual screen (Debian: xvfb, libxcb-cursor0,
# libxkbcommon-x11-0), saved into docs/.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1366x768x24" $(PY) tools/screenshots.py docs

# The packaged desktop build (PyInstaller, one folder): dist/NAME-VERSION/NAME, with the
# default caption model inside (~0.8 GB). `dist` always rebuilds; `dist-smoke` rebuilds only
# when the sources changed, then runs the built executable (tools/smoke_dist.py). The build
# needs objdump (Debian: binutils).
APP_NAME := $(shell sed -n 's/^name = "\(.*\)"/\1/p' pyproject.toml | head -n 1)
APP_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n 1)
DIST_EXE := dist/$(APP_NAME)-$(APP_VERSION)/$(APP_NAME)
DIST_SOURCES := build.spec $(shell find remix_desktop resources -type f -not -name '*.pyc')

# The executable gets the time the build started, so a source edited during it is rebuilt next.
define build_dist
	@$(PY) -c "import PyInstaller" 2>/dev/null || $(PY) -m pip install --quiet -e '.[dev,dist]'
	@mkdir -p build && touch build/.dist-started
	$(PY) -m PyInstaller --noconfirm --clean build.spec
	@touch -r build/.dist-started $(DIST_EXE)
endef

dist: $(STAMP)
	$(build_dist)

$(DIST_EXE): $(STAMP) $(DIST_SOURCES)
	$(build_dist)

dist-smoke: $(DIST_EXE)
	$(PY) tools/smoke_dist.py $(DIST_EXE)
