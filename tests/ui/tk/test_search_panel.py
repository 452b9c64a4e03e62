"""Searching from the desktop client (soju.im/search) against a real server: the
results list, and opening a match where it was said, on screen or fetched
around it (CHATHISTORY AROUND)."""

from __future__ import annotations

from datetime import UTC, datetime

from chatroom.client.search import SearchHit, SearchResults
from chatroom.ui.tk.features import LATEST
from chatroom.ui.tk.search_panel import result_rows, results_status
from support.irc_client import IrcClient
from support.server import RunningServer
from support.tk import GuiFactory, conversation, found_text, member_nicks, pump_until, ready


def test_rows_are_newest_first() -> None:
    old = SearchHit(datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "#dev", "bob", "old\nnews", "a")
    new = SearchHit(datetime(2026, 2, 1, 9, 30, tzinfo=UTC), "carol", "carol", "new", "b")
    assert result_rows([old, new], UTC) == [
        ("2026-02-01 09:30", "carol", "carol", "new"),
        ("2026-01-01 09:00", "#dev", "bob", "old …"),
    ]
    assert results_status(SearchResults("x", ())) == "No messages found for “x”."
    assert results_status(SearchResults("x", (old,))) == "1 message found for “x”."


def test_search_lists_matches_and_opens_one_in_another_room(
    server: RunningServer, gui: GuiFactory
) -> None:
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    bob.join("#dev")
    app = gui(server.port, rooms=("#lobby", "#dev"))
    pump_until(app.root, lambda: "bob" in member_nicks(app), what="bob")
    app.window.rooms.selection_set("b:#lobby")
    ready(app, "bob")
    bob.send("PRIVMSG #dev :the deploy key rotates on friday")
    bob.send("PRIVMSG #lobby :nothing to see")
    bob.send("PING stored")
    bob.expect("PONG")

    app.window.input.focus_force()
    app.window.input.event_generate("<Control-f>")
    panel = app.features.search_panel
    assert panel is not None and panel.winfo_exists()
    assert app.window.input.get("1.0", "end-1c") == ""  # the key did not edit the input
    panel.entry.insert(0, "deploy key")
    panel.button.invoke()
    pump_until(app.root, lambda: len(panel.rows()) == 1, what="the results")
    [(_when, room, who, text)] = panel.rows()
    assert (room, who, text) == ("#dev", "bob", "the deploy key rotates on friday")
    assert str(panel.status.cget("text")) == "1 message found for “deploy key”."

    panel.open_selected()
    pump_until(app.root, lambda: str(app.window.heading.cget("text")) == "#dev", what="#dev")
    pump_until(app.root, lambda: "the deploy key" in found_text(app), what="highlight")

    panel.entry.delete(0, "end")
    panel.entry.insert(0, "zzzz-nowhere")
    panel.search()
    pump_until(app.root, lambda: "No messages found" in str(panel.status.cget("text")))
    assert panel.rows() == []


def test_opening_a_match_no_longer_on_screen_fetches_around_it(
    server: RunningServer, gui: GuiFactory
) -> None:
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    bob.join("#dev")
    app = gui(server.port, rooms=("#lobby", "#dev"), backlog_lines=20)
    pump_until(app.root, lambda: "bob" in member_nicks(app), what="bob")
    bob.send("PRIVMSG #lobby :a needle in the haystack")
    for n in range(30):
        bob.send(f"PRIVMSG #lobby :filler {n}")
    bob.send("PING stored")
    bob.expect("PONG")
    # Come back to #lobby: only its latest 20 lines are redrawn.
    app.window.rooms.selection_set("b:#dev")
    pump_until(app.root, lambda: str(app.window.heading.cget("text")) == "#dev")
    app.window.rooms.selection_set("b:#lobby")
    pump_until(app.root, lambda: "filler 29" in conversation(app), what="#lobby again")
    assert "needle" not in conversation(app)

    panel = app.features.open_search()
    panel.entry.insert(0, "needle")
    panel.search()
    pump_until(app.root, lambda: len(panel.rows()) == 1, what="the match")
    panel.open_selected()
    pump_until(app.root, lambda: "needle" in found_text(app), what="the match around")
    shown = conversation(app)
    assert "Messages around the one you opened:" in shown and LATEST in shown
    assert "filler 0" in shown

    app.features.back_to_latest()
    pump_until(app.root, lambda: "needle" not in conversation(app), what="back to the latest")
    assert "filler 29" in conversation(app) and app.window.paging
