// notify.js with a fake Notification: which messages notify at which setting.
// Run: node --test tests/web/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { NOTIFY_KEY, NotifyLevel, Notifier, readLevel } from "../../../src/chatroom/web/static/js/notify.js";

/** A Notification that records what it was asked to show. */
function fakeNotification(permission = "granted") {
  const shown = [];
  class FakeNotification {
    static permission = permission;
    constructor(title, options) {
      this.title = title;
      this.options = options;
      this.closed = false;
      shown.push(this);
    }
    close() {
      this.closed = true;
    }
  }
  return { FakeNotification, shown };
}

const room = { kind: "channel", name: "#lobby", key: "#lobby" };
const query = { kind: "query", name: "bob", key: "bob" };
const mention = { nick: "bob", text: "alice: hi", highlight: true, self: false };
const chatter = { nick: "bob", text: "hello all", highlight: false, self: false };
const privately = { nick: "bob", text: "psst", highlight: true, self: false };

function notifier(level, { seen = false, permission = "granted" } = {}) {
  const { FakeNotification, shown } = fakeNotification(permission);
  const opened = [];
  const n = new Notifier({ Notification: FakeNotification, level: () => level, seen: () => seen, open: (b) => opened.push(b) });
  return { n, shown, opened };
}

test("mentions and private messages (the default): both notify while hidden", () => {
  const { n, shown } = notifier(NotifyLevel.PRIVATE);
  n.notify(room, mention);
  n.notify(room, chatter);
  n.notify(query, privately);
  assert.deepEqual(shown.map((s) => [s.title, s.options.body, s.options.tag]), [
    ["bob in #lobby", "alice: hi", "#lobby"],
    ["bob", "psst", "bob"],
  ]);
});

test("mentions only: a private message does not notify", () => {
  const { n, shown } = notifier(NotifyLevel.MENTIONS);
  n.notify(query, privately);
  n.notify(room, mention);
  assert.deepEqual(shown.map((s) => s.title), ["bob in #lobby"]);
});

test("off, seen, our own, or no permission: nothing", () => {
  for (const [level, options] of [[NotifyLevel.OFF, {}], [NotifyLevel.PRIVATE, { seen: true }], [NotifyLevel.PRIVATE, { permission: "default" }]]) {
    const { n, shown } = notifier(level, options);
    n.notify(room, mention);
    n.notify(query, privately);
    assert.deepEqual(shown, [], level);
  }
  const { n, shown } = notifier(NotifyLevel.PRIVATE);
  n.notify(query, { ...privately, self: true });
  n.notify(query, { kind: "info", nick: "", text: "bob is online", highlight: false, self: false });
  assert.deepEqual(shown, []);
});

test("a click opens the conversation and closes the notification", () => {
  const { n, shown, opened } = notifier(NotifyLevel.PRIVATE);
  n.notify(query, privately).onclick();
  assert.deepEqual(opened, [query]);
  assert.equal(shown[0].closed, true);
});

test("the setting is read from storage, with a default for nothing or nonsense", () => {
  const storage = (value) => ({ getItem: (key) => (key === NOTIFY_KEY ? value : null) });
  assert.equal(readLevel(storage(null)), NotifyLevel.PRIVATE);
  assert.equal(readLevel(storage("bogus")), NotifyLevel.PRIVATE);
  assert.equal(readLevel(storage("mentions")), NotifyLevel.MENTIONS);
  assert.equal(readLevel(storage("off")), NotifyLevel.OFF);
  assert.equal(readLevel(undefined), NotifyLevel.PRIVATE);
});
