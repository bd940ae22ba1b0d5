"""The release build: PyInstaller spec, its lists, the smoke test and the Windows installer script."""
