# ZJTX Desktop — two commands set everything up: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv run test lint typecheck pytest bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

run: venv
	$(PY) main.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

pytest: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

test: lint typecheck pytest

bench: venv
	$(PY) bench/generate.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/run.py

.PHONY: installer
installer:  # Windows only, after make dist: dist/ZJTXDesktop-<版本>-setup.exe (Inno Setup 6.3+; standard library only)
	$(PYTHON) installer/make_installer.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
