# One way to do each thing: the README, pre-commit and .ci/run all call these targets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PKGS := -e "shared[features]" -e "cli[features,demo]" -e services/ingest -e services/features -e services/trainer -e services/predictor

.PHONY: install demo test test-fast lint bench bench-train bench-memory schema clean

install: $(BIN)/.installed

$(BIN)/.installed: shared/pyproject.toml cli/pyproject.toml services/*/pyproject.toml requirements-dev.txt
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

# The model card's committed JSON Schema, regenerated from ModelCard (a unit test checks it is current).
schema: install
	$(BIN)/python -m candlecast.shared.adapters.card_schema

# PYTHONPATH: the benches start services with the tests' fleet (tests/support/fleet.py).
bench: install
	PYTHONPATH=. $(BIN)/python bench/pipeline.py
	PYTHONPATH=. $(BIN)/python bench/latency.py
	PYTHONPATH=. $(BIN)/python bench/features.py
	PYTHONPATH=. $(BIN)/python bench/predictor.py

# One full retrain: 200 trials on 90 days x 3 symbols of 1m synthetic bars (~390k rows), ~10 min.
bench-train: install
	PYTHONPATH=. $(BIN)/python bench/train.py

# RSS before/after 20 retrains (trainer) and 50 hot swaps (predictor), each in its own process; ~1.5 min.
bench-memory: install
	PYTHONPATH=. $(BIN)/python bench/memory.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
