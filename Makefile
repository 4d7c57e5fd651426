# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
# One venv per interpreter: `make test PYTHON=python3.13` never mixes another version's packages.
VENV ?= .venv$(if $(filter python3,$(PYTHON)),,-$(notdir $(PYTHON)))
BIN := $(VENV)/bin
# The suite installs plugins of its own (the faulty plugins, the hello example) into a venv of
# its own: `make run` and `make bench` never load them next to the product's plugins.
TEST_VENV ?= $(VENV)-test
TEST_BIN := $(TEST_VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= 1
PYTEST_ARGS ?=

.PHONY: run test lint docs bench loadtest install install-test install-bench clean

%/bin/python:
	"$$(sh scripts/find-python $(PYTHON))" -m venv $*
	$*/bin/pip install --quiet --upgrade pip

# Reinstall only when the package metadata changed.
$(VENV)/.installed: setup.cfg entry_points.txt pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[anomaly,redis,postgres]'
	touch $@

$(VENV)/.installed-bench: setup.cfg entry_points.txt pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[anomaly,redis,postgres,bench]'
	touch $@ $(VENV)/.installed

$(TEST_VENV)/.installed-test: setup.cfg entry_points.txt pyproject.toml Makefile | $(TEST_BIN)/python
	$(TEST_BIN)/pip install --quiet -e '.[test,bench,docs]'
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	$(TEST_BIN)/pip install --quiet -e examples/hello_plugin
	$(TEST_BIN)/pip install --quiet -e tests/faulty_plugins
	touch $@

install: $(VENV)/.installed
install-test: $(TEST_VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

run: install
	$(BIN)/modular-server db upgrade
	@if $(BIN)/modular-server --help | grep -q demo-data; then $(BIN)/modular-server demo-data --scale $(SCALE) --if-empty; fi
	@echo "Admin API key (send as 'Authorization: Bearer <key>'):"
	@$(BIN)/modular-server keys create --name dev-admin --scope admin --replace --quiet
	@echo "API docs: http://$(HOST):$(PORT)/docs"
	$(BIN)/modular-server serve --host $(HOST) --port $(PORT)

# lint-imports: the plugin boundary contracts in pyproject.toml ([tool.importlinter])
test: install-test
	$(TEST_BIN)/ruff check src tests examples $(wildcard benchmarks)
	$(TEST_BIN)/lint-imports --no-cache
	NO_MKDOCS_2_WARNING=1 $(TEST_BIN)/mkdocs build --strict --quiet --site-dir build/site
	$(TEST_BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(TEST_BIN)/ruff check src tests examples $(wildcard benchmarks)
	$(TEST_BIN)/ruff format --check src tests examples $(wildcard benchmarks)
	$(TEST_BIN)/lint-imports --no-cache
	NO_MKDOCS_2_WARNING=1 $(TEST_BIN)/mkdocs build --strict --quiet --site-dir build/site

# The documentation site (mkdocs.yml, pages in docs/): a broken link or a missing page fails.
docs: install-test
	NO_MKDOCS_2_WARNING=1 $(TEST_BIN)/mkdocs build --strict --site-dir build/site

bench: install-bench
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.anomaly
	$(BIN)/python -m benchmarks.startup

loadtest: install-bench
	$(BIN)/python -m benchmarks.loadtest

clean:
	rm -rf $(VENV) $(TEST_VENV) build *.egg-info src/*.egg-info
