# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
# One venv per interpreter: `make test PYTHON=python3.13` never mixes another version's packages.
VENV ?= .venv$(if $(filter python3,$(PYTHON)),,-$(notdir $(PYTHON)))
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= 1
PYTEST_ARGS ?=

.PHONY: run test lint docs bench loadtest install install-test clean

$(BIN)/python:
	"$$(sh scripts/find-python $(PYTHON))" -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the package metadata changed.
$(VENV)/.installed: setup.cfg entry_points.txt pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[anomaly,redis,postgres]'
	touch $@

$(VENV)/.installed-test: setup.cfg entry_points.txt pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench,docs]'
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	$(BIN)/pip install --quiet -e examples/hello_plugin
	$(BIN)/pip install --quiet -e tests/faulty_plugins
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/modular-server db upgrade
	@if $(BIN)/modular-server --help | grep -q demo-data; then $(BIN)/modular-server demo-data --scale $(SCALE) --if-empty; fi
	@echo "Admin API key (send as 'Authorization: Bearer <key>'):"
	@$(BIN)/modular-server keys create --name dev-admin --scope admin --replace --quiet
	@echo "API docs: http://$(HOST):$(PORT)/docs"
	$(BIN)/modular-server serve --host $(HOST) --port $(PORT)

# lint-imports: the plugin boundary contracts in pyproject.toml ([tool.importlinter])
test: install-test
	$(BIN)/ruff check src tests examples $(wildcard benchmarks)
	$(BIN)/lint-imports --no-cache
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests examples $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests examples $(wildcard benchmarks)
	$(BIN)/lint-imports --no-cache
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

# The documentation site (mkdocs.yml, pages in docs/): a broken link or a missing page fails.
docs: install-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

bench: install-test
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.anomaly

loadtest: install-test
	$(BIN)/python -m benchmarks.loadtest

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
