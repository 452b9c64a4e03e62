// draft/multiline in the browser client: chat.js over a real IrcProtocol, no browser.
// Run: node --test tests/web/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { cutExact, splitText } from "../../../src/chatroom/web/static/js/irc.js";
import { signedIn } from "./harness.mjs";

function pair({ caps = "batch message-tags draft/multiline", limits = "max-bytes=4096,max-lines=100" } = {}) {
  const { protocol, chat, feed } = signedIn(caps, { ls: `batch message-tags draft/multiline=${limits}` });
  feed(":alice!a@h JOIN #lobby");
  const texts = () => chat.model.get("#lobby").messages.filter((m) => m.nick === "bob" || m.self).map((m) => m.text);
  return { protocol, chat, feed, texts };
}

test("text with line breaks is sent as one multiline batch, long lines concatenated", () => {
  const { protocol, chat, texts } = pair();
  const long = "word ".repeat(120);
  chat.say("#lobby", `first\r\n\n${long}`);
  const sent = protocol.dataToSend();
  assert.equal(sent[0], "BATCH +m1 draft/multiline #lobby");
  assert.equal(sent[1], "@batch=m1 PRIVMSG #lobby first");
  assert.equal(sent[2], "@batch=m1 PRIVMSG #lobby :");
  assert.ok(sent[4].startsWith("@batch=m1;draft/multiline-concat PRIVMSG #lobby :"));
  assert.equal(sent.at(-1), "BATCH -m1");
  assert.ok(sent.every((line) => new TextEncoder().encode(line).length <= 512));
  assert.deepEqual(texts(), [`first\n\n${long}`]); // shown once, as one message
});

test("without the cap, or over its limits, each line is a message", () => {
  const plain = pair({ caps: "batch message-tags" });
  plain.chat.say("#lobby", "one\ntwo");
  assert.deepEqual(plain.protocol.dataToSend(), ["PRIVMSG #lobby one", "PRIVMSG #lobby two"]);
  const small = pair({ limits: "max-bytes=4096,max-lines=2" });
  small.chat.say("#lobby", "one\ntwo\nthree");
  assert.deepEqual(small.protocol.dataToSend(), ["PRIVMSG #lobby one", "PRIVMSG #lobby two", "PRIVMSG #lobby three"]);
});

test("a received multiline batch is one message, live and in history", () => {
  const { feed, texts } = pair();
  feed(
    "@msgid=m1 :bob!b@h BATCH +x draft/multiline #lobby",
    "@batch=x :bob!b@h PRIVMSG #lobby :line one",
    "@batch=x :bob!b@h PRIVMSG #lobby :line two, ",
    "@batch=x;draft/multiline-concat :bob!b@h PRIVMSG #lobby :continued",
    ":bob!b@h BATCH -x",
  );
  assert.deepEqual(texts(), ["line one\nline two, continued"]);
  feed(
    ":srv BATCH +h chathistory #lobby",
    "@batch=h;msgid=m0;time=2020-01-01T00:00:00Z :bob!b@h BATCH +y draft/multiline #lobby",
    "@batch=y :bob!b@h PRIVMSG #lobby :a",
    "@batch=y :bob!b@h PRIVMSG #lobby :b",
    "@batch=h :bob!b@h BATCH -y",
    ":srv BATCH -h",
  );
  assert.deepEqual(texts(), ["a\nb", "line one\nline two, continued"]);
});

test("cutExact keeps every character and fits the budget", () => {
  const text = "é".repeat(30) + " " + "x".repeat(50) + "😀".repeat(10);
  const pieces = cutExact(text, 20);
  assert.equal(pieces.join(""), text);
  assert.ok(pieces.every((p) => new TextEncoder().encode(p).length <= 20));
  assert.deepEqual(cutExact("", 20), [""]);
});

test("splitting a long line never cuts an emoji in half", () => {
  const text = "ab" + "😀".repeat(10); // each emoji: 2 UTF-16 units, 4 UTF-8 bytes
  for (const max of [5, 6, 7, 9]) {
    const pieces = splitText(text, max);
    assert.equal(pieces.join(""), text);
    for (const piece of pieces) {
      assert.ok(new TextEncoder().encode(piece).length <= max);
      assert.ok(!/[\uD800-\uDBFF]$/.test(piece) && !/^[\uDC00-\uDFFF]/.test(piece), piece);
    }
  }
});
