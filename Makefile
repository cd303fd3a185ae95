# VisionLens developer entry points. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The interpreter the venvs are made from (`make PYTHON=python3.12 test` for another).
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# package.json scripts call `python` and `jupyter`: make them the venv's.
export PATH := $(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export VISIONLENS_SHARED ?= $(abspath $(CURDIR)/../shared)

# The example Python plugins (each an installable package with its own tests).
PY_PLUGINS := examples/plugins/visionlens-blur examples/plugins/visionlens-csvboxes

# Empty: the data folder every VisionLens entry point defaults to ($$VISIONLENS_DATA_DIR, else
# $$XDG_DATA_HOME/visionlens), so `visionlens` in any terminal sees what `make run` serves.
DATA_DIR ?=
DEMO_IMAGES ?= 3000
JUPYTER_ARGS ?=
# jupyter refuses to start as root without --allow-root (containers often run as root).
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help setup run demo test test-deps checks-then-ui lint typecheck test-python test-python-main test-python-services test-js test-ui chromium bench screenshots clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The project is installed with pip's build isolation, so that a dependency published only as a
# source distribution (num2words' docopt) builds with its own backend, as on any new machine;
# SKIP_JUPYTER_BUILDER: the lab extension is built by jlpm here, not again inside pip's build.
# The example plugins bring no dependencies: they build with the venv's hatchling (and editables,
# its editable wheels' helper).
$(VENV)/.installed: $(BIN)/python pyproject.toml package.json
	$(BIN)/pip install -q "jupyterlab>=4.4,<5" "hatchling>=1.5" "hatch-jupyter-builder>=0.9" editables
	jlpm install
	jlpm build
	SKIP_JUPYTER_BUILDER=1 $(BIN)/pip install -q -e ".[test]"
	$(BIN)/pip install -q --no-deps --no-build-isolation $(foreach p,$(PY_PLUGINS),-e $(p))
	jupyter labextension develop --overwrite .
	touch $(VENV)/.built $@

# The lab extension, rebuilt when its sources change (a file target, so that make -j never runs
# two builds of it at once).
$(VENV)/.built: $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json | $(VENV)/.installed
	jlpm build
	touch $@

# The optional `embed` extra (torch, torchvision, open_clip): the tests need it, `make run` does
# not (the demo's vectors come from the weight-free built-in embedder). Its torch/torchvision
# pins are the pair this machine's pip takes from local wheels, never a CUDA download.
$(VENV)/.installed-embed: $(VENV)/.installed
	SKIP_JUPYTER_BUILDER=1 $(BIN)/pip install -q -e ".[test,embed]"
	touch $@

# The example lab-extension plugin: compiled and built with the root's node_modules (its own
# empty node_modules stops the builder from running an install there), then pip-installed as
# a prebuilt extension, as a user would (plugins.spec.ts checks its overlay and section).
LAB_EXAMPLE := examples/plugins/visionlens-overlay-example
$(VENV)/.installed-lab-example: $(VENV)/.installed-embed $(LAB_EXAMPLE)/package.json $(LAB_EXAMPLE)/pyproject.toml $(LAB_EXAMPLE)/src/index.ts
	mkdir -p $(LAB_EXAMPLE)/node_modules
	node_modules/.bin/tsc -p $(LAB_EXAMPLE)
	jupyter labextension build --core-path "$$(python -c 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))')" $(LAB_EXAMPLE)
	$(BIN)/pip install -q --no-deps --no-build-isolation ./$(LAB_EXAMPLE)
	touch $@

# Readers of the exports that cannot share the venv (their own pins): datumaro (VOC, 538 MB)
# installed apart into a folder, FiftyOne (~1 GB) into an interpreter of its own. FiftyOne's
# database package tries to download MongoDB while it installs, which fails offline; its
# importers, all the export tests use, need no database.
$(VENV)/datumaro/.installed: $(BIN)/python
	$(BIN)/pip install -q --target $(VENV)/datumaro "datumaro>=1.13"
	touch $@

FIFTYONE_VENV := $(VENV)/fiftyone
$(FIFTYONE_VENV)/.installed: $(BIN)/python
	$(PYTHON) -m venv $(FIFTYONE_VENV)
	$(FIFTYONE_VENV)/bin/pip install -q "fiftyone>=1.22,<2"
	touch $@

# Label Studio for the round-trip tests, in an environment of its own (it pins numpy < 2.3,
# Django and its SDK's OpenCV); the tests start it on loopback with its data in a temp folder.
LABEL_STUDIO_VENV := $(VENV)/labelstudio
$(LABEL_STUDIO_VENV)/.installed: $(BIN)/python
	$(PYTHON) -m venv $(LABEL_STUDIO_VENV)
	$(LABEL_STUDIO_VENV)/bin/pip install -q "label-studio==1.23.2" "label-studio-sdk==2.1.2"
	touch $@

# configurable-http-proxy (npm) for the real JupyterHub of the hub tests.
tests/hub/node_modules/.installed: tests/hub/package.json tests/hub/package-lock.json
	npm ci --prefix tests/hub --no-audit --no-fund
	touch $@

setup: $(VENV)/.installed $(VENV)/.built  ## install Python + Node dependencies and build the lab extension

demo: setup  ## generate and ingest the demo dataset into the data folder (DATA_DIR=... for another)
	visionlens demo --images $(DEMO_IMAGES) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

run: demo  ## open JupyterLab with VisionLens and the demo dataset
	$(if $(DATA_DIR),VISIONLENS_DATA_DIR=$(DATA_DIR)) jupyter lab $(ROOT_ARGS) $(JUPYTER_ARGS)

chromium:  ## Debian's Chromium for the UI tests (never a downloaded browser)
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

ui-tests/node_modules/.installed: ui-tests/package.json ui-tests/yarn.lock | $(VENV)/.installed
	cd ui-tests && jlpm install
	touch $@

lint: setup ui-tests/node_modules/.installed  ## ruff, ruff format, ESLint, Prettier, Stylelint (everything that ships or tests)
	ruff check .
	ruff format --check .
	jlpm lint:check

typecheck: setup $(VENV)/.installed-embed ui-tests/node_modules/.installed  ## mypy; tsc strict over src, its tests, ui-tests and the JS benchmarks
	mypy
	jlpm typecheck

PYTHON_TEST_DEPS := setup $(VENV)/.installed-embed tests/hub/node_modules/.installed $(VENV)/datumaro/.installed $(FIFTYONE_VENV)/.installed $(LABEL_STUDIO_VENV)/.installed
PYTEST := VISIONLENS_DATUMARO_PATH=$(VENV)/datumaro VISIONLENS_FIFTYONE_PYTHON=$(FIFTYONE_VENV)/bin/python \
  VISIONLENS_LABEL_STUDIO=$(LABEL_STUDIO_VENV)/bin/label-studio \
  python tests/isolated_network.py pytest -q -p no:cacheprovider --durations=25
# The suites that start a Ray cluster or a Label Studio of their own. `make test` runs them after
# the browser suite, beside the rest of pytest: the browser suite ends first, and its core would
# otherwise sit idle while pytest finishes alone.
SERVICE_TESTS := tests/test_embed_ray.py tests/test_predict_ray.py tests/test_ray_pool.py \
  tests/test_ray_runner_confined.py tests/test_labelstudio.py tests/test_labelstudio_points.py \
  tests/test_labelstudio_masks.py

test-python: test-python-main test-python-services  ## the example plugins' own tests, then pytest (real DuckDB, Jupyter server, kernels, GCS emulator, Ray, datumaro, FiftyOne, Label Studio)

test-python-main: $(PYTHON_TEST_DEPS)
	$(foreach p,$(PY_PLUGINS),pytest -q -p no:cacheprovider $(p) &&) true
	$(PYTEST) $(addprefix --ignore=,$(SERVICE_TESTS))

test-python-services: $(PYTHON_TEST_DEPS)
	$(PYTEST) $(SERVICE_TESTS)

test-js: setup $(VENV)/.installed-embed  ## jest unit tests of the frontend model
	jlpm test

test-ui: setup $(VENV)/.installed-embed $(VENV)/.installed-lab-example chromium ui-tests/node_modules/.installed tests/hub/node_modules/.installed $(LABEL_STUDIO_VENV)/.installed  ## Galata/Playwright in headless Debian Chromium (own server, port, data folder; a Label Studio it starts), then under a real JupyterHub
	cd ui-tests && VISIONLENS_LABEL_STUDIO=$(LABEL_STUDIO_VENV)/bin/label-studio jlpm test
	cd ui-tests && jlpm test:hub

screenshots:  ## copy the screenshots of the last UI test run (build/screenshots) into docs/
	cp build/screenshots/*.png build/screenshots/readme-*.jpg docs/screenshots/

# Everything the suites need, in two rounds of installs side by side (-j, each target's output
# kept whole): first the venv and what needs only its Python, npm or apt (the side environments,
# the hub's proxy, Chromium), then what builds on the venv.
test-deps:  ## install what every suite needs (side by side)
	$(MAKE) -j4 -Otarget $(VENV)/.installed $(VENV)/datumaro/.installed $(FIFTYONE_VENV)/.installed \
	  $(LABEL_STUDIO_VENV)/.installed tests/hub/node_modules/.installed chromium
	$(MAKE) -j2 -Otarget setup $(VENV)/.installed-lab-example ui-tests/node_modules/.installed

# The static checks, the browser suite and then pytest's service suites run in turn beside the rest
# of pytest: neither side keeps both cores busy all the time (servers, kernels and the browser
# wait), so side by side they finish sooner than one after the other. -Otarget prints each side's
# log whole when it ends.
test:  ## every test, from a fresh machine: installs, then lint, typecheck, jest, Galata and pytest's service suites beside the rest of pytest
	$(MAKE) test-deps
	$(MAKE) -j2 -Otarget checks-then-ui test-python-main

checks-then-ui:
	$(MAKE) -j1 lint typecheck test-js test-ui test-python-services

bench: setup $(VENV)/.installed-embed chromium ui-tests/node_modules/.installed  ## every benchmark in turn under /tmp/vl-bench.lock (grid last); tables in benchmarks/results/
	python benchmarks/run_all.py $(BENCH_ARGS)

clean:  ## remove build outputs (keeps .venv)
	jlpm clean:all || true
	rm -rf ui-tests/test-results build/screenshots
