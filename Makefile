# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/studio.duckdb
PORT ?= 8501
# Loopback unless sign-in is configured: `ADDRESS=0.0.0.0 make run` is refused without [access] settings.
ADDRESS ?= 127.0.0.1

.PHONY: run test demo browser bench clean lock

# Installs come from the lock files: exact versions with their hashes, so a run today and a run in three
# months install the same packages. requirements*.txt keep the ranges (for people who embed custlib);
# `make lock` re-resolves the locks after a range changes, `make lock UPGRADE=1` moves every pin to the
# newest release inside the ranges.
$(VENV)/.runtime: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

UV_VERSION := 0.13.8
LOCK_VENV := .venv-lock
LOCK_FLAGS := --python-version 3.11 --universal --generate-hashes --custom-compile-command "make lock" --quiet \
	$(if $(UPGRADE),--upgrade)
lock:
	test -x $(LOCK_VENV)/bin/uv || ($(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet uv==$(UV_VERSION))
	$(LOCK_VENV)/bin/uv pip compile requirements.txt $(LOCK_FLAGS) -o requirements.lock
	$(LOCK_VENV)/bin/uv pip compile requirements-dev.txt -c requirements.lock $(LOCK_FLAGS) -o requirements-dev.lock

$(DB): | $(VENV)/.runtime
	$(PY) -m custlib demo --db $(DB)

demo: $(VENV)/.runtime
	$(PY) -m custlib demo --db $(DB)

run: $(VENV)/.runtime $(DB)
	$(PY) -m custlib check-access --address $(ADDRESS)
	CUSTLIB_DB=$(DB) $(PY) -m streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT) \
	  --server.headless true --browser.gatherUsageStats false

# Browser tests need Debian's chromium and chromium-driver (Playwright cannot download a browser offline),
# and a CJK font so Chinese pages render (screenshots of the Chinese UI are checked by eye).
BROWSER_PACKAGES := chromium chromium-driver fonts-wqy-microhei
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null)

test: $(VENV)/.dev browser
	$(PY) -m pytest

bench: $(VENV)/.dev
	$(PY) bench/bench_import.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache test-output
