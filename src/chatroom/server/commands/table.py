"""Every IRC command the server answers, with the checks that run before it.

:meth:`~chatroom.server.server.Server.dispatch` runs the checks once, in this
order, before any handler:

- an unknown verb: ``421 ERR_UNKNOWNCOMMAND`` (``451 ERR_NOTREGISTERED`` before
  registration);
- not registered and not ``pre_registration``: ``451 ERR_NOTREGISTERED``;
- fewer than ``min_params`` parameters: ``461 ERR_NEEDMOREPARAMS``;
- ``oper_only`` and the user is no operator: ``481 ERR_NOPRIVILEGES``.

This is the only module that imports the handler modules, and nothing in the
core imports it: the composition (``serve.py``, or a test) hands the table to
the :class:`~chatroom.server.server.Server`. A new command is one line here and
a handler (starting with its syntax line) in the module of its family.
"""

from __future__ import annotations

from types import MappingProxyType

from chatroom.server.commands import (
    accounts,
    channels,
    extjwt,
    help,
    history,
    info,
    messaging,
    modes,
    monitor,
    multiline,
    operators,
    queries,
    readmarker,
    redaction,
    registration,
    search,
    services,
)
from chatroom.server.server import Command

COMMANDS = MappingProxyType(
    {
        # Registration and keep-alive (commands/registration.py)
        "CAP": Command(registration.cap, 1, pre_registration=True),
        "PASS": Command(registration.pass_, 1, pre_registration=True),
        "NICK": Command(registration.nick, pre_registration=True),  # 431 comes from the handler
        "USER": Command(registration.user, 4, pre_registration=True),
        "PING": Command(registration.ping, 1, pre_registration=True),
        "PONG": Command(registration.pong, pre_registration=True),
        "QUIT": Command(registration.quit_, pre_registration=True),
        # Accounts (commands/accounts.py)
        "AUTHENTICATE": Command(accounts.authenticate, 1, pre_registration=True),
        "REGISTER": Command(accounts.register, 3, pre_registration=True),
        # Channels (commands/channels.py, commands/modes.py)
        "JOIN": Command(channels.join, 1),
        "PART": Command(channels.part, 1),
        "TOPIC": Command(channels.topic, 1),
        "NAMES": Command(channels.names),
        "LIST": Command(channels.list_),
        "KICK": Command(channels.kick, 2),
        "INVITE": Command(channels.invite, 2),
        "MODE": Command(modes.mode, 1),
        # Messages (commands/messaging.py); 411/412 come from the handlers
        "PRIVMSG": Command(messaging.privmsg),
        "NOTICE": Command(messaging.notice),
        "TAGMSG": Command(messaging.tagmsg, 1),
        "REDACT": Command(redaction.redact, 2),  # commands/redaction.py (message-redaction)
        # A client's draft/multiline batch (commands/multiline.py); the dispatcher also
        # sends here every line tagged batch=, whatever its verb.
        "BATCH": Command(multiline.batch, 1),
        # History (commands/history.py)
        "CHATHISTORY": Command(history.chathistory, 1),
        "PURGE": Command(history.purge, 1, oper_only=True),
        "SEARCH": Command(search.search, 1),  # commands/search.py (soju.im/search)
        # Upload tokens (commands/extjwt.py, IRCv3 draft extjwt)
        "EXTJWT": Command(extjwt.extjwt, 1),
        # Read markers (commands/readmarker.py)
        "MARKREAD": Command(readmarker.markread, 1),
        # Users (commands/queries.py)
        "WHO": Command(queries.who),
        "WHOIS": Command(queries.whois, 1),
        "WHOWAS": Command(queries.whowas, 1),
        "ISON": Command(queries.ison, 1),
        "USERHOST": Command(queries.userhost, 1),
        "AWAY": Command(queries.away, pre_registration=True),  # 451 unless draft/pre-away
        "SETNAME": Command(queries.setname, 1),
        # Who is online (commands/monitor.py)
        "MONITOR": Command(monitor.monitor, 1),
        # The server (commands/info.py)
        "MOTD": Command(info.motd),
        "LUSERS": Command(info.lusers),
        "VERSION": Command(info.version),
        "TIME": Command(info.time_),
        "INFO": Command(info.info),
        "ADMIN": Command(info.admin),
        "LINKS": Command(info.links),
        # Help (commands/help.py)
        "HELP": Command(help.help_),
        "HELPOP": Command(help.helpop),
        # Operators (commands/operators.py)
        "OPER": Command(operators.oper, 2),
        "KILL": Command(operators.kill, 2, oper_only=True),
        "KLINE": Command(operators.kline, 1, oper_only=True),
        "UNKLINE": Command(operators.unkline, 1, oper_only=True),
        "STATS": Command(operators.stats, 1),  # u for anyone, N for operators
        # Services (commands/services.py)
        "CHANSERV": Command(services.chanserv, 1),
        "CS": Command(services.cs, 1),
    }
)
"""Verb (upper case, as the parser gives it) -> its handler and checks. Read-only."""
