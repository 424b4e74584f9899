# omnirelay — set-up, run and test. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CONFIG ?= config/demo.yaml
WIDGET_SOURCES := $(shell find widget -path widget/node_modules -prune -o -type f -print 2>/dev/null)

.PHONY: install run test lint bench browsers clean screenshots constraints

install: $(VENV)/.installed gateway/static/.built

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $@

# constraints.txt pins every Python package to the versions the suite passed with; this takes the
# newest releases pyproject.toml allows in a scratch venv and writes their versions there
constraints:
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install -q --upgrade pip && .venv-constraints/bin/pip install -q -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-constraints

# Front ends: npm + esbuild build widget/ into gateway/static/ (served by the gateway).
gateway/static/.built: $(WIDGET_SOURCES)
	@command -v npm >/dev/null || { echo "npm is missing: install Debian's 'nodejs' and 'npm' packages" >&2; exit 1; }
	cd widget && (test -f package-lock.json && npm ci --no-audit --no-fund || npm install --no-audit --no-fund)
	cd widget && npm run build
	@touch $@

# The demo tenant starts with a simulated week of agents' choices of canned answers (docs/assist.md),
# imported once into the history database (the command itself never imports the same file twice).
DEMO_SEED := assist/eval/agent_week.jsonl
DATA_DIR  := $(or $(OMNIRELAY_DATA_DIR),var)

run: install
	@if [ "$(CONFIG)" = config/demo.yaml ] && [ ! -f $(DATA_DIR)/.assist-demo-seeded ]; then \
	  $(VENV)/bin/omnirelay assist seed --config $(CONFIG) --tenant demo $(DEMO_SEED) && \
	  mkdir -p $(DATA_DIR) && touch $(DATA_DIR)/.assist-demo-seeded; \
	fi
	$(VENV)/bin/omnirelay serve --config $(CONFIG)

# Tests drive Debian's Chromium through Playwright; install it when it is missing.
browsers:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || exit 1; \
	  else \
	    echo "Browser tests need Debian's 'chromium' package: run 'sudo apt-get install chromium'" >&2; exit 1; \
	  fi; \
	fi

# pytest's exit 5 (no test collected) is a failure too.
test: install browsers
	@$(PY) -m pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

# the README's pictures (docs/screenshots), taken by the browser tests from the real pages
screenshots: install browsers
	OMNIRELAY_SCREENSHOTS=docs $(PY) -m pytest -q -p no:cacheprovider $$(grep -l "await screenshot(" tests/test_browser_*.py)

lint: install
	$(VENV)/bin/ruff check gateway acd bridges assist tests bench
	$(VENV)/bin/mypy gateway acd bridges assist

bench: install
	$(PY) bench/relay.py
	$(PY) bench/acd_bench.py
	$(PY) bench/erlang_sim.py
	$(PY) bench/assist.py

clean:
	rm -rf $(VENV) gateway/static widget/node_modules var
