"""MARKREAD in memory (https://ircv3.net/specs/extensions/read-marker)."""

from __future__ import annotations

import pytest

from chatroom.server.config import Config
from support.core import FakeClient, Harness, find, params

CAPS = ("batch", "server-time", "message-tags", "sasl", "draft/read-marker")
PASSWORD = "correct horse battery"
T1 = "timestamp=2026-01-02T03:04:05.678Z"
T2 = "timestamp=2026-01-02T03:04:06.000Z"


async def device(harness: Harness, nick: str, account: str = "alice") -> FakeClient:
    """A session logged in to *account* (made on first use) with the read-marker cap."""
    assert harness.accounts is not None
    if await harness.accounts.get(account) is None:
        await harness.accounts.register(account, PASSWORD)
    client = await harness.user(nick, caps=CAPS)
    assert "903" in [line.command for line in await client.log_in(account, PASSWORD)]
    client.lines()
    return client


async def test_the_cap_is_offered(harness: Harness) -> None:
    client = harness.connect()
    replies = await client.ask("CAP LS 302")
    assert "draft/read-marker" in " ".join(params(replies, "CAP")[0])


async def test_an_unknown_marker_is_a_star(harness: Harness) -> None:
    phone = await device(harness, "phone")
    assert params(await phone.ask("MARKREAD #lobby"), "MARKREAD") == [("#lobby", "timestamp=*")]


async def test_a_marker_set_on_one_device_reaches_the_others(harness: Harness) -> None:
    phone = await device(harness, "phone")
    desk = await device(harness, "desk")
    other = await device(harness, "bob", account="bob")
    assert params(await phone.ask(f"MARKREAD #Lobby {T1}"), "MARKREAD") == [("#Lobby", T1)]
    assert params(desk.lines(), "MARKREAD") == [("#Lobby", T1)]
    assert params(other.lines(), "MARKREAD") == []
    assert params(await desk.ask("MARKREAD #lobby"), "MARKREAD") == [("#lobby", T1)]


async def test_a_marker_never_moves_backwards(harness: Harness) -> None:
    phone = await device(harness, "phone")
    desk = await device(harness, "desk")
    await phone.ask(f"MARKREAD bob {T2}")
    desk.lines()
    # The older one is refused: the sender is told where the marker is, nobody else.
    assert params(await phone.ask(f"MARKREAD bob {T1}"), "MARKREAD") == [("bob", T2)]
    assert params(desk.lines(), "MARKREAD") == []


async def test_markers_are_kept_with_history(harness: Harness) -> None:
    phone = await device(harness, "phone")
    await phone.ask(f"MARKREAD #lobby {T1}")
    assert harness.history is not None
    stored = await harness.history.read_marker("alice", "#lobby")
    assert stored is not None and stored.isoformat() == "2026-01-02T03:04:05.678000+00:00"


async def test_a_join_is_followed_by_the_marker(harness: Harness) -> None:
    phone = await device(harness, "phone")
    await phone.ask(f"MARKREAD #lobby {T1}")
    replies = await phone.ask("JOIN #lobby")
    assert params(replies, "MARKREAD") == [("#lobby", T1)]
    replies = await phone.ask("JOIN #new")
    assert params(replies, "MARKREAD") == [("#new", "timestamp=*")]


async def test_without_an_account_markers_live_with_the_session(harness: Harness) -> None:
    guest = await harness.user("guest", caps=CAPS)
    again = await harness.user("guest2", caps=CAPS)
    assert params(await guest.ask(f"MARKREAD #lobby {T2}"), "MARKREAD") == [("#lobby", T2)]
    assert params(await guest.ask(f"MARKREAD #lobby {T1}"), "MARKREAD") == [("#lobby", T2)]
    assert params(await guest.ask("JOIN #lobby"), "MARKREAD") == [("#lobby", T2)]
    assert params(again.lines(), "MARKREAD") == []
    assert params(await again.ask("MARKREAD #lobby"), "MARKREAD") == [("#lobby", "timestamp=*")]


async def test_no_marker_after_join_without_the_cap(harness: Harness) -> None:
    plain = await harness.user("plain")
    assert params(await plain.ask("JOIN #lobby"), "MARKREAD") == []


@pytest.mark.parametrize(
    ("line", "context"),
    [
        ("MARKREAD #lobby yesterday", "yesterday"),
        (
            "MARKREAD #lobby timestamp=2026-13-45T00:00:00.000Z",
            "timestamp=2026-13-45T00:00:00.000Z",
        ),
        ("MARKREAD #lobby msgid=abc", "msgid=abc"),
        ("MARKREAD a@b", "a@b"),
    ],
)
async def test_bad_input_is_a_fail(harness: Harness, line: str, context: str) -> None:
    phone = await device(harness, "phone")
    fail = find(await phone.ask(line), "FAIL")
    assert fail.params[:3] == ("MARKREAD", "INVALID_PARAMS", context)


async def test_no_target_is_need_more_params(harness: Harness) -> None:
    phone = await device(harness, "phone")
    assert find(await phone.ask("MARKREAD"), "461").params[1] == "MARKREAD"


async def test_a_storage_failure_is_a_fail(harness: Harness) -> None:
    phone = await device(harness, "phone")
    assert harness.history is not None
    harness.history.fail_queries = True
    fail = find(await phone.ask("MARKREAD #lobby"), "FAIL")
    assert fail.params[:2] == ("MARKREAD", "INTERNAL_ERROR")


async def test_without_history_markers_are_kept_for_the_account_in_memory() -> None:
    harness = Harness(Config(flood_enabled=False), history=False)
    try:
        phone = await device(harness, "phone")
        desk = await device(harness, "desk")
        await phone.ask(f"MARKREAD #lobby {T1}")
        assert params(desk.lines(), "MARKREAD") == [("#lobby", T1)]
        assert params(await desk.ask("JOIN #lobby"), "MARKREAD") == [("#lobby", T1)]
    finally:
        await harness.close()
