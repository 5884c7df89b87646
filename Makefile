# Everything bootstraps itself: a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
VENV  := .venv
TOOLS := .venv-tools
PY    := $(VENV)/bin/python
# Newest of python3.13 / 3.12 / 3.11, pyenv's included.
FIND_PYTHON := for v in 3.13 3.12 3.11; do \
	  for c in $$(command -v python$$v) $$(ls -d $$HOME/.pyenv/versions/$$v*/bin/python 2>/dev/null | sort -rV); do \
	    [ -x "$$c" ] && "$$c" -c 'import sys' 2>/dev/null && { echo "$$c"; exit 0; }; \
	  done; done; exit 1
PYTHON ?= $(shell $(FIND_PYTHON))
export SAM_CLI_TELEMETRY := 0

.PHONY: run test test-full lint build deploy api-key bench openapi config-schema api-docs clean shell-tools browser-tools alertmanager-tools screenshots

$(VENV)/.ok: requirements/dev.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "need python 3.11, 3.12 or 3.13 on PATH or in ~/.pyenv" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q uv==0.13.9
	$(VENV)/bin/uv pip sync -q --python $(PY) requirements/dev.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .   # the `vigil` CLI
	touch $@

$(TOOLS)/.ok: requirements/tools.lock
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==0.13.9
	$(TOOLS)/bin/uv pip sync -q --python $(TOOLS)/bin/python requirements/tools.lock
	touch $@

run: $(VENV)/.ok
	$(PY) -m local

# The docs' examples (run by the tests) use curl, jq and openssl: installed here when missing.
SHELL_TOOLS := curl jq openssl
shell-tools:
	@missing=$$(for t in $(SHELL_TOOLS); do command -v $$t >/dev/null || echo $$t; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing (for the docs' examples)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } >/dev/null \
	    || { echo "please install: $$missing" >&2; exit 1; }; \
	fi

# The console's browser tests drive Debian's chromium and inject axe-core (from npm).
AXE := .cache/axe/node_modules/axe-core/axe.min.js
browser-tools: $(AXE)
	@command -v chromium >/dev/null || { echo "installing chromium (for the console's browser tests)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
	    || echo "no chromium could be installed: the browser tests will say so and skip"; }

# A real Prometheus Alertmanager drives tests/e2e/test_real_alertmanager_e2e.py (Debian's package).
alertmanager-tools:
	@command -v prometheus-alertmanager >/dev/null || { echo "installing prometheus-alertmanager (for the real Alertmanager test)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager; } >/dev/null \
	    || echo "no prometheus-alertmanager could be installed: the real Alertmanager test will say so and skip"; }

$(AXE):
	npm install --silent --prefix .cache/axe axe-core@4.10.2 || echo "no npm: the accessibility checks will skip"

test: $(VENV)/.ok shell-tools browser-tools alertmanager-tools
	$(PY) -m pytest -n 2 -q

# The same suites with the full fuzz and load profile (more examples, a 1,000-alert burst).
test-full: $(VENV)/.ok shell-tools browser-tools alertmanager-tools
	VIGIL_FUZZ=full $(PY) -m pytest -n 2 -q

lint: $(VENV)/.ok $(TOOLS)/.ok
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_layering.py  # the import contracts
	$(TOOLS)/bin/cfn-lint template.yaml
	PATH="$(dir $(PYTHON)):$$PATH" $(TOOLS)/bin/sam validate --lint --template template.yaml --region us-east-1

build: $(TOOLS)/.ok
	PATH="$(dir $(PYTHON)):$$PATH" $(TOOLS)/bin/sam build --template template.yaml

deploy: build
	$(TOOLS)/bin/sam deploy --config-env $${VIGIL_ENV:-default}

api-key: $(VENV)/.ok
	$(PY) -m local.admin create-key --stack $${VIGIL_STACK:-vigil-dev}

bench: $(VENV)/.ok
	command -v prometheus-alertmanager >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager; } || echo "no Alertmanager: its comparison is skipped"
	$(PY) -m bench

screenshots: $(VENV)/.ok browser-tools
	VIGIL_SCREENSHOTS=docs $(PY) -m pytest -q tests/browser

openapi: $(VENV)/.ok
	$(PY) -m local.openapi > docs/openapi.json

config-schema: $(VENV)/.ok
	$(PY) -m local.config_schema > docs/config.schema.json

api-docs: $(VENV)/.ok
	$(PY) -m local.api_tour > docs/api.md

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .mypy_cache .ruff_cache
