"""Launchers for the servers under test: ours, ngircd, miniircd, and ours as a network of
1, 2 or 4 processes on Redis (``ours-x1``, ``ours-x2``, ``ours-x4``).

``before:NAME`` is NAME run from another source tree, the one in the environment variable
``CHATROOM_BENCH_BEFORE`` (the ``src`` directory of a worktree of an older commit), so that
one run measures a change side by side with the code before it (:func:`launcher`).

Each launcher writes a temporary configuration that lifts flood control and per-address
limits (the load comes from one address, 127.0.0.1, and far faster than any person types),
and gives the command that runs the server in the foreground on a given loopback port.

:class:`RunningServer` starts one, waits until its port accepts a connection, and stops it on
exit: SIGTERM, then SIGKILL after a grace period, to the process it started (and that
process's own group, so a server that forks leaves nothing behind). Server output goes to a
log file in the temporary directory, never to a pipe that could fill and stall the server.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from bench.redisproc import RedisProcess, find_redis

HOST = "127.0.0.1"
#: The environment variable naming a directory for cProfile output of our servers.
PROFILE_ENV = "CHATROOM_BENCH_PROFILE"
#: How long a server may take to accept connections after it was started.
START_TIMEOUT_S = 20.0
#: How long a server has to exit after SIGTERM before it is killed.
STOP_GRACE_S = 5.0


class ServerStartError(Exception):
    """The server exited or did not listen in time; ``str()`` says which, with its last log."""


class Launcher:
    """How to run one kind of server. Subclasses fill in the class attributes and methods."""

    #: The name used by ``--servers`` and in the report.
    name = ""
    #: What the benchmark changed in the server's settings, printed with the results.
    settings = ""
    #: Whether the server can store message history (scenario 6).
    has_history = False
    #: Server processes forming one network through Redis (``bench.network``).
    processes = 1

    def unavailable(self) -> str | None:
        """Return why this server cannot run here, or None when it can."""
        raise NotImplementedError

    def version(self) -> str:
        """Return a short version string (best effort)."""
        raise NotImplementedError

    def command(self, port: int, workdir: Path, history: bool) -> tuple[list[str], dict[str, str]]:
        """Write any config into ``workdir``; return argv and environment for the server.

        ``history`` asks for message storage (in ``workdir``) where the server has it.
        """
        raise NotImplementedError


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


class OursLauncher(Launcher):
    """Our server, ``python -m chatroom server``, with flood control and limits off."""

    name = "ours"
    settings = (
        "flood control off ([flood] enabled = false), no client, per-address or channel "
        "limit; no web port; history off except in scenario 6 (SQLite in a temporary directory)"
    )
    has_history = True
    #: The source tree the server runs from; None: the one the bench imports.
    src: Path | None = None

    def _src_root(self) -> Path:
        if self.src is not None:
            return self.src
        import chatroom

        return Path(chatroom.__file__).resolve().parent.parent

    def unavailable(self) -> str | None:
        if self.src is not None and not (self.src / "chatroom").is_dir():
            return f"no chatroom package in {self.src} (set {BEFORE_ENV} to a src directory)"
        for module in ("chatroom.cli", "chatroom.server.server"):
            try:
                found = importlib.util.find_spec(module)
            except ImportError:
                found = None
            if found is None:
                return f"{module} does not exist yet"
        return None

    def version(self) -> str:
        if self.src is not None:
            return f"chatroom from {self.src}"
        import chatroom

        return f"chatroom {getattr(chatroom, '__version__', '?')}"

    def command(self, port: int, workdir: Path, history: bool) -> tuple[list[str], dict[str, str]]:
        config = workdir / "chatroom.toml"
        # CHATROOM_BENCH_WEB_PORT=N serves the web port (and /metrics) on N, to watch a
        # run from outside (curl http://127.0.0.1:N/metrics); off by default.
        web = os.environ.get("CHATROOM_BENCH_WEB_PORT", "")
        web_section = f"enabled = true\nport = {int(web)}" if web else "enabled = false"
        config.write_text(
            "# written by chatroom bench: lift every limit that would throttle the load\n"
            "[flood]\nenabled = false\n\n"
            "[limits]\nmax_clients = 0\nmax_per_address = 0\nmax_channels = 10000\n\n"
            f"[web]\n{web_section}\n\n"
            f"[history]\nenabled = {'true' if history else 'false'}\n"
            f"data_dir = {json.dumps(str(workdir))}\n"
        )
        env = dict(os.environ)
        root = str(self._src_root())
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        argv = [sys.executable, "-m", "chatroom", "server", HOST, "-p", str(port)]
        # CHATROOM_BENCH_PROFILE=DIR runs each of our processes under cProfile, writing
        # DIR/<server>-<port>.prof when it stops (for where the time goes, not for speed).
        profile = os.environ.get(PROFILE_ENV, "")
        if profile:
            out = Path(profile) / f"{self.name.replace(':', '-')}-{port}.prof"
            argv[1:1] = ["-m", "cProfile", "-o", str(out)]
        return [*argv, "--config", str(config)], env


class NgircdLauncher(Launcher):
    """ngircd in the foreground with penalties, connection and join limits off."""

    name = "ngircd"
    settings = (
        "MaxPenaltyTime = 0 (no flood penalties), MaxConnectionsIP = 0, MaxConnections = 0, "
        "MaxJoins = 0, DNS/Ident/PAM off"
    )

    def unavailable(self) -> str | None:
        if shutil.which("ngircd") is None:
            return "ngircd is not installed (Debian: apt-get install ngircd)"
        return None

    def version(self) -> str:
        return _first_line(["ngircd", "--version"]).split("-")[0]

    def command(self, port: int, workdir: Path, history: bool) -> tuple[list[str], dict[str, str]]:
        config = workdir / "ngircd.conf"
        config.write_text(
            "# written by chatroom bench\n"
            "[Global]\n"
            "Name = bench.invalid\n"
            "Info = chatroom bench\n"
            f"Listen = {HOST}\n"
            f"Ports = {port}\n"
            "MotdPhrase = bench\n"
            f"PidFile = {workdir / 'ngircd.pid'}\n"
            "AdminInfo1 = bench\nAdminInfo2 = bench\nAdminEMail = bench@bench.invalid\n"
            "[Limits]\n"
            "MaxConnections = 0\n"
            "MaxConnectionsIP = 0\n"
            "MaxJoins = 0\n"
            "MaxNickLength = 30\n"
            "MaxPenaltyTime = 0\n"
            "PingTimeout = 3600\n"
            "PongTimeout = 3600\n"
            "ConnectRetry = 3600\n"
            "[Options]\n"
            "DNS = no\n"
            "Ident = no\n"
            "PAM = no\n"
        )
        return ["ngircd", "-n", "-f", str(config)], dict(os.environ)


class MiniircdLauncher(Launcher):
    """miniircd (PyPI) in the foreground; it has no flood control or limits to lift."""

    name = "miniircd"
    settings = "defaults (miniircd has no flood control or per-address limit)"

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("miniircd") is None:
            return "miniircd is not installed (pip install miniircd, a dev extra)"
        return None

    def version(self) -> str:
        return "miniircd " + _first_line([sys.executable, "-m", "miniircd", "--version"])

    def command(self, port: int, workdir: Path, history: bool) -> tuple[list[str], dict[str, str]]:
        argv = [sys.executable, "-m", "miniircd", "--listen", HOST, "--ports", str(port)]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # miniircd refuses to run as root unless told to stay root on purpose.
            argv += ["--setuid", "root"]
        return argv, dict(os.environ)


class OursClusterLauncher(OursLauncher):
    """Our server as ``processes`` processes on as many ports, one network through a
    throwaway Redis (``ours-x1`` is one process paying for Redis, the base of scaling).

    The bench starts Redis itself (:mod:`bench.redisproc`) and one process per
    :meth:`member`; clients are spread over the ports round-robin, so the spread is
    known (``--workers N`` on one port would leave it to the kernel). No history: each
    process would keep its own SQLite file in its own directory. With ``unix``
    (``ours-xN-unix``) the processes reach Redis over a Unix socket instead of TCP on
    loopback, as processes on Redis's own machine can (``--cluster unix://...``).
    """

    has_history = False

    def __init__(self, processes: int = 2, unix: bool = False) -> None:
        self.processes = processes
        self.unix = unix
        self.name = f"ours-x{processes}{'-unix' if unix else ''}"
        self.settings = (
            f"as ours, as {processes} process{'es' if processes > 1 else ''} (chatroom server "
            f"--cluster) on {processes} port{'s' if processes > 1 else ''}, clients spread "
            "round-robin; a throwaway redis-server without persistence"
            f"{', reached over a Unix socket' if unix else ''}; history off"
        )

    def unavailable(self) -> str | None:
        reason = super().unavailable()
        if reason is None:
            reason = find_redis()[1] or None
        return reason

    def version(self) -> str:
        # "Redis server v=7.0.15 sha=... bits=64 ..." -> "Redis 7.0.15"
        binary = find_redis()[0] or "redis-server"
        words = _first_line([binary, "--version"]).split()
        redis = next((w[2:] for w in words if w.startswith("v=")), "?")
        return f"{super().version()} x {self.processes}, Redis {redis}"

    def member(self, redis_url: str) -> Launcher:
        """The launcher of one of the processes, joined to the Redis at ``redis_url``."""
        return _ClusterMember(self.name, redis_url, self.src)


class _ClusterMember(OursLauncher):
    """One process of :class:`OursClusterLauncher`: ours with ``--cluster URL``."""

    def __init__(self, name: str, redis_url: str, src: Path | None) -> None:
        self.name = name
        self.redis_url = redis_url
        self.src = src

    def command(self, port: int, workdir: Path, history: bool) -> tuple[list[str], dict[str, str]]:
        argv, env = super().command(port, workdir, False)
        return [*argv, "--cluster", self.redis_url], env


#: The server kinds ``--servers`` accepts; the "ours-xN" run only when asked for.
LAUNCHERS: dict[str, Launcher] = {
    launcher.name: launcher
    for launcher in (
        OursLauncher(),
        NgircdLauncher(),
        MiniircdLauncher(),
        *(OursClusterLauncher(n) for n in (1, 2, 4)),
        *(OursClusterLauncher(n, unix=True) for n in (2, 4)),
    )
}
#: The servers run when ``--servers`` is not given.
DEFAULT_SERVERS = ["ours", "ngircd", "miniircd"]
#: ``before:NAME`` runs NAME from the source tree in this environment variable.
BEFORE = "before:"
BEFORE_ENV = "CHATROOM_BENCH_BEFORE"


def known(name: str) -> bool:
    """Whether ``--servers`` accepts ``name``: a launcher, or ``before:`` one of ours."""
    base = name.removeprefix(BEFORE)
    return base in LAUNCHERS and (base == name or isinstance(LAUNCHERS[base], OursLauncher))


def launcher(name: str) -> Launcher:
    """The launcher called ``name`` (see :func:`known`). ``before:NAME`` is a copy of NAME's
    that runs the source tree named by ``CHATROOM_BENCH_BEFORE`` (unavailable without it)."""
    base = LAUNCHERS[name.removeprefix(BEFORE)]
    if name == base.name:
        return base
    assert isinstance(base, OursLauncher)
    copy = (
        OursClusterLauncher(base.processes, base.unix)
        if isinstance(base, OursClusterLauncher)
        else OursLauncher()
    )
    copy.name = name
    copy.src = Path(os.environ.get(BEFORE_ENV, "") or f"${BEFORE_ENV}").resolve()
    return copy


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Return once ``port`` accepts a TCP connection; raise ServerStartError otherwise.

    Tries every 50 ms, at most ``timeout_s`` in total, and gives up at once if the process
    has exited.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerStartError(f"exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerStartError(f"not listening on port {port} after {timeout_s:.0f} s")


class RunningServer:
    """One server process, started on entry and stopped (always) on exit."""

    def __init__(
        self, launcher: Launcher, history: bool = False, start_timeout_s: float = START_TIMEOUT_S
    ) -> None:
        self.launcher = launcher
        self.history = history
        self.start_timeout_s = start_timeout_s
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def workdir(self) -> Path:
        """The server's temporary directory (config, log, history); only inside ``with``."""
        assert self._tmp is not None
        return Path(self._tmp.name)

    @property
    def pid(self) -> int:
        """The server's process id; only valid inside the ``with`` block."""
        assert self.proc is not None
        return self.proc.pid

    @property
    def ports(self) -> tuple[int, ...]:
        """The ports clients connect to: this server's one."""
        return (self.port,)

    @property
    def pids(self) -> tuple[int, ...]:
        """The processes whose CPU and memory count as the server's: this one."""
        return (self.pid,)

    @property
    def redis(self) -> RedisProcess | None:
        """None: one process needs no Redis."""
        return None

    def __enter__(self) -> RunningServer:
        self._tmp = tempfile.TemporaryDirectory(prefix=f"chatroom-bench-{self.launcher.name}-")
        workdir = Path(self._tmp.name)
        self.port = free_port()
        argv, env = self.launcher.command(self.port, workdir, self.history)
        try:
            with open(workdir / "server.log", "wb") as log:
                self.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=workdir,
                    start_new_session=True,
                )
            wait_listening(self.port, self.proc, self.start_timeout_s)
        except BaseException as exc:
            tail = self.log_tail()
            self.stop()
            if isinstance(exc, (ServerStartError, OSError)):
                raise ServerStartError(f"{exc}; log: {tail or '(empty)'}") from exc
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 3) -> str:
        """The last lines of the server's output, joined with `` | `` (for error messages)."""
        if self._tmp is None:
            return ""
        try:
            text = (Path(self._tmp.name) / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL the server and its process group. Idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(STOP_GRACE_S)
            # start_new_session made the server a group leader: end what it may have forked.
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
