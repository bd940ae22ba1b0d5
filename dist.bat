@echo off
chcp 65001 >nul
rem The release build on Windows, as `make dist` does: dist\ZJTXDesktop\ (ZJTXDesktop.exe and zjtx.exe), then
rem the smoke test of the frozen program. Its own virtual environment .venv-build keeps the test tools out.
setlocal
cd /d "%~dp0"
if not exist .venv-build\Scripts\python.exe (
  py -3.11 -m venv .venv-build || goto :error
)
.venv-build\Scripts\python -m pip install --quiet --upgrade pip || goto :error
.venv-build\Scripts\python -m pip install --quiet -r requirements.txt -r installer\requirements-build.txt || goto :error
if exist dist\ZJTXDesktop rmdir /s /q dist\ZJTXDesktop
.venv-build\Scripts\python -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller installer\zjtx.spec || goto :error
.venv-build\Scripts\python -m installer.smoke_test dist\ZJTXDesktop || goto :error
goto :eof
:error
echo 发布版本构建失败（见上方输出）。需要 Python 3.11（py -3.11）。
exit /b 1
