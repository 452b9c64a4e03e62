"""Start-up and at-rest figures of ``chatroom server`` and ``chatroom client`` (issue 20).

``python -m bench.startup`` starts each program afresh several times and prints medians:

- **server**: seconds from process start (just before ``exec``) to the ``Listening at`` log
  line, then, one second later, its resident set (``VmRSS``) and peak (``VmHWM``) from
  ``/proc/PID/status``; with the default configuration (web port on) and with ``--no-web``.
- **import**: ``python -X importtime -c "import chatroom.serve"``, the module's cumulative
  time, and what the largest imports under it are.
- **client**: seconds from process start to the ``Your name:`` prompt of ``chatroom client``
  on a pseudo-terminal, against a running server.
- **logins**: the server's peak RSS before and after N SASL PLAIN logins sent at once
  (accounts made beforehand in its data directory), and how long they all took. Each client
  comes from its own loopback address (127.0.1.x): the login throttle counts per address.

Every process listens and connects on loopback only, in a temporary data directory. The
figures are wall-clock times on a shared machine: read medians, not single runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fcntl
import json
import os
import pty
import queue
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.procstat import ProcSample, read_proc
from bench.servers import free_port

LISTENING = "Listening at"
NAME_PROMPT = b"Your name:"  # the space after it is drawn as a cursor move
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServerStart:
    """One start of the server: seconds until it listened, memory one second later (kB)."""

    listen_s: float
    rss_kb: int
    hwm_kb: int


@dataclass(frozen=True)
class LoginBurst:
    """N logins sent at once: peak RSS before and after (kB), seconds until all answered."""

    logins: int
    succeeded: int
    hwm_before_kb: int
    hwm_after_kb: int
    seconds: float


class ServerProcess:
    """``chatroom server`` on a free loopback port, in *data_dir*; its log lines are read
    by a thread so that the pipe never fills."""

    def __init__(self, data_dir: Path, *, web: bool) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "chatroom", "server", "127.0.0.1", "-p", str(self.port)]
        argv += ["--data-dir", str(data_dir)]
        argv += ["--web-port", str(free_port())] if web else ["--no-web"]
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put((time.monotonic(), line))

    def wait_listening(self) -> float:
        """Seconds from the start to the ``Listening at`` line; RuntimeError if none came."""
        deadline = self.started + START_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                at, line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if LISTENING in line:
                return at - self.started
        raise RuntimeError(f"the server did not listen within {START_TIMEOUT} s")

    def sample(self) -> ProcSample:
        return read_proc(self.proc.pid)

    def stop(self) -> None:
        stop_gently(self.proc)


def stop_gently(proc: subprocess.Popen[str]) -> None:
    """Stop a server as a service manager would (SIGTERM), killing it after 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running_server(data_dir: Path | None = None, *, web: bool = False) -> Iterator[ServerProcess]:
    """A server listening (in a fresh temporary data directory unless given), stopped after."""
    with tempfile.TemporaryDirectory(prefix="chatroom-startup-") as tmp:
        server = ServerProcess(data_dir or Path(tmp), web=web)
        try:
            server.wait_listening()
            yield server
        finally:
            server.stop()


def measure_server(*, web: bool, settle_s: float = 1.0) -> ServerStart:
    """Start the server once; see :class:`ServerStart`."""
    with tempfile.TemporaryDirectory(prefix="chatroom-startup-") as tmp:
        server = ServerProcess(Path(tmp), web=web)
        try:
            listen_s = server.wait_listening()
            time.sleep(settle_s)
            sample = server.sample()
        finally:
            server.stop()
    return ServerStart(listen_s, sample.rss_kb, sample.hwm_kb)


def measure_import(module: str = "chatroom.serve") -> tuple[float, list[tuple[int, str]]]:
    """Seconds to import *module* in a fresh interpreter, and its ten largest imports
    (cumulative microseconds, name) from ``-X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[tuple[int, str]] = []
    total = 0
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        cumulative, name = int(parts[1]), parts[2].strip()
        if name == module:
            total = cumulative
        elif parts[2].startswith("   ") and not parts[2].startswith("     "):
            rows.append((cumulative, name))  # a direct import of the module
    return total / 1e6, sorted(rows, reverse=True)[:10]


def measure_client(port: int) -> float:
    """Seconds from starting ``chatroom client`` on a pseudo-terminal to its name prompt."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, TERM="xterm")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatroom", "client", "127.0.0.1", "-p", str(port)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    try:
        while time.monotonic() - started < START_TIMEOUT:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break  # the client exited
            seen += chunk
            if b"\x1b[6n" in chunk:
                os.write(master, b"\x1b[1;1R")  # answer the cursor position request
            if NAME_PROMPT in seen:
                return time.monotonic() - started
        raise RuntimeError(f"no name prompt within {START_TIMEOUT} s: {seen[-200:]!r}")
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def make_accounts(data_dir: Path, count: int) -> list[tuple[str, str]]:
    """Register *count* accounts in *data_dir*'s account database with the default hashing
    parameters; return their (name, password) pairs."""
    from chatroom.storage.accounts_sqlite import open_accounts

    accounts = [(f"bench{i}", f"password-{i}-of-the-bench") for i in range(count)]

    async def register() -> None:
        store = await open_accounts(data_dir)
        try:
            await asyncio.gather(*(store.register(name, pw) for name, pw in accounts))
        finally:
            await store.close()

    asyncio.run(register())
    return accounts


async def _login(port: int, index: int, name: str, password: str, go: asyncio.Event) -> bool:
    """One client from 127.0.1.<index+1>: SASL PLAIN once *go* is set; True on 903."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, local_addr=(f"127.0.1.{index + 1}", 0)
    )

    async def expect(*words: str) -> str:
        while line := (await reader.readline()).decode():
            if any(word in line.split()[:3] for word in words):
                return line
        return ""

    try:
        writer.write(f"CAP REQ :sasl\r\nNICK {name}\r\nUSER {name} 0 * :b\r\n".encode())
        writer.write(b"AUTHENTICATE PLAIN\r\n")
        if "AUTHENTICATE" not in await expect("AUTHENTICATE", "904", "908"):
            return False
        await go.wait()
        payload = base64.b64encode(f"\0{name}\0{password}".encode()).decode()
        writer.write(f"AUTHENTICATE {payload}\r\n".encode())
        return "903" in await expect("903", "904", "905")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def measure_logins(count: int) -> LoginBurst:
    """Start a server over *count* accounts and send their logins at once."""
    with tempfile.TemporaryDirectory(prefix="chatroom-startup-") as tmp:
        data_dir = Path(tmp)
        accounts = make_accounts(data_dir, count)
        with running_server(data_dir) as server:
            time.sleep(1.0)
            before = server.sample().hwm_kb

            async def burst() -> tuple[int, float]:
                go = asyncio.Event()
                tasks = [
                    asyncio.create_task(_login(server.port, i, name, pw, go))
                    for i, (name, pw) in enumerate(accounts)
                ]
                await asyncio.sleep(0.5)  # every client has asked for PLAIN
                started = time.monotonic()
                go.set()
                results = await asyncio.gather(*tasks)
                return sum(results), time.monotonic() - started

            succeeded, seconds = asyncio.run(burst())
            after = server.sample().hwm_kb
    return LoginBurst(count, succeeded, before, after, seconds)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


@contextlib.contextmanager
def bytecode_cache() -> Iterator[None]:
    """Let the programs started inside write and read compiled bytecode, in a temporary
    directory (``PYTHONPYCACHEPREFIX``), as an installed package has it: pip and
    ``uv sync --compile-bytecode`` compile at install. Without it, where
    ``PYTHONDONTWRITEBYTECODE`` is set, every start compiles every module from source,
    which is more than half of the client's start-up."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="chatroom-pyc-") as cache:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = cache
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def run(runs: int, logins: int, *, compiled: bool = True) -> dict[str, object]:
    """Every figure, as a dict of medians (and the raw runs). ``compiled``: with
    bytecode, as installed (:func:`bytecode_cache`; one unmeasured start of each
    program compiles it first); otherwise as the environment says."""
    if compiled:
        with bytecode_cache():
            measure_server(web=True)
            with running_server() as server:
                measure_client(server.port)
            return run(runs, logins, compiled=False)
    figures: dict[str, object] = {}
    for label, web in (("server --no-web", False), ("server (default, web on)", True)):
        starts = [measure_server(web=web) for _ in range(runs)]
        figures[label] = {
            "listening_s": _median([s.listen_s for s in starts]),
            "rss_mb": _median([s.rss_kb for s in starts]) / 1024,
            "hwm_mb": _median([s.hwm_kb for s in starts]) / 1024,
            "runs": [asdict(s) for s in starts],
        }
    imports = [measure_import() for _ in range(runs)]
    figures["import chatroom.serve"] = {
        "seconds": _median([seconds for seconds, _ in imports]),
        "largest": imports[-1][1],
    }
    with running_server() as server:
        prompts = [measure_client(server.port) for _ in range(runs)]
    figures["client name prompt"] = {"seconds": _median(prompts), "runs": prompts}
    if logins:
        figures[f"{logins} SASL PLAIN logins at once"] = asdict(measure_logins(logins))
    return figures


def report(figures: dict[str, object]) -> str:
    """The figures as a few readable lines."""
    out: list[str] = []
    for label, value in figures.items():
        assert isinstance(value, dict)
        shown = {k: v for k, v in value.items() if k not in ("runs", "largest")}
        text = ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in shown.items()
        )
        out.append(f"{label}: {text}")
        for cumulative, name in value.get("largest", []):
            out.append(f"    {cumulative / 1000:7.1f} ms  {name}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="starts of each program (median)")
    parser.add_argument("--logins", type=int, default=50, help="SASL logins at once (0: skip)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="do not give the programs a bytecode cache (each start then compiles every "
        "module if PYTHONDONTWRITEBYTECODE is set)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.logins < 0:
        parser.error("--runs must be at least 1 and --logins at least 0")
    figures = run(args.runs, args.logins, compiled=not args.no_bytecode)
    print(report(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
