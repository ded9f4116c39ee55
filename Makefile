# One way to do each thing: the README, pre-commit and .ci/run all call these targets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PKGS := -e "shared[features,demo]" -e services/ingest -e services/features -e services/trainer -e services/predictor

.PHONY: install demo test test-fast lint bench clean

install: $(BIN)/.installed

$(BIN)/.installed: shared/pyproject.toml services/*/pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(PKGS) -r requirements-dev.txt
	touch $@

demo: install
	$(BIN)/candlecast demo

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not e2e and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/features.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
