@echo off
chcp 65001 >nul
rem ZJTX Desktop tests on Windows: ruff, mypy and pytest, as `make test` does.
setlocal
cd /d "%~dp0"
if not exist .venv\Scripts\python.exe (
  py -3.11 -m venv .venv || goto :error
)
.venv\Scripts\python -m pip install --quiet --upgrade pip || goto :error
.venv\Scripts\python -m pip install --quiet -r requirements-dev.txt || goto :error
.venv\Scripts\ruff check . || goto :error
.venv\Scripts\ruff format --check . || goto :error
.venv\Scripts\mypy || goto :error
set QT_QPA_PLATFORM=offscreen
.venv\Scripts\python -m pytest -q || goto :error
goto :eof
:error
exit /b 1
