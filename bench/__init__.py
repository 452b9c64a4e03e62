"""The load generator that measures chatroom against peer IRC servers.

``python -m bench`` (from a source checkout; the benchmark does not ship in the wheel)
starts each selected server on a free loopback port, drives it with many real IRC
connections from several worker processes, and prints one table (and JSON with
``--json FILE``). Modules, from the wire up:

- ``stamp``: the text each message carries (sender, sequence, send time) and its parser.
- ``stats``: percentiles and latency summaries.
- ``procstat``: CPU time and memory of a process from ``/proc``.
- ``ircclient``: one load-generating client, an asyncio Protocol.
- ``plan``: the picklable commands and results exchanged with worker processes.
- ``worker``: a worker process holding many clients on one uvloop loop.
- ``pool``: the parent's handle on the worker processes.
- ``servers``: launchers for our server, ngircd and miniircd.
- ``harness``: one server plus one worker pool, measured phase by phase.
- ``historydb``: counts rows in our server's history database (scenario 6).
- ``results``: figures with units, per scenario and server.
- ``scenarios``: the six scenarios of issue 7.
- ``runner``: every scenario against every server, each server fresh.
- ``report``: the table, the ratios and the JSON document.
- ``cli``: argument parsing and :func:`bench.cli.main`.
"""
