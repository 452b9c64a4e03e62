"""The terminal client (``chatroom client``): prompt_toolkit when on a terminal,
plain lines when piped.

- :mod:`~chatroom.ui.terminal.cli`: the ``client`` subcommand and its flags.
- :mod:`~chatroom.ui.terminal.render`: events and messages as text (pure).
- :mod:`~chatroom.ui.terminal.app`: the interactive UI (prompt_toolkit).
- :mod:`~chatroom.ui.terminal.plain`: plain mode (one line in, one message out).
"""
