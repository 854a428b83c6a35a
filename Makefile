# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/studio.duckdb
PORT ?= 8501

.PHONY: run test demo browser bench clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(DB): | $(VENV)/.runtime
	$(PY) -m custlib demo --db $(DB)

demo: $(VENV)/.runtime
	$(PY) -m custlib demo --db $(DB)

run: $(VENV)/.runtime $(DB)
	CUSTLIB_DB=$(DB) $(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

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
	rm -rf $(VENV) .pytest_cache test-output
