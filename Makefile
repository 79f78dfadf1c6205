# The AI Stack Tracker: `make run` serves the site, `make test` checks it.
#
# Variables (override on the command line, e.g. `make run PORT=8001`):
#   PYTHON   interpreter for the virtualenv; found automatically (3.12 or newer)
#   VENV     where the virtualenv lives
#   HOST, PORT  where `make run` listens
#   DEBUG    passed to the site by `make run` (False unless set: readers' view)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
CONTENT ?= content/ai-stack-tracker.md
AS_OF ?= 2026-12-02

BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed

# Prints its path if the interpreter named by $$1 runs and is 3.12 or newer.
CHECK_PY := import sys; assert sys.version_info >= (3, 12); print(sys.executable)

# The first of python3.13, python3.12, python3 and pyenv's own 3.12+ builds
# (newest first) that actually runs: pyenv shims exist for versions that are
# installed but not selected, and refuse to run.
PYTHON ?= $(shell \
	for candidate in python3.13 python3.12 python3 \
	    $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 \
	        2>/dev/null | sort -rV); do \
	  "$$candidate" -c '$(CHECK_PY)' 2>/dev/null && break; \
	done)

# Succeeds if the layers are in the database, exits 3 if it is empty.
HAS_CONTENT := from layers.models import Layer; \
	raise SystemExit(0 if Layer.objects.exists() else 3)

TOOLS := tests/vendor
TOOLS_STAMP := $(TOOLS)/node_modules/.installed

# The benchmark drops and refills this database, and caches in this Redis.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/2

.PHONY: help install test-tools run test lint fmt bench

help:
	@echo "make run    serve the site with its content at http://$(HOST):$(PORT)/"
	@echo "make test   check formatting, lint, migrations and run the tests"
	@echo "make lint   check formatting and lint only"
	@echo "make bench  measure a large synthetic stack under gunicorn (PostgreSQL)"
	@echo "make fmt    format the code and fix what the linter can"

# Graphviz's dot lays out the flow charts; without it they show their tables.
install: $(STAMP)
	@command -v dot >/dev/null || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo="sudo -n"; fi; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq graphviz; } || \
	  echo "Graphviz could not be installed: flow charts will show only their tables." >&2

# axe-core and the Nu HTML Checker, pinned by the lock file, for the tests
# that check every kind of page.
test-tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): $(TOOLS)/package.json $(TOOLS)/package-lock.json
	npm ci --prefix $(TOOLS) --no-audit --no-fund --loglevel=error
	@touch "$@"

# Rebuild the virtualenv when it is missing or too old; reinstall when
# pyproject.toml changes.
$(STAMP): pyproject.toml
	@if ! "$(BIN)/python" -c '$(CHECK_PY)' >/dev/null 2>&1; then \
	  python="$(PYTHON)"; \
	  if [ -z "$$python" ] || ! "$$python" -c '$(CHECK_PY)' >/dev/null 2>&1; then \
	    echo "Python 3.12 or newer is needed; $${python:-none was found}$${python:+ will not do}." >&2; \
	    echo "Name one: make $(or $(MAKECMDGOALS),install) PYTHON=/path/to/python3.12" >&2; \
	    exit 1; \
	  fi; \
	  echo "Creating $(VENV) with $$python"; \
	  rm -rf "$(VENV)"; \
	  "$$python" -m venv "$(VENV)"; \
	fi
	"$(BIN)/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch "$@"

run: export DEBUG ?= False
# Plain http on 127.0.0.1, so cookies must not demand HTTPS.
run: export SECURE_COOKIES ?= False
run: install
	$(MANAGE) migrate --noinput
	@status=0; $(MANAGE) shell --no-imports -v 0 -c "$(HAS_CONTENT)" || status=$$?; \
	case $$status in \
	  0) echo "The content is already in the database." ;; \
	  3) $(MANAGE) import_stack $(CONTENT) --as-of $(AS_OF) ;; \
	  *) exit $$status ;; \
	esac
	$(MANAGE) ensure_admin
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) runserver $(HOST):$(PORT)

test: install test-tools lint
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	DEBUG=False $(MANAGE) collectstatic --noinput -v 0
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: export DEBUG = False
bench: install
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo="sudo -n"; fi; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq wrk; }
	$(MANAGE) collectstatic --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
	  $(MANAGE) benchmark
