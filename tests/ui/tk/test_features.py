"""Replies, reactions and deleting in the desktop client, under Xvfb against a
real server, with an independent IRC client (irctokens) on the other side."""

from __future__ import annotations

from chatroom.ui.tk.app import TkChatApp
from support.irc_client import IrcClient
from support.server import RunningServer
from support.tk import (
    GuiFactory,
    chips,
    conversation,
    msgid_when_shown,
    pump,
    pump_until,
    ready,
    type_and_send,
)

CAPS = "message-tags server-time echo-message draft/message-redaction"


def bob_beside_alice(server: RunningServer, gui: GuiFactory) -> tuple[IrcClient, TkChatApp]:
    """bob (an independent IRC client) in #lobby, and alice's window showing him there."""
    bob = IrcClient(server.port).register("bob", CAPS)
    bob.join("#lobby")
    app = gui(server.port)
    ready(app, "bob")
    return bob, app


def test_reply_from_the_menu_sends_the_reply_tag_and_quotes_above(
    server: RunningServer, gui: GuiFactory
) -> None:
    bob, app = bob_beside_alice(server, gui)
    bob.send("PRIVMSG #lobby :does anyone know where the keys are?\nsecond line")
    msgid = msgid_when_shown(app, "does anyone know where the keys are?")

    menu = app.features.menu
    assert menu.build(msgid)
    assert menu.labels() == ["Reply", "React", "Copy text"]  # not alice's, not an op's
    menu.invoke("Reply")
    assert app.features.reply_bar.text.startswith("Replying to bob: does anyone know")
    type_and_send(app, "on the hook by the door")
    line = bob.expect("PRIVMSG", lambda li: li.params[1] == "on the hook by the door")
    assert line.tags is not None and line.tags.get("+draft/reply") == msgid
    assert app.features.reply_bar.text == ""  # the bar goes once sent
    pump_until(app.root, lambda: "↪ bob: does anyone know" in conversation(app), what="quote")
    shown = conversation(app)
    assert shown.index("↪ bob: does anyone know") < shown.index("on the hook by the door")


def test_an_irc_users_reply_shows_the_quoted_original(
    server: RunningServer, gui: GuiFactory
) -> None:
    bob, app = bob_beside_alice(server, gui)
    type_and_send(app, "lunch at noon? " + "very long words " * 10)
    mine = bob.expect("PRIVMSG")
    assert mine.tags is not None
    bob.send(f"@+draft/reply={mine.tags['msgid']} PRIVMSG #lobby :yes please")
    pump_until(app.root, lambda: "yes please" in conversation(app))
    shown = conversation(app)
    quote = next(line for line in shown.splitlines() if "↪" in line)
    assert quote.strip().startswith("↪ alice: lunch at noon? very long")
    assert quote.strip().endswith("…") and len(quote.strip()) <= 80  # first line, shortened
    assert shown.index("↪ alice") < shown.index("yes please")


def test_react_toggle_by_clicking_and_see_others_reactions(
    server: RunningServer, gui: GuiFactory
) -> None:
    bob, app = bob_beside_alice(server, gui)
    bob.send("PRIVMSG #lobby :the release is out")
    msgid = msgid_when_shown(app, "the release is out")

    app.features.menu.build(msgid)
    app.features.menu.react_menu.invoke(app.features.menu.react_menu.index("🎉"))
    react = bob.expect("TAGMSG")
    assert react.tags is not None
    assert (react.tags.get("+draft/reply"), react.tags.get("+draft/react")) == (msgid, "🎉")
    pump_until(app.root, lambda: chips(app) == ["🎉 1"], what="the chip")
    assert app.window.conversation.tag_ranges("chip_mine")

    bob.send(f"@+draft/reply={msgid};+draft/react=🎉 TAGMSG #lobby")
    bob.send(f"@+draft/reply={msgid};+draft/react=👍 TAGMSG #lobby")
    pump_until(app.root, lambda: chips(app) == ["🎉 2", "👍 1"], what="bob's reactions")

    # Clicking one's own reaction takes it back.
    widget = app.window.conversation
    start = widget.tag_ranges("chip_mine")[0]
    widget.see(start)
    pump(app.root, 0.1)
    x, y, _w, _h = widget.bbox(f"{start}+1c")
    widget.event_generate("<Motion>", x=x + 2, y=y + 2)
    widget.event_generate("<Button-1>", x=x + 2, y=y + 2)
    widget.event_generate("<ButtonRelease-1>", x=x + 2, y=y + 2)
    undo = bob.expect("TAGMSG", lambda li: li.source is not None and li.source.startswith("alice"))
    assert undo.tags is not None and undo.tags.get("+draft/unreact") == "🎉"
    pump_until(app.root, lambda: chips(app) == ["🎉 1", "👍 1"], what="after the undo")
    assert not widget.tag_ranges("chip_mine")


def test_delete_own_message_and_others_see_the_redact(
    server: RunningServer, gui: GuiFactory
) -> None:
    bob, app = bob_beside_alice(server, gui)
    type_and_send(app, "oops wrong window")
    sent = bob.expect("PRIVMSG")
    assert sent.tags is not None
    msgid = msgid_when_shown(app, "oops wrong window")
    menu = app.features.menu
    assert menu.build(msgid) and "Delete" in menu.labels()
    menu.invoke("Delete")
    redact = bob.expect("REDACT")
    assert redact.params[:2] == ["#lobby", sent.tags["msgid"]]
    pump_until(app.root, lambda: "oops wrong window" not in conversation(app), what="deleted")
    assert "message deleted" in conversation(app)
    assert not menu.build(msgid)  # nothing to do with a deleted message


def test_reactions_and_replies_replayed_with_history(
    server: RunningServer, gui: GuiFactory
) -> None:
    bob = IrcClient(server.port).register("bob", CAPS)
    bob.join("#lobby")
    bob.send("PRIVMSG #lobby :who wants coffee?")
    first = bob.expect("PRIVMSG")
    assert first.tags is not None
    msgid = first.tags["msgid"]
    bob.send(f"@+draft/reply={msgid};+draft/react=☕ TAGMSG #lobby")
    bob.send(f"@+draft/reply={msgid} PRIVMSG #lobby :me, obviously")
    bob.expect("PRIVMSG", lambda li: li.params[1] == "me, obviously")
    app = gui(server.port)
    ready(app, "bob")
    pump_until(app.root, lambda: "me, obviously" in conversation(app), what="history")
    pump_until(app.root, lambda: chips(app) == ["☕ 1"], what="replayed reaction")
    assert "↪ bob: who wants coffee?" in conversation(app)


def test_an_operator_may_delete_others_messages_and_a_refusal_is_shown(
    server: RunningServer, gui: GuiFactory
) -> None:
    app = gui(server.port, rooms=("#lobby",))
    pump_until(
        app.root,
        lambda: (
            "@alice"
            in [str(app.window.members.item(i, "text")) for i in app.window.members.get_children()]
        ),
        what="op",
    )
    bob = IrcClient(server.port).register("bob", CAPS)
    bob.join("#lobby")
    bob.join("#dev")  # first in #dev: bob is its operator, alice is not
    ready(app, "bob")
    bob.send("PRIVMSG #lobby :spam spam spam")
    msgid = msgid_when_shown(app, "spam spam spam")
    menu = app.features.menu
    assert menu.build(msgid) and "Delete" in menu.labels()  # alice is #lobby's operator
    menu.invoke("Delete")
    assert bob.expect("REDACT").params[:2] == ["#lobby", msgid]
    pump_until(app.root, lambda: "spam spam spam" not in conversation(app), what="deleted")

    type_and_send(app, "/join #dev")
    pump_until(app.root, lambda: str(app.window.heading.cget("text")) == "#dev", what="#dev")
    bob.send("PRIVMSG #dev :mine to keep")
    other = msgid_when_shown(app, "mine to keep")
    assert menu.build(other) and "Delete" not in menu.labels()
    app.features.delete(other)  # as an older client might: the server refuses
    pump_until(app.root, lambda: bool(app.window.conversation.tag_ranges("error")), what="FAIL")
    widget = app.window.conversation
    refusal = widget.get(*widget.tag_ranges("error")[-2:])
    assert refusal.strip() and "Traceback" not in refusal
    assert "mine to keep" in conversation(app)
