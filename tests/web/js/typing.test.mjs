// typing.js (https://ircv3.net/specs/client-tags/typing) with the time passed in, and
// chat.js sending and showing it over a real IrcProtocol. Run: node --test tests/web/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { signedIn } from "./harness.mjs";
import {
  ACTIVE_FOR, PAUSED_AFTER, PAUSED_FOR, THROTTLE, TypingSender, TypingWatch, isTypingText, typingText,
} from "../../../src/chatroom/web/static/js/typing.js";

test("active while typing, at most every three seconds per target", () => {
  const sender = new TypingSender();
  const sent = [];
  for (let i = 0; i < 13; i++) if (sender.textChanged("#room", "h".repeat(i + 1), i * 0.5).length) sent.push(i * 0.5);
  assert.deepEqual(sent, [0, THROTTLE, 2 * THROTTLE]);
});

test("paused once after a while, done once when cleared, nothing after a message", () => {
  const sender = new TypingSender();
  sender.textChanged("#room", "hello", 0);
  assert.deepEqual(sender.tick(PAUSED_AFTER - 0.1), []);
  assert.deepEqual(sender.tick(PAUSED_AFTER), [["#room", "paused"]]);
  assert.deepEqual(sender.tick(PAUSED_AFTER + 10), []);
  assert.deepEqual(sender.textChanged("#room", "hello!", 20), [["#room", "active"]]);
  assert.deepEqual(sender.textChanged("#room", "", 21), []); // within 3 s: held back
  assert.deepEqual(sender.tick(20 + THROTTLE), [["#room", "done"]]);
  sender.textChanged("bob", "hi", 30);
  sender.messageSent("BOB");
  assert.deepEqual(sender.tick(40), []);
  assert.ok(!isTypingText("/join #x") && isTypingText("//x") && !isTypingText("  "));
});

test("who is typing expires as the spec says", () => {
  const watch = new TypingWatch();
  assert.ok(watch.received("#room", "alice", "active", 0));
  assert.ok(watch.received("#ROOM", "bob", "paused", 3));
  assert.ok(!watch.received("#room", "carol", "bogus", 3));
  assert.deepEqual(watch.nicks("#room"), ["alice", "bob"]);
  assert.deepEqual(watch.expire(ACTIVE_FOR), ["#room"]);
  assert.deepEqual(watch.nicks("#room"), ["bob"]);
  assert.deepEqual(watch.expire(3 + PAUSED_FOR), ["#room"]);
  assert.deepEqual(watch.nicks("#room"), []);
  assert.equal(typingText(["alice"]), "alice is typing…");
  assert.equal(typingText(["alice", "bob"]), "alice and bob are typing…");
  assert.equal(typingText(["a", "b", "c"]), "3 people are typing…");
});

function chatting(caps = "message-tags echo-message") {
  const typing = [];
  const listen = (chat) => chat.on("typing", (buffer) => typing.push([buffer.name, chat.typingIn.nicks(buffer.name)]));
  const { protocol, chat, feed } = signedIn(caps, { listen });
  feed(":alice!a@h JOIN #lobby");
  return { chat, protocol, feed, typing };
}

test("the chat sends typing for the active buffer, only with message-tags", () => {
  const { chat, protocol } = chatting();
  chat.inputChanged("h", 0);
  chat.inputChanged("hi", 0.5);
  assert.deepEqual(protocol.dataToSend(), ["@+typing=active TAGMSG #lobby"]);
  chat.tick(0.5 + PAUSED_AFTER);
  assert.deepEqual(protocol.dataToSend(), ["@+typing=paused TAGMSG #lobby"]);
  chat.say("#lobby", "hi all");
  assert.deepEqual(protocol.dataToSend(), ["PRIVMSG #lobby :hi all"]);
  chat.tick(60);
  assert.deepEqual(protocol.dataToSend(), []);
  const plain = chatting("echo-message");
  plain.chat.inputChanged("hello", 0);
  assert.deepEqual(plain.protocol.dataToSend(), []);
});

test("the chat shows who is typing until they speak, leave or time out", () => {
  const { chat, feed, typing } = chatting();
  chat.tick(100);
  feed("@+typing=active :bob!b@h TAGMSG #lobby", "@+typing=active :carol!c@h TAGMSG #lobby");
  assert.deepEqual(typing.splice(0), [["#lobby", ["bob"]], ["#lobby", ["bob", "carol"]]]);
  feed(":bob!b@h PRIVMSG #lobby :here", ":carol!c@h QUIT :bye");
  assert.deepEqual(typing.splice(0), [["#lobby", ["carol"]], ["#lobby", []]]);
  feed("@+typing=paused :dave!d@h TAGMSG #lobby");
  chat.tick(100 + PAUSED_FOR);
  assert.deepEqual(typing.splice(0), [["#lobby", ["dave"]], ["#lobby", []]]);
  // Our own echo, the server, a stranger's private notification and no tag: nothing.
  feed(
    "@+typing=active :alice!a@h TAGMSG #lobby",
    "@+typing=active :srv TAGMSG #lobby",
    "@+typing=active :eve!e@h TAGMSG alice",
    ":bob!b@h TAGMSG #lobby",
  );
  assert.deepEqual(typing, []);
});
