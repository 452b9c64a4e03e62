"""EXTJWT: a short-lived token for the file upload (IRCv3 draft extjwt,
https://ircv3.net/specs/extensions/extjwt; what it allows: :mod:`chatroom.server.tokens`).

``EXTJWT ( <channel> | * ) [service]`` is answered ``EXTJWT <target> <service> <token>``;
a token longer than fits on one line comes in pieces, each but the last with ``*`` before
it (the spec's "long responses"). The only service is the upload (``*``); another name
gets ``FAIL EXTJWT NO_SUCH_SERVICE``; a session without an account, unless
``files.guests`` lets guests upload, gets ``FAIL EXTJWT ACCOUNT_REQUIRED`` (the standard
replies' code for "log in first"). With a channel, the spec's channel claims are added:
``channel``, ``joined`` (1: on it, no join time kept; 0: not on it) and ``cmodes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import is_channel_name
from chatroom.protocol.line import Line

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

CHUNK = 300
"""Characters of token per reply line: with the prefix, the target and the service, a
line stays well under 512 bytes."""


def extjwt(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """EXTJWT ( <channel> | * ) [service]"""
    target = line.params[0]
    service = line.params[1] if len(line.params) > 1 else "*"
    if service != "*":
        rb.fail("EXTJWT", "NO_SUCH_SERVICE", "No such service: the token is for uploads (*)")
        return
    if session.account is None and not server.config.files_guests:
        rb.fail("EXTJWT", "ACCOUNT_REQUIRED", "Log in to an account to share files")
        return
    claims: dict[str, object] = {
        "sub": session.nick,
        "account": session.account or "",
        "umodes": ["o"] if session.is_operator else [],
    }
    if target != "*":
        channel = server.find_channel(target) if is_channel_name(target) else None
        if channel is None:
            rb.reply(n.ERR_NOSUCHCHANNEL, target, "No such channel")
            return
        status = channel.members.get(session)
        claims.update(
            channel=channel.name,
            joined=0 if status is None else 1,
            cmodes=list(status or ""),
        )
    token = server.auth.upload_tokens.issue(session, server.config.name, claims)
    pieces = [token[at : at + CHUNK] for at in range(0, len(token), CHUNK)]
    for piece in pieces[:-1]:
        rb.add(Line("EXTJWT", (target, service, "*", piece), server.config.name))
    rb.add(Line("EXTJWT", (target, service, pieces[-1]), server.config.name))
