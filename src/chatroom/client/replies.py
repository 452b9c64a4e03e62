"""Replies shown to the user: away messages, the room list, invitations,
standard replies (FAIL/WARN/NOTE) without a handler of their own, and every
numeric nobody else reads (errors in the active buffer, the rest in the server
buffer, the welcome burst kept quiet)."""

from __future__ import annotations

from chatroom.client.lines import nick_of
from chatroom.client.model import MessageKind
from chatroom.client.state import ClientState
from chatroom.protocol import Line, casefold
from chatroom.protocol import numerics as n

# Numerics that end a join attempt with a refusal (Modern IRC "JOIN").
JOIN_ERRORS = frozenset(
    {
        n.ERR_NOSUCHCHANNEL,
        n.ERR_TOOMANYCHANNELS,
        n.ERR_CHANNELISFULL,
        n.ERR_INVITEONLYCHAN,
        n.ERR_BANNEDFROMCHAN,
        n.ERR_BADCHANNELKEY,
        n.ERR_BADCHANMASK,
    }
)
# The welcome burst: nobody wants to read it in a chat, so it is kept aside.
QUIET_NUMERICS = frozenset(
    {
        n.RPL_YOURHOST,
        n.RPL_CREATED,
        n.RPL_MYINFO,
        n.RPL_LUSERCLIENT,
        n.RPL_LUSEROP,
        n.RPL_LUSERUNKNOWN,
        n.RPL_LUSERCHANNELS,
        n.RPL_LUSERME,
        n.RPL_LOCALUSERS,
        n.RPL_GLOBALUSERS,
        n.RPL_TOPICWHOTIME,
        n.RPL_CREATIONTIME,
    }
)


def away_reply(client: ClientState, line: Line) -> None:
    """301 <nick> <nick> :<away message>"""
    if len(line.params) >= 3:
        buffer = client.model.get(line.params[1])
        client.note(f"{line.params[1]} is away: {line.params[2]}", buffer=buffer)


def list_start(client: ClientState, line: Line) -> None:
    """321 <nick> Channel :Users  Name"""
    client.list_pending.clear()


def list_entry(client: ClientState, line: Line) -> None:
    """322 <nick> <channel> <count> :<topic>"""
    if len(line.params) >= 4:
        client.list_pending.append((line.params[1], line.params[2], line.params[3]))


def list_end(client: ClientState, line: Line) -> None:
    """323 <nick> :End of /LIST"""
    rooms = sorted(client.list_pending, key=lambda room: casefold(room[0]))
    client.list_pending.clear()
    if not rooms:
        client.note("There are no rooms yet; make one with /join #name.")
        return
    client.note(f"Rooms ({len(rooms)}):")
    for name, count, room_topic in rooms:
        people = "person" if count == "1" else "people"
        client.note(f"  {name} ({count} {people})" + (f": {room_topic}" if room_topic else ""))


def standard_reply(client: ClientState, line: Line) -> None:
    """FAIL|WARN|NOTE <command> <code> [<context>...] <description> (standard-replies):
    shown as it is, when no handler reads replies about its command."""
    kind = MessageKind.ERROR if line.command == "FAIL" else MessageKind.INFO
    client.note(line.params[-1], kind)


def invite(client: ClientState, line: Line) -> None:
    """:<nick> INVITE <you> <channel>"""
    if len(line.params) >= 2:
        who = nick_of(line.source)
        client.note(f"{who} invites you to {line.params[1]}: type /join {line.params[1]}")


def other_numeric(client: ClientState, line: Line) -> None:
    """Numerics without their own handler: errors go to the active buffer, quiet
    ones are dropped, the rest are shown in the server buffer."""
    command = line.command
    if command in QUIET_NUMERICS or not line.params:
        return
    params = line.params[1:]
    if command in JOIN_ERRORS and params:
        client.room_answered(params[0])
        client.take_switch_on_join(params[0])
    if not params:
        return
    context = " ".join(params[:-1])
    text = f"{context}: {params[-1]}" if context else params[-1]
    if "400" <= command < "600":
        client.note(text, MessageKind.ERROR)
    else:
        client.note(text, buffer=client.model.server)
