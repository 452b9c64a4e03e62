"""Upload throughput of the web port (issue 19): real HTTP to a real server.

``python -m bench.uploads [--sizes 10k,100k,1m,10m] [--count 20] [--auth token]`` starts
``chatroom server`` on free loopback ports in a temporary data directory (uploads on, the
rate and quota limits lifted so that they do not throttle the bench), then, for each size,
POSTs ``--count`` files of random bytes to ``/upload`` one after the other, each on a new
connection (the server closes it after the answer, as the spec lets it), and prints per
size: MB/s (bytes sent over the summed request times), and p50 / p99 / max of one upload,
from the first byte sent to the ``201`` read, in ms.

``--auth token`` (the default) asks for a token once with ``EXTJWT *`` on an IRC
connection kept open for the run and sends it as ``Authorization: Bearer``; ``--auth
basic`` sends an account's password with each upload, so each one also pays the password
hash (argon2id, tens of ms): the difference is what a token saves a client.

Every file is written (flushed and fsynced) before its ``201``: the figures include the
disk. Wall-clock times on a shared machine: compare runs made side by side.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.servers import free_port
from bench.startup import make_accounts, stop_gently
from bench.stats import percentile

START_TIMEOUT = 30.0
_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}


def parse_size(text: str) -> int:
    """``"10k"`` -> 10240, ``"1m"`` -> 1048576, ``"300"`` -> 300 (ValueError if not one)."""
    text = text.strip().lower()
    unit = text[-1:] if text[-1:] in ("k", "m") else ""
    number = int(text[: len(text) - len(unit)])
    if number <= 0:
        raise ValueError(f"a size must be positive: {text!r}")
    return number * _UNITS[unit]


def label(size: int) -> str:
    """A size as the table shows it: ``10 KiB``, ``1 MiB``, ``300 B``."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


@dataclass(frozen=True)
class Row:
    """The uploads of one size: how many, MB/s over their summed times, latencies (ms)."""

    size: int
    count: int
    mb_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    def line(self) -> str:
        return (
            f"  {label(self.size):>8} {self.count:6d} {self.mb_per_s:9.2f}"
            f" {self.p50_ms:9.1f} {self.p99_ms:9.1f} {self.max_ms:9.1f}"
        )


HEADER = "  size      count      MB/s   p50 ms    p99 ms    max ms"


def summarize(size: int, seconds: Sequence[float]) -> Row:
    """The row of *size* from each upload's *seconds* (at least one)."""
    if not seconds:
        raise ValueError("no uploads to summarize")
    us = sorted(round(s * 1e6) for s in seconds)
    mb = size * len(us) / 1e6
    total = max(sum(seconds), 1e-9)
    return Row(size, len(us), mb / total, percentile(us, 50) / 1e3, percentile(us, 99) / 1e3,
               us[-1] / 1e3)  # fmt: skip


def _config(path: Path, max_size: int) -> None:
    path.write_text(
        "# written by bench.uploads: no limit may throttle the bench\n"
        "[flood]\nenabled = false\n\n"
        f"[files]\nenabled = true\nmax_size = {max_size}\nquota = {1 << 50}\n"
        "per_minute = 10000\n"
        "guests = true  # the token run uploads as a guest (EXTJWT)\n"
    )


class UploadServer:
    """``chatroom server`` with uploads on, in *data_dir*; its log read by a thread."""

    def __init__(self, data_dir: Path, max_size: int) -> None:
        self.port, self.web_port = free_port(), free_port()
        config = data_dir / "chatroom.toml"
        _config(config, max_size)
        argv = [sys.executable, "-m", "chatroom", "server", "127.0.0.1", "-p", str(self.port)]
        argv += ["--web-port", str(self.web_port), "--data-dir", str(data_dir)]
        argv += ["--config", str(config)]
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_listening(self) -> None:
        """Return once the web port is up (its ``Web chat at`` log line); RuntimeError,
        with the log, if the server stops or is not up within :data:`START_TIMEOUT`."""
        deadline, seen = time.monotonic() + START_TIMEOUT, []
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            seen.append(line)
            if f"Web chat at http://127.0.0.1:{self.web_port}/" in line:
                return
        raise RuntimeError("the server's web port did not come up: " + "".join(seen[-5:]))

    def stop(self) -> None:
        stop_gently(self.proc)


@contextlib.contextmanager
def running(
    max_size: int, accounts: int = 0
) -> Iterator[tuple[UploadServer, list[tuple[str, str]]]]:
    """A listening upload server (and *accounts* made beforehand), stopped after."""
    with tempfile.TemporaryDirectory(prefix="chatroom-bench-uploads-") as tmp:
        made = make_accounts(Path(tmp), accounts) if accounts else []
        server = UploadServer(Path(tmp), max_size)
        try:
            server.wait_listening()
            yield server, made
        finally:
            server.stop()


def irc_token(port: int, nick: str = "uploader") -> tuple[socket.socket, str]:
    """Register on the IRC port and ask ``EXTJWT *``; return the connection (keep it open:
    the token ends with it) and the token."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=START_TIMEOUT)
    sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :bench\r\nEXTJWT *\r\n".encode())
    buffer, pieces = b"", []
    while True:
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("the server closed the connection before the token")
        buffer += data
        *lines, buffer = buffer.split(b"\r\n")
        for raw in lines:
            words = raw.decode().split(" ")
            if words[0] == "PING":
                sock.sendall(f"PONG {words[1]}\r\n".encode())
            if len(words) > 1 and words[1] == "EXTJWT":
                pieces.append(words[-1].lstrip(":"))
                if words[-2] != "*" or len(words) < 6:  # the last piece has no "*" before it
                    return sock, "".join(pieces)


def upload(web_port: int, body: bytes, authorization: str) -> float:
    """POST *body* to ``/upload``; return the seconds it took (RuntimeError unless 201)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=60)
    try:
        conn.request(
            "POST", "/upload", body,
            {"Authorization": authorization, "Content-Type": "application/octet-stream",
             "Content-Disposition": 'attachment; filename="bench.bin"'},
        )  # fmt: skip
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    if response.status != 201:
        raise RuntimeError(f"upload refused: {response.status} {answer[:200]!r}")
    return elapsed


def run(sizes: Sequence[int], count: int, auth: str) -> list[Row]:
    """Upload *count* files of each of *sizes*; one :class:`Row` per size."""
    with running(max(sizes), accounts=1 if auth == "basic" else 0) as (server, accounts):
        irc = None
        if auth == "basic":
            name, password = accounts[0]
            authorization = "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()
        else:
            irc, token = irc_token(server.port)
            authorization = f"Bearer {token}"
        try:
            rows = []
            for size in sizes:
                body = os.urandom(size)  # random: no compression anywhere helps
                upload(server.web_port, body, authorization)  # warm-up, not counted
                rows.append(
                    summarize(
                        size, [upload(server.web_port, body, authorization) for _ in range(count)]
                    )
                )
            return rows
        finally:
            if irc is not None:
                irc.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.uploads", description=__doc__)
    parser.add_argument("--sizes", default="10k,100k,1m,10m", help="comma-separated: 10k,1m")
    parser.add_argument("--count", type=int, default=20, help="uploads of each size")
    parser.add_argument("--auth", choices=("token", "basic"), default="token")
    args = parser.parse_args(argv)
    try:
        sizes = [parse_size(word) for word in args.sizes.split(",")]
    except ValueError as exc:
        parser.error(f"--sizes: {exc}")
    if args.count < 1:
        parser.error("--count must be at least 1")
    rows = run(sizes, args.count, args.auth)
    print(
        f"uploads to a real server over loopback HTTP, {args.count} of each size, auth {args.auth}"
    )
    print(HEADER)
    for row in rows:
        print(row.line())


if __name__ == "__main__":
    main()
