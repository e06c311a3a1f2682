# datamill developer tasks. Every target creates or updates .venv itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: demo test lint bench clean services

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the package metadata changes.
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e ".[all,dev]"
	touch $@ $(VENV)/.installed-runtime

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e ".[demo]"
	touch $@

# A fresh project from the built-in demo starter in demo/ (git-ignored), run end to end.
demo: $(VENV)/.installed-demo
	rm -rf demo
	$(BIN)/datamill new demo --starter demo --no-input
	cd demo && ../$(BIN)/datamill run
	@echo
	@echo "The demo project is in demo/. Its outputs:"
	@cd demo && find data -type f ! -name .gitkeep | sort | sed 's/^/  demo\//'
	@echo "Its run log: demo/logs/datamill.log"
	@echo "Its run journal: demo/.datamill/journal.db (cd demo && ../$(BIN)/datamill runs show)"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/lint-imports

# External services the tests run against (PostgreSQL, Azurite): installs what is
# missing, starts nothing; the tests start their own throwaway servers on loopback.
services:
	scripts/services/postgres.sh
	scripts/services/azurite.sh

test: lint services
	$(BIN)/pytest

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py
	$(PY) benchmarks/bench_check.py
	$(PY) benchmarks/bench_incremental.py
	$(PY) benchmarks/bench_journal_schema.py
	$(PY) benchmarks/bench_journal_floor.py
	.bench-venvs/kedro-1.7.0/bin/python benchmarks/bench_incremental_kedro.py

clean:
	rm -rf $(VENV) .bench-venvs .services .mypy_cache .pytest_cache .ruff_cache
