# The README's two commands are `make demo` and `make test`; both set everything up themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint format typecheck services bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

demo: $(STAMP)  ## the embedded end-to-end demo: SQLite + in-process bus, nothing else needed
	$(BIN)/canary demo

test: $(STAMP) services  ## the whole suite, including Postgres and Redis tests
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## unit tests only, no services
	$(BIN)/python -m pytest tests/unit

services:  ## make sure Postgres and Redis answer on 127.0.0.1 (start or install them if needed)
	bash scripts/ensure-services.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP) services
	$(BIN)/canary bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
