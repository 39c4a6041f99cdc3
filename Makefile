# The handful of commands people run. Each target installs what it needs first,
# so `make dev` and `make test` work on a machine where nothing has run before.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: dev test test-image image lint typecheck check bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/gateway dev

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The container image, built with Podman (deploy/install-podman.sh installs it on Debian).
image:
	$(PYTHON) -m deploy.image

# Builds the image and runs its API and worker against the test session's servers.
test-image: $(STAMP)
	$(BIN)/python -m pytest -m image tests/image $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
