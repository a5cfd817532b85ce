# The two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test check lint bench clean messages browser dovecot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/atende migrate
	$(BIN)/atende demo --if-empty
	exec $(BIN)/atende serve --host 127.0.0.1 --port 8000

# The browser tests drive Debian's Chromium (never a downloaded one): installed with apt when
# missing. Without it they are skipped, except with CI=true where that is a failure.
browser:
	@if [ ! -x "$(CHROMIUM)" ] && ! command -v chromium >/dev/null 2>&1; then \
	  echo "== installing Chromium for the browser tests (apt-get install chromium)"; \
	  $(SUDO) apt-get install -y chromium \
	    || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; } \
	    || { [ "$$CI" = true ] && exit 1; echo "== no Chromium: the browser tests are skipped"; }; \
	fi

# The IMAP tests start Debian's dovecot (tests/channels/dovecot.py): installed the same way.
dovecot:
	@if [ ! -x /usr/sbin/dovecot ] && ! command -v dovecot >/dev/null 2>&1; then \
	  echo "== installing dovecot for the IMAP tests (apt-get install dovecot-imapd)"; \
	  $(SUDO) apt-get install -y dovecot-imapd \
	    || { $(SUDO) apt-get update && $(SUDO) apt-get install -y dovecot-imapd; } \
	    || { [ "$$CI" = true ] && exit 1; echo "== no dovecot: the IMAP tests are skipped"; }; \
	fi

test: $(TEST_STAMP) browser dovecot
	$(BIN)/python tests/run.py

check: $(TEST_STAMP)
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tools/local_imports.py

messages: $(STAMP)
	$(BIN)/python tools/messages.py

bench: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/businesstime.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
