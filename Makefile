# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Links the platform prints (the demo's login address among them) follow HOST and PORT.
SITE_URL ?= http://$(HOST):$(PORT)
# Independent tests run in parallel, one process per core.
PYTEST_ARGS ?= -n auto

.PHONY: run test lint bench clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

## Run the platform on http://127.0.0.1:8000 with the demo (first start only).
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(PY) manage.py demo --if-new
# No beat without a broker: a companion process gives hosted mines their pass every minute.
	SITE_URL=$(SITE_URL) $(PY) manage.py mines_hosted_run --delay 10 & companion=$$!; \
	trap 'kill $$companion 2>/dev/null' EXIT INT TERM; \
	SITE_URL=$(SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set).
test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: $(VENV)/.dev
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) var staticfiles
