# ZJTX Desktop — two commands set everything up: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv run test lint typecheck pytest test-postgresql bench dist clean

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

# The core, command-line and GUI suites again, on a throw-away PostgreSQL server on
# loopback (tests/pg_server.py installs Debian's postgresql package when it is missing; the server is stopped
# and deleted afterwards).
test-postgresql: venv
	@folder=$$(mktemp -d /tmp/zjtx-pg-XXXXXX) && \
	trap '$(PY) tests/pg_server.py stop '$$folder EXIT && trap 'exit 130' INT && trap 'exit 143' TERM HUP && \
	url=$$($(PY) tests/pg_server.py start $$folder --port 0 --install) && \
	echo "PostgreSQL: $$url" && \
	QT_QPA_PLATFORM=offscreen ZJTX_TEST_BACKEND=postgresql ZJTX_TEST_PG_URL="$$url" $(PY) -m pytest -q tests/core tests/cli tests/ui

bench: venv
	$(PY) bench/generate.py
	@# The shared-server bench runs even when a single-PC budget fails; make bench still fails then.
	QT_QPA_PLATFORM=offscreen $(PY) bench/run.py; status=$$?; $(PY) bench/concurrent_bench.py && exit $$status

# The release build (installer/zjtx.spec): dist/ZJTXDesktop/ for this OS, in a virtual environment of its own
# (.venv-build: requirements.txt and installer/requirements-build.txt, without the test tools), then the smoke
# test of the frozen program (installer/smoke_test.py).
BUILD_VENV := .venv-build
ifeq ($(OS),Windows_NT)
BUILD_PY := $(BUILD_VENV)/Scripts/python.exe
else
BUILD_PY := $(BUILD_VENV)/bin/python
endif
BUILD_STAMP := $(BUILD_VENV)/.installed

$(BUILD_STAMP): requirements.txt installer/requirements-build.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_PY) -m pip install --quiet --upgrade pip
	$(BUILD_PY) -m pip install --quiet -r requirements.txt -r installer/requirements-build.txt
	@touch $(BUILD_STAMP)

dist: $(BUILD_STAMP)
	rm -rf dist/ZJTXDesktop
	$(BUILD_PY) -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller installer/zjtx.spec
	$(BUILD_PY) -m installer.smoke_test dist/ZJTXDesktop

.PHONY: installer
installer:  # Windows only, after make dist: dist/ZJTXDesktop-<版本>-setup.exe (Inno Setup 6.3+; standard library only)
	$(PYTHON) installer/make_installer.py

clean:
	rm -rf $(VENV) $(BUILD_VENV) build/pyinstaller dist/ZJTXDesktop .pytest_cache .mypy_cache .ruff_cache
