"""The browser client end to end, in real headless Chromium (Debian's ``chromium``).

Playwright drives the browser at /usr/bin/chromium; it must never download one (no
``playwright install``). Each person is a fresh browser context (its own storage);
``tests/support/irc_client.py`` (irctokens) is the IRC client on the other end. Waits are on
conditions in the page, with generous timeouts for a loaded two-core machine.
"""

from __future__ import annotations

import os
import signal

from support.accounts import register_account
from support.browser import WAIT_MS, Person, person, require_browser, tcp_client, wait_until
from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory
from support.timeouts import SLOWDOWN

browser_api = require_browser()
Browser = browser_api.Browser
expect = browser_api.expect


def test_pages_and_an_irc_client_chat(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    alice = person(people, browser, server).sign_in("alice")
    bob = person(people, browser, server).sign_in("bob")
    carol = tcp_client(server, "carol")
    expect(alice.lines("bob has joined #lobby. Say hi!")).to_have_count(1)
    expect(bob.lines("carol has joined #lobby. Say hi!")).to_have_count(1)

    alice.say("hello everyone")
    expect(bob.lines("hello everyone").locator(".nick")).to_have_text("alice")
    assert carol.expect("PRIVMSG").params == ["#lobby", "hello everyone"]
    expect(alice.lines("hello everyone")).to_have_count(1)  # echo-message, shown once

    carol.send("PRIVMSG #lobby :hi from the terminal")
    for p in (alice, bob):
        expect(p.lines("hi from the terminal").locator(".nick")).to_have_text("carol")
    members = alice.page.locator("#member-list .nick")
    expect(members).to_have_text(["alice", "bob", "carol"])

    # Tab completes nicks (who spoke last first); "nick: " at the start of the line.
    alice.page.fill("#input", "ca")
    alice.page.press("#input", "Tab")
    expect(alice.page.locator("#input")).to_have_value("carol: ")
    alice.page.fill("#input", "")

    bob.say("/me waves")
    assert carol.expect("PRIVMSG").params == ["#lobby", "\x01ACTION waves\x01"]
    expect(alice.page.locator(".msg.kind-action", has_text="bob waves")).to_have_count(1)

    alice.say("/topic Plans for Friday")  # alice came first: she is the room's operator
    expect(bob.page.locator("#topic")).to_have_text("Plans for Friday")
    expect(bob.lines("alice set the topic: Plans for Friday")).to_have_count(1)
    assert carol.expect("TOPIC").params == ["#lobby", "Plans for Friday"]

    carol.send("PART #lobby :off to lunch")
    expect(alice.lines("carol has left #lobby (off to lunch)")).to_have_count(1)
    expect(members).to_have_text(["alice", "bob"])
    carol.close()


def test_private_chats_rooms_and_notifications(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    alice = person(people, browser, server)
    # Record notifications instead of showing them (permission granted).
    alice.page.add_init_script(
        "window.__notes = [];"
        "window.Notification = class { constructor(t, o) { window.__notes.push([t, o.body]); }"
        " static get permission() { return 'granted'; } };"
    )
    alice.sign_in("alice")
    bob = person(people, browser, server).sign_in("bob")
    carol = tcp_client(server, "carol")

    carol.send("PRIVMSG alice :psst, alice")
    expect(alice.buffer("carol").locator(".badge.mention")).to_have_text("1")
    wait_until(alice.page, "window.__notes.length === 1")
    assert alice.page.evaluate("window.__notes") == [["carol", "psst, alice"]]
    alice.buffer("carol").click()
    expect(alice.page.locator("#title")).to_have_text("carol")
    expect(alice.lines("psst, alice")).to_have_count(1)
    alice.say("hello carol")
    assert carol.expect("PRIVMSG").params == ["carol", "hello carol"]

    alice.say("/msg bob are you there?")
    expect(bob.buffer("alice").locator(".badge")).to_have_text("1")
    bob.buffer("alice").click()
    expect(bob.lines("are you there?")).to_have_count(1)
    expect(bob.buffer("alice").locator(".badge")).to_have_count(0)

    bob.say("/join #games")
    expect(bob.page.locator("#title")).to_have_text("#games")
    assert bob.page.evaluate("location.hash") == "#games"
    # A link with a room opens straight into it.
    dave = person(people, browser, server).sign_in("dave", "#games")
    expect(dave.page.locator("#title")).to_have_text("#games")
    expect(bob.lines("dave has joined #games. Say hi!")).to_have_count(1)
    dave.say("anyone for chess?")
    expect(bob.lines("anyone for chess?")).to_have_count(1)
    # A mention in a room that is not shown counts as one for you.
    bob.buffer("#lobby").click()
    dave.say("bob: your move")
    expect(bob.buffer("#games").locator(".badge.mention")).to_have_text("1")

    bob.say("/join #" + "x" * 70)  # longer than CHANNELLEN: the server refuses
    expect(bob.page.locator(".msg.kind-error", has_text="#xxxx")).to_have_count(1)
    expect(bob.buffer("#xxxx")).to_have_count(0)  # a refused room does not linger

    bob.say("/nick robert")
    expect(bob.page.locator("#me")).to_have_text("robert")
    expect(alice.lines("bob is now known as robert")).to_have_count(1)
    carol.close()


def test_a_private_chat_shows_whether_its_person_is_online(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    """MONITOR: the dot beside a private chat follows its person coming and going."""
    alice = person(people, browser, server).sign_in("alice")
    alice.say("/query erin")  # not connected
    expect(alice.buffer("erin").locator(".presence.offline")).to_have_count(1)
    expect(alice.lines("erin is offline")).to_have_count(1)
    erin = IrcClient(server.port).register("erin")
    expect(alice.buffer("erin").locator(".presence.online")).to_have_count(1)
    expect(alice.lines("erin is online")).to_have_count(1)
    if os.environ.get("CHATROOM_SCREENSHOT"):
        alice.page.screenshot(path=os.environ["CHATROOM_SCREENSHOT"])
    erin.send("QUIT :bye")
    expect(alice.buffer("erin").locator(".presence.offline")).to_have_count(1)
    erin.close()


def test_history_on_join_on_scroll_up_and_after_reload(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    carol = tcp_client(server, "carol")
    for i in range(1, 81):
        carol.send(f"PRIVMSG #lobby :line {i}")
    carol.send("PING :done")
    carol.expect("PONG")
    alice = person(people, browser, server).sign_in("alice")
    expect(alice.lines("line 80")).to_have_count(1)
    # The latest 50 messages on join (draft/event-playback's JOINs ride along uncounted).
    expect(alice.lines("line 31")).to_have_count(1)
    expect(alice.lines("line 1")).to_have_count(0)  # "line 1" and not "line 10".."line 19"
    alice.page.locator("#messages").evaluate("list => { list.scrollTop = 0; }")
    expect(alice.page.locator(".msg", has_text="line 1").first).to_be_attached()
    expect(alice.page.locator(".history-edge")).to_have_text("This is the start of #lobby.")
    expect(alice.page.locator("#messages .msg.kind-message")).to_have_count(80)

    alice.say("remember me")
    alice.page.reload()
    alice.wait_connected()
    expect(alice.page.locator("#me")).to_have_text("alice")
    expect(alice.lines("remember me")).to_have_count(1)
    expect(alice.lines("line 80")).to_have_count(1)

    bob = person(people, browser, server).sign_in("bob")
    expect(bob.lines("remember me").locator(".nick")).to_have_text("alice")
    carol.close()


def test_reconnects_and_catches_up_after_a_server_restart(
    browser: Browser, server_factory: ServerFactory, people: list[Person]
) -> None:
    first = server_factory("--no-flood-control")
    alice = person(people, browser, first).sign_in("alice")
    alice.say("before the restart")
    expect(alice.lines("before the restart")).to_have_count(1)

    assert first.stop(signal.SIGTERM) == 0
    expect(alice.page.locator("#status")).to_have_attribute("data-state", "reconnecting")
    expect(alice.page.locator("#banner")).to_be_visible()
    # The same ports and the same data directory (history survives the restart).
    second = server_factory(
        "--no-flood-control", "--web-port", str(first.web_port), port=first.port
    )
    carol = tcp_client(second, "carol")
    carol.send("PRIVMSG #lobby :while you were away")
    carol.send("PING :sent")
    carol.expect("PONG")

    # By itself, after its back-off (1, 2, 4, 8 s...): allow for a slow restart.
    reconnected = expect(alice.page.locator("#status"))
    reconnected.to_have_attribute("data-state", "connected", timeout=1.5 * WAIT_MS)
    expect(alice.page.locator("#banner")).to_be_hidden()
    expect(alice.lines("while you were away")).to_have_count(1)
    expect(alice.lines("before the restart")).to_have_count(1)  # caught up, no duplicates
    alice.say("back again")
    assert carol.expect("PRIVMSG").params == ["#lobby", "back again"]
    carol.close()


def test_messages_and_topics_are_text_never_html(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    carol = tcp_client(server, "carol")  # first in the room: may set its topic
    alice = person(people, browser, server).sign_in("alice")
    attacks = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(2)</script>",
        '<a href="javascript:alert(3)">click</a> javascript:alert(4)',
    ]
    for text in attacks:
        carol.send(f"PRIVMSG #lobby :{text}")
    carol.send("PRIVMSG #lobby :see https://example.org/a?b=1, or http://x.test/(y).")
    carol.send("TOPIC #lobby :<b>bold</b><img src=y onerror=alert(5)>")
    alice.say("<img src=x onerror=alert(6)>")

    for text in attacks:
        expect(alice.page.locator("#messages .text", has_text=text)).to_have_count(1)
    expect(alice.lines("<img src=x onerror=alert(6)>")).to_have_count(1)
    expect(alice.page.locator("#topic")).to_have_text("<b>bold</b><img src=y onerror=alert(5)>")
    dangerous = "#messages img, #messages script, #messages b, #topic img, #topic b"
    expect(alice.page.locator(dangerous)).to_have_count(0)
    links = alice.page.locator("#messages a")
    expect(links).to_have_count(2)
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [
        "https://example.org/a?b=1",
        "http://x.test/(y)",
    ]
    for i in range(2):
        assert links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert links.nth(i).get_attribute("target") == "_blank"
    alice.page.wait_for_timeout(300 * SLOWDOWN)  # time for any script to have run
    assert alice.dialogs == []
    carol.close()


def test_phone_sized_screen(browser: Browser, server: RunningServer, people: list[Person]) -> None:
    phone = person(people, browser, server, viewport={"width": 390, "height": 800})
    phone.sign_in("pat")
    page = phone.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll

    def sidebar_right() -> float:
        box = page.locator("#sidebar").bounding_box()
        assert box is not None
        return float(box["x"] + box["width"])

    assert sidebar_right() <= 0  # the rooms are a drawer, closed
    expect(page.locator("#input")).to_be_in_viewport()
    page.click("#menu")
    wait_until(page, "document.getElementById('sidebar').getBoundingClientRect().left >= 0")
    page.locator("#buffers .buffer", has_text="#lobby").click()
    wait_until(page, "document.getElementById('sidebar').getBoundingClientRect().right <= 0")
    phone.say("typing on a phone")
    expect(phone.lines("typing on a phone")).to_be_in_viewport()


def test_sign_in_with_an_account_password(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    owner = register_account(server, "maya")
    owner.send("QUIT")
    assert owner.closed()

    wrong = person(people, browser, server)
    wrong.page.goto(wrong.base)
    wrong.page.fill("#nick", "maya")
    wrong.page.click("#show-password")
    wrong.page.fill("#password", "not it")
    wrong.page.click("#login-form button[type=submit]")
    expect(wrong.page.locator("#login-error")).to_have_text("That password is not right for maya.")
    expect(wrong.page.locator("#password")).to_be_visible()

    right = person(people, browser, server)
    right.page.goto(right.base)
    right.page.fill("#nick", "maya")
    right.page.click("#show-password")
    right.page.fill("#password", "correct horse battery")
    right.page.click("#login-form button[type=submit]")
    right.wait_connected()
    expect(right.page.locator("#me")).to_have_text("maya")
    right.say("signed in")
    expect(right.lines("signed in")).to_have_count(1)
    expect(right.page.locator(".msg.kind-error", has_text="is registered")).to_have_count(0)
    # The password is never stored: after a reload the form asks for it again.
    right.page.reload()
    expect(right.page.locator("#login-error")).to_have_text("Sign in again with your password.")
    expect(right.page.locator("#nick")).to_have_value("maya")
    right.page.fill("#password", "correct horse battery")
    right.page.click("#login-form button[type=submit]")
    right.wait_connected()
    expect(right.lines("signed in")).to_have_count(1)


def test_create_an_account_from_the_page_then_sign_in_with_it(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    maker = person(people, browser, server)
    maker.page.goto(maker.base)
    maker.page.fill("#nick", "nadia")
    maker.page.click("#create-account")
    expect(maker.page.locator("#login-submit")).to_have_text("Create the account and join")
    maker.page.fill("#password", "short")
    maker.page.screenshot(path="/tmp/webreg-signin-create.png")
    maker.page.click("#login-submit")
    expect(maker.page.locator("#login-error")).to_contain_text("That password is too weak")
    # The form stays in its create mode with the name filled in: try again.
    maker.page.fill("#password", "a long enough secret")
    maker.page.click("#login-submit")
    maker.wait_connected()
    expect(maker.page.locator("#me")).to_have_text("nadia")

    # The name is taken now: creating it again says so.
    maker.page.click("#leave")
    expect(maker.page.locator("#login")).to_be_visible()
    again = person(people, browser, server)
    again.page.goto(again.base)
    again.page.fill("#nick", "nadia")
    again.page.click("#create-account")
    again.page.fill("#password", "another long secret")
    again.page.click("#login-submit")
    expect(again.page.locator("#login-error")).to_contain_text("The account nadia already exists")

    # A second page signs in to the account with its password.
    second = person(people, browser, server)
    second.page.goto(second.base)
    second.page.fill("#nick", "nadia")
    second.page.click("#show-password")
    second.page.fill("#password", "a long enough secret")
    second.page.click("#login-submit")
    second.wait_connected()
    expect(second.page.locator("#me")).to_have_text("nadia")
    expect(second.page.locator(".msg.kind-error", has_text="is registered")).to_have_count(0)


def test_typing_shows_under_the_messages_of_the_others(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    # https://ircv3.net/specs/client-tags/typing, between two pages and an IRC client.
    alice = person(people, browser, server).sign_in("alice")
    bob = person(people, browser, server).sign_in("bob")
    carol = IrcClient(server.port).register("carol", caps="message-tags")
    carol.join("#lobby")
    expect(alice.lines("carol has joined #lobby. Say hi!")).to_have_count(1)
    typing = bob.page.locator("#typing")
    expect(typing).to_have_text("")
    alice.page.locator("#input").press_sequentially("hello b")
    expect(typing).to_have_text("alice is typing…")
    tagmsg = carol.expect("TAGMSG")
    assert tagmsg.params == ["#lobby"] and tagmsg.tags["+typing"] == "active"
    carol.send("@+typing=active TAGMSG #lobby")
    expect(typing).to_have_text("alice and carol are typing…")
    expect(alice.page.locator("#typing")).to_have_text("carol is typing…")  # not herself
    alice.page.locator("#input").press_sequentially("ob")
    alice.page.press("#input", "Enter")
    expect(typing).to_have_text("carol is typing…")  # her message ended her typing
    carol.send("@+typing=done TAGMSG #lobby")
    expect(typing).to_have_text("")
    carol.close()


def test_reading_on_one_page_clears_the_badge_on_the_other(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    owner = register_account(server, "nora")
    owner.send("QUIT")
    assert owner.closed()
    devices = []
    for nick in ("nora", "nora"):  # two devices of one account
        device = person(people, browser, server)
        device.page.goto(device.base + "#side")
        device.page.fill("#nick", nick)
        device.page.click("#show-password")
        device.page.fill("#password", "correct horse battery")
        device.page.click("#login-form button[type=submit]")
        device.wait_connected()
        device.page.evaluate("window.dispatchEvent(new Event('focus'))")
        device.say("/join #lobby")  # both look at #lobby, and are in #side
        expect(device.page.locator("#title")).to_have_text("#lobby")
        devices.append(device)
    phone, desk = devices
    peer = IrcClient(server.port).register("peer")
    peer.join("#side")
    peer.send("PRIVMSG #side :did you see this?")
    expect(phone.buffer("#side").locator(".badge")).to_have_text("1")
    expect(desk.buffer("#side").locator(".badge")).to_have_text("1")
    phone.buffer("#side").click()
    expect(phone.lines("did you see this?")).to_have_count(1)
    # Read on the phone: the desk's badge goes too (MARKREAD through the server).
    expect(desk.buffer("#side").locator(".badge")).to_have_count(0)
    peer.close()


def test_share_an_image_with_the_attach_button(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    import io

    from PIL import Image

    owner = register_account(server, "lena")
    owner.send("QUIT")
    assert owner.closed()
    irc = tcp_client(server, "watcher")
    guest = person(people, browser, server).sign_in("guest")
    expect(guest.page.locator("#attach")).to_be_hidden()  # no account, no uploads

    lena = person(people, browser, server)
    lena.page.goto(lena.base)
    lena.page.fill("#nick", "lena")
    lena.page.click("#show-password")
    lena.page.fill("#password", "correct horse battery")
    lena.page.click("#login-form button[type=submit]")
    lena.wait_connected()
    expect(lena.page.locator("#attach")).to_be_visible()
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 120, 220)).save(picture, "PNG")
    lena.page.set_input_files(
        "#attach-file",
        files=[{"name": "shot.png", "mimeType": "image/png", "buffer": picture.getvalue()}],
    )
    # Every IRC client sees a link; the pages show the server's thumbnail.
    line = irc.expect("PRIVMSG")
    link = line.params[1]
    assert link.startswith(f"http://127.0.0.1:{server.web_port}/files/")
    for page in (lena.page, guest.page):
        thumb = page.locator(f'#messages img.thumb[src="{link}/thumb"]')
        expect(thumb).to_have_count(1)
        wait_until(page, "document.querySelector('#messages img.thumb').naturalWidth === 320")


def test_lines_typed_with_shift_enter_are_one_multiline_message(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    alice = person(people, browser, server).sign_in("alice")
    bob = person(people, browser, server).sign_in("bob")
    carol = tcp_client(server, "carol")  # no draft/multiline: separate lines
    expect(alice.lines("carol has joined #lobby. Say hi!")).to_have_count(1)
    box = alice.page.locator("#input")
    box.press_sequentially("first line")
    box.press("Shift+Enter")
    box.press_sequentially("second line")
    box.press("Enter")
    expect(box).to_have_value("")
    shown = bob.lines("first line")
    expect(shown).to_have_count(1)  # one message holding both lines
    expect(shown.filter(has_text="second line")).to_have_count(1)
    assert shown.locator(".text").inner_text() == "first line\nsecond line"  # shown on two lines
    expect(alice.lines("second line")).to_have_count(1)
    assert carol.expect("PRIVMSG").params == ["#lobby", "first line"]
    assert carol.expect("PRIVMSG").params == ["#lobby", "second line"]
    # An IRC client with the cap sends a batch (a concatenated line joins without a
    # break): the pages show one message.
    dave = tcp_client(server, "dave", "batch message-tags draft/multiline")
    dave.send("BATCH +m draft/multiline #lobby")
    dave.send("@batch=m PRIVMSG #lobby :Traceback:")
    dave.send("@batch=m PRIVMSG #lobby :  File x.py, line 1")
    dave.send("@batch=m;draft/multiline-concat PRIVMSG #lobby :, in main")
    dave.send("BATCH -m")
    pasted = alice.lines("Traceback:")
    expect(pasted).to_have_count(1)
    expect(pasted.locator(".nick")).to_have_text("dave")
    assert pasted.locator(".text").inner_text() == "Traceback:\n  File x.py, line 1, in main"
    expect(bob.lines("in main")).to_have_count(1)
    fallback = [carol.expect("PRIVMSG").params[1] for _ in range(3)]  # one per line
    assert fallback == ["Traceback:", "  File x.py, line 1", ", in main"]
    dave.close()


def test_reply_quotes_the_message_and_reactions_toggle_on_click(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    # +draft/reply and +draft/react between two pages and an IRC client.
    alice = person(people, browser, server).sign_in("alice")
    bob = person(people, browser, server).sign_in("bob")
    carol = IrcClient(server.port).register("carol", caps="message-tags")
    carol.join("#lobby")
    carol.send("PRIVMSG #lobby :lunch at noon?")
    expect(alice.lines("lunch at noon?")).to_have_count(1)
    msgid = alice.lines("lunch at noon?").get_attribute("data-msgid")
    assert msgid
    question = alice.page.locator(f'#messages .msg[data-msgid="{msgid}"]')
    question.hover()
    question.locator(".actions .reply").click()
    expect(alice.page.locator("#replying")).to_contain_text("Replying to carol")
    alice.say("count me in")
    reply = carol.expect("PRIVMSG")
    assert reply.params == ["#lobby", "count me in"] and reply.tags["+draft/reply"] == msgid
    expect(alice.page.locator("#replying")).to_be_hidden()
    quote = bob.lines("count me in").locator(".quote")
    expect(quote).to_have_text("carollunch at noon?")
    # Bob reacts from the hover bar; Alice clicks the count to add hers, then again.
    bob_question = bob.page.locator(f'#messages .msg[data-msgid="{msgid}"]')
    bob_question.hover()
    bob_question.locator(".actions .react", has_text="👍").click()
    sent = carol.expect("TAGMSG")
    assert sent.tags["+draft/reply"] == msgid and sent.tags["+draft/react"] == "👍"
    count = question.locator(".reactions .reaction")
    expect(count).to_have_text("👍 1")
    count.click()
    expect(count).to_have_text("👍 2")
    expect(count).to_have_attribute("aria-pressed", "true")
    expect(bob_question.locator(".reaction")).to_have_text("👍 2")
    count.click()
    expect(count).to_have_text("👍 1")
    expect(count).to_have_attribute("aria-pressed", "false")
    carol.send(f"@+draft/reply={msgid};+draft/react=🎉 TAGMSG #lobby")
    expect(question.locator(".reaction", has_text="🎉")).to_have_text("🎉 1")
    shot = os.environ.get("CHATROOM_REACTIONS_SHOT")
    if shot:  # a picture of it for the docs or a review
        alice.page.screenshot(path=shot)
    carol.close()
