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

# Tests, doctests and the notebooks (nbval). conftest.py gives every test and
# every notebook its own throw-away PRIVLAB_HOME.
test: lint
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env tests toolkit/privlab notebooks $(PYTEST_ARGS)

lab: install
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) demo_output .mypy_cache .ruff_cache
