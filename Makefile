# The README's two commands: `make run` and `make test`. Both keep their virtualenv in .venv and
# reuse it while setup.cfg is unchanged.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
STAMP := $(VENV)/.installed-$(shell sha1sum setup.cfg | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup system-deps system-deps-test translations lint bench clean

run: system-deps setup translations
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: system-deps-test setup translations
	$(PY) -m ruff check .
	$(PY) -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "=== the same suite on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  CLAIMS_TEST_DB="$$TEST_DATABASE_URL" $(PY) -m pytest; \
	fi

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

system-deps:
	@bash scripts/system-deps.sh run

system-deps-test:
	@bash scripts/system-deps.sh test

translations: setup
	@$(PY) -m babel.messages.frontend compile -q -d claims/translations -D messages 2>/dev/null || \
	  $(VENV)/bin/pybabel compile -q -d claims/translations

lint: setup
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: setup
	$(PY) bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
