"""A throwaway PostgreSQL server for the tests of SQL sources: ``initdb`` in a temporary folder, ``pg_ctl start`` on
a free port of 127.0.0.1 (password login over TCP, its Unix socket in the same folder), stopped and deleted after.

The server binaries are found on the PATH or in Debian's ``/usr/lib/postgresql/<version>/bin`` (``.ci/run``
installs the ``postgresql`` package when they are absent). ``initdb`` refuses to run as root: as root the server
runs as the unprivileged user ``nobody`` (through ``runuser``), which owns the temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "salesops"
PASSWORD = "test-only-password"


@dataclass(frozen=True)
class Server:
    port: int
    folder: Path

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


def why_not() -> str | None:
    """Why no server can be started here, or None."""
    if binaries() is None:
        return ("no PostgreSQL server binaries (initdb, pg_ctl) on the PATH or in /usr/lib/postgresql/*/bin: install "
                "Debian's postgresql package (.ci/run does) to run the PostgreSQL tests")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses root, and no other user can run the server"
    return None


def start() -> Server:
    """Start a server (a few hundred milliseconds); stop it with :func:`stop`."""
    bin_dir = binaries()
    folder = Path(tempfile.mkdtemp(prefix="salesops-pg-"))
    (folder / "socket").mkdir()
    (folder / "password").write_text(PASSWORD + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        folder.chmod(0o755)
        for path in (folder, folder / "socket", folder / "password"):
            shutil.chown(path, "nobody")
    port = free_port()
    run = lambda *command: subprocess.run(_as_server_user([str(bin_dir / command[0]), *command[1:]]),  # noqa: E731
                                          check=True, capture_output=True, text=True, timeout=60)
    try:
        run("initdb", "-D", str(folder / "data"), "-U", USER, "--pwfile", str(folder / "password"), "-E", "UTF8",
            "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync")
        run("pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "-t", "30", "-o",
            f"-p {port} -k {folder / 'socket'} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    except subprocess.CalledProcessError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"the test PostgreSQL server did not start: {error.stderr or error.stdout}") from None
    return Server(port, folder)


def stop(server: Server) -> None:
    subprocess.run(_as_server_user([str(binaries() / "pg_ctl"), "-D", str(server.folder / "data"), "-m", "immediate",
                                    "stop"]), capture_output=True, timeout=60)
    shutil.rmtree(server.folder, ignore_errors=True)
