// search.js and chat.js's search (soju.im/search), opening a result with CHATHISTORY
// AROUND (history.js), and deleting (draft/message-redaction), over a real IrcProtocol.

import assert from "node:assert/strict";
import { test } from "node:test";

import { signedIn } from "./harness.mjs";
import { highlightParts, parseQuery, searchAttributes } from "../../../src/chatroom/web/static/js/search.js";

const CAPS = "message-tags echo-message batch draft/chathistory draft/event-playback soju.im/search draft/message-redaction";

function chatting(caps = CAPS) {
  const seen = [];
  const listen = (chat) => {
    chat.on("search", (search) => seen.push(["search", search]));
    chat.on("focus", (buffer, msgid) => seen.push(["focus", buffer.name, msgid]));
    chat.on("message", (buffer, message, { live }) => seen.push(["message", buffer.name, message.text, live]));
  };
  const { protocol, chat, feed } = signedIn(caps, { listen });
  feed(":alice!a@h JOIN #lobby", ":srv BATCH +j chathistory #lobby", ":srv BATCH -j");
  seen.length = 0;
  return { chat, protocol, feed, seen, lobby: chat.model.get("#lobby") };
}

test("the query is written as the spec's attributes, escaped like tags", () => {
  assert.equal(searchAttributes({ text: "lunch plans" }), "text=lunch\\splans;limit=50");
  assert.equal(searchAttributes({ text: "a;b", target: "#games", from: "bob", limit: 5 }), "in=#games;from=bob;text=a\\:b;limit=5");
  assert.deepEqual(parseQuery(" from:bob  lunch in:#games plans "), { text: "lunch plans", from: "bob", target: "#games" });
  assert.deepEqual(highlightParts("Lunch at noon, lunch!", "lunch"), [["Lunch", true], [" at noon, ", false], ["lunch", true], ["!", false]]);
  assert.deepEqual(highlightParts("nothing", ""), [["nothing", false]]);
});

test("results come in their batch, newest first, and are never shown as messages", () => {
  const { chat, feed, seen, lobby } = chatting();
  assert.equal(chat.search({ text: "lunch" }), "");
  assert.deepEqual(chat.protocol.dataToSend(), ["SEARCH text=lunch;limit=50"]);
  const before = lobby.messages.length;
  feed(
    ":srv BATCH +s soju.im/search",
    "@batch=s;msgid=m1;time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :lunch?",
    "@batch=s;msgid=m2;time=2026-01-01T11:00:00.000Z :carol!c@h PRIVMSG alice :lunch tomorrow",
    "@batch=s;msgid=m3;time=2026-01-01T12:00:00.000Z :alice!a@h PRIVMSG dave :lunch with me",
    ":srv BATCH -s",
  );
  assert.equal(lobby.messages.length, before);
  assert.equal(chat.model.get("carol"), null); // a result opens no private chat
  assert.deepEqual(seen.map((s) => s[0]), ["search"]);
  const results = seen[0][1].results.map((r) => [r.target, r.message.nick, r.message.text, r.message.id]);
  assert.deepEqual(results, [["dave", "alice", "lunch with me", "m3"], ["carol", "carol", "lunch tomorrow", "m2"], ["#lobby", "bob", "lunch?", "m1"]]);
});

test("FAIL SEARCH ends the search with its reason; without the cap nothing is sent", () => {
  const { chat, feed, seen } = chatting();
  chat.search({ text: "x", from: "a;b" });
  chat.protocol.dataToSend();
  feed(":srv FAIL SEARCH INVALID_PARAMS from :Invalid parameters");
  assert.equal(seen[0][1].error, "Invalid parameters");
  const plain = chatting("batch draft/chathistory");
  assert.match(plain.chat.search({ text: "x" }), /cannot search/);
  assert.deepEqual(plain.protocol.dataToSend(), []);
});

test("opening a result not loaded fetches the page AROUND it, then shows it", () => {
  const { chat, feed, seen, lobby } = chatting();
  feed("@msgid=new1;time=2026-01-02T10:00:00.000Z :bob!b@h PRIVMSG #lobby :today");
  seen.length = 0;
  chat.openAt("#lobby", "old5");
  assert.deepEqual(chat.protocol.dataToSend(), ["CHATHISTORY AROUND #lobby msgid=old5 50"]);
  const page = ["BATCH +a chathistory #lobby"];
  for (let i = 0; i < 50; i++) {
    page.push(`@batch=a;msgid=old${i};time=2026-01-01T10:00:${String(i).padStart(2, "0")}.000Z :bob!b@h PRIVMSG #lobby :old ${i}`);
  }
  feed(...page, "BATCH -a");
  assert.deepEqual(seen.filter((s) => s[0] === "focus"), [["focus", "#lobby", "old5"]]);
  const today = lobby.messages.find((m) => m.id === "new1");
  assert.ok(today.gapBefore, "the messages between the page and today are not loaded");
  // Loaded already: shown at once, nothing asked.
  chat.openAt("#lobby", "old7");
  assert.deepEqual(chat.protocol.dataToSend(), []);
  assert.deepEqual(seen.at(-1), ["focus", "#lobby", "old7"]);
});

test("a result in a room not joined joins it, and the page AROUND follows its history", () => {
  const { chat, feed, seen } = chatting();
  chat.openAt("#games", "g1");
  assert.deepEqual(chat.protocol.dataToSend(), ["JOIN #games"]);
  assert.deepEqual(feed(":alice!a@h JOIN #games"), ["CHATHISTORY LATEST #games * 50"]);
  assert.deepEqual(feed(":srv BATCH +l chathistory #games", ":srv BATCH -l"), ["CHATHISTORY AROUND #games msgid=g1 50"]);
  feed(":srv BATCH +a chathistory #games", "@batch=a;msgid=g1;time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG #games :found", ":srv BATCH -a");
  assert.deepEqual(seen.filter((s) => s[0] === "focus"), [["focus", "#games", "g1"]]);
});

test("we may delete our own messages, and any as a channel operator; REDACT is sent", () => {
  const { chat, feed, lobby } = chatting();
  feed(":srv 353 alice = #lobby :alice bob", ":srv 366 alice #lobby :End", "@msgid=b1 :bob!b@h PRIVMSG #lobby :bob's", "@msgid=a1 :alice!a@h PRIVMSG #lobby :mine");
  const [bobs, mine] = lobby.messages.filter((m) => m.id);
  assert.equal(chat.canDelete(lobby, mine), true);
  assert.equal(chat.canDelete(lobby, bobs), false);
  feed(":srv MODE #lobby +o alice");
  assert.equal(chat.canDelete(lobby, bobs), true);
  chat.deleteMessage("#lobby", "b1");
  assert.deepEqual(chat.protocol.dataToSend(), ["REDACT #lobby b1"]);
  feed(":alice!a@h REDACT #lobby b1");
  assert.equal(bobs.deleted, true);
  assert.equal(chat.canDelete(lobby, bobs), false);
  const plain = chatting("batch draft/chathistory echo-message");
  plain.feed("@msgid=a1 :alice!a@h PRIVMSG #lobby :mine");
  assert.equal(plain.chat.canDelete(plain.lobby, plain.lobby.messages.at(-1)), false);
});

test("a REDACT replayed in place of a message shows where it was", () => {
  const { feed, lobby } = chatting();
  feed(
    ":srv BATCH +h chathistory #lobby",
    "@batch=h;msgid=m1;time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :first",
    "@batch=h;msgid=e9;time=2026-01-01T10:00:01.000Z :bob!b@h REDACT #lobby m2",
    ":srv BATCH -h",
  );
  const gone = lobby.messages.find((m) => m.id === "m2");
  assert.equal(gone.deleted, true);
  assert.equal(gone.text, "message deleted");
});

test("a page AROUND that reaches the messages shown leaves no gap", () => {
  const { chat, feed, lobby } = chatting();
  feed("@msgid=n2;time=2026-01-01T10:00:02.000Z :bob!b@h PRIVMSG #lobby :shown");
  chat.openAt("#lobby", "n1");
  chat.protocol.dataToSend();
  feed(
    "BATCH +a chathistory #lobby",
    "@batch=a;msgid=n1;time=2026-01-01T10:00:01.000Z :bob!b@h PRIVMSG #lobby :found",
    "@batch=a;msgid=n2;time=2026-01-01T10:00:02.000Z :bob!b@h PRIVMSG #lobby :shown",
    "BATCH -a",
  );
  assert.deepEqual(lobby.messages.filter((m) => m.gapBefore), []);
});
