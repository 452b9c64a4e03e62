"""Multiline messages: a client's ``draft/multiline`` batch
(https://ircv3.net/specs/extensions/multiline).

The dispatcher sends ``BATCH`` and every line tagged ``batch=`` here. The lines are
collected by :class:`~chatroom.server.multiline.Pending` within the cap's limits; a
batch that breaks a rule gets ``FAIL BATCH <code>`` and nothing of it is relayed.
At ``BATCH -ref`` the whole message is checked and sent like one PRIVMSG (or NOTICE)
to its one target, with one ``msgid`` and one ``time`` on the batch:

- to a client with the cap, as a ``draft/multiline`` batch (its lines carry
  ``draft/multiline-concat`` where the sender put it);
- to any other, as separate lines (blank ones left out), the msgid on the first;
- to history, as one message whose text joins the lines with ``\\n`` (a
  concatenated line without one), stored before anything is relayed, as always.

Flood control counts a multiline message by its lines: each one is a line read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold, is_channel_name
from chatroom.protocol.line import Line
from chatroom.server.commands.messaging import (
    _message_tags,
    _recipients,
    _refuse,
    _store_then_relay,
)
from chatroom.server.multiline import BATCH_TYPE, CAP, CONCAT, Pending
from chatroom.server.network.events import ChannelMessage, PrivateMessage
from chatroom.server.outgoing import Outgoing
from chatroom.server.response import ResponseBuffer, new_batch_id
from chatroom.storage.base import MessageKind, StoredMessage

if TYPE_CHECKING:
    from chatroom.server.server import Server
    from chatroom.server.session import Session


def batch(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """BATCH {+<ref> draft/multiline <target> | -<ref>}, and each line tagged batch=<ref>"""
    if line.command != "BATCH":
        _line(server, session, line, rb)
        return
    ref = line.params[0]
    if ref[:1] == "+" and len(ref) > 1:
        _open(session, line, rb)
    elif ref[:1] == "-" and len(ref) > 1:
        _close(server, session, ref[1:], rb)
    else:
        _invalid(rb, "Invalid batch reference")


def _invalid(rb: ResponseBuffer, text: str) -> None:
    rb.fail("BATCH", "MULTILINE_INVALID", text)


def _open(session: Session, line: Line, rb: ResponseBuffer) -> None:
    if CAP not in session.caps:
        _invalid(rb, f"Enable {CAP} to send a multiline message")
        return
    if len(line.params) < 3 or line.params[1] != BATCH_TYPE or not line.params[2]:
        _invalid(rb, f"Only {BATCH_TYPE} batches with a target can be sent")
        return
    if session.multiline is not None and not session.multiline.failed:
        session.multiline = None
        _invalid(rb, "A multiline batch was opened inside another; both are dropped")
        return
    client_tags = {k: v for k, v in line.tags.items() if k[:1] == "+"}
    session.multiline = Pending(line.params[0][1:], line.params[2], client_tags)


def _line(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    pending = session.multiline
    if pending is None or line.tags["batch"] != pending.ref:
        _invalid(rb, "A line of a batch that is not open")
        return
    if pending.failed:
        return  # refused already: the rest of it is ignored up to its end
    config = server.config
    error = pending.add(line, config.multiline_max_bytes, config.multiline_max_lines)
    if error is not None:
        rb.fail("BATCH", *error, _REASONS[error[0]])


_REASONS = {
    "MULTILINE_INVALID": "Invalid line in a multiline batch",
    "MULTILINE_INVALID_TARGET": "Every line of a multiline batch goes to its target",
    "MULTILINE_MAX_LINES": "Too many lines in a multiline batch",
    "MULTILINE_MAX_BYTES": "Too many bytes in a multiline batch",
}


def _close(server: Server, session: Session, ref: str, rb: ResponseBuffer) -> None:
    pending = session.multiline
    if pending is None or pending.ref != ref:
        _invalid(rb, "No such batch is open")
        return
    session.multiline = None
    if pending.failed:
        return
    if not any(text for text, _ in pending.parts):
        _invalid(rb, "A multiline message needs some text")
        return
    if pending.verb == "PRIVMSG":
        session.last_message = server.now()
    _send(server, session, rb, pending)


def _send(server: Server, session: Session, rb: ResponseBuffer, pending: Pending) -> None:
    """Check the target and send the message there: once stored, when history keeps it."""
    verb, target = pending.verb, pending.target
    status, name = "", target
    if name[:1] in "@+" and is_channel_name(name[1:]):
        status, name = name[0], name[1:]
    found = _recipients(server, session, rb, verb, name, status, pending.text())
    if found is None:
        return
    recipients, _, key, shown, _ = found
    history = server.history
    if history is not None and not history.writable:
        _refuse(rb, verb, target)
        return
    when = datetime.now(UTC)
    tags = _message_tags(server, session, when, pending.tags)
    msgid = tags["msgid"]
    # The sender sees it with echo-message, or when it writes to itself (as messaging.py).
    members = [m for m in recipients if m is not session]
    if "echo-message" in session.caps or (recipients == [session] and not is_channel_name(name)):
        members.insert(0, session)
    head = Line(verb, (shown, ""), session.source, tags)
    relay: Callable[[], None] = partial(_relay, server, head, pending.parts, members)
    if not server.network.is_local:
        relay = partial(_relay_and_publish, relay, server, head, pending.parts, target, status)
    if history is None or status:
        relay()
        return
    message = StoredMessage(
        msgid,
        when,
        key,
        MessageKind(verb),
        session.source,
        shown,
        pending.text(),
        session.account,
        pending.tags,
    )
    _store_then_relay(server, history, session, rb, verb, [(message, relay, None, target)])


def _relay(
    server: Server, head: Line, parts: list[tuple[str, bool]], members: list[Session]
) -> None:
    """Send the message to each of ``members``: as a batch to those with the cap, as
    separate lines to the others (rendered once for each tag profile)."""
    server.metrics.relays += 1
    server.metrics.deliveries += len(members)
    as_batch = in_batch(head, parts)
    as_lines = [Outgoing(line) for line in in_lines(head, parts)]
    for member in members:
        if CAP in member.caps and "batch" in member.caps:
            ref = new_batch_id()
            for line in as_batch:
                member.send_line(with_ref(line, ref))
        else:
            for out in as_lines:
                member.send_bytes(out.render(member.tag_profile))


def in_batch(head: Line, parts: list[tuple[str, bool]]) -> list[Line]:
    """The message as a ``draft/multiline`` batch whose reference is still ``*``:
    ``head`` is its first line (with the message's tags; its text unused)."""
    target = head.params[0]
    lines = [Line("BATCH", ("+*", BATCH_TYPE, target), head.source, head.tags)]
    for text, concat in parts:
        tags = {"batch": "*", CONCAT: ""} if concat else {"batch": "*"}
        lines.append(Outgoing(Line(head.command, (target, text), head.source, tags)).line)
    lines.append(Line("BATCH", ("-*",), head.source))
    return lines


def in_lines(head: Line, parts: list[tuple[str, bool]]) -> list[Line]:
    """The message as separate lines for a client without the cap: no blank line, the
    msgid (and client tags) on the first one only, the time on each."""
    target = head.params[0]
    time = {"time": head.tags["time"]} if "time" in head.tags else {}
    texts = [text for text, _ in parts if text]
    return [
        Line(head.command, (target, text), head.source, head.tags if i == 0 else time)
        for i, text in enumerate(texts)
    ]


def with_ref(line: Line, ref: str) -> Line:
    """A line of :func:`in_batch` with the batch reference ``ref`` in place of ``*``."""
    if line.command == "BATCH":
        return Line("BATCH", (line.params[0][0] + ref, *line.params[1:]), line.source, line.tags)
    return Line(line.command, line.params, line.source, {**line.tags, "batch": ref})


def _relay_and_publish(
    relay: Callable[[], None],
    server: Server,
    head: Line,
    parts: list[tuple[str, bool]],
    target: str,
    status: str,
) -> None:
    """Relay here, then publish the separate lines for the other processes (they
    deliver them as plain messages)."""
    relay()
    name = target[1:] if status else target
    folded = casefold(name)
    for line in in_lines(head, parts):
        if is_channel_name(name):
            server.network.publish(ChannelMessage(folded, line, status, False))
        elif folded in server.network.view.users:
            server.network.publish(PrivateMessage(folded, line, False))
