"""The IRC commands the server answers: one module per family of verbs.

Each module defines plain handlers sharing one signature,
``handler(server, session, line, rb)``; each begins with its syntax line and
replies only through the response buffer ``rb``. Which verb runs which handler,
and the checks that run before it, are listed in one place: :data:`COMMANDS` in
:mod:`chatroom.server.commands.table`. Nothing here registers itself on import,
and no handler module imports the table.
"""
