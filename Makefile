# Perception: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DEBUG=1

.PHONY: run test test-browser test-deep test-postgres bench bench-peer install install-dev messages browser lint format vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed messages
install-dev: $(VENV)/.installed-dev messages

## messages: recompile the translations under locale/ (.po -> .mo) when gettext's msgfmt
## is here; the compiled .mo files are committed, so nothing else needs gettext
messages: | $(BIN)/python
	@if command -v msgfmt >/dev/null; then \
	  $(DEV_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=.bench-peer; \
	else echo "msgfmt not found: using the committed translations (apt-get install gettext to rebuild them)"; fi

## run: install, migrate, load the demo when the database is empty, serve 127.0.0.1:8000
## with a task worker beside the web server (both stop with Ctrl-C)
run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEV_ENV) $(BIN)/python manage.py demo --if-empty
	$(DEV_ENV) $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

## test: install the dev requirements and run the suite on both cores (SQLite unless
## DATABASE_URL is set); the browser tests are their own step, `make test-browser`
test: install-dev
	$(BIN)/python -m pytest -n 2 --ignore=tests/e2e

## test-browser: the browser tests (Debian's Chromium and axe-core; `make browser` installs them)
test-browser: install-dev
	$(BIN)/python -m pytest tests/e2e

## test-deep: property tests at four times their examples and the statistics simulations
## at 2,000 replications (several minutes)
test-deep: install-dev
	PERCEPTION_DEEP=1 $(BIN)/python -m pytest -n 2 --ignore=tests/e2e

## test-postgres: the whole suite against PostgreSQL on 127.0.0.1:5432
test-postgres: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/perception} $(BIN)/python -m pytest -n 2 --ignore=tests/e2e

## bench: time `trends --json` on a synthetic organisation (see BENCHMARKS.md)
bench: install-dev
	$(BIN)/python -m benchmarks.simulation
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

## bench-peer: submissions, analysis and raw CSV export beside django-survey-and-report
## 1.5.0 (its own virtualenv in .bench-peer/), both on PostgreSQL 127.0.0.1:5432;
## PEER_ARGS=--quick for a short run, PEER_ARGS=--database=sqlite for the submissions on SQLite
bench-peer: install-dev
	$(BIN)/python -m benchmarks.peer $(PEER_ARGS)

## browser: Debian's Chromium and axe-core for the browser tests (needs root for apt)
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium gettext)
	npm ci --no-audit --no-fund

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## vendor: refresh Bootstrap under static/ from the pinned npm package
vendor:
	npm ci --no-audit --no-fund
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
