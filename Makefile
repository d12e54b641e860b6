# Quick start: `make run` (app on http://127.0.0.1:8501) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
ADDRESS ?= 127.0.0.1

.PHONY: run test lint system-packages bench results clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt requirements-ray.txt
	$(PY) -m pip install -q -r requirements-dev.txt -r requirements-ray.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# Installs what the tests need by itself: the Python packages into $(VENV), the system packages
# (Chromium, Fashion-MNIST, a CJK font, python3-venv) with apt-get first, then lints and runs every test.
test: system-packages $(VENV)/.dev lint
	$(PY) -m pytest

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

system-packages:
	@PYTHON=$(PYTHON) scripts/system_packages.sh

bench: $(VENV)/.dev
	$(PY) bench/run_all.py

# Shipped quick results (results/*.json, shown by the Experiments page on a fresh machine).
RESULTS_DB ?= artifacts/results-quick.sqlite
results: $(VENV)/.runtime
	mkdir -p artifacts results
	$(PY) -m dropviz experiment all --preset quick --dataset digits --db $(RESULTS_DB) --export results/quick-digits.json
	$(PY) -m dropviz experiment all --preset quick --dataset fashion-mnist --db $(RESULTS_DB) --export results/quick-fashion-mnist.json

clean:
	rm -rf $(VENV) .pytest_cache artifacts build dist
