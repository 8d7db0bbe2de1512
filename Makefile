# Peyvand: `make run` serves the CRM, `make test` proves it (SQLite and PostgreSQL).
# Every target is safe to repeat; stamp files make a second run quick.

SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check -q
PEYVAND := $(VENV)/bin/peyvand
HOST ?= 127.0.0.1
PORT ?= 8000
# One xdist worker per core, at most four: each may start its own Chromium.
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_ARGS ?= -n $(JOBS) -q -rfEs
RESULTS := test-results

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q
PO_FILES := $(shell find locale src -name '*.po' 2>/dev/null)
STATIC_SOURCES := $(shell find src/peyvand -path '*/static/*' -type f 2>/dev/null)

.PHONY: run setup test test-deps test-sqlite test-postgres lint bench system-deps clean

# ---- installation --------------------------------------------------------------------------

# Debian's python3.11 needs python3-venv for `-m venv`; npm comes from Debian too when absent;
# WeasyPrint (quote PDFs) lays out Persian text through Pango and HarfBuzz.
$(VENV)/.base-deps:
	@missing=""; \
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	ldconfig -p | grep -q libpangoft2-1.0.so.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q libharfbuzz-subset.so.0 || missing="$$missing libharfbuzz-subset0"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; $(SUDO) apt-get update -q && $(APT_INSTALL) $$missing; \
	fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.base-deps
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.base-deps
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

var/.translations: $(PO_FILES) $(VENV)/.installed
	@mkdir -p var
	$(PY) manage.py compiletranslations
	@touch $@

var/.static: $(STATIC_SOURCES) node_modules/.installed $(VENV)/.installed
	@mkdir -p var
	$(PY) manage.py collectstatic --noinput -v0
	@touch $@

# Chromium for the browser tests, PostgreSQL for the second run of the suite.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; $(SUDO) apt-get update -q && $(APT_INSTALL) $$missing; \
	fi

# ---- run -----------------------------------------------------------------------------------

setup: $(VENV)/.installed node_modules/.installed var/.translations var/.static
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py ensureadmin

run: setup
	$(PEYVAND) run --host $(HOST) --port $(PORT)

# ---- quality -------------------------------------------------------------------------------

test: test-sqlite test-postgres

test-deps: $(VENV)/.installed-test node_modules/.installed var/.translations system-deps

test-sqlite: test-deps
	@mkdir -p $(RESULTS)
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS) --junitxml=$(RESULTS)/sqlite.xml tests
	$(PY) scripts/check-no-skips $(RESULTS)/sqlite.xml

test-postgres: test-deps
	@mkdir -p $(RESULTS)
	scripts/with-postgres $(VENV)/bin/pytest $(PYTEST_ARGS) --junitxml=$(RESULTS)/postgres.xml tests
	$(PY) scripts/check-no-skips $(RESULTS)/postgres.xml

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# BENCH_PEOPLE=100000 make bench for a quicker run; the figures that matter are at a million.
BENCH_PEOPLE ?= 1000000
BENCH_DEALS ?= 100000
bench: $(VENV)/.installed node_modules/.installed var/.translations
	$(PY) bench/list_search.py
	$(PY) bench/scale.py --people $(BENCH_PEOPLE)
	$(PY) bench/duplicates.py --people $(BENCH_PEOPLE)
	$(PY) bench/sales.py --deals $(BENCH_DEALS)

clean:
	rm -rf $(RESULTS) var/.translations var/.static $(VENV)/.installed $(VENV)/.installed-test \
	  $(VENV)/.base-deps node_modules/.installed
