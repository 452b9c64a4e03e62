// reactions.js (https://ircv3.net/specs/client-tags/react and .../reply) and chat.js
// sending, receiving and replaying replies and reactions over a real IrcProtocol.
// Run: node --test tests/web/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { Buffer } from "../../../src/chatroom/web/static/js/model.js";
import { signedIn } from "./harness.mjs";
import {
  MAX_MESSAGES, applyReaction, messageById, reactLine, reactionSummary,
} from "../../../src/chatroom/web/static/js/reactions.js";

test("reactions are counted per message, once per nick, and taken back", () => {
  const buffer = new Buffer("#room", "channel");
  assert.ok(applyReaction(buffer, "m1", "👍", "bob", true));
  assert.ok(applyReaction(buffer, "m1", "👍", "Alice", true));
  assert.ok(!applyReaction(buffer, "m1", "👍", "BOB", true)); // once per person
  assert.ok(applyReaction(buffer, "m1", "🎉", "bob", true));
  assert.ok(!applyReaction(buffer, "m2", "👍", "bob", false)); // nothing to take back
  assert.deepEqual(reactionSummary(buffer, "m1", "alice"), [
    { text: "👍", nicks: ["bob", "Alice"], mine: true },
    { text: "🎉", nicks: ["bob"], mine: false },
  ]);
  assert.ok(applyReaction(buffer, "m1", "🎉", "Bob", false));
  assert.deepEqual(reactionSummary(buffer, "m1", "alice").map((r) => r.text), ["👍"]);
  for (let i = 0; i < MAX_MESSAGES + 1; i++) applyReaction(buffer, `x${i}`, "👍", "bob", true);
  assert.equal(buffer.reactions.size, MAX_MESSAGES);
  assert.equal(reactLine("#a", "id;1", "ok go"), "@+draft/reply=id\\:1;+draft/react=ok\\sgo TAGMSG #a");
  assert.equal(reactLine("bob", "m", "👍", true), "@+draft/reply=m;+draft/unreact=👍 TAGMSG bob");
});

function chatting(caps = "message-tags echo-message batch draft/chathistory draft/event-playback") {
  const changed = [];
  const listen = (chat) =>
    chat.on("reactions", (buffer, msgid) => changed.push([buffer.name, msgid, chat.reactions(buffer, msgid)]));
  const { protocol, chat, feed } = signedIn(caps, { listen });
  feed(":alice!a@h JOIN #lobby");
  return { chat, protocol, feed, changed, lobby: chat.model.get("#lobby") };
}

test("a reply keeps the msgid it answers and is sent with +draft/reply", () => {
  const { chat, protocol, feed, lobby } = chatting();
  feed("@msgid=m1 :bob!b@h PRIVMSG #lobby :lunch?", "@msgid=m2;+draft/reply=m1 :carol!c@h PRIVMSG #lobby :yes");
  const [question, answer] = lobby.messages.filter((m) => m.kind === "message");
  assert.equal(answer.replyTo, "m1");
  assert.equal(question.replyTo, null);
  assert.equal(messageById(lobby, answer.replyTo), question);
  chat.say("#lobby", "me too", { replyTo: "m1" });
  assert.deepEqual(protocol.dataToSend(), ["@+draft/reply=m1 PRIVMSG #lobby :me too"]);
  chat.say("#lobby", "plain");
  assert.deepEqual(protocol.dataToSend(), ["PRIVMSG #lobby plain"]);
});

test("clicking a reaction toggles it; the echo and others' reactions are counted", () => {
  const { chat, protocol, feed, changed } = chatting();
  feed("@msgid=m1 :bob!b@h PRIVMSG #lobby :lunch?");
  chat.toggleReaction("#lobby", "m1", "👍");
  assert.deepEqual(protocol.dataToSend(), ["@+draft/reply=m1;+draft/react=👍 TAGMSG #lobby"]);
  feed("@+draft/reply=m1;+draft/react=👍 :alice!a@h TAGMSG #lobby", "@+draft/reply=m1;+draft/react=👍 :bob!b@h TAGMSG #lobby");
  assert.deepEqual(changed.at(-1), ["#lobby", "m1", [{ text: "👍", nicks: ["alice", "bob"], mine: true }]]);
  chat.toggleReaction("#lobby", "m1", "👍");
  assert.deepEqual(protocol.dataToSend(), ["@+draft/reply=m1;+draft/unreact=👍 TAGMSG #lobby"]);
  feed("@+draft/reply=m1;+draft/unreact=👍 :alice!a@h TAGMSG #lobby");
  assert.deepEqual(changed.at(-1)[2], [{ text: "👍", nicks: ["bob"], mine: false }]);
  // A reaction in a private chat not open, or without a msgid: nothing.
  const before = changed.length;
  feed("@+draft/reply=m9;+draft/react=👍 :eve!e@h TAGMSG alice", "@+draft/react=👍 :bob!b@h TAGMSG #lobby");
  assert.equal(changed.length, before);
});

test("without echo-message our reaction is counted at once", () => {
  const { chat, changed } = chatting("message-tags");
  chat.toggleReaction("#lobby", "m1", "❤️");
  assert.deepEqual(changed, [["#lobby", "m1", [{ text: "❤️", nicks: ["alice"], mine: true }]]]);
});

test("history replays reactions and replies; other played-back events add no lines", () => {
  const { feed, lobby, changed } = chatting();
  feed(
    ":srv BATCH +h chathistory #lobby",
    "@batch=h;msgid=m1;time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :lunch?",
    "@batch=h;msgid=e1;time=2026-01-01T10:00:01.000Z :carol!c@h JOIN #lobby",
    "@batch=h;msgid=m2;time=2026-01-01T10:00:02.000Z;+draft/reply=m1 :carol!c@h PRIVMSG #lobby :yes",
    "@batch=h;msgid=r1;time=2026-01-01T10:00:03.000Z;+draft/reply=m1;+draft/react=🎉 :carol!c@h TAGMSG #lobby",
    ":srv BATCH -h",
  );
  const spoken = lobby.messages.filter((m) => m.id);
  assert.deepEqual(spoken.map((m) => [m.id, m.text, m.replyTo]), [["m1", "lunch?", null], ["m2", "yes", "m1"]]);
  assert.deepEqual(changed, [["#lobby", "m1", [{ text: "🎉", nicks: ["carol"], mine: false }]]]);
});

test("replayed out of order, a reaction older than its taking back stays taken back", () => {
  // Pages come newest first: the unreact (newer page) arrives before the react (older page).
  const { feed, lobby, chat } = chatting();
  feed(
    ":srv BATCH +n chathistory #lobby",
    "@batch=n;msgid=m2;time=2026-01-01T10:00:05.000Z :bob!b@h PRIVMSG #lobby :later",
    "@batch=n;msgid=u1;time=2026-01-01T10:00:04.000Z;+draft/reply=m1;+draft/unreact=👍 :carol!c@h TAGMSG #lobby",
    ":srv BATCH -n",
    ":srv BATCH +o chathistory #lobby",
    "@batch=o;msgid=m1;time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :lunch?",
    "@batch=o;msgid=r1;time=2026-01-01T10:00:01.000Z;+draft/reply=m1;+draft/react=👍 :carol!c@h TAGMSG #lobby",
    "@batch=o;msgid=r2;time=2026-01-01T10:00:02.000Z;+draft/reply=m1;+draft/react=🎉 :dave!d@h TAGMSG #lobby",
    ":srv BATCH -o",
  );
  assert.deepEqual(chat.reactions(lobby, "m1"), [{ text: "🎉", nicks: ["dave"], mine: false }]);
});

test("a reaction seen live and replayed after a reconnect counts once, and live ones still toggle", () => {
  const { feed, lobby, chat } = chatting();
  const react = "msgid=r1;time=2026-01-01T10:00:01.000Z;+draft/reply=m1;+draft/react=👍 :carol!c@h TAGMSG #lobby";
  feed("@msgid=m1;time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :lunch?", `@${react}`);
  feed(":srv BATCH +a chathistory #lobby", `@batch=a;${react}`, ":srv BATCH -a");
  assert.deepEqual(chat.reactions(lobby, "m1"), [{ text: "👍", nicks: ["carol"], mine: false }]);
  feed("@time=2026-01-01T10:00:09.000Z;+draft/reply=m1;+draft/unreact=👍 :carol!c@h TAGMSG #lobby");
  assert.deepEqual(chat.reactions(lobby, "m1"), []);
  feed("@+draft/reply=m1;+draft/react=👍 :carol!c@h TAGMSG #lobby"); // no server-time: applied
  assert.deepEqual(chat.reactions(lobby, "m1"), [{ text: "👍", nicks: ["carol"], mine: false }]);
});
