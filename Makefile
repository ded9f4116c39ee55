# One way to do each thing: the README, pre-commit and .ci/run all call these targets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PKGS := -e "shared[features]" -e "cli[features,demo]" -e services/ingest -e services/features -e services/trainer -e services/predictor

.PHONY: install demo test test-fast test-docker lint bench bench-train bench-memory schema asyncapi docs clean

install: $(BIN)/.installed

$(BIN)/.installed: shared/pyproject.toml cli/pyproject.toml services/*/pyproject.toml requirements-dev.txt docs/examples/package-lock.json
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(PKGS) -r requirements-dev.txt
	@# the Node subscriber example's packages; without npm its test is skipped
	if command -v npm >/dev/null 2>&1; then npm ci --prefix docs/examples --silent --no-audit --no-fund || echo "npm ci failed: the Node example test will be skipped"; fi
	touch $@

demo: install
	$(BIN)/candlecast demo

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not e2e and not slow"

# The compose stack on a real Docker engine (build, up, retrain, scale, down -v); skipped
# (exit 0) when no engine answers. Not part of `make test`. ~7 min cold, ~2 min cached.
test-docker:
	tests/docker/run_docker_test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The model card's committed JSON Schema, regenerated from ModelCard (a unit test checks it is current).
schema: install
	$(BIN)/python -m candlecast.shared.adapters.card_schema

# Each service's AsyncAPI 3.0 document, docs/asyncapi/<service>.{json,yaml}, from FastStream's
# tooling (a unit test checks they are current).
asyncapi: install
	$(BIN)/python -m candlecast.shared.adapters.contract docs/asyncapi

# docs/streams.md: every stream's writers, readers and fields, with a real example of each message
# (a unit test checks it is current).
docs: install
	$(BIN)/python -m candlecast.shared.adapters.stream_docs docs/streams.md

# PYTHONPATH: the benches start services with the tests' fleet (tests/support/fleet.py).
bench: install
	PYTHONPATH=. $(BIN)/python bench/pipeline.py
	PYTHONPATH=. $(BIN)/python bench/latency.py
	PYTHONPATH=. $(BIN)/python bench/features.py
	PYTHONPATH=. $(BIN)/python bench/predictor.py
	PYTHONPATH=. $(BIN)/python bench/cpu.py

# One full retrain: 200 trials on 90 days x 3 symbols of 1m synthetic bars (~390k rows), ~10 min.
bench-train: install
	PYTHONPATH=. $(BIN)/python bench/train.py

# RSS before/after 20 retrains (trainer) and 50 hot swaps (predictor), each in its own process; ~1.5 min.
bench-memory: install
	PYTHONPATH=. $(BIN)/python bench/memory.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
