"""Server operators: OPER and KILL, for operators named in the config file."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.line import Line
from chatroom.server.commands import command
from chatroom.server.passwords import verify_password

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")


@command("OPER", 2)
def oper(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """OPER <name> <password>"""
    name, password = line.params[0], line.params[1]
    entry = next((o for o in server.config.operators if o.name == name), None)
    # Hashing takes tens of milliseconds: do it off the event loop, and answer later.
    rb.deferred = True
    stored = entry.password_hash if entry is not None else None

    def finish(task: asyncio.Future[bool]) -> None:
        if session.closed:
            return
        if entry is None or not task.result():
            log.warning("Failed OPER attempt as %r from %s", name, session.address)
            rb.reply(n.ERR_PASSWDMISMATCH, "Password incorrect")
        else:
            session.modes.add("o")
            session.operator_name = entry.name
            log.info("%s is now an operator (%s)", session.source, entry.name)
            rb.reply(n.RPL_YOUREOPER, "You are now an IRC operator")
            rb.add(Line("MODE", (session.nick, "+o"), session.source))
        rb.send()

    future = server.loop.run_in_executor(None, verify_password, stored, password)
    future.add_done_callback(finish)


@command("KILL", 2, oper_only=True)
def kill(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """KILL <nickname> <comment>"""
    victim = server.find_user(line.params[0])
    if victim is None:
        rb.reply(n.ERR_NOSUCHNICK, line.params[0], "No such nick/channel")
        return
    reason = f"Killed ({session.nick} ({line.params[1]}))"
    log.info("%s killed %s: %s", session.source, victim.source, line.params[1])
    victim.send_line(Line("KILL", (victim.nick, line.params[1]), session.source))
    server.disconnect(victim, reason)
