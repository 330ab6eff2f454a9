# kefu: `make run` serves the demo, `make test` runs ruff and the whole suite.
# GNU make; needs only Python 3.11 (python3.11, else python3) on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
DB ?= sqlite
# pytest-xdist workers for `make test` (0 runs in one process)
TEST_WORKERS ?= 2
PYTEST_ARGS ?=

# Debian packages installed when missing: a CJK font for pages and PDFs, and
# Debian's chromium for the browser tests (never a downloaded browser build).
RUN_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0  # pango: WeasyPrint, the 8D report PDF
TEST_PACKAGES := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0

.PHONY: help venv .venv run dev test test-sqlite test-pg test-orm lint format bench messages vendor clean debian-run debian-test

help:
	@echo "make run          serve the demo on http://127.0.0.1:$(PORT) (gunicorn + background worker)"
	@echo "make test         ruff and the whole pytest suite (SQLite; PostgreSQL too with KEFU_TEST_PG)"
	@echo "make dev          runserver with reload and KEFU_DEBUG=1"
	@echo "make bench [DB=pg] timed scenarios (bench/run.py), then the record lists (bench/records.py)"
	@echo "make lint         ruff check and format check"
	@echo "make messages     update and compile the zh_Hans translations"
	@echo "make vendor       re-fetch the vendored front-end files from the npm registry"
	@echo "make clean        remove the venv, collected static files and test artifacts (keeps the data)"

# --- virtualenv --------------------------------------------------------------
# Re-installs when the lock or pyproject.toml change.
$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.11 or python3 is needed" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@

venv .venv: $(STAMP)

# --- Debian packages ---------------------------------------------------------
# $(call apt_ensure,packages,what-if-impossible): installs the missing ones as
# root, running apt-get update only when the first attempt fails.
define apt_ensure
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing; } \
	      || echo "warning: could not install$$missing; $(2)" >&2; \
	  else \
	    echo "warning: Debian packages missing:$$missing (install them as root); $(2)" >&2; \
	  fi; \
	fi
endef

debian-run:
	$(call apt_ensure,$(RUN_PACKAGES),Chinese may render with a fallback font)

debian-test:
	$(call apt_ensure,$(TEST_PACKAGES),the browser tests will fail)

# --- translations ------------------------------------------------------------
# The compiled catalogue is committed; it is rebuilt when the .po is newer.
LOCALE_PO := kefu/locale/zh_Hans/LC_MESSAGES/django.po
LOCALE_MO := $(LOCALE_PO:.po=.mo)
COMPILE_IGNORE := --ignore '.venv' --ignore 'var' --ignore 'bench' --ignore 'node_modules'

$(LOCALE_MO): $(LOCALE_PO) | $(STAMP)
	$(call apt_ensure,gettext,the zh-hans translations cannot be compiled)
	$(BIN)/kefu compilemessages -l zh_Hans $(COMPILE_IGNORE) \
	  || echo "warning: compilemessages failed; pages may show English labels" >&2

# Everything lands in kefu/locale (settings.LOCALE_PATHS); needs GNU gettext.
messages: $(STAMP)
	$(call apt_ensure,gettext,makemessages needs xgettext and msgfmt)
	$(BIN)/kefu makemessages -l zh_Hans --no-obsolete --no-wrap \
	  --ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*' --ignore 'node_modules/*' --ignore 'test-artifacts/*'
	$(BIN)/kefu compilemessages -l zh_Hans $(COMPILE_IGNORE)

# --- serve -------------------------------------------------------------------
run: $(STAMP) $(LOCALE_MO) debian-run
	$(BIN)/kefu migrate --noinput -v 0
	$(BIN)/kefu collectstatic --noinput -v 0
	$(BIN)/kefu demo --if-empty
	@echo
	@echo "kefu: http://127.0.0.1:$(PORT)/   (Ctrl-C stops the server and the background worker)"
	@echo
	$(BIN)/kefu serve --port $(PORT)

dev: $(STAMP) $(LOCALE_MO)
	KEFU_DEBUG=1 $(BIN)/kefu migrate --noinput -v 0
	KEFU_DEBUG=1 $(BIN)/kefu demo --if-empty
	KEFU_DEBUG=1 $(BIN)/kefu runserver 127.0.0.1:$(PORT)

# --- tests -------------------------------------------------------------------
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

XDIST = $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS))

test: $(STAMP) $(LOCALE_MO) debian-test lint test-sqlite test-pg test-orm

test-sqlite: $(STAMP)
	@mkdir -p var
	@rm -f var/test-results-sqlite.xml
	env -u KEFU_DATABASE_URL $(BIN)/pytest $(XDIST) --junitxml=var/test-results-sqlite.xml $(PYTEST_ARGS)

# The same suite on PostgreSQL when KEFU_TEST_PG names a database URL.
test-pg: $(STAMP)
	@mkdir -p var
	@rm -f var/test-results-pg.xml
	@if [ -n "$$KEFU_TEST_PG" ]; then \
	  echo "== PostgreSQL: $$KEFU_TEST_PG"; \
	  KEFU_DATABASE_URL="$$KEFU_TEST_PG" $(BIN)/pytest $(XDIST) --junitxml=var/test-results-pg.xml $(PYTEST_ARGS); \
	else \
	  echo "KEFU_TEST_PG is not set: PostgreSQL run skipped"; \
	fi

# Once more with the precompiled SQL layer off (kefu.core.db.rows): every call through the ORM,
# on PostgreSQL when KEFU_TEST_PG is set, else on SQLite.
test-orm: $(STAMP)
	@mkdir -p var
	@rm -f var/test-results-orm.xml
	KEFU_PRECOMPILED_SQL=0 KEFU_DATABASE_URL="$${KEFU_TEST_PG:-}" $(BIN)/pytest $(XDIST) -m "not browser" --junitxml=var/test-results-orm.xml $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py --db $(DB)
	$(BIN)/python bench/records.py --db $(DB)

# --- vendored front-end files (see kefu/static/kefu/vendor/VERSIONS) ---------
VENDOR := kefu/static/kefu/vendor
HTMX_VERSION := 2.0.11
ECHARTS_VERSION := 6.1.0
NOTO_VERSION := 5.3.0

vendor:
	@command -v npm >/dev/null || { echo "error: npm is needed for make vendor" >&2; exit 1; }
	rm -rf var/vendor && mkdir -p var/vendor
	cd var/vendor && npm pack --silent htmx.org@$(HTMX_VERSION) echarts@$(ECHARTS_VERSION) \
	  @fontsource/noto-sans-sc@$(NOTO_VERSION) >/dev/null
	cd var/vendor && for f in *.tgz; do mkdir -p "$${f%.tgz}" && tar -xzf "$$f" -C "$${f%.tgz}"; done
	cp var/vendor/htmx.org-$(HTMX_VERSION)/package/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp var/vendor/echarts-$(ECHARTS_VERSION)/package/dist/echarts.min.js $(VENDOR)/echarts.min.js
	rm -rf $(VENDOR)/noto-sans-sc && mkdir -p $(VENDOR)/noto-sans-sc/files
	src=var/vendor/fontsource-noto-sans-sc-$(NOTO_VERSION)/package; \
	cp $$src/LICENSE $(VENDOR)/noto-sans-sc/LICENSE; \
	cp $$src/files/*-400-normal.woff2 $$src/files/*-700-normal.woff2 $(VENDOR)/noto-sans-sc/files/; \
	for w in 400 700; do \
	  sed -E 's/, *url\([^)]*\.woff\) format\(.woff.\)//g' $$src/$$w.css > $(VENDOR)/noto-sans-sc/$$w.css; \
	done
	@echo "vendored: htmx $(HTMX_VERSION), echarts $(ECHARTS_VERSION), noto-sans-sc $(NOTO_VERSION)"

# Keeps the data (var/kefu.sqlite3, var/media, var/secret_key).
clean:
	rm -rf $(VENV) var/staticfiles var/vendor var/test_kefu.sqlite3* var/test-results-*.xml test-artifacts
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
