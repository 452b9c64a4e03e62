"""Allow ``python -m chatroom``."""

from chatroom.cli import main

raise SystemExit(main())
