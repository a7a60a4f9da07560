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

.PHONY: vendor docs run test setup fonts system-deps system-deps-test translations messages lint bench clean

run: system-deps setup translations fonts
	$(FLASK) db upgrade heads
	$(FLASK) demo load
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs on every core (pytest-xdist; each worker has its own database, folders and ports) and names its
# slowest tests at the end. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --durations=25

# With TEST_DATABASE_URL the suite runs again on that PostgreSQL, all but the browser journeys: they drive the same
# server code the rest of the suite tests on both databases, through Chromium, which costs minutes a pass and tests
# the pages, not the database (the tests marked `postgres` run in that pass only).
test: system-deps-test setup translations fonts lint
	$(PYTEST)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "=== the same suite on PostgreSQL ($$TEST_DATABASE_URL), without the browser journeys (they ran above)"; \
	  CLAIMS_TEST_DB="$$TEST_DATABASE_URL" $(PYTEST) -m "not browser"; \
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

# The message catalogs: claims/translations/<lang>/LC_MESSAGES/messages.po (Chinese is "zh", which is
# where gettext looks for zh_CN, parsed by Babel as zh_Hans_CN). The .mo files are git-ignored and
# built here; `make run` and `make test` depend on this target. Fuzzy entries are never compiled.
TRANSLATIONS := claims/translations
# Also read by tests/test_i18n.py, which extracts the same way: keep these on one line each.
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
# Directories pybabel skips. Its default also skips those starting with "_", which left out
# templates/_macros; ".*" keeps skipping .venv and .git.
BABEL_IGNORE_DIRS := .*

translations: setup
	$(VENV)/bin/pybabel compile --statistics -d $(TRANSLATIONS) -D messages

# The print font's common characters as a face of their own (claims/documents/fonts.py): cut from the installed
# Noto Serif CJK SC once (about 15 s), again only when that font or the character list changes. Documents render
# without it, only slower.
fonts: setup
	$(FLASK) documents fonts

# After adding or changing user-facing strings: re-extract them and merge them into each catalog;
# then translate the new, empty entries (tests/test_i18n.py lists any that are missing) and run
# `make translations`. The compile step prints how many entries are translated.
messages: setup
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs='$(BABEL_IGNORE_DIRS)' --project=wildlife-claims --version=0.1.0 \
	  --copyright-holder="wildlife-claims contributors" -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -D messages --no-fuzzy-matching
	$(VENV)/bin/pybabel compile --statistics -d $(TRANSLATIONS) -D messages

# Lint: ruff's rules and formatting, and the layers of .importlinter (docs/architecture.md).
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

bench: setup
	$(PY) bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .import_linter_cache

# Third-party browser assets (ECharts, Leaflet and its plugins): pinned in package.json and package-lock.json and
# copied, with their hashes, into static/vendor/, which is committed, so `make run` needs no Node. Run after
# changing package.json (`npm install --package-lock-only <pkg>@<version>` first); tests/core/test_vendor.py checks.
vendor:
	$(PYTHON) scripts/vendor.py

# docs/workflow.md is generated from the lifecycle table (claims/lifecycle.py); a test fails when it is stale.
docs: setup
	$(PY) -c "from claims.lifecycle import workflow_markdown; print(workflow_markdown(), end='')" > docs/workflow.md
