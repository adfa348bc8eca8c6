# Stoop: `make demo` serves the demo, `make test` runs every test, `make bench` the benchmarks.
# Both set up everything they need on a fresh machine: Debian packages, a virtualenv, catalogues.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# libzbar0: pyzbar reads QR codes back in tests; pango, harfbuzz-subset and DejaVu: WeasyPrint's
# flyer PDFs (poppler-utils renders them back in tests).
# What Stoop itself runs with (media, the demo's spoken clips, flyers), and what only the tests use.
RUNTIME_PACKAGES := ffmpeg espeak-ng libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 librsvg2-bin \
	fonts-dejavu-core
DEB_PACKAGES := $(RUNTIME_PACKAGES) chromium libzbar0 poppler-utils spamassassin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
PG_REACHABLE = $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null

.PHONY: demo test test-sqlite test-postgres models bench runtime-deps deb-packages lint format sysdeps services install translations clean

demo: runtime-deps install translations
	$(BIN)/stoop demo

test: sysdeps services install translations lint models
	@# The two suites run side by side (two cores; each has its own databases, Redis
	@# databases and temporary folders); the PostgreSQL run's report follows the SQLite run's.
	@# Tests marked `once` run in the PostgreSQL suite only when it runs (tests/conftest.py).
	@both=; $(PG_REACHABLE) && both=1; \
	$(MAKE) --no-print-directory test-postgres > .test-postgres.log 2>&1 & pg=$$!; \
	STOOP_BOTH_SUITES=$$both $(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	wait $$pg; postgres=$$?; cat .test-postgres.log; rm -f .test-postgres.log; \
	if [ $$sqlite -ne 0 ] || [ $$postgres -ne 0 ]; then \
		echo "== failed: SQLite suite exit $$sqlite, PostgreSQL suite exit $$postgres" >&2; exit 1; fi

# The speech and language models that install with Stoop, joined and checked against their
# published hashes once, before the suites share them.
models: install
	$(BIN)/stoop models --models-dir "$${TMPDIR:-/tmp}/stoop-test-models"

test-sqlite:
	@echo "== test suite on SQLite"
	STOOP_TEST_DATABASE_URL= $(BIN)/python -m pytest --basetemp="$${TMPDIR:-/tmp}/stoop-pytest-sqlite" $(PYTEST_ARGS)

test-postgres:
	@if $(PG_REACHABLE); then \
		echo "== test suite on PostgreSQL (browser tests: the core loop; the rest ran on SQLite)"; \
		STOOP_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -m "not browser or postgres_too" \
			--basetemp="$${TMPDIR:-/tmp}/stoop-pytest-postgres" $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL at $(PG_URL) is not reachable, and CI must test on it." >&2; exit 1; \
	else \
		echo "== PostgreSQL not reachable at $(PG_URL): suite ran on SQLite only"; \
	fi

bench: sysdeps services install translations
	$(BIN)/python -m tests.benchmarks

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian packages the tests need (browser, media tools, QR decoding, PDF rendering).
sysdeps:
	@$(MAKE) --no-print-directory deb-packages PACKAGES="$(DEB_PACKAGES)"

# Only what the demo runs with.
runtime-deps:
	@$(MAKE) --no-print-directory deb-packages PACKAGES="$(RUNTIME_PACKAGES)"

deb-packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "== installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# Start PostgreSQL and Redis when they are installed but not running (a no-op otherwise).
services:
	@if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; fi
	@if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true; fi

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

translations: install
	@$(BIN)/pybabel compile -f -d panel/translations 2>&1 | { grep -v '^compiling' || true; }; test $${PIPESTATUS[0]} -eq 0

# Maintainers: refresh the catalogues after changing user-visible text.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o panel/translations/messages.pot .
	$(BIN)/pybabel update -i panel/translations/messages.pot -d panel/translations

clean:
	rm -rf $(VENV) instance test-artifacts
