# collecte — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PICCOLO_CONF := collecte.db.piccolo_conf
LOCK := requirements.lock
PIP_TOOLS := pip-tools==7.6.2
# A machine's pip configuration may add local indexes, find-links or constraints: the lock must
# name public releases only, so it is resolved with pip's defaults.
PIP_DEFAULTS := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null
LOCK_FLAGS ?=

.DEFAULT_GOAL := help
.PHONY: help install lock wheel run test lint format messages bench demo migrate system-deps clean

help: ## List the targets
	@echo "collecte — La Grande Collecte Numérique"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

# The lock pins every package (runtime, test and bench); collecte itself comes on top, editable,
# built by the locked setuptools.
$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed ## Create .venv from requirements.lock, then collecte itself (editable)

lock: ## Pin every dependency into requirements.lock (LOCK_FLAGS=--upgrade: newest releases)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PIP_DEFAULTS) $(PYTHON) -m venv "$$tmp/venv" && \
	$(PIP_DEFAULTS) "$$tmp/venv/bin/python" -m pip install --quiet $(PIP_TOOLS) && \
	$(PIP_DEFAULTS) CUSTOM_COMPILE_COMMAND="make lock" "$$tmp/venv/bin/pip-compile" --quiet \
		--extra test --extra bench --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --output-file $(LOCK) $(LOCK_FLAGS) pyproject.toml

# build/ goes first: setuptools would ship the stale files an earlier build left there.
wheel: install ## Build the wheel into dist/ (what the Docker image installs)
	rm -rf build
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

run: install ## Serve on SQLite at http://localhost:8000 (migrates first; API docs at /schema)
	$(BIN)/collecte serve --host $(HOST) --port $(PORT)

system-deps: ## Install the Debian packages the tests use (chromium, poppler-utils) when missing
	@bash scripts/system-deps.sh

# One worker per core (at most 4): each worker has its own SQLite file and PostgreSQL database.
TEST_WORKERS ?= auto
test: install system-deps ## Run every test (PostgreSQL too when COLLECTE_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist worksteal

lint: install ## Ruff, mypy, and a check that no migration is missing
	$(BIN)/ruff check .
	$(BIN)/ruff format --check collecte tests bench
	$(BIN)/mypy collecte
	@bash scripts/check-migrations.sh

format: install ## Format the code with ruff
	$(BIN)/ruff format collecte tests bench
	$(BIN)/ruff check --fix collecte tests bench

messages: install ## Extract the words people read into collecte/locale and update each catalog
	$(BIN)/python -m collecte.i18n.catalogs

bench: install ## Run the benchmarks in bench/, each beside its baseline
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

demo: install ## Load fictional demo data into the configured database
	$(BIN)/collecte demo

migrate: install ## Apply pending migrations to the configured database
	$(BIN)/collecte migrate

clean: ## Remove .venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
