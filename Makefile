# TrialPortal: `make run` to serve, `make test` to test. See README.md.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8000
BENCH_STUDIES ?= 10000
# The PostgreSQL that `make test` tries when DATABASE_URL is not set.
LOCAL_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/trialportal

.PHONY: run test test-sqlite test-postgres lint format bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

run: $(VENV)/.installed
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py seed
	$(PYTHON) manage.py load_sample
	@echo ""
	@echo "TrialPortal is starting on http://127.0.0.1:$(PORT)/"
	@echo "To edit trials, create an admin user once:  $(PYTHON) manage.py createsuperuser"
	@echo "then sign in at http://127.0.0.1:$(PORT)/admin/"
	@echo ""
	$(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The whole suite on SQLite, then on PostgreSQL when one answers
# (DATABASE_URL, or the local server). REQUIRE_POSTGRES=1 makes a missing
# PostgreSQL an error instead of a skip; REQUIRE_BROWSER=1 does the same for
# Chromium, which the browser tests (trials/tests/browser/) drive, and
# REQUIRE_REDIS=1 for redis-server, which the shared-cache tests start.
# CHROMIUM_PATH points the browser tests at another Chromium.
export REQUIRE_BROWSER
export REQUIRE_REDIS
export CHROMIUM_PATH ?= /usr/bin/chromium

test: $(VENV)/.installed
	env -u DATABASE_URL $(PYTHON) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	@url="$${DATABASE_URL:-$(LOCAL_POSTGRES_URL)}"; \
	if DATABASE_URL="$$url" $(PYTHON) -m trialportal.dbcheck; then \
		DATABASE_URL="$$url" $(MAKE) --no-print-directory test-postgres || exit 1; \
		echo "make test: ran the suite on SQLite and on PostgreSQL ($$url)."; \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "make test: PostgreSQL is required (REQUIRE_POSTGRES=1) but does not answer at $$url." >&2; exit 1; \
	else \
		echo "make test: ran the suite on SQLite only; no PostgreSQL answered at $$url."; \
	fi
	@if [ -x "$(CHROMIUM_PATH)" ]; then \
		echo "make test: the browser tests ran in $$($(CHROMIUM_PATH) --version 2>/dev/null | head -n 1); screenshots are in test-artifacts/screenshots/."; \
	else \
		echo "make test: the browser tests were skipped: no Chromium at $(CHROMIUM_PATH) (apt-get install -y chromium)."; \
	fi

test-sqlite: $(VENV)/.installed
	@echo "== Tests on SQLite =="
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed
	@echo "== Tests on PostgreSQL =="
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(PYTHON) bench/import.py $(BENCH_STUDIES)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-artifacts
