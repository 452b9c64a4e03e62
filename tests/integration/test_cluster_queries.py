"""Users of another process answer WHO, WHOIS, ISON, USERHOST, LUSERS and WHOWAS
like local ones, and their AWAY, ACCOUNT, SETNAME and user modes cross (--cluster)."""

from __future__ import annotations

import json
import re
import socket
import ssl
import time

import irctokens
import pytest
import redis as redis_py

from chatroom.storage.passwords import hash_password
from support.accounts import PASSWORD, register_account
from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import RunningServer, ServerFactory, cluster_member
from support.timeouts import TIMEOUT

OPERATOR = f'[[operators]]\nname = "op"\npassword = "{hash_password("pw")}"\n'


@pytest.fixture
def pair(server_factory: ServerFactory, redis: RedisServer) -> tuple[RunningServer, RunningServer]:
    """Two processes on a Redis of this test's own (no users left behind by the processes
    of another), sharing the SQLite files of one data directory, with an operator."""
    first = cluster_member(server_factory, redis.url, config=OPERATOR)
    return first, cluster_member(server_factory, redis.url, config=OPERATOR)


def _known(client: IrcClient, nick: str) -> None:
    """Wait until ``client``'s process knows ``nick`` (ISON answers it)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        client.send(f"ISON {nick}")
        if client.expect("303").params[1] == nick:
            return
        assert time.monotonic() < deadline, f"{nick} never became known"
        time.sleep(0.05)


def _sync(sender: IrcClient, receiver: IrcClient) -> list[irctokens.Line]:
    """Return once ``receiver``'s process has applied everything ``sender``'s process
    published before (one process's events arrive in the order they were published),
    with every line ``receiver`` got meanwhile, the sync message last."""
    sender.send(f"PRIVMSG {receiver.nick} :sync")
    return receiver.until("PRIVMSG", lambda line: line.params[1] == "sync")


def _whois(client: IrcClient, nick: str) -> dict[str, irctokens.Line]:
    client.send(f"WHOIS {nick}")
    return {line.command: line for line in client.until("318")}


def _who(client: IrcClient, mask: str) -> dict[str, irctokens.Line]:
    """WHO rows by nick."""
    client.send(f"WHO {mask}")
    return {line.params[5]: line for line in client.until("315") if line.command == "352"}


def test_whois_of_a_user_on_another_process(pair: tuple[RunningServer, RunningServer]) -> None:
    first, second = pair
    # carol (second) makes #sec secret before alice (first) joins it.
    carol = IrcClient(second.port).register("carol")
    carol.join("#sec")
    carol.send("MODE #sec +s")
    carol.expect("MODE")
    alice = register_account(first, "alice")  # logged in as alice
    alice.send("OPER op pw")
    alice.expect("381")
    alice.send("AWAY :gone fishing")
    alice.expect("306")
    alice.join("#q")
    alice.join("#sec")
    alice.join("#lonely")  # nobody on the second process is in it
    alice.join("#hidden")  # made secret on alice's process, shared as state
    alice.send("MODE #hidden +s")
    alice.expect("MODE")
    bob = IrcClient(second.port).register("bob")
    bob.join("#q")
    alice.expect("JOIN", lambda line: line.source.startswith("bob!"))
    _known(alice, "bob")
    _sync(alice, bob)

    seen = _whois(bob, "ALICE")
    assert seen["311"].params[1:] == ["alice", "~alice", "127.0.0.1", "*", "alice"]
    # Not the secret #sec (secret on bob's side) nor #hidden (secret on alice's).
    assert sorted(seen["319"].params[2].split()) == ["@#lonely", "@#q"]
    assert seen["312"].params[1] == "alice"
    assert seen["313"].params[1] == "alice"
    assert seen["301"].params[2] == "gone fishing"
    assert seen["330"].params[1:3] == ["alice", "alice"]
    assert "671" not in seen  # not on TLS
    assert "378" not in seen  # the address only to operators
    assert "317" not in seen  # idle time is known to alice's process only
    # A member of the secret channel sees it, as for a local user.
    assert sorted(_whois(carol, "alice")["319"].params[2].split()) == ["#sec", "@#lonely", "@#q"]
    bob.send("OPER op pw")
    bob.expect("381")
    assert _whois(bob, "alice")["378"].params[2].endswith("127.0.0.1")
    # PRIVMSG to the away remote user answers 301 here; NOTICE does not.
    bob.send("PRIVMSG alice :are you there?")
    assert bob.expect("301").params[1:] == ["alice", "gone fishing"]
    assert alice.expect("PRIVMSG").params[1] == "are you there?"
    bob.send("NOTICE alice :fyi")
    bob.send("PING done")
    assert "301" not in [line.command for line in bob.until("PONG")]


def test_who_channel_and_mask_across_processes(
    pair: tuple[RunningServer, RunningServer],
) -> None:
    first, second = pair
    dana = IrcClient(first.port).register("dana")
    dana.send("OPER op pw")
    dana.expect("381")
    dana.send("AWAY :out")
    dana.expect("306")
    dana.join("#w")
    ivan = IrcClient(first.port).register("ivan")
    ivan.send("MODE ivan +i")
    ivan.expect("MODE")
    ivan.join("#w")
    erin = IrcClient(second.port).register("erin")
    sam = IrcClient(second.port).register("sam")
    sam.join("#w")  # #w is known on the second process only where it has a member
    _known(dana, "erin")
    _sync(dana, erin)

    # erin is not in #w: the invisible ivan is hidden there, and from a mask.
    rows = _who(erin, "#w")
    assert set(rows) == {"dana", "sam"}
    assert rows["dana"].params[1:4] == ["#w", "~dana", "127.0.0.1"]
    assert rows["dana"].params[5:] == ["dana", "G*@", "0 dana real"]
    rows = _who(erin, "*a*")
    assert "dana" in rows and "ivan" not in rows
    assert set(_who(erin, "ivan")) == {"ivan"}  # an exact nick always answers
    # Once erin shares #w with ivan, she sees him everywhere.
    erin.join("#w")
    ivan.expect("JOIN", lambda line: line.source.startswith("erin!"))
    rows = _who(erin, "#w")
    assert set(rows) == {"dana", "ivan", "erin", "sam"}
    assert rows["ivan"].params[6] == "H"
    assert set(_who(erin, "i*")) == {"ivan"}
    # Modes cross too: ivan visible again, dana back and no longer an operator.
    ivan.send("MODE ivan -i")
    ivan.expect("MODE")
    dana.send("AWAY")
    dana.expect("305")
    dana.send("MODE dana -o")
    dana.expect("MODE")
    _sync(dana, erin)
    assert _who(erin, "dana")["dana"].params[6] == "H"
    erin.send("PART #w")
    erin.expect("PART")
    assert set(_who(erin, "i*")) == {"ivan"}


def test_bot_mode_and_whox_across_processes(pair: tuple[RunningServer, RunningServer]) -> None:
    # The user modes UserUp/UserState carry include +B (bot-mode); WHOX reads them.
    first, second = pair
    robo = IrcClient(first.port).register("robo")
    robo.send("MODE robo +B")
    robo.expect("MODE")
    erin = IrcClient(second.port).register("erin")
    _known(erin, "robo")
    _known(robo, "erin")  # the sync message below must find her
    _sync(robo, erin)
    assert "335" in _whois(erin, "robo")
    erin.send("WHO robo %nfa")
    assert erin.until("315")[0].params == ["erin", "robo", "HB", "0"]


def test_ison_userhost_lusers_whowas(pair: tuple[RunningServer, RunningServer]) -> None:
    first, second = pair
    frank = IrcClient(second.port).register("frank")
    frank.send("LUSERS")
    before = {line.command: line for line in frank.until("266")}
    assert before["266"].params[1] == "1"
    gina = IrcClient(first.port).register("gina")
    gina.send("OPER op pw")
    gina.expect("381")
    gina.send("AWAY :busy")
    gina.expect("306")
    hank = IrcClient(first.port).register("hank")
    hank.send("MODE hank +i")
    hank.expect("MODE")
    hank.join("#far")  # a channel with members on the first process only
    _known(hank, "frank")
    _sync(hank, frank)

    frank.send("ISON nobody GINA hank frank")
    assert frank.expect("303").params[1] == "gina hank frank"
    frank.send("USERHOST gina hank")
    assert frank.expect("302").params[1] == "gina*=-~gina@127.0.0.1 hank=+~hank@127.0.0.1"
    frank.send("LUSERS")
    after = {line.command: line for line in frank.until("266")}
    assert after["251"].params[1] == "There are 2 users and 1 invisible on 1 servers"
    assert after["252"].params[1] == "1"  # gina, an operator elsewhere
    # #far, besides the default room every process has
    assert int(after["254"].params[1]) == int(before["254"].params[1]) + 1
    assert after["255"].params[1] == "I have 1 clients and 0 servers"
    assert after["265"].params[1:3] == ["1", "1"]
    assert after["266"].params[1] == "3"
    # A nick that left on the other process is in WHOWAS here.
    gina.send("NICK gwen")
    gina.expect("NICK")
    hank.send("QUIT :bye")
    hank.closed()
    _sync(gina, frank)
    for nick in ("gina", "hank"):
        frank.send(f"WHOWAS {nick}")
        found = [line for line in frank.until("369") if line.command == "314"]
        assert [line.params[1:4] for line in found] == [[nick, f"~{nick}", "127.0.0.1"]]
    frank.send("LUSERS")
    # 3 users at most so far: the maximum is a high-water mark, not today's count.
    assert {line.command: line for line in frank.until("266")}["266"].params[1:3] == ["2", "3"]
    # Another's user modes: 502 for a user of another process too, 401 for nobody.
    frank.send("MODE gwen +i")
    assert frank.expect("502").params[0] == "frank"
    frank.send("MODE nobody")
    assert frank.expect("401").params[1] == "nobody"


def test_notifications_cross(pair: tuple[RunningServer, RunningServer]) -> None:
    first, second = pair
    caps = "away-notify account-notify setname extended-join account-tag message-tags"
    watcher = IrcClient(second.port).register("watcher", caps)
    plain = IrcClient(second.port).register("plain")
    watcher.join("#n")
    plain.join("#n")
    kim = IrcClient(first.port).register("kim")
    kim.join("#n")
    watcher.expect("JOIN", lambda line: line.source.startswith("kim!"))
    _known(kim, "watcher")

    kim.send("AWAY :lunch")
    assert watcher.expect("AWAY").params == ["lunch"]
    kim.send("AWAY")
    away = watcher.expect("AWAY")
    assert away.params == [] and away.source.startswith("kim!")
    kim.send("SETNAME :Kim Possible")
    assert watcher.expect("SETNAME").params == ["Kim Possible"]
    kim.send(f"REGISTER * * :{PASSWORD}")
    kim.expect("900")
    account = watcher.expect("ACCOUNT")
    assert account.params == ["kim"] and account.source.startswith("kim!")
    # The new state is in the view, and the plain client got none of it: every line
    # it was sent before the sync message (which comes after them) is checked.
    seen = _sync(kim, plain)
    assert [line.command for line in seen if line.command in ("AWAY", "SETNAME", "ACCOUNT")] == []
    assert _whois(watcher, "kim")["330"].params[2] == "kim"
    assert _whois(watcher, "kim")["311"].params[5] == "Kim Possible"
    # Messages of a logged-in user on another process carry account-tag.
    kim.send("PRIVMSG #n :signed")
    message = watcher.expect("PRIVMSG")
    assert message.params[1] == "signed" and (message.tags or {}).get("account") == "kim"
    # extended-join shows the account and realname of a user on another process.
    watcher.join("#x")
    _sync(watcher, kim)
    kim.send("JOIN #x")
    joined = watcher.expect("JOIN", lambda line: line.source.startswith("kim!"))
    assert joined.params == ["#x", "kim", "Kim Possible"]


def test_a_process_started_later_learns_the_state(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first = cluster_member(server_factory, redis.url, config=OPERATOR)
    lena = register_account(first, "lena")
    lena.send("OPER op pw")
    lena.expect("381")
    lena.send("AWAY :away")
    lena.expect("306")
    lena.send("SETNAME :Lena L")
    lena.send("MODE lena +i")
    lena.expect("MODE")
    # The new process reads chatroom:users at start: wait until the writer put it there.
    store = redis_py.Redis.from_url(redis.url)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            raw = store.hget("{chatroom}:users", "lena")
            record = json.loads(raw) if raw else {}
            if (record.get("r"), record.get("w"), record.get("m")) == ("Lena L", "away", "io"):
                break
            assert time.monotonic() < deadline, f"lena's record never complete: {record}"
            time.sleep(0.05)
    finally:
        store.close()
    later = cluster_member(server_factory, redis.url, config=OPERATOR)
    mo = IrcClient(later.port).register("mo")
    mo.send("OPER op pw")  # an operator sees invisible users
    mo.expect("381")
    seen = _whois(mo, "lena")
    assert seen["311"].params[5] == "Lena L"
    assert seen["313"].params[1] == "lena"
    assert seen["301"].params[2] == "away"
    assert seen["330"].params[2] == "lena"
    mo.send("LUSERS")
    lines = {line.command: line for line in mo.until("266")}
    assert lines["251"].params[1] == "There are 1 users and 1 invisible on 1 servers"
    assert lines["252"].params[1] == "2"


def test_whois_shows_tls_of_a_user_on_another_process(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first = server_factory(
        "--no-flood-control", "--no-web", "--tls", "--tls-port", "0", "--cluster", redis.url
    )
    second = cluster_member(server_factory, redis.url, config=OPERATOR)
    found = re.search(r"Listening for TLS at 127\.0\.0\.1:(\d+)", first.log)
    assert found, first.log
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=TIMEOUT)
    clients: list[IrcClient] = []
    try:
        secure = context.wrap_socket(raw, server_hostname="localhost")
        raw = secure
        secure.sendall(b"NICK tess\r\nUSER tess 0 * :Tess\r\n")
        clients.append(IrcClient(first.port).register("plain"))
        clients.append(viewer := IrcClient(second.port).register("viewer"))
        _known(viewer, "tess")
        _known(viewer, "plain")
        assert "671" in _whois(viewer, "tess")
        assert "671" not in _whois(viewer, "plain")
    finally:
        raw.close()
        for client in clients:
            client.close()


def test_a_bad_user_record_does_not_stop_a_process_from_starting(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first = cluster_member(server_factory, redis.url, config=OPERATOR)
    good = IrcClient(first.port).register("good")
    store = redis_py.Redis.from_url(redis.url)
    try:
        store.hset(
            "{chatroom}:users",
            mapping={
                "broken": "not json",
                "partial": json.dumps({"n": "partial"}),
                "typed": json.dumps({"n": "typed", "s": "typed!u@h", "p": "x", "t": "soon"}),
            },
        )
        store.hset("{chatroom}:members:#bad", mapping={"typed": "[]", "good": '{"s":1}'})
    finally:
        store.close()
    later = cluster_member(server_factory, redis.url, config=OPERATOR)
    assert "Ignored the bad record of user typed" in later.log
    assert "Ignored a bad member record of #bad" in later.log
    viewer = IrcClient(later.port).register("viewer")
    _known(viewer, "good")
    good.close()


def test_a_state_change_lost_with_redis_is_published_again(
    pair: tuple[RunningServer, RunningServer], redis: RedisServer
) -> None:
    """Redis refuses the writer's batch (PUBLISH denied for a moment, the heartbeat
    still beating): the away message set meanwhile still reaches the other process."""
    first, second = pair
    kim = IrcClient(first.port).register("kim")
    viewer = IrcClient(second.port).register("viewer")
    _known(viewer, "kim")
    store = redis_py.Redis.from_url(redis.url)
    try:
        store.execute_command("ACL", "SETUSER", "default", "-publish")
        kim.send("AWAY :lunch")
        kim.expect("306")
        first.wait_for_log("Lost Redis")
        store.execute_command("ACL", "SETUSER", "default", "+publish")
    finally:
        store.close()
    deadline = time.monotonic() + TIMEOUT
    while "301" not in (seen := _whois(viewer, "kim")):
        assert time.monotonic() < deadline, "the away message never crossed"
        time.sleep(0.1)
    assert seen["301"].params[2] == "lunch"


def test_monitor_across_processes(pair: tuple[RunningServer, RunningServer]) -> None:
    """MONITOR (and extended-monitor) watchers hear of a user on another process
    arriving, changing state and nick, and leaving."""
    first, second = pair
    alice = IrcClient(first.port).register("alice", caps="extended-monitor away-notify")
    alice.send("MONITOR + bob,robert")
    assert alice.expect("731").params[1] == "bob,robert"
    bob = IrcClient(second.port).register("bob")
    assert alice.expect("730").params[1] == "bob!~bob@127.0.0.1"
    # Known now: MONITOR S answers from this process's view of the network.
    alice.send("MONITOR S")
    assert alice.expect("730").params[1] == "bob!~bob@127.0.0.1"
    bob.send("AWAY :lunch")  # no shared channel: extended-monitor brings it
    assert alice.expect("AWAY").params == ["lunch"]
    bob.send("NICK robert")
    assert alice.expect("731").params[1] == "bob"
    assert alice.expect("730").params[1] == "robert!~bob@127.0.0.1"
    bob.send("QUIT :bye")
    assert alice.expect("731").params[1] == "robert"
