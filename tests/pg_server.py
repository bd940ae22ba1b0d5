"""A throw-away PostgreSQL server on loopback for the test suites and the benchmark (never for real data).

    python tests/pg_server.py start FOLDER [--port 54329]   # prints the URL of a user that may create databases
    python tests/pg_server.py stop FOLDER

The server's binaries come from Debian's `postgresql` package (`--install` runs apt-get when they are missing).
Trust authentication and fsync=off make it fast and disposable; the folder is deleted by `stop`.
When run as root the server runs as the `postgres` system user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

USER = "zjtx"
DEFAULT_PORT = 54329
SYSTEM_USER = "postgres"


def find_bin_dir() -> Path | None:
    """The newest installed server's bin folder (Debian keeps each major version apart)."""
    root = Path("/usr/lib/postgresql")
    candidates = sorted(
        (p / "bin" for p in root.glob("*") if (p / "bin" / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def install() -> None:
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Standard output is the server's URL for the caller: apt's chatter goes to standard error.
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env, stdout=sys.stderr)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
        stdout=sys.stderr,
    )


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SYSTEM_USER, "--", *command]


def free_port() -> int:
    """A loopback port nobody listens on now (the server takes it a moment later)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def url(port: int, database: str = "postgres") -> str:
    return f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{database}"


def start(folder: Path, port: int = DEFAULT_PORT, *, allow_install: bool = False) -> str:
    """Create and start a server in folder; returns the URL of its superuser's maintenance database."""
    bin_dir = find_bin_dir()
    if bin_dir is None and allow_install:
        install()
        bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL server binaries not found (Debian package: postgresql)")
    folder = folder.resolve()
    port = port or free_port()
    if (folder / "data" / "postmaster.pid").exists():
        stop(folder)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "sock").mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder, SYSTEM_USER, SYSTEM_USER)
        shutil.chown(folder / "sock", SYSTEM_USER, SYSTEM_USER)
    data = folder / "data"
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C.UTF-8"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-k {folder / 'sock'} -p {port} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200"
    )
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _wait_ready(bin_dir, port)
    return url(port)


def _wait_ready(bin_dir: Path, port: int) -> None:
    ready = bin_dir / "pg_isready"
    for _ in range(100):
        if not ready.is_file():
            return
        if subprocess.run([str(ready), "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit(f"PostgreSQL did not accept connections on port {port}")


def stop(folder: Path) -> None:
    folder = folder.resolve()
    bin_dir = find_bin_dir()
    if bin_dir is not None and (folder / "data" / "postmaster.pid").exists():
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: any free port")
    parser.add_argument("--install", action="store_true", help="install Debian's postgresql package when missing")
    args = parser.parse_args(argv)
    if args.action == "start":
        print(start(args.folder, args.port, allow_install=args.install))
    else:
        stop(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
