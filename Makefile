# Two commands: `make run` (serve the platform with demo data) and `make test` (lint + the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app examplatform

.PHONY: system-deps run test test-postgres lint format translations translations-update install install-dev migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# PDFs (WeasyPrint) need Pango and a font with Polish letters: Debian packages, installed when we may.
system-deps:
	@if ! ldconfig -p | grep -q 'libpango-1.0.so.0' || ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' \
	   || ! (command -v fc-list >/dev/null && fc-list | grep -qi dejavu); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "== installing Pango and DejaVu fonts for PDF generation"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core >/dev/null; \
	  else \
	    echo "Brak Pango lub fontów DejaVu. Zainstaluj: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	    exit 1; \
	  fi; \
	fi

install: system-deps $(VENV)/.runtime
install-dev: system-deps $(VENV)/.dev

# Catalogues are compiled here, never committed as binaries.
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile --use-fuzzy -d examplatform/translations

translations-update: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-output --no-location --omit-header -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d examplatform/translations --no-fuzzy-matching --ignore-obsolete

migrate: install translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo

run: demo
	@echo "Platforma: http://$(HOST):$(PORT)/  (zatrzymanie: Ctrl+C)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - 'examplatform:create_app()'

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-dev translations lint
	$(BIN)/pytest

# The whole suite against PostgreSQL: EXAMPLATFORM_TEST_DATABASE_URL names a database that may be emptied.
test-postgres: install-dev translations
	EXAMPLATFORM_REQUIRE_POSTGRES=1 $(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
	find . -name '*.mo' -path '*/translations/*' -delete
