# collecte — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PICCOLO_CONF := collecte.db.piccolo_conf

.DEFAULT_GOAL := help
.PHONY: help install run test lint format messages bench demo migrate system-deps clean

help: ## List the targets
	@echo "collecte — La Grande Collecte Numérique"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install collecte with its test and bench tools

run: install ## Serve on SQLite at http://localhost:8000 (migrates first; API docs at /schema)
	$(BIN)/collecte serve --host $(HOST) --port $(PORT)

system-deps: ## Install the Debian packages the tests use (chromium, poppler-utils) when missing
	@bash scripts/system-deps.sh

test: install system-deps ## Run every test (PostgreSQL too when COLLECTE_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
