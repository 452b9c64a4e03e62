"""What the client does with each line from the server: one literal table from
command (or numeric) to handler, with the least number of parameters the
handler needs. Nothing registers itself at import time; grep finds every entry
here.

Handlers share one signature, ``(client, line) -> None``, start with the syntax
they read, and change the model only through the state's helpers
(:meth:`~chatroom.client.state.ClientState.add`,
:meth:`~chatroom.client.state.ClientState.changed`, ...) so the UI hears of
every change. A line with fewer parameters than its entry asks for is dropped
here, before its handler runs: it is the server's mistake, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from chatroom.client import (
    accounts,
    channels,
    chathistory,
    members,
    messaging,
    monitor,
    readmarkers,
    redaction,
    registration,
    replies,
    upload,
)
from chatroom.client.state import ClientState
from chatroom.protocol import Line
from chatroom.protocol import numerics as n

log = logging.getLogger(__name__)

Handler = Callable[[ClientState, Line], None]


@dataclass(frozen=True, slots=True)
class Entry:
    """A handler and the checks made before calling it."""

    handler: Handler
    min_params: int = 0


def standard_reply(client: ClientState, line: Line) -> None:
    """FAIL|WARN|NOTE <command> <code> [<context>...] <description> (IRCv3
    standard-replies): to the handler of replies about <command>, if any."""
    special = REPLY_HANDLERS.get(line.params[0].upper())
    if special is not None:
        special(client, line)
    else:
        replies.standard_reply(client, line)


HANDLERS: dict[str, Entry] = {
    # registration and keep-alive (chatroom.client.registration)
    "PING": Entry(registration.ping),
    "PONG": Entry(registration.ignore),
    "SETNAME": Entry(registration.ignore),
    "CHGHOST": Entry(registration.ignore),
    "ACK": Entry(registration.ignore),
    "ERROR": Entry(registration.error, 1),
    "CAP": Entry(registration.cap, 3),
    n.RPL_WELCOME: Entry(registration.welcome, 1),
    n.RPL_ISUPPORT: Entry(registration.isupport),
    n.RPL_MOTDSTART: Entry(registration.motd),
    n.RPL_MOTD: Entry(registration.motd),
    n.RPL_ENDOFMOTD: Entry(registration.end_of_welcome),
    n.ERR_NOMOTD: Entry(registration.end_of_welcome),
    n.ERR_NICKNAMEINUSE: Entry(registration.nick_refused, 1),
    n.ERR_ERRONEUSNICKNAME: Entry(registration.nick_refused, 1),
    # rooms and people (chatroom.client.channels)
    "JOIN": Entry(channels.join, 1),
    "PART": Entry(channels.part, 1),
    "QUIT": Entry(channels.quit_),
    "NICK": Entry(channels.nick, 1),
    "KICK": Entry(channels.kick, 2),
    "TOPIC": Entry(channels.topic, 2),
    "MODE": Entry(channels.mode, 2),
    n.RPL_TOPIC: Entry(channels.topic_reply, 3),
    n.RPL_NOTOPIC: Entry(channels.topic_reply, 3),
    n.RPL_NAMREPLY: Entry(channels.names_reply, 4),
    n.RPL_ENDOFNAMES: Entry(channels.end_of_names, 2),
    # what the people in rooms are: WHOX, away-notify, account-notify (.members)
    n.RPL_WHOSPCRPL: Entry(members.who_reply, 2),
    n.RPL_ENDOFWHO: Entry(members.end_of_who, 2),
    "AWAY": Entry(members.away),
    "ACCOUNT": Entry(members.account, 1),
    # read markers (chatroom.client.readmarkers)
    "MARKREAD": Entry(readmarkers.markread, 2),
    "REDACT": Entry(redaction.redact, 2),  # draft/message-redaction
    # who of the private chats is online: MONITOR (chatroom.client.monitor)
    n.RPL_MONONLINE: Entry(monitor.online, 2),
    n.RPL_MONOFFLINE: Entry(monitor.offline, 2),
    # messages (chatroom.client.messaging)
    "PRIVMSG": Entry(messaging.privmsg, 2),
    "NOTICE": Entry(messaging.privmsg, 2),
    "TAGMSG": Entry(messaging.tagmsg, 1),
    # replies shown to the user (chatroom.client.replies)
    n.RPL_AWAY: Entry(replies.away_reply, 3),
    n.RPL_LISTSTART: Entry(replies.list_start),
    n.RPL_LIST: Entry(replies.list_entry, 4),
    n.RPL_LISTEND: Entry(replies.list_end),
    "INVITE": Entry(replies.invite, 2),
    "FAIL": Entry(standard_reply, 1),
    "WARN": Entry(standard_reply, 1),
    "NOTE": Entry(standard_reply, 1),
    # accounts: SASL and REGISTER (chatroom.client.accounts)
    "AUTHENTICATE": Entry(accounts.authenticate, 1),
    "REGISTER": Entry(accounts.register_reply, 3),
    n.RPL_LOGGEDIN: Entry(accounts.logged_in, 3),
    n.RPL_LOGGEDOUT: Entry(accounts.logged_out),
    n.RPL_SASLSUCCESS: Entry(accounts.sasl_success),
    n.RPL_SASLMECHS: Entry(accounts.sasl_mechanisms, 2),
    n.ERR_SASLFAIL: Entry(accounts.sasl_failed),
    n.ERR_SASLTOOLONG: Entry(accounts.sasl_failed),
    n.ERR_SASLABORTED: Entry(accounts.sasl_failed),
    n.ERR_SASLALREADY: Entry(accounts.sasl_failed),
    # file sharing: upload tokens (chatroom.client.upload)
    "EXTJWT": Entry(upload.extjwt_reply, 3),
}
"""Command or numeric -> handler. ``BATCH`` and lines inside a history batch
are taken before this table (:func:`chatroom.client.chathistory.collect`);
numerics not listed go to :func:`chatroom.client.replies.other_numeric`."""

REPLY_HANDLERS: dict[str, Handler] = {
    "REGISTER": accounts.register_failed,
    "CHATHISTORY": chathistory.chathistory_failed,
    "REDACT": redaction.redact_failed,
    "EXTJWT": upload.extjwt_failed,
    "*": accounts.nick_registered,
    "NICK": accounts.nick_registered,
}
"""Command a standard reply is about (``FAIL REGISTER ...``) -> handler; the
generic display of the reply is skipped for these."""


def handle(client: ClientState, line: Line) -> None:
    """Apply one line from the server to the client. Lines inside a history
    batch are held until the batch ends (see :mod:`chatroom.client.chathistory`)."""
    taken = chathistory.collect(client, line)
    if taken is None:
        return
    line = taken
    entry = HANDLERS.get(line.command)
    if entry is None:
        if line.command.isdigit():
            replies.other_numeric(client, line)
        return
    if len(line.params) < entry.min_params:
        log.debug("ignored %s with too few parameters", line.command)
        return
    entry.handler(client, line)
