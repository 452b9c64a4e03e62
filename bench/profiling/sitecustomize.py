"""cProfile inside the server the bench starts: put this directory on ``PYTHONPATH``.

``PYTHONPATH=$PWD/bench/profiling CHATROOM_PROFILE=$PWD/server.prof python -m bench
--servers ours --scenarios 1`` (absolute paths: the server runs in a temporary directory)
profiles every ``chatroom server`` process started meanwhile (the bench
passes ``PYTHONPATH`` on to the server) and writes the profile to ``server.prof`` when it
exits (the bench stops it with SIGTERM, so ``atexit`` runs). Other Python processes (the
bench, its load generators) are left alone. Read it with ``python -m pstats server.prof``.
Profiling slows the server several times over: use it for shares and call counts, and the
bench without it for figures (docs/performance.md, "Fan-out").
"""

from __future__ import annotations

import atexit
import os
import sys

_OUT = os.environ.get("CHATROOM_PROFILE")

if _OUT and "chatroom" in sys.orig_argv and "server" in sys.orig_argv:
    import cProfile

    _profile = cProfile.Profile()
    _profile.enable()

    def _dump(path: str = _OUT) -> None:
        _profile.disable()
        _profile.dump_stats(path)

    atexit.register(_dump)
