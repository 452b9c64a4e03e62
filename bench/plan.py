"""The data a scenario hands to worker processes, and what they hand back.

Everything here is a frozen dataclass of plain values, so it pickles across the pipe between
the parent and a worker. Times called ``*_ns`` are :func:`time.monotonic_ns` readings, which
all processes on one Linux machine share.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClientSpec:
    """One simulated person.

    ``gid`` is unique in the scenario and appears in every message the client sends.
    ``room`` is one channel, or several separated by commas for a client that only listens
    (a sender sends to the first). ``sends`` messages go to ``room``; with
    ``interval_s == 0`` they are written all at once at the start ("as fast as they can"),
    otherwise one every ``interval_s`` from ``offset_s`` after the start. A ``sample`` client
    records the latency of every message it receives. A ``slow`` client stops reading at the
    start and probes the server with PING once a second, so that it notices when the server
    drops it.

    ``node`` picks the server process the client connects to when the server under test is
    several processes (an index into its ports, taken modulo their number); None lets
    :func:`assign_ports` spread clients round-robin by position. A sampling client with a
    ``label`` also files its latencies under that label, so a scenario can compare receivers
    (on the sender's process or on another one).
    """

    gid: int
    nick: str
    room: str
    sends: int = 0
    interval_s: float = 0.0
    offset_s: float = 0.0
    sample: bool = False
    slow: bool = False
    node: int | None = None
    label: str = ""


@dataclass(frozen=True)
class ConnectCmd:
    """Connect, register and join every client in ``specs``, ``specs[i]`` on ``ports[i]``.

    At most ``concurrency`` clients of this worker are between TCP connect and the end of
    NAMES at any time. Work starts at ``start_at_ns``; each client gives up after
    ``client_timeout_s``, and the whole command ends by ``deadline_ns``.
    """

    host: str
    ports: tuple[int, ...]
    specs: tuple[ClientSpec, ...]
    concurrency: int
    start_at_ns: int
    client_timeout_s: float
    deadline_ns: int


@dataclass(frozen=True)
class ConnectResult:
    """What a :class:`ConnectCmd` achieved in one worker."""

    ready: tuple[int, ...]
    failures: dict[str, int]
    register_ns: tuple[int, ...]
    end_ns: int
    cpu_s: float
    wall_s: float


@dataclass(frozen=True)
class RunCmd:
    """Send the planned messages and count deliveries.

    ``expected`` maps each ready client of this worker to the number of messages it should
    receive (the slow client, if any, is absent). Sending starts at ``start_at_ns``; the last
    planned send is at ``sends_end_ns`` (across all workers). The worker stops when every
    client has received what it expects, when nothing arrived for ``quiet_s`` after
    ``sends_end_ns``, or at ``deadline_ns``, whichever comes first.
    """

    expected: dict[int, int]
    start_at_ns: int
    sends_end_ns: int
    quiet_s: float
    deadline_ns: int
    msg_bytes: int
    max_samples: int
    watch_nick: str | None = None


@dataclass(frozen=True)
class RunResult:
    """What a :class:`RunCmd` measured in one worker."""

    sent: int
    received: int
    expected: int
    lost: int
    extra: int
    latencies_ns: tuple[int, ...]
    samples_dropped: int
    duplicates: int
    first_send_ns: int
    last_recv_ns: int
    disconnects: dict[str, int]
    slow_reset_ns: int
    slow_quit_seen_ns: int
    slow_present: bool
    cpu_s: float
    wall_s: float
    #: The latencies of labelled sampling clients, by label (also in ``latencies_ns``).
    labelled_ns: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class CloseCmd:
    """Say QUIT on every connection, close them, and end the worker process."""


@dataclass(frozen=True)
class WorkerError:
    """A worker's reply when a command raised: the exception, as text."""

    message: str


@dataclass
class Partition:
    """Specs split over ``n`` workers, round-robin by position, so each gets a fair share."""

    n: int
    parts: list[list[ClientSpec]] = field(default_factory=list)

    @classmethod
    def of(cls, specs: list[ClientSpec], n: int) -> Partition:
        """Split ``specs`` into ``n`` lists (some may be empty when specs are few)."""
        parts: list[list[ClientSpec]] = [[] for _ in range(n)]
        for index, spec in enumerate(specs):
            parts[index % n].append(spec)
        return cls(n=n, parts=parts)


def assign_ports(specs: list[ClientSpec], ports: tuple[int, ...]) -> list[int]:
    """The port each spec connects to: its ``node`` if set, else round-robin by position.

    With one port every client gets it. With two, clients alternate, so each room of 20
    has 10 members on each process and the spread is known, not left to the kernel.
    """
    if not ports:
        raise ValueError("no port to connect to")
    return [
        ports[(index if spec.node is None else spec.node) % len(ports)]
        for index, spec in enumerate(specs)
    ]
