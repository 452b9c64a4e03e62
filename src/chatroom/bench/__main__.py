"""``python -m chatroom.bench``: run the benchmark (see :func:`chatroom.bench.cli.main`)."""

from chatroom.bench.cli import main

raise SystemExit(main())
