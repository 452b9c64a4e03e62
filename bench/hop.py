"""The floor of a Redis hop: what the cheapest possible cross-process message costs here.

``python -m bench.hop`` starts a throwaway ``redis-server`` (:mod:`bench.redisproc`), one
subscriber process and one publisher process. The publisher sends ``--rate`` messages a
second for ``--seconds`` seconds, each a ``PUBLISH`` of a ``--size``-byte payload (or,
with ``--batch K``, K payloads back to back in one ``PUBLISH``); the subscriber only
counts what arrives. Neither parses more than it must, encodes anything or does any
chat work: the figures are what a publish, Redis's relay and a subscriber's read cost
on this machine and kernel, below anything our server could do. It prints the CPU time
per message of the publisher, the subscriber and Redis (``/proc``), and their sum.

Scenario 2 of the benchmark sends about 1,000 messages a second over two processes, so
``--rate 500`` per publisher is its pace; scenario 1 runs flat out (``--rate 20000``).
Nothing here is a timed test (docs/performance.md, "Scale-out that scales").
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass

from bench.procstat import read_proc
from bench.redisproc import HOST, RedisProcess, find_redis
from bench.servers import free_port

MESSAGE = b"$7\r\nmessage\r\n"  # how each delivered pub/sub message starts (RESP2)


def _command(size: int, batch: int) -> bytes:
    payload = b"x" * size * batch
    head = b"*3\r\n$7\r\nPUBLISH\r\n$3\r\nhop\r\n"
    return head + b"$%d\r\n" % len(payload) + payload + b"\r\n"


async def _subscribe(port: int, count: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b"*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nhop\r\n")
    confirmed = b""
    while b"subscribe" not in confirmed:  # Redis's confirmation: from now on we hear
        data = await reader.read(1 << 16)
        if not data:
            raise SystemExit("Redis closed the subscription")
        confirmed += data
    seen, tail = 0, b""
    print("ready", flush=True)
    while seen < count:
        data = await reader.read(1 << 16)
        if not data:
            raise SystemExit("Redis closed the subscription")
        data = tail + data
        seen += data.count(MESSAGE)
        tail = data[-len(MESSAGE) + 1 :]  # a marker split over two reads
    writer.close()


async def _publish(port: int, rate: float, count: int, command: bytes) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)

    async def replies() -> None:  # read and drop the ":1" replies, as a publisher must
        while await reader.read(1 << 16):
            pass

    draining = asyncio.ensure_future(replies())
    loop = asyncio.get_running_loop()
    start = loop.time()
    for sent in range(1, count + 1):
        writer.write(command)
        delay = start + sent / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif sent % 64 == 0:
            await asyncio.sleep(0)  # behind: let the writes and replies go
    await writer.drain()
    writer.close()
    draining.cancel()


def _run(coroutine: object) -> None:
    try:
        import uvloop  # the server's loop, when installed

        uvloop.run(coroutine)  # type: ignore[arg-type]
    except ImportError:
        asyncio.run(coroutine)  # type: ignore[arg-type]


@dataclass(frozen=True)
class HopCost:
    """CPU seconds per message of each party, over ``messages`` messages."""

    messages: int
    publisher_us: float
    subscriber_us: float
    redis_us: float

    @property
    def total_us(self) -> float:
        return self.publisher_us + self.subscriber_us + self.redis_us


def measure(rate: float, seconds: float, size: int = 150, batch: int = 1) -> HopCost:
    """Run one hop at ``rate`` messages/s (``batch`` per PUBLISH) and return its cost."""
    binary, why = find_redis()
    if binary is None:
        raise SystemExit(why)
    publishes = max(1, int(rate * seconds / batch))
    argv = [sys.executable, "-m", "bench.hop", "--role"]
    with RedisProcess(binary, free_port()) as redis:
        port = str(redis.port)
        sub = subprocess.Popen([*argv, "sub", port, str(publishes)], stdout=subprocess.PIPE)
        assert sub.stdout is not None
        sub.stdout.readline()  # "ready": Redis confirmed the subscription
        before = read_proc(redis.pid).cpu_s
        pub_args = [*argv, "pub", port, str(publishes), str(rate / batch), str(size), str(batch)]
        pub = subprocess.run(pub_args, check=True, capture_output=True, text=True)
        sub_cpu = _child_cpu(sub)
        redis_cpu = read_proc(redis.pid).cpu_s - before
    messages = publishes * batch
    return HopCost(
        messages,
        float(pub.stdout.split()[-1]) / messages * 1e6,
        sub_cpu / messages * 1e6,
        redis_cpu / messages * 1e6,
    )


def _child_cpu(proc: subprocess.Popen[bytes]) -> float:
    """Wait for ``proc`` and return its CPU seconds (from its own report)."""
    out, _ = proc.communicate(timeout=120)
    if proc.returncode:
        raise SystemExit(f"the subscriber failed with status {proc.returncode}")
    return float(out.split()[-1])


def _role(args: list[str]) -> None:
    """The child processes: ``sub PORT COUNT`` or ``pub PORT COUNT RATE SIZE BATCH``."""
    kind, port, count = args[0], int(args[1]), int(args[2])
    start = time.process_time()
    if kind == "sub":
        _run(_subscribe(port, count))
    else:
        rate, size, batch = float(args[3]), int(args[4]), int(args[5])
        _run(_publish(port, rate, count, _command(size, batch)))
    print(f"cpu {time.process_time() - start:.6f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--role"]:
        _role(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.hop", description=__doc__)
    parser.add_argument("--rate", type=float, action="append", help="messages/s (repeatable)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", type=int, default=150, help="payload bytes per message")
    parser.add_argument("--batch", type=int, default=1, help="messages per PUBLISH")
    args = parser.parse_args(argv)
    print("messages/s  batch  publisher  subscriber   Redis   total (CPU µs per message)")
    for rate in args.rate or [500.0, 2000.0, 20000.0]:
        cost = measure(rate, args.seconds, args.size, args.batch)
        print(
            f"{rate:>10,.0f}  {args.batch:>5}  {cost.publisher_us:>9.1f}  "
            f"{cost.subscriber_us:>10.1f}  {cost.redis_us:>6.1f}  {cost.total_us:>6.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
