# Kairan — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format messages bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

run: $(STAMP) messages
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --no-input -v 0
	$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(VENV)/bin/mypy directory/services.py directory/sync.py directory/selectors.py audit/services.py audit/selectors.py audit/permissions.py

test: $(STAMP) messages lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) bench/run.py

# The pictures of docs/user-guide.md (Debian's chromium; a throw-away data dir, never ./var).
screenshots: $(STAMP) messages
	$(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) var
