"""``python -m bench``: run the benchmark (see :func:`bench.cli.main`)."""

from bench.cli import main

raise SystemExit(main())
