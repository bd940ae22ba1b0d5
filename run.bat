@echo off
chcp 65001 >nul
rem ZJTX Desktop on Windows: create the virtual environment once, then start the program.
setlocal
cd /d "%~dp0"
if not exist .venv\Scripts\python.exe (
  py -3.11 -m venv .venv || goto :error
  .venv\Scripts\python -m pip install --quiet --upgrade pip || goto :error
  .venv\Scripts\python -m pip install --quiet -r requirements.txt || goto :error
)
.venv\Scripts\python main.py %*
goto :eof
:error
echo 安装失败：需要 Python 3.11（py -3.11）。
exit /b 1
