# Tierline: `make run` starts everything, `make test` checks everything. `make help` lists all.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Rasa 3.6 needs Python 3.10; the desk runs on 3.12. Interpreters are named by path, never
# through a pyenv shim (a shim fails when .python-version names another version).
PYENV_ROOT ?= $(HOME)/.pyenv
PY310 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.10.*/bin/python3.10) $(shell command -v python3.10))
PY312 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.12.*/bin/python3.12) $(shell command -v python3.12))
UV_VERSION := 0.13.9
# Rasa's telemetry would try to reach the internet; these machines have none, and shoppers'
# conversations are not ours to report.
export RASA_TELEMETRY_ENABLED := false
UV := .tools/bin/uv
BOT := .venv/bin
DESK := desk/.venv/bin
SPACY_PIPELINE := build/spacy-tierline
# Optional: an installed pretrained spaCy pipeline (e.g. en_core_web_md) to put the rules on.
SPACY_BASE ?=
RASA_RESULTS := var/rasa-results
WITH_SERVICES := scripts/with_support_services.sh

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	@test -n "$(PY312)" || { echo "Python 3.12 not found (pyenv install 3.12)"; exit 1; }
	$(PY312) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# common/ (tierline_common) is installed into both environments as a built package: uv does not
# notice a changed source file, so a change to common/ reinstalls it explicitly.
COMMON_FILES := common/pyproject.toml $(wildcard common/tierline_common/*.py common/tierline_common/py.typed)

.venv/.synced: pyproject.toml uv.lock $(COMMON_FILES) | $(UV)
	@test -n "$(PY310)" || { echo "Python 3.10 not found (pyenv install 3.10)"; exit 1; }
	$(UV) sync --frozen --python $(PY310) --reinstall-package tierline-common
	touch $@

desk/.venv/.synced: desk/pyproject.toml desk/uv.lock $(COMMON_FILES) | $(UV)
	cd desk && ../$(UV) sync --frozen --python $(PY312) --reinstall-package tierline-common
	touch $@

# The harness (load, faults, benchmarks, hostile input): Locust, plots and the stack's clients in
# a Python 3.12 environment of their own, so Rasa's pins never meet Locust's.
harness/.venv/.synced: harness/pyproject.toml harness/uv.lock $(COMMON_FILES) | $(UV)
	cd harness && ../$(UV) sync --frozen --python $(PY312) --reinstall-package tierline-common
	touch $@

# Always run: it only adds secrets a newer version needs, never changes existing ones.
.env: FORCE
	$(PY312) scripts/make_env.py .env

var:
	mkdir -p var

install: .venv/.synced desk/.venv/.synced harness/.venv/.synced .env var ## Create the environments (bot, desk, harness) and local secrets

# Rewritten only when SPACY_BASE changes, so switching base rebuilds the pipeline.
build/.spacy-base: FORCE
	@mkdir -p build
	@echo '$(SPACY_BASE)' | cmp -s - $@ || echo '$(SPACY_BASE)' > $@

$(SPACY_PIPELINE)/meta.json: $(wildcard rasa_extensions/nlp/*.py) .venv/.synced build/.spacy-base
	$(BOT)/python -m rasa_extensions.nlp.build $(SPACY_PIPELINE) $(if $(SPACY_BASE),--base $(SPACY_BASE))

spacy: $(SPACY_PIPELINE)/meta.json ## Build the offline spaCy pipeline

train: install spacy ## Train the Rasa model (Rasa skips it when nothing changed)
	$(BOT)/rasa train --quiet --out models

# The store Tierline runs on: builtin (the demo tables) or medusa (a local Medusa v2 store,
# docs/store-medusa.md). With medusa the desk keeps its index in a database of its own
# (var/desk-medusa.sqlite3 unless DATABASE_URL says otherwise), loads only the demo agents, and
# the orders come from Medusa, seeded through its API.
STORE ?= builtin
ifeq ($(STORE),medusa)
PROCFILE := Procfile.medusa
STORE_ENV = STORE=medusa DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/var/desk-medusa.sqlite3}"
DESK_SEED := seed-agents
RUN_DEPS := medusa-deps
else ifeq ($(STORE),builtin)
PROCFILE := Procfile
STORE_ENV =
DESK_SEED := seed-demo
RUN_DEPS :=
else
$(error STORE is builtin or medusa, not '$(STORE)')
endif

desk-db: install ## Migrate the desk database and load the demo orders (STORE=medusa: the demo agents)
	set -a && source .env && $(if $(STORE_ENV),export $(STORE_ENV) &&) set +a && cd desk && \
	  .venv/bin/python -m tierline_desk.cli migrate && .venv/bin/python -m tierline_desk.cli $(DESK_SEED)

seed-history: desk-db ## 30 days of demo support history for the analytics (demo databases only; docs/analytics.md)
	set -a && source .env && $(if $(STORE_ENV),export $(STORE_ENV) &&) set +a && cd desk && \
	  .venv/bin/python -m tierline_desk.cli seed-history $(SEED_HISTORY_ARGS)

run: train desk-db $(RUN_DEPS) ## Start desk :8000, actions, Rasa, mail catcher (STORE=medusa: and Medusa :9000)
	DEMO_SHOP_ENABLED=true $(STORE_ENV) $(BOT)/honcho start -f $(PROCFILE)

shell: train desk-db ## Talk to the bot in the terminal (rasa shell) with desk and actions up
	$(WITH_SERVICES) -- $(BOT)/rasa shell --model models --endpoints endpoints.yml

# The bot's own packages: actions, its Rasa extensions (channel, tracker stores, runtime, NLU
# components) and the rasa-sdk plugin shim.
BOT_PACKAGES := actions rasa_extensions rasa_sdk_plugins

lint: install ## ruff and mypy on the bot, the desk and the harness
	$(BOT)/python -m ruff check $(BOT_PACKAGES) tests scripts
	$(BOT)/python -m ruff format --check $(BOT_PACKAGES) tests scripts
	$(BOT)/python -m mypy $(BOT_PACKAGES)
	cd common && ../$(BOT)/python -m ruff check . && ../$(BOT)/python -m ruff format --check .
	cd common && ../$(BOT)/python -m mypy tierline_common
	cd desk && .venv/bin/python -m ruff check . && .venv/bin/python -m ruff format --check .
	cd desk && .venv/bin/python -m mypy tierline_desk
	$(MAKE) --no-print-directory harness-lint

unit: install spacy ## Unit tests; no system packages (the desk on SQLite, faked over HTTP for the bot)
	cd common && ../$(BOT)/python -m pytest
	$(BOT)/python -m pytest -m "not nlu and not e2e and not e2e_medusa and not services"
	cd desk && .venv/bin/python -m pytest -m "not services"
	cd harness && .venv/bin/python -m pytest -m "not services"

integration: install scaled-deps medusa-deps imap-deps ## Tests on real Redis, PostgreSQL, nginx, Dovecot (apt) and Medusa (npm)
	$(BOT)/python -m pytest -m services
	cd desk && .venv/bin/python -m pytest -m services
	cd harness && .venv/bin/python -m pytest -m services

# The desk's tests on PostgreSQL instead of SQLite files (desk/tests/utils/databases.py):
# expects a running server, and DESK_TEST_POSTGRES_URL in the environment naming a role that may
# CREATE DATABASE, e.g. postgresql+psycopg://tierline:<password>@127.0.0.1:5433/postgres (the
# scaled stack's PostgreSQL and its tierline role are one). Each test gets a database of its own.
desk-unit-pg: desk/.venv/.synced medusa-deps ## Desk tests on PostgreSQL (DESK_TEST_POSTGRES_URL: a running server)
	@test -n "$$DESK_TEST_POSTGRES_URL" || { \
	  echo "DESK_TEST_POSTGRES_URL is not set: the admin URL of a running PostgreSQL (a role with CREATEDB)"; \
	  exit 1; }
	cd desk && .venv/bin/python -m pytest

validate: install ## rasa data validate
	$(BOT)/rasa data validate --fail-on-warnings

# rasa test replays the stories' events and scores NLU and dialogue predictions; it runs no
# custom action, so it needs no services. The e2e target runs the actions for real.
conversations: train ## Conversation tests: rasa test --fail-on-prediction-errors
	$(BOT)/rasa test core --model models --stories tests/conversations \
	  --out $(RASA_RESULTS) --fail-on-prediction-errors

nlu-check: train ## NLU accuracy on both held-out splits, ours and the outsiders' (fails below 90%)
	$(BOT)/python -m pytest -m nlu

# The browser tests drive Debian's chromium through Playwright (no browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium from Debian for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends chromium fonts-liberation >/dev/null; }

e2e: train browser-deps medusa-deps ## End-to-end with real processes: REST, web chat, browser; again on a real Medusa
	$(BOT)/python -m pytest -m e2e
	$(BOT)/python -m pytest -m e2e_medusa

screenshots: train browser-deps ## Run the browser tests, saving their screenshots into docs/screenshots
	TIERLINE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BOT)/python -m pytest -m e2e tests/e2e/browser

test: lint medusa-lint unit integration validate train conversations nlu-check e2e bench-smoke ## What CI runs first (then audit-ci and test-scaled, see .ci/run)

# ---- the harness (harness/, docs/benchmarks.md, docs/reliability.md)
HARNESS := harness/.venv/bin

harness-lint: harness/.venv/.synced ## ruff and mypy on the harness
	cd harness && .venv/bin/python -m ruff check . && .venv/bin/python -m ruff format --check .
	cd harness && .venv/bin/python -m mypy .

# bench: NLU quality and speed against Rasa's default pipeline (docs/bench-runs/latest/results.md)
bench: install spacy ## Benchmarks (long: trains both pipelines): docs/bench-runs/latest/results.md and plots
	$(HARNESS)/python -m tierline_harness.bench.run

bench-smoke: harness/.venv/.synced var ## The bench harness end to end against a fake Rasa (seconds; no timing checks)
	$(HARNESS)/python -m tierline_harness.bench.run --smoke

# ---- audit: known vulnerabilities in both lock files (docs/security.md). Needs PyPI's JSON API
# (pip-audit's vulnerability service); --strict fails when a package could not be audited, so an
# unreachable service is a failure, never a silent "no known vulnerabilities". Reviewed
# exceptions: security/pip-audit-ignore.txt (ID first on each line, then package and reason).
PIP_AUDIT_VERSION := 2.10.1
PIP_AUDIT := .tools/bin/pip-audit
AUDIT_IGNORE := security/pip-audit-ignore.txt
AUDIT_FLAGS = --strict --no-deps --disable-pip --progress-spinner off \
  $(addprefix --ignore-vuln ,$(shell grep -v '^\s*\(#\|$$\)' $(AUDIT_IGNORE) | cut -d' ' -f1))

$(PIP_AUDIT): | $(UV)
	.tools/bin/python -m pip install --quiet "pip-audit==$(PIP_AUDIT_VERSION)"

audit: $(PIP_AUDIT) ## pip-audit both uv locks (bot and desk) against PyPI's advisories
	@mkdir -p build/audit
	$(UV) export --frozen --format requirements-txt --no-hashes --no-emit-project \
	  -o build/audit/bot-requirements.txt >/dev/null
	cd desk && ../$(UV) export --frozen --format requirements-txt --no-hashes --no-emit-project \
	  -o ../build/audit/desk-requirements.txt >/dev/null
	$(PIP_AUDIT) $(AUDIT_FLAGS) -r build/audit/bot-requirements.txt
	$(PIP_AUDIT) $(AUDIT_FLAGS) -r build/audit/desk-requirements.txt

# CI's audit (.ci/run): `make audit` wherever pip-audit's vulnerability service answers, failing
# on any finding. Where it cannot be reached (this build machine: PyPI's per-version JSON API,
# which pip-audit queries, answers 404) it prints that the locks were NOT audited, and why,
# instead of failing a build that nothing in the code can fix; never an untested "no known
# vulnerabilities".
AUDIT_PROBE := https://pypi.org/pypi/pip/24.0/json
audit-ci: | $(UV)
	@if .tools/bin/python -c "import urllib.request as u; u.urlopen('$(AUDIT_PROBE)', timeout=20)" 2>/dev/null; then \
	  $(MAKE) --no-print-directory audit; \
	else \
	  echo "audit: NOT AUDITED: pip-audit's vulnerability service ($(AUDIT_PROBE)) cannot be reached from this machine; run 'make audit' where it can (docs/security.md)"; \
	fi

clean: ## Remove models, build output and test results (keeps environments and data)
	rm -rf models build $(RASA_RESULTS) .pytest_cache

# ---- Medusa v2 (docs/store-medusa.md): desk/medusa's packages, and PostgreSQL from Debian
MEDUSA_DIR := desk/medusa
MEDUSA_STAMP := $(MEDUSA_DIR)/node_modules/.tierline-npm-ci

# Medusa 2.21 needs Node.js ^20.19 or >=22.12 (its package.json engines).
node-check:
	@command -v node >/dev/null 2>&1 || { \
	  echo "Node.js is not installed: Medusa needs Node.js 20.19 or newer (e.g. apt-get install nodejs, or https://nodejs.org)"; \
	  exit 1; }
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || { \
	  echo "Node.js $$(node --version) is too old: Medusa needs Node.js 20.19 or newer"; exit 1; }
	@command -v npm >/dev/null 2>&1 || { echo "npm is not installed (it comes with Node.js)"; exit 1; }

# npm ci only when the lock changed or node_modules went away (the stamp lives inside it).
$(MEDUSA_STAMP): $(MEDUSA_DIR)/package.json $(MEDUSA_DIR)/package-lock.json | node-check
	cd $(MEDUSA_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

pg-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing PostgreSQL from Debian for the local Medusa store"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends postgresql >/dev/null; }

# Dovecot for the IMAP poller's tests (desk/tests/mail/test_imap_poller.py; docs/email.md).
imap-deps:
	@test -x /usr/sbin/dovecot || { \
	  echo "installing Dovecot (IMAP) from Debian for the inbound mail tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends dovecot-imapd >/dev/null; }

medusa-deps: node-check pg-deps $(MEDUSA_STAMP) ## Medusa's npm packages (npm ci, once) and PostgreSQL (apt) for STORE=medusa

medusa-up: medusa-deps desk/.venv/.synced .env ## Only the local Medusa store (:9000) and its PostgreSQL, in the foreground
	set -a && source .env && set +a && cd desk && .venv/bin/python -m tierline_desk.cli medusa-up

medusa-order: desk/.venv/.synced .env ## What Medusa holds for ORDER=112-4839201-5573910
	@test -n "$(ORDER)" || { echo "usage: make medusa-order ORDER=112-4839201-5573910"; exit 2; }
	@set -a && source .env && set +a && cd desk && .venv/bin/python -m tierline_desk.cli medusa-order "$(ORDER)"

medusa-lint: medusa-deps ## Type-check desk/medusa (tsc --noEmit)
	cd $(MEDUSA_DIR) && npm run --silent typecheck

# ---- distributed mode: PostgreSQL + Redis + nginx, 2 desks, 3 Rasa, 2 action servers
scaled-deps: harness/.venv/.synced ## apt-get install PostgreSQL, Redis and nginx when missing (Debian packages)
	$(HARNESS)/python -m tierline_harness.distributed deps

run-scaled: train scaled-deps ## Distributed demo on one machine: nginx :8080 in front of 2 of everything
	DEMO_SHOP_ENABLED=true $(HARNESS)/python -m tierline_harness.distributed run

# CI's scale: 500 shoppers (SCALE_SHOPPERS), every fault (SCALE_FAULTS); see
# harness/tierline_harness/scaled.py.
test-scaled: train scaled-deps medusa-deps imap-deps ## Load + faults on the distributed stack; prints the scaled: line
	$(HARNESS)/python -m tierline_harness.scaled

FORCE:

.PHONY: node-check pg-deps imap-deps medusa-deps medusa-up medusa-order medusa-lint
.PHONY: help install spacy train desk-db seed-history run shell lint unit integration desk-unit-pg validate conversations nlu-check browser-deps e2e screenshots test clean harness-lint bench bench-smoke audit audit-ci scaled-deps run-scaled test-scaled
