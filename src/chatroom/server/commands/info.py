"""Server information: MOTD, LUSERS, VERSION, TIME, INFO, ADMIN, LINKS, and the
ISUPPORT burst (Modern IRC, "Server Queries and Commands")."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chatroom import __version__
from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold
from chatroom.protocol.isupport import chunk_tokens, isupport_tokens
from chatroom.protocol.line import Line
from chatroom.server.channel import FLAG_MODES, LIST_MODES, PARAM_ALWAYS, PARAM_SET
from chatroom.server.presence import BOT_MODE

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

MODES_PER_COMMAND = 6


def isupport(server: Server) -> dict[str, str | None]:
    """The RPL_ISUPPORT tokens: the limits and features clients should know."""
    c = server.config
    tokens: dict[str, str | None] = {
        "AWAYLEN": str(c.awaylen),
        "BOT": BOT_MODE,
        "CASEMAPPING": "ascii",
        "CHANLIMIT": f"#:{c.max_channels}",
        "CHANMODES": f"{LIST_MODES},{PARAM_ALWAYS},{PARAM_SET},{FLAG_MODES}",
        "CHANNELLEN": str(c.channellen),
        "CHANTYPES": "#",
        "ELIST": "U",
        "EXCEPTS": "e",
        "INVEX": "I",
        "KICKLEN": str(c.kicklen),
        "LINELEN": "512",
        "MAXLIST": f"{LIST_MODES}:{c.max_list_entries}",
        "MAXTARGETS": str(c.max_targets),
        "MODES": str(MODES_PER_COMMAND),
        "MONITOR": str(c.monitor),
        "NETWORK": c.network,
        "NICKLEN": str(c.nicklen),
        "PREFIX": "(ov)@+",
        "SAFELIST": None,
        "STATUSMSG": "@+",
        "TARGMAX": f"JOIN:,KICK:1,LIST:1,NAMES:1,NOTICE:{c.max_targets},PART:,"
        f"PRIVMSG:{c.max_targets},TAGMSG:{c.max_targets},WHO:1,WHOIS:1",
        "TOPICLEN": str(c.topiclen),
        "USERLEN": "16",
        "UTF8ONLY": None,
        "WHOX": None,
    }
    if server.history is not None:
        tokens["CHATHISTORY"] = str(c.history_query_limit)
        tokens["MSGREFTYPES"] = "msgid,timestamp"
    upload = c.files_url or server.upload_url
    if upload:  # https://soju.im/filehost: where to POST a file to share
        tokens["soju.im/FILEHOST"] = upload
        tokens["EXTJWT"] = "1"  # a token for that POST (commands/extjwt.py)
    return dict(sorted(tokens.items()))


def send_isupport(server: Server, rb: ResponseBuffer) -> None:
    for chunk in chunk_tokens(isupport_tokens(isupport(server))):
        rb.reply(n.RPL_ISUPPORT, *chunk, "are supported by this server")


def send_lusers(server: Server, rb: ResponseBuffer) -> None:
    """The LUSERS numerics. With a network (``--cluster``), users, invisible users,
    operators and channels are counted network-wide (the processes show as one
    server, as everywhere else); local users and unknown connections are this
    process's."""
    local = len(server.users)
    users = local
    invisible = server.registry.mode_count("i")
    opers = server.registry.mode_count("o")
    # Every process mirrors every channel of the network (server/mirror.py), so
    # the channels here are the network's, each counted once.
    channels = len(server.channels)
    view = server.network.view
    users += len(view.users)
    invisible += view.mode_counts["i"]
    opers += view.mode_counts["o"]
    unknown = len(server.sessions) - local
    # A high-water mark: it must not go down as the network empties.
    most = server.registry.note_global(users)
    rb.reply(
        n.RPL_LUSERCLIENT,
        f"There are {users - invisible} users and {invisible} invisible on 1 servers",
    )
    rb.reply(n.RPL_LUSEROP, str(opers), "operator(s) online")
    rb.reply(n.RPL_LUSERUNKNOWN, str(max(unknown, 0)), "unknown connection(s)")
    rb.reply(n.RPL_LUSERCHANNELS, str(channels), "channels formed")
    rb.reply(n.RPL_LUSERME, f"I have {local} clients and 0 servers")
    rb.reply(
        n.RPL_LOCALUSERS,
        str(local),
        str(server.registry.max_users),
        f"Current local users {local}, max {server.registry.max_users}",
    )
    rb.reply(
        n.RPL_GLOBALUSERS,
        str(users),
        str(most),
        f"Current global users {users}, max {most}",
    )


def send_motd(server: Server, rb: ResponseBuffer) -> None:
    text = server.motd
    if not text.strip():
        rb.reply(n.ERR_NOMOTD, "MOTD File is missing")
        return
    rb.reply(n.RPL_MOTDSTART, f"- {server.config.name} Message of the day - ")
    for motd_line in text.splitlines() or [""]:
        rb.reply(n.RPL_MOTD, f"- {motd_line}")
    rb.reply(n.RPL_ENDOFMOTD, "End of /MOTD command.")


def _other_server(server: Server, line: Line, rb: ResponseBuffer) -> bool:
    """True (and 402 sent) if the command names a server that is not us."""
    if line.params and casefold(line.params[0]) != casefold(server.config.name):
        rb.reply(n.ERR_NOSUCHSERVER, line.params[0], "No such server")
        return True
    return False


def motd(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """MOTD [<target>]"""
    if not _other_server(server, line, rb):
        send_motd(server, rb)


def lusers(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """LUSERS"""
    send_lusers(server, rb)


def version(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """VERSION [<target>]"""
    if _other_server(server, line, rb):
        return
    rb.reply(
        n.RPL_VERSION,
        f"chatroom-{__version__}",
        server.config.name,
        "chatroom: a chat server that speaks IRC",
    )
    send_isupport(server, rb)


def time_(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """TIME [<server>]"""
    if _other_server(server, line, rb):
        return
    now = time.time()
    rb.reply(
        n.RPL_TIME,
        server.config.name,
        str(int(now)),
        "0",
        time.strftime("%A %B %d %Y -- %H:%M:%S +00:00", time.gmtime(now)),
    )


def info(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """INFO [<target>]"""
    if _other_server(server, line, rb):
        return
    for text in (
        f"chatroom {__version__}: a chat server that speaks IRC and IRCv3",
        "It follows https://modern.ircdocs.horse/ and https://ircv3.net/",
        f"Running since {server.created}",
        "HELP lists the commands it understands",
    ):
        rb.reply(n.RPL_INFO, text)
    rb.reply(n.RPL_ENDOFINFO, "End of INFO list")


def admin(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """ADMIN [<target>]"""
    if _other_server(server, line, rb):
        return
    config = server.config
    rb.reply(n.RPL_ADMINME, config.name, "Administrative info")
    rb.reply(n.RPL_ADMINLOC1, f"{config.name}, of the {config.network} network")
    rb.reply(n.RPL_ADMINLOC2, f"chatroom {__version__}")
    rb.reply(n.RPL_ADMINEMAIL, config.admin_email or "No administrative contact is configured")


def links(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """LINKS

    The processes of a network (``--cluster``) show as one server, as in LUSERS, so
    the list is this server alone, at hop count 0."""
    name = server.config.name
    rb.reply(n.RPL_LINKS, "*", name, f"0 {server.config.network} chat server")
    rb.reply(n.RPL_ENDOFLINKS, "*", "End of /LINKS list")
