"""HELP and HELPOP: how to use the commands this server answers.

Modern IRC ("HELP message", numerics 704-706, 524). The help of a command is the
syntax line its handler begins with (every handler does, commands/table.py), so
HELP cannot drift from the commands it describes; ``HELP`` alone lists them.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.line import Line

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

INDEX = "*"
"""The subject of the reply to HELP without a subject (Modern IRC's example)."""


def help_(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """HELP [<subject>]"""
    subject = line.params[0].upper() if line.params and line.params[0] else INDEX
    if subject == INDEX:
        rb.reply(n.RPL_HELPSTART, INDEX, f"** Help for {server.config.name} **")
        rb.reply(n.RPL_HELPTXT, INDEX, "")
        rb.reply(n.RPL_HELPTXT, INDEX, "The commands this server answers:")
        for chunk in textwrap.wrap(" ".join(sorted(server.commands)), 60):
            rb.reply(n.RPL_HELPTXT, INDEX, chunk)
        rb.reply(n.RPL_HELPTXT, INDEX, "")
        rb.reply(n.RPL_ENDOFHELP, INDEX, "HELP <command> shows how to use it")
        return
    command = server.commands.get(subject)
    if command is None:
        rb.reply(n.ERR_HELPNOTFOUND, subject, "No help available on this topic")
        return
    rb.reply(n.RPL_HELPSTART, subject, f"** The {subject} command **")
    for text in syntax(command.handler.__doc__, subject):
        rb.reply(n.RPL_HELPTXT, subject, text)
    if command.oper_only:
        rb.reply(n.RPL_HELPTXT, subject, "For IRC operators only.")
    rb.reply(n.RPL_ENDOFHELP, subject, "End of /HELP")


def helpop(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """HELPOP [<subject>] (the same as HELP)"""
    help_(server, session, line, rb)


def syntax(doc: str | None, verb: str) -> list[str]:
    """The syntax lines at the start of a handler's docstring (up to the first blank
    line), alternatives (``A | B``) one a line."""
    head = (doc or verb).strip().split("\n\n", 1)[0]
    return [part.strip() for part in " ".join(head.split()).split(" | ")]
