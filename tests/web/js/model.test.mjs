// The buffer's time order (model.js), where messages share a millisecond: a burst
// said within one is common, and pages of history arrive around what is shown.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Buffer, Message } from "../../../src/chatroom/web/static/js/model.js";

const at = (ms) => new Date(Date.UTC(2026, 11, 5, 12, 0, 0, ms));
const said = (id, ms) => new Message({ id, time: at(ms), nick: "carol", text: id });
const order = (buffer) => buffer.messages.map((m) => m.id);

test("live messages of one millisecond keep their arrival order", () => {
  const buffer = new Buffer("#lobby", "channel");
  for (const id of ["a", "b", "c"]) assert.equal(buffer.add(said(id, 5)), "append");
  assert.equal(buffer.add(said("early", 1)), "insert");
  assert.deepEqual(order(buffer), ["early", "a", "b", "c"]);
});

test("an older page goes before the shown messages of its millisecond, in its own order", () => {
  const buffer = new Buffer("#lobby", "channel");
  for (const id of ["n1", "n2", "n3"]) buffer.add(said(id, 5)); // the latest, shown
  const page = new Set();
  for (const [id, ms] of [["o1", 3], ["o2", 5], ["o3", 5]]) {
    page.add(id); // history.js notes a page's msgid before adding its message
    buffer.add(said(id, ms), page);
  }
  assert.deepEqual(order(buffer), ["o1", "o2", "o3", "n1", "n2", "n3"]);
});

test("a page newer than everything shown is appended", () => {
  const buffer = new Buffer("#lobby", "channel");
  buffer.add(said("old", 1));
  const page = new Set(["x", "y"]);
  assert.equal(buffer.add(said("x", 2), page), "append");
  assert.equal(buffer.add(said("y", 2), page), "append");
  assert.deepEqual(order(buffer), ["old", "x", "y"]);
});
