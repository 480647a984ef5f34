# The newcomer's two commands: `make demo` (the main job) and `make test` (every check CI runs).
# Each one installs what it needs first: a virtualenv in .venv and the Kafka jars in ~/.cache/ksqlpy.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup jars lint test demo clean

$(BIN)/.installed: pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ksqlpy needs Python 3.11 or newer: set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

setup: $(BIN)/.installed

jars: setup
	$(BIN)/python -m ksqlpy.testing.kafka --fetch

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy ksqlpy repl migrations local

test: jars lint
	$(BIN)/pytest

demo: setup
	$(BIN)/python -m ksqlpy.demo

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
