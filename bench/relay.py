"""The fan-out hot path in memory: scenario 1's shape without sockets or a load generator.

``python -m bench.relay`` builds the server core (flood control off, no history) with
``--clients`` registered sessions in one channel over transports that only count bytes,
then, each loop turn, feeds each of ``--senders`` senders ``--lines`` PRIVMSGs at once (as
the bytes of one ``data_received``) and flushes, as the event loop would, until every sender
has sent ``--messages``. It prints the best of ``--repeat`` runs of CPU time per delivery
(``time.process_time``) and the writes per delivery. It measures only our Python: the kernel's
share of a real run (socket writes, loopback delivery) is not in it. With ``--profile`` it
prints cProfile's top functions of one more run instead.

Nothing here is a timed test; it is the micro-benchmark beside the hot loops of
``server/outgoing.py`` (the shared segment) and ``server/commands/messaging.py``
(docs/performance.md, "Fan-out").
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.session import Session


class CountingTransport:
    """Satisfies the core's Transport protocol; keeps only the count of bytes and writes."""

    def __init__(self) -> None:
        self.written = 0
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)
        self.writes += 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def _setup(server: Server, clients: int) -> list[tuple[Session, CountingTransport]]:
    made = []
    for i in range(clients):
        transport = CountingTransport()
        session = server.connect(transport, f"10.0.{i // 250}.{i % 250 + 1}", 40000 + i)
        assert session is not None
        session.feed(f"NICK b{i}\r\nUSER b{i} 0 * :b{i}\r\nJOIN #b1\r\n".encode())
        server.flush()
        made.append((session, transport))
    return made


def run_once(clients: int, senders: int, messages: int, lines: int) -> tuple[float, int, int]:
    """One run: (CPU seconds, deliveries, writes) of the sending phase only."""
    loop = asyncio.new_event_loop()
    try:
        config = Config(flood_enabled=False, max_clients=0, max_per_address=0)
        server = Server(config, loop, None, None, commands=COMMANDS)
        made = _setup(server, clients)
        for _, transport in made:
            transport.writes = 0
        text = "x" * 40
        chunks = [
            [
                "".join(
                    f"PRIVMSG #b1 :b{s} {k} {text}\r\n" for k in range(start, start + lines)
                ).encode()
                for start in range(0, messages, lines)
            ]
            for s in range(senders)
        ]
        before = server.metrics.deliveries
        started = time.process_time()
        for turn in range(len(chunks[0])):
            for s in range(senders):
                made[s][0].feed(chunks[s][turn])
            server.flush()  # what the loop's call_soon(flush) does at the end of a turn
        cpu = time.process_time() - started
        deliveries = server.metrics.deliveries - before
        writes = sum(transport.writes for _, transport in made)
        server.shutdown()
        return cpu, deliveries, writes
    finally:
        loop.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--messages", type=int, default=500, help="per sender")
    parser.add_argument("--lines", type=int, default=5, help="lines per sender per loop turn")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    shape = (args.clients, args.senders, args.messages, args.lines)
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(run_once, *shape)
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(20)
        return 0
    best = min(run_once(*shape) for _ in range(args.repeat))
    cpu, deliveries, writes = best
    print(
        f"{args.clients} clients, {args.senders} senders x {args.messages} messages, "
        f"{args.lines} lines per sender per turn: {deliveries:,} deliveries, "
        f"{cpu / deliveries * 1e9:.0f} ns CPU per delivery ({cpu * 1e6 / deliveries:.3f} s "
        f"per million), {writes / deliveries:.4f} writes per delivery (best of {args.repeat})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
