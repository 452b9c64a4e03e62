"""A throwaway PostgreSQL server for tests: Debian's ``postgresql`` binaries, a temp dir.

:class:`Cluster` runs ``initdb`` into a fresh directory and ``pg_ctl`` to start and stop a
server that listens only on a Unix socket in that directory (no TCP port, so nothing on the
machine can collide with it). Authentication is ``trust`` for the one superuser
``chatroom``. initdb refuses to run as root, so as root every command runs as the
``postgres`` system user (created by the Debian package).

:func:`find_bindir` says where the binaries are, or why the tests must skip;
:func:`running_postgres` runs a throwaway :class:`Cluster` for a fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest

from support.timeouts import TIMEOUT

USER = "chatroom"
PORT = 5432  # only names the socket file: the server listens on no TCP port


def find_bindir() -> tuple[Path | None, str]:
    """Return (directory holding initdb and pg_ctl, "") or (None, why not)."""
    candidates: list[str] = []
    if os.environ.get("CHATROOM_PG_BINDIR"):
        candidates.append(os.environ["CHATROOM_PG_BINDIR"])
    # Debian keeps them out of PATH, one directory per major version: newest first.
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        bindir = Path(candidate)
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            if os.geteuid() == 0:
                try:
                    pwd.getpwnam("postgres")
                except KeyError:
                    return None, "running as root and there is no 'postgres' user for initdb"
            return bindir, ""
    return None, "PostgreSQL server binaries not found (Debian: apt-get install postgresql)"


class Cluster:
    """One PostgreSQL server in a temporary directory; :meth:`remove` deletes it all."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="chatroom-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",  # a test cluster need not survive a power cut
        )

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT * 3, check=False
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}{log}")
        return result

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-k {self.root} -p {PORT} -c listen_addresses='' -c fsync=off"
            " -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server at once, as a crash or an operator would (``-m immediate``)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and delete its directory."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def execute(self, sql: str) -> None:
        """Run one SQL statement as the superuser; callable from sync code, even while an
        event loop runs in this thread (it uses a loop of its own on another thread)."""

        async def run() -> None:
            conn = await asyncpg.connect(self.dsn(), timeout=TIMEOUT)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run()).result()

    def dsn(self, database: str = "postgres", **settings: str) -> str:
        """A ``postgresql://`` URL for *database* over the socket; *settings* become server
        settings (``search_path=...``)."""
        query = "&".join(
            [f"host={quote(str(self.root), safe='')}", f"port={PORT}"]
            + [f"{name}={quote(value, safe='')}" for name, value in settings.items()]
        )
        return f"postgresql://{USER}@/{database}?{query}"


@contextlib.contextmanager
def running_postgres() -> Iterator[Cluster]:
    """A started throwaway :class:`Cluster` for a fixture, removed at the end; skips the
    test (with the reason) when the PostgreSQL server binaries are not installed."""
    bindir, why = find_bindir()
    if bindir is None:
        pytest.skip(why)
    cluster = Cluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
