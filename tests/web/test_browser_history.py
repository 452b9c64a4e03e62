"""The browser client with what the server keeps: searching the history (soju.im/search)
and opening a result where it was said (CHATHISTORY AROUND), deleting messages
(draft/message-redaction), and replies and reactions replayed with the history on page
load, on opening a conversation and after a reconnect, with and without the server's
draft/event-playback. The other end is an independent IRC client (irctokens).
"""

from __future__ import annotations

import re
import signal

from support.accounts import PASSWORD, register_account
from support.browser import Person, person, require_browser, tcp_client
from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory

browser_api = require_browser()
Browser = browser_api.Browser
expect = browser_api.expect

# A server that does not offer draft/event-playback, as the page sees it: the WebSocket
# hides the cap from CAP LS (our server always offers it with history on).
WITHOUT_EVENT_PLAYBACK = """
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  set onmessage(fn) {
    super.onmessage = (event) => {
      const text = event.data;
      const hide = typeof text === "string" && / CAP \\S+ LS /.test(text);
      const data = hide ? text.replace("draft/event-playback", "x-none") : text;
      fn(hide ? new MessageEvent("message", { data }) : event);
    };
  }
  get onmessage() { return super.onmessage; }
};
"""


def sync(client: IrcClient) -> None:
    """Wait until the server has handled everything `client` sent."""
    client.send("PING :sync")
    client.expect("PONG")


def msgid_of(client: IrcClient, text: str) -> str:
    """Say `text` in #lobby (echo-message) and return the msgid the server gave it."""
    client.send(f"PRIVMSG #lobby :{text}")
    line = client.expect("PRIVMSG", lambda line: line.params[1] == text)
    return line.tags["msgid"]


def test_search_finds_a_message_and_opens_the_conversation_around_it(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    carol = tcp_client(server, "carol")
    carol.send("PRIVMSG #lobby :the blue key is under the mat")
    for i in range(150):  # enough that the page's latest history does not reach it
        carol.send(f"PRIVMSG #lobby :filler line {i}")
    sync(carol)
    alice = person(people, browser, server).sign_in("alice")
    page = alice.page
    carol.send("PRIVMSG alice :a Blue Key for you too")
    expect(alice.buffer("carol")).to_have_count(1)
    expect(alice.lines("filler line 149")).to_have_count(1)
    expect(alice.lines("the blue key is under the mat")).to_have_count(0)

    expect(page.locator("#search-toggle")).to_be_visible()
    page.keyboard.press("Control+k")
    expect(page.locator("#search")).to_be_visible()
    page.fill("#search-text", "blue key")
    page.press("#search-text", "Enter")
    results = page.locator("#search-results .result")
    expect(results).to_have_count(2)
    newest, oldest = results.nth(0), results.nth(1)  # newest first
    expect(newest.locator(".room")).to_have_text("carol")  # a private one: the other person
    expect(newest.locator("mark")).to_have_text("Blue Key")
    expect(oldest.locator(".room")).to_have_text("#lobby")
    expect(oldest.locator(".nick")).to_have_text("carol")
    expect(oldest.locator("mark")).to_have_text("blue key")
    expect(oldest.locator("time")).not_to_have_text("")
    expect(alice.lines("a Blue Key")).to_have_count(0)  # results are not messages (#lobby shown)

    oldest.click()
    expect(page.locator("#search")).to_be_hidden()
    found = page.locator("#messages .msg.found")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("the blue key is under the mat")
    expect(found).to_be_in_viewport()
    expect(page.locator("#messages .day.gap")).to_have_count(1)  # not all of it is loaded

    # "/search" in the input line does the same; "from:" narrows it, "only here" too.
    alice.say("/search from:carol filler line 6")
    expect(page.locator("#search")).to_be_visible()
    expect(page.locator("#search-text")).to_have_value("from:carol filler line 6")
    expect(results).to_have_count(11)  # 6 and 60..69
    page.check("#search-here")
    page.fill("#search-text", "blue")
    page.press("#search-text", "Enter")
    expect(results).to_have_count(1)  # the private one is not in #lobby
    page.press("#search-text", "Escape")
    expect(page.locator("#search")).to_be_hidden()
    carol.close()


def test_no_search_box_without_the_capability(
    browser: Browser, server_factory: ServerFactory, people: list[Person]
) -> None:
    server = server_factory("--no-flood-control", "--no-history")
    alice = person(people, browser, server).sign_in("alice")
    expect(alice.page.locator("#search-toggle")).to_be_hidden()
    alice.page.keyboard.press("Control+k")
    expect(alice.page.locator("#search")).to_be_hidden()
    alice.page.fill("#input", "/search anything")
    alice.page.press("#input", "Enter")
    expect(alice.lines("This server cannot search its history.")).to_have_count(1)


def test_delete_own_messages_and_as_operator_any(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    alice = person(people, browser, server).sign_in("alice")  # first in: operator
    bob = person(people, browser, server).sign_in("bob")
    carol = tcp_client(server, "carol", "message-tags echo-message draft/message-redaction")
    plain = tcp_client(server, "dave")  # without the capability: told nothing
    expect(alice.lines("dave has joined")).to_have_count(1)

    bob.say("oops, wrong room")
    said = bob.lines("oops, wrong room")
    msgid = said.get_attribute("data-msgid")
    said.hover()
    delete = said.locator(".actions .delete")
    delete.click()
    expect(delete).to_have_text("Delete?")  # a second click confirms
    delete.click()
    redact = carol.expect("REDACT")
    assert redact.params[:2] == ["#lobby", msgid] and redact.source.startswith("bob!")
    for p in (alice, bob):
        expect(p.message(msgid)).to_have_class(re.compile(r"\bdeleted\b"))
        expect(p.message(msgid).locator(".text")).to_have_text("message deleted")

    # Bob is no operator: carol's message has no delete; alice (operator) may delete it.
    carol_id = msgid_of(carol, "spam spam spam")
    expect(bob.message(carol_id)).to_have_count(1)
    bob.message(carol_id).hover()
    expect(bob.message(carol_id).locator(".actions .reply")).to_be_visible()
    expect(bob.message(carol_id).locator(".actions .delete")).to_have_count(0)
    alice.message(carol_id).hover()
    alice.message(carol_id).locator(".actions .delete").click()
    alice.message(carol_id).locator(".actions .delete").click()
    expect(bob.message(carol_id).locator(".text")).to_have_text("message deleted")
    assert carol.expect("REDACT").params[:2] == ["#lobby", carol_id]

    # The IRC client deletes its own: the pages show it.
    gone_id = msgid_of(carol, "never mind")
    expect(alice.message(gone_id)).to_have_count(1)
    carol.send(f"REDACT #lobby {gone_id}")
    expect(alice.message(gone_id).locator(".text")).to_have_text("message deleted")

    # A reload shows the deleted messages deleted (history replays REDACT in their place).
    bob.page.reload()
    bob.wait_connected()
    for gone in (msgid, carol_id, gone_id):
        expect(bob.message(gone).locator(".text")).to_have_text("message deleted")
    plain.send("PING :end")
    told = plain.until("PONG")  # everything dave got: the messages, never a REDACT
    assert [line.params[1] for line in told if line.command == "PRIVMSG"] == [
        "oops, wrong room",
        "spam spam spam",
        "never mind",
    ]
    assert not [line for line in told if line.command == "REDACT"]
    for client in (carol, plain):
        client.close()


def _react_and_reply(carol: IrcClient) -> tuple[str, str]:
    """Carol asks, answers herself, and reacts: 👍 kept, 🎉 taken back."""
    question = msgid_of(carol, "pizza tonight?")
    carol.send(f"@+draft/reply={question} PRIVMSG #lobby :or sushi")
    answer = carol.expect("PRIVMSG", lambda line: line.params[1] == "or sushi").tags["msgid"]
    carol.send(f"@+draft/reply={question};+draft/react=👍 TAGMSG #lobby")
    carol.send(f"@+draft/reply={question};+draft/react=🎉 TAGMSG #lobby")
    carol.send(f"@+draft/reply={question};+draft/unreact=🎉 TAGMSG #lobby")
    sync(carol)
    return question, answer


def _shows_like_live(person: Person, question: str, answer: str, reactions: bool = True) -> None:
    expect(person.message(answer).locator(".quote")).to_have_text("carolpizza tonight?")
    count = person.message(question).locator(".reactions .reaction")
    if reactions:
        expect(count).to_have_text(["👍 1"])
        expect(count).to_have_attribute("title", "carol reacted with 👍")
    else:
        expect(count).to_have_count(0)


def test_replies_and_reactions_from_history_show_like_live_ones(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    register_account(server, "alice").close()
    carol = tcp_client(server, "carol", "message-tags echo-message")
    question, answer = _react_and_reply(carol)
    # On page load: the quote above the reply, the counts under the message.
    alice = person(people, browser, server).sign_in("alice", password=PASSWORD)
    _shows_like_live(alice, question, answer)
    carol.send("PRIVMSG alice :a private question")
    private = carol.expect("PRIVMSG", lambda line: line.params[0] == "alice").tags["msgid"]
    carol.send(f"@+draft/reply={private};+draft/react=❤️ TAGMSG alice")
    sync(carol)
    expect(alice.buffer("carol")).to_have_count(1)
    # Again after a reload; then opening the private chat fetches its history.
    alice.sign_in("alice", password=PASSWORD)
    _shows_like_live(alice, question, answer)
    expect(alice.page.locator("#me")).to_have_text("alice")
    alice.say("/query carol")
    heart = alice.message(private).locator(".reaction")
    expect(heart).to_have_text("❤️ 1")
    expect(heart).to_have_attribute("title", "carol reacted with ❤️")
    # A page on a server without event-playback: the reply is quoted, reactions are
    # not replayed (the server keeps them as events only).
    plain = person(people, browser, server)
    plain.page.add_init_script(WITHOUT_EVENT_PLAYBACK)
    plain.sign_in("bob")
    _shows_like_live(plain, question, answer, reactions=False)
    carol.close()


def test_reactions_and_replies_given_while_away_show_after_reconnecting(
    browser: Browser, server_factory: ServerFactory, people: list[Person]
) -> None:
    first = server_factory("--no-flood-control")
    carol = tcp_client(first, "carol", "message-tags echo-message")
    question = msgid_of(carol, "pizza tonight?")
    carol.send(f"@+draft/reply={question};+draft/react=🎉 TAGMSG #lobby")
    sync(carol)
    alice = person(people, browser, first).sign_in("alice")
    expect(alice.message(question).locator(".reaction")).to_have_text(["🎉 1"])
    assert first.stop(signal.SIGTERM) == 0
    carol.close()
    expect(alice.page.locator("#status")).to_have_attribute("data-state", "reconnecting")
    web = str(first.web_port)
    second = server_factory("--no-flood-control", "--web-port", web, port=first.port)
    carol = tcp_client(second, "carol", "message-tags echo-message")
    carol.send(f"@+draft/reply={question};+draft/unreact=🎉 TAGMSG #lobby")
    carol.send(f"@+draft/reply={question};+draft/react=👍 TAGMSG #lobby")
    carol.send(f"@+draft/reply={question} PRIVMSG #lobby :or sushi")
    answer = carol.expect("PRIVMSG", lambda line: line.params[1] == "or sushi").tags["msgid"]
    sync(carol)
    expect(alice.page.locator("#status")).to_have_attribute("data-state", "connected")
    _shows_like_live(alice, question, answer)
    carol.close()
