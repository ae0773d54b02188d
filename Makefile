# Charter's everyday commands. A newcomer needs two: `make run` and `make test`.
# `make help` lists every target.

VENV ?= .venv
PYTHON ?= python3
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Folders ruff checks; benchmarks/ may not exist in every checkout.
CODE := $(wildcard src tests alembic benchmarks addons)
# Add-ons in this repository (addons/<name>/setup.py): installed with Charter,
# tested in pytest sessions of their own (their settings enable them).
ADDON_DIRS := $(patsubst %/setup.py,%,$(wildcard addons/*/setup.py))
ADDON_INSTALLS := $(foreach addon,$(ADDON_DIRS),-e $(addon))

# xstatic-bootstrap ships only an sdist whose build needs setuptools<81 (see
# constraints.txt). pip 25.3 and newer read build constraints from
# PIP_BUILD_CONSTRAINT; older pip applied PIP_CONSTRAINT to builds as well.
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_BUILD_CONSTRAINT := $(CURDIR)/constraints.txt

# Pyramid 2.x imports pkg_resources; its deprecation warning says nothing a
# Charter user can act on.
QUIET_PKG_RESOURCES := ignore:pkg_resources is deprecated:UserWarning

# Stamps record that an install is current; they live in the venv, so removing
# the venv removes them too.
RUN_STAMP := $(VENV)/.charter-run-installed
TEST_STAMP := $(VENV)/.charter-test-installed
INSTALL_INPUTS := setup.py constraints.txt $(wildcard addons/*/setup.py)

# The port `make run` serves on: `make run PORT=6544` when 6543 is taken.
PORT ?= 6543
# Another port is served from a copy of development.ini with that port (under var/).
RUN_INI = $(if $(filter 6543,$(PORT)),development.ini,var/development-$(PORT).ini)

# Browser tests drive Debian's Chromium through Playwright.
CHROMIUM := /usr/bin/chromium
# The deployment tests put Debian's nginx in front of gunicorn (tests/deploy).
NGINX := /usr/sbin/nginx
# The throughput benchmark drives the servers with wrk (a Python client is too slow to load them).
WRK := /usr/bin/wrk

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench translations clean distclean

help: ## list the targets
	@echo "Charter: make TARGET"
	@grep -E '^[a-z]+:.*## ' $(firstword $(MAKEFILE_LIST)) \
		| awk 'BEGIN { FS = ":.*## " } { printf "  %-10s %s\n", $$1, $$2 }'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(INSTALL_INPUTS) | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/python -m pip install -e '.[postgresql]' $(ADDON_INSTALLS)
	touch $@

# The test install is a superset of the run install, so it refreshes both stamps.
$(TEST_STAMP): $(INSTALL_INPUTS) | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/python -m pip install -e '.[test,postgresql]' $(ADDON_INSTALLS)
	touch $@ $(RUN_STAMP)

$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(NGINX):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light

$(WRK):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y wrk

# An empty password would make charter-init generate one; keep the default instead.
run: export CHARTER_ADMIN_PASSWORD := $(or $(CHARTER_ADMIN_PASSWORD),charter-admin)
run: export PYTHONWARNINGS ?= $(QUIET_PKG_RESOURCES)
run: $(RUN_STAMP) ## install, initialise var/charter.sqlite if needed and serve http://127.0.0.1:6543/ (PORT=6544 for another)
	@$(VENV)/bin/python -c "import socket; socket.create_server(('127.0.0.1', int('$(PORT)')))" 2>/dev/null \
		|| { echo "Port $(PORT) is already in use (another 'make run'?): stop that, or serve on another port with 'make run PORT=6544'."; exit 1; }
	@if [ "$(RUN_INI)" != development.ini ]; then mkdir -p var && \
		sed -e 's#%(here)s#$(CURDIR)#g' -e 's#^listen = .*#listen = 127.0.0.1:$(PORT)#' development.ini > $(RUN_INI); fi
	@init_output=$$($(VENV)/bin/charter-init development.ini); init_status=$$?; \
	echo "$$init_output"; \
	[ $$init_status -eq 0 ] || exit $$init_status; \
	echo; \
	echo "============================================================"; \
	echo " Charter is starting on http://127.0.0.1:$(PORT)/"; \
	if echo "$$init_output" | grep -q "password is unchanged"; then \
		echo " Log in as 'admin' with the password it was given when"; \
		echo " var/charter.sqlite was created (make run's default is"; \
		echo " 'charter-admin'); this run left it unchanged."; \
		echo " 'make distclean' then 'make run' starts afresh."; \
	else \
		printf " Log in as 'admin' with password '%s'\n" "$$CHARTER_ADMIN_PASSWORD"; \
	fi; \
	echo " Press Ctrl+C to stop."; \
	echo "============================================================"; \
	echo
	exec $(VENV)/bin/pserve $(RUN_INI)

# The browser tests' own tools from npm (axe-core, the Nu HTML Checker) and the Java it runs on.
BROWSER_TOOLS := tests/browser/tools/node_modules/.package-lock.json
JAVA := /usr/bin/java

$(BROWSER_TOOLS): tests/browser/tools/package.json tests/browser/tools/package-lock.json
	cd tests/browser/tools && npm ci --no-audit --no-fund

$(JAVA):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless

test: $(TEST_STAMP) $(CHROMIUM) $(NGINX) $(BROWSER_TOOLS) $(JAVA) ## install the test extras, lint, run the suite (CHARTER_TEST_DB picks the database)
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)
	@for addon in $(ADDON_DIRS); do \
		echo "== tests of $$addon =="; \
		(cd $$addon && $(abspath $(VENV))/bin/pytest -n auto) || exit 1; \
	done

lint: $(TEST_STAMP) ## check style with ruff, changing nothing
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)

format: $(TEST_STAMP) ## fix what ruff can fix and format the code
	$(VENV)/bin/ruff check --fix $(CODE)
	$(VENV)/bin/ruff format $(CODE)

# Gettext catalogues (docs/languages.md): the core's under src/charter/locale, each add-on's
# under its package's locale/ folder, all in the one "charter" domain. The compiled .mo files
# are committed, so an install from a clone has them; a test checks they match the .po files.
CORE_LOCALE := src/charter/locale
PYBABEL := $(VENV)/bin/pybabel

translations: $(RUN_STAMP) ## extract the marked strings, update every catalogue, compile them
	$(PYBABEL) extract -F $(CORE_LOCALE)/babel.cfg --no-location -k _ -k plural:2,3 \
		-o $(CORE_LOCALE)/charter.pot src/charter
	$(PYBABEL) update -i $(CORE_LOCALE)/charter.pot -d $(CORE_LOCALE) -D charter \
		--no-fuzzy-matching --ignore-obsolete
	$(PYBABEL) compile -d $(CORE_LOCALE) -D charter --statistics
	@for locale in $(wildcard addons/*/src/*/locale); do \
		echo "== $$locale =="; \
		$(PYBABEL) extract -F $(CORE_LOCALE)/babel.cfg --no-location -k _ -k plural:2,3 \
			-o $$locale/charter.pot $$(dirname $$locale) || exit 1; \
		$(PYBABEL) update -i $$locale/charter.pot -d $$locale -D charter \
			--no-fuzzy-matching --ignore-obsolete || exit 1; \
		$(PYBABEL) compile -d $$locale -D charter --statistics || exit 1; \
	done

bench: export PYTHONWARNINGS ?= $(QUIET_PKG_RESOURCES)
bench: $(TEST_STAMP) $(WRK) ## run the benchmarks (benchmarks/run.py; pass options in BENCH_ARGS)
	$(VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

clean: ## remove the venv, caches and build artefacts (keeps var/ data)
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
	find . -name '*.egg-info' -prune -exec rm -rf {} +
	find . -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## clean, and also remove var/ data and benchmark results
	rm -rf var benchmarks/results
