"""The operator's command line, in memory: what a control request does to the core."""

from __future__ import annotations

from typing import Any

from chatroom.server.commands.control import handle
from support.core import Harness, commands, find, join


def _reload() -> tuple[bool, str]:
    return True, "reloaded"


async def ask(harness: Harness, **request: Any) -> dict[str, Any]:
    return await handle(harness.server, request, _reload)


async def test_status_lists_users_and_rooms(harness: Harness) -> None:
    alice = await harness.user("alice")
    await join("#chat", alice)
    answer = await ask(harness, command="status")
    assert answer["ok"] and answer["connections"] == 1
    assert [(u["nick"], u["rooms"]) for u in answer["users"]] == [("alice", ["#chat"])]
    assert {"name": "#chat", "users": 1, "topic": ""} in answer["rooms"]


async def test_kick_from_a_room_is_seen_by_the_room(harness: Harness) -> None:
    alice, bob = await harness.user("alice"), await harness.user("bob")
    await join("#chat", alice, bob)
    answer = await ask(harness, command="kick", nick="BOB", room="#chat", reason="spam")
    assert answer == {"ok": True, "message": "bob kicked from #chat"}
    kicked = find(await alice.ask("PING x"), "KICK")
    assert kicked.params == ("#chat", "bob", "spam") and kicked.source == "chatroom"
    assert find(bob.lines(), "KICK").params[1] == "bob"
    assert bob.session not in harness.server.find_channel("#chat").members  # type: ignore[union-attr]


async def test_kick_off_the_server(harness: Harness) -> None:
    bob = await harness.user("bob")
    answer = await ask(harness, command="kick", nick="bob")
    assert answer == {"ok": True, "message": "bob disconnected"}
    assert bob.session.closed
    assert "Kicked by the server operator" in find(bob.lines(), "ERROR").params[0]


async def test_a_room_ban_kicks_who_matches(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob", address="10.9.9.9")
    await join("#chat", alice, bob)
    answer = await ask(harness, command="ban", mask="*!*@10.9.9.9", room="#chat")
    assert answer == {"ok": True, "message": "*!*@10.9.9.9 banned from #chat; 1 kicked"}
    assert commands(await alice.ask("PING x")) == ["MODE", "KICK", "PONG"]
    assert find(await bob.ask("JOIN #chat"), "474").params[1] == "#chat"


async def test_a_server_ban_disconnects_and_refuses(harness: Harness) -> None:
    bob = await harness.user("bob", address="10.9.9.9")
    answer = await ask(harness, command="ban", mask="*!*@10.9.9.9", minutes=5, reason="flood")
    assert answer == {"ok": True, "message": "*!*@10.9.9.9 banned from the server; 1 disconnected"}
    assert bob.session.closed
    assert harness.accounts is not None
    (stored,) = await harness.accounts.list_bans()
    assert stored.expires is not None and stored.setter == "operator"
    again = harness.connect("10.9.9.9")
    again.send("NICK bob2", "USER b 0 * :b")
    assert "ERROR" in commands(await again.ask("PING x"))


async def test_bad_requests_get_a_sentence_not_a_traceback(harness: Harness) -> None:
    await harness.user("alice")
    for request, error in (
        ({"command": "shutdown"}, "unknown command 'shutdown'"),
        ({}, "unknown command None"),
        ({"command": "kick"}, "nick must be a non-empty line of text"),
        ({"command": "kick", "nick": 5}, "nick must be a non-empty line of text"),
        ({"command": "kick", "nick": "nobody"}, "no user nobody on this server"),
        ({"command": "kick", "nick": "alice", "room": "#none"}, "no room #none on this server"),
        ({"command": "ban", "mask": "a b"}, "is not a mask"),
        ({"command": "ban", "mask": "*!*@x", "minutes": "soon"}, "minutes must be"),
        ({"command": "ban", "mask": "*!*@x", "reason": "a\r\nQUIT"}, "reason must be"),
    ):
        answer = await ask(harness, **request)
        assert answer["ok"] is False and error in answer["error"], (request, answer)


async def test_reload_reports_what_the_composer_did(harness: Harness) -> None:
    assert await ask(harness, command="reload") == {"ok": True, "message": "reloaded"}

    async def refused() -> dict[str, Any]:
        return await handle(harness.server, {"command": "reload"}, lambda: (False, "bad"))

    assert await refused() == {"ok": False, "error": "bad"}
