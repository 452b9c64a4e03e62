"""Sending messages: PRIVMSG, NOTICE and TAGMSG to channels and nicks.

This is the hot path. A message is formatted once per tag profile
(:class:`~chatroom.server.outgoing.Outgoing`) and the same bytes are queued
for every recipient; writes are coalesced per event-loop turn by the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import is_channel_name
from chatroom.protocol.line import Line
from chatroom.server.commands import command
from chatroom.server.outgoing import MSGTAGS, Outgoing

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

ERR_TOOMANYTARGETS = "407"


@command("PRIVMSG")
def privmsg(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """PRIVMSG <target>{,<target>} <text to be sent>"""
    deliver(server, session, line, rb, "PRIVMSG")


@command("NOTICE")
def notice(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """NOTICE <target>{,<target>} <text to be sent>"""
    deliver(server, session, line, rb, "NOTICE")


@command("TAGMSG", 1)
def tagmsg(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """TAGMSG <target>{,<target>} (https://ircv3.net/specs/extensions/message-tags)"""
    deliver(server, session, line, rb, "TAGMSG")


def deliver(server: Server, session: Session, line: Line, rb: ResponseBuffer, verb: str) -> None:
    """Relay one message to each of its targets, with the errors Modern IRC lists."""
    is_notice = verb == "NOTICE"
    params = line.params
    if not params or not params[0]:
        if not is_notice:
            rb.reply(n.ERR_NORECIPIENT, f"No recipient given ({verb})")
        return
    text = ""
    if verb != "TAGMSG":
        if len(params) < 2 or not params[1]:
            if not is_notice:
                rb.reply(n.ERR_NOTEXTTOSEND, "No text to send")
            return
        text = params[1]
    targets = params[0].split(",")
    if len(targets) > server.config.max_targets:
        if not is_notice:
            rb.reply(
                ERR_TOOMANYTARGETS,
                params[0],
                f"Too many targets, at most {server.config.max_targets} at once",
            )
        return
    client_tags = (
        {k: v for k, v in line.tags.items() if k[:1] == "+"}
        if line.tags and "message-tags" in session.caps
        else {}
    )
    if verb == "TAGMSG" and not client_tags:
        return
    if verb == "PRIVMSG":
        session.last_message = server.now()
    echo = "echo-message" in session.caps
    for target in targets:
        status = ""
        name = target
        if name[:1] in "@+" and is_channel_name(name[1:]):
            status, name = name[0], name[1:]
        tags = server.tags(client_tags)
        tags["msgid"] = server.new_msgid()
        message_params = (target,) if verb == "TAGMSG" else (target, text)
        if is_channel_name(name):
            channel = server.find_channel(name)
            if channel is None:
                if not is_notice:
                    rb.reply(n.ERR_NOSUCHCHANNEL, name, "No such channel")
                continue
            if not channel.can_speak(session):
                if not is_notice:
                    rb.reply(n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel")
                continue
            out = Outgoing(Line(verb, message_params, session.source, tags))
            members = channel.members
            if status:
                recipients = [m for m, s in members.items() if s and (status == "+" or "o" in s)]
            else:
                recipients = list(members)
            if verb == "TAGMSG":
                for member in recipients:
                    if member is not session and member.tag_profile & MSGTAGS:
                        member.send_bytes(out.render(member.tag_profile))
            else:
                for member in recipients:
                    if member is not session:
                        member.send_bytes(out.render(member.tag_profile))
        else:
            recipient = server.find_user(name)
            if recipient is None:
                if not is_notice:
                    rb.reply(n.ERR_NOSUCHNICK, name, "No such nick/channel")
                continue
            out = Outgoing(Line(verb, message_params, session.source, tags))
            if verb != "TAGMSG" or recipient.tag_profile & MSGTAGS:
                recipient.send_bytes(out.render(recipient.tag_profile))
            if verb == "PRIVMSG" and recipient.away is not None:
                rb.reply(n.RPL_AWAY, recipient.nick, recipient.away)
        if echo:
            rb.add(out.line)
