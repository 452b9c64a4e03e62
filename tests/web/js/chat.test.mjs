// chat.js over a real IrcProtocol, and client.js over a fake WebSocket: no
// browser, no server. Run: node --test tests/web/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { Chat } from "../../../src/chatroom/web/static/js/chat.js";
import { ChatClient } from "../../../src/chatroom/web/static/js/client.js";
import { IrcProtocol } from "../../../src/chatroom/web/static/js/protocol.js";

/** A Chat wired to its protocol as client.js wires them, minus the socket. */
class Pair {
  constructor({ caps = "echo-message batch draft/chathistory", rooms = ["#lobby"] } = {}) {
    this.protocol = new IrcProtocol({ nick: "alice" });
    this.chat = new Chat(this.protocol, { rooms, active: rooms[0] });
    this.seen = [];
    for (const type of ["buffers", "buffer", "message", "history", "active", "nick"]) {
      this.chat.on(type, (...args) => this.seen.push(type));
    }
    this.protocol.connectionMade();
    this.protocol.dataToSend();
    this.sent = this.feed(`:srv CAP * LS :${caps}`, `:srv CAP alice ACK :${caps}`, ":srv 001 alice :Hi");
  }

  /** Lines from the server; returns the lines the client sent in reply. */
  feed(...lines) {
    for (const line of lines) {
      this.protocol.receiveLine(line);
      for (const event of this.protocol.eventsReceived()) this.chat.handle(event);
    }
    return this.protocol.dataToSend();
  }

  texts(name) {
    return this.chat.model.get(name).messages.map((m) => m.text);
  }
}

test("registration joins the wanted rooms, and joining fetches their history", () => {
  const pair = new Pair({ rooms: ["#lobby", "#games"] });
  assert.deepEqual(pair.sent, ["CAP REQ :echo-message batch draft/chathistory", "CAP END", "JOIN #lobby,#games"]);
  assert.deepEqual(pair.feed(":alice!a@h JOIN #Lobby"), ["CHATHISTORY LATEST #Lobby * 50"]);
  const lobby = pair.chat.model.get("#lobby");
  assert.equal(lobby.name, "#Lobby");
  assert.ok(lobby.joined);
});

test("a history batch fills the buffer in time order and reports once", () => {
  const pair = new Pair();
  pair.feed(":alice!a@h JOIN #lobby");
  pair.feed(":bob!b@h PRIVMSG #lobby :live");
  pair.seen.length = 0;
  pair.feed(
    "BATCH +h chathistory #lobby",
    "@batch=h;msgid=1;time=2020-01-01T00:00:00Z :bob!b@h PRIVMSG #lobby :older",
    "@batch=h;msgid=2;time=2020-01-01T00:00:01Z :alice!a@h NOTICE #lobby :\x01VERSION\x01", // CTCP: not shown
    "BATCH -h",
  );
  assert.deepEqual(pair.texts("#lobby"), ["older", "You have joined #lobby", "live"]);
  assert.deepEqual(pair.seen.filter((t) => t === "history"), ["history"]);
  assert.ok(pair.chat.model.get("#lobby").reachedStart); // 1 of 50: nothing older
});

test("our own rename is noted in every joined room, another's where they are", () => {
  const pair = new Pair({ rooms: ["#a", "#b"] });
  pair.feed(":alice!a@h JOIN #a", ":alice!a@h JOIN #b", ":srv 353 alice = #a :alice bob", ":srv 366 alice #a :End");
  pair.feed(":alice!a@h NICK alison", ":bob!b@h NICK robert");
  assert.deepEqual(pair.texts("#b").slice(1), ["You are now known as alison"]);
  assert.deepEqual(pair.texts("#a").slice(1), ["You are now known as alison", "bob is now known as robert"]);
  assert.deepEqual([...pair.chat.model.get("#a").members.keys()].sort(), ["alison", "robert"]);
});

test("without echo-message what we say is shown at once; split to fit a line", () => {
  const pair = new Pair({ caps: "batch" });
  pair.feed(":alice!a@h JOIN #lobby");
  pair.chat.say("#lobby", "word ".repeat(100).trim());
  const sent = pair.protocol.dataToSend();
  assert.equal(sent.length, 2);
  assert.ok(sent.every((line) => new TextEncoder().encode(line).length <= 512));
  assert.equal(pair.texts("#lobby").length, 3); // the join and two pieces
});

test("losing the connection leaves every room and forgets history in flight", () => {
  const pair = new Pair();
  pair.feed(":alice!a@h JOIN #lobby", ":srv 353 alice = #lobby :alice bob", ":srv 366 alice #lobby :End");
  const lobby = pair.chat.model.get("#lobby");
  assert.ok(lobby.historyPending);
  pair.protocol.connectionLost();
  pair.chat.connectionLost();
  assert.ok(!lobby.joined && lobby.members.size === 0 && lobby.historyPending === null);
  assert.ok(lobby.wanted); // joined again on the next registration
});

/** A stand-in for the browser's WebSocket: records what is sent. */
class FakeWebSocket {
  static OPEN = 1;
  static made = [];

  constructor(url, protocols) {
    Object.assign(this, { url, protocols, readyState: 0, sent: [], closed: null });
    FakeWebSocket.made.push(this);
  }

  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen();
  }

  send(text) {
    assert.equal(this.readyState, FakeWebSocket.OPEN);
    this.sent.push(text);
  }

  close(code = 1005) {
    this.readyState = 3;
    this.closed = code;
  }

  serverSays(...lines) {
    for (const data of lines) this.onmessage({ data });
  }

  closedBy(code) {
    this.readyState = 3;
    this.onclose({ code });
  }
}

test("the connection wraps the protocol: sends its lines, reconnects, stops on a fatal error", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  globalThis.WebSocket = FakeWebSocket;
  try {
    const client = new ChatClient({ url: "ws://x/ws", nick: "alice", password: "pw", rooms: ["#lobby"] });
    const states = [];
    client.on("state", (state, detail) => states.push([state, detail.reason ?? ""]));
    client.connect();
    const ws = FakeWebSocket.made.at(-1);
    assert.deepEqual(ws.protocols, ["text.ircv3.net"]);
    ws.open();
    assert.deepEqual(ws.sent, ["CAP LS 302", "NICK alice", "USER alice 0 * alice"]);
    ws.serverSays(":srv CAP * LS :sasl", ":srv CAP alice ACK :sasl", "AUTHENTICATE +", ":srv 903 alice :ok", ":srv 001 alice :Hi");
    assert.deepEqual(ws.sent.slice(3), ["CAP REQ sasl", "AUTHENTICATE PLAIN", `AUTHENTICATE ${btoa("alice\0alice\0pw")}`, "CAP END", "JOIN #lobby"]);
    ws.closedBy(1006);
    assert.deepEqual(states.map((s) => s[0]), ["connecting", "connected", "reconnecting"]);
    assert.equal(states.at(-1)[1], "Lost the connection");
    t.mock.timers.tick(2000); // the first back-off is at most one second
    const again = FakeWebSocket.made.at(-1);
    assert.notEqual(again, ws);
    again.open();
    again.serverSays(":srv CAP * LS :sasl", ":srv CAP alice ACK :sasl", "AUTHENTICATE +", ":srv 904 alice :bad");
    assert.equal(again.closed, 1005); // the client closes
    again.closedBy(1000);
    assert.deepEqual(states.at(-1), ["disconnected", "That password is not right for alice."]);
    assert.ok(client.needsPassword);
    t.mock.timers.tick(60_000);
    assert.equal(FakeWebSocket.made.at(-1), again); // no reconnect after a fatal error
  } finally {
    delete globalThis.WebSocket;
  }
});

test("joining asks WHOX when offered, and its replies mark accounts and away members", () => {
  const pair = new Pair({ caps: "echo-message account-notify extended-join" });
  pair.feed(":srv 005 alice WHOX PREFIX=(ov)@+ :are supported");
  assert.deepEqual(pair.feed(":alice!a@h JOIN #lobby"), ["WHO #lobby %tcnuhafr,152"]);
  pair.feed(":srv 353 alice = #lobby :@alice bob", ":srv 366 alice #lobby :End");
  pair.feed(
    ":srv 354 alice 152 #lobby ~a h alice H@ alice :Alice",
    ":srv 354 alice 152 #lobby ~b h bob G 0 :Bob",
    ":srv 354 alice 7 bob G", // a WHO the user typed: not ours
    ":srv 315 alice #lobby :End of /WHO list",
  );
  const lobby = pair.chat.model.get("#lobby");
  const member = (nick) => lobby.members.get(nick);
  assert.deepEqual(member("alice"), { nick: "alice", prefix: "@", away: false, account: "alice" });
  assert.deepEqual(member("bob"), { nick: "bob", prefix: "", away: true, account: null });
  // A later NAMES keeps what WHOX said; notifications and extended-join keep it current.
  pair.feed(":srv 353 alice = #lobby :@alice bob", ":srv 366 alice #lobby :End");
  assert.equal(member("bob").away, true);
  pair.feed(":bob!b@h AWAY", ":bob!b@h ACCOUNT bobby", ":carol!c@h JOIN #lobby carol :Carol");
  assert.deepEqual(member("bob"), { nick: "bob", prefix: "", away: false, account: "bobby" });
  assert.equal(member("carol").account, "carol");
});

test("without WHOX in ISUPPORT, joining sends no WHO", () => {
  const pair = new Pair({ caps: "echo-message" });
  assert.deepEqual(pair.feed(":alice!a@h JOIN #lobby"), []);
});

test("private chats are monitored: the list at the end of the welcome, one more on opening, one less on closing", () => {
  const pair = new Pair({ rooms: [] });
  pair.chat.openQuery("bob", { activate: false });
  pair.chat.openQuery("carol", { activate: false });
  pair.protocol.dataToSend();
  const sent = pair.feed(":srv 005 alice MONITOR=100 :are supported", ":srv 376 alice :End");
  assert.deepEqual(sent, ["MONITOR + bob,carol"]);
  const dave = pair.chat.openQuery("Dave", { activate: false });
  assert.ok(pair.protocol.dataToSend().includes("MONITOR + Dave"));
  pair.chat.openQuery("dave", { activate: false }); // open already
  assert.deepEqual(pair.protocol.dataToSend(), []);
  pair.chat.close(dave.name);
  assert.deepEqual(pair.protocol.dataToSend(), ["MONITOR - Dave"]);
});

test("without MONITOR in ISUPPORT nothing is monitored", () => {
  const pair = new Pair({ rooms: [] });
  pair.chat.openQuery("bob", { activate: false });
  const sent = [...pair.protocol.dataToSend(), ...pair.feed(":srv 005 alice NICKLEN=30 :are supported", ":srv 376 alice :End")];
  assert.ok(!sent.some((line) => line.startsWith("MONITOR")));
});

test("730 and 731 mark a private chat online or offline and say so once", () => {
  const pair = new Pair({ rooms: [] });
  const bob = pair.chat.openQuery("bob", { activate: false });
  const carol = pair.chat.openQuery("carol", { activate: false });
  assert.equal(bob.online, null);
  pair.feed(":srv 730 alice :bob!~bob@10.0.0.2", ":srv 731 alice :carol,stranger");
  assert.equal(bob.online, true);
  assert.equal(carol.online, false);
  assert.deepEqual(pair.texts("bob").slice(-1), ["bob is online"]);
  assert.deepEqual(pair.texts("carol").slice(-1), ["carol is offline"]);
  pair.feed(":srv 730 alice :bob!~bob@10.0.0.2"); // no change: no new line
  assert.deepEqual(pair.texts("bob").filter((t) => t.includes("online")), ["bob is online"]);
  pair.feed(":srv 731 alice :BOB");
  assert.equal(bob.online, false);
});

test("a private chat's person renaming is followed by MONITOR", () => {
  const pair = new Pair({ rooms: ["#c"] });
  pair.feed(":srv 005 alice MONITOR=100 :are supported", ":srv 376 alice :End", ":alice!a@h JOIN #c", ":bob!b@h JOIN #c");
  pair.chat.openQuery("bob", { activate: false });
  pair.protocol.dataToSend();
  assert.deepEqual(pair.feed(":bob!b@h NICK robert"), ["MONITOR - bob", "MONITOR + robert"]);
});

// -- read markers (IRCv3 draft/read-marker) ------------------------------------------------

function readMarkerPair() {
  const pair = new Pair({ caps: "echo-message batch draft/read-marker", rooms: ["#lobby", "#side"] });
  pair.feed(":alice!a@h JOIN #lobby", ":alice!a@h JOIN #side");
  pair.chat.activate("#side");
  pair.feed(
    "@time=2026-01-02T03:04:05.000Z :bob!b@h PRIVMSG #lobby :one",
    "@time=2026-01-02T03:04:06.000Z :bob!b@h PRIVMSG #lobby :two",
    "@time=2026-01-02T03:04:07.500Z :bob!b@h PRIVMSG #lobby :alice: three",
  );
  return pair;
}

test("reading a room sends MARKREAD with its newest message, once", () => {
  const pair = readMarkerPair();
  pair.protocol.dataToSend();
  pair.chat.activate("#lobby");
  assert.deepEqual(pair.protocol.dataToSend(), ["MARKREAD #lobby timestamp=2026-01-02T03:04:07.500Z"]);
  pair.chat.markRead();
  assert.deepEqual(pair.protocol.dataToSend(), []);
});

test("a marker from another device clears the badge; it never moves back", () => {
  const pair = readMarkerPair();
  const lobby = pair.chat.model.get("#lobby");
  assert.equal(lobby.unread, 3);
  pair.feed(":srv MARKREAD #lobby timestamp=2026-01-02T03:04:06.000Z");
  assert.deepEqual([lobby.unread, lobby.mentions], [1, 1]);
  pair.feed(":srv MARKREAD #LOBBY timestamp=2026-01-02T03:04:07.500Z");
  assert.deepEqual([lobby.unread, lobby.mentions], [0, 0]);
  pair.feed(":srv MARKREAD #lobby timestamp=2026-01-02T03:04:05.000Z", ":srv MARKREAD #lobby timestamp=*");
  assert.equal(lobby.readMarker.toISOString(), "2026-01-02T03:04:07.500Z");
});

test("the new-messages line goes after the read marker; nothing is sent while unseen", () => {
  const pair = readMarkerPair();
  pair.chat.isSeen = () => false;
  pair.feed(":srv MARKREAD #lobby timestamp=2026-01-02T03:04:05.000Z");
  pair.protocol.dataToSend();
  pair.chat.activate("#lobby");
  const lobby = pair.chat.model.get("#lobby");
  assert.equal(lobby.newFrom.text, "two");
  assert.deepEqual(pair.protocol.dataToSend(), []);
});

// -- deleted messages (IRCv3 draft/message-redaction) ------------------------------------

test("REDACT shows the message as deleted and redraws its buffer", () => {
  const pair = new Pair({ caps: "echo-message batch draft/message-redaction" });
  assert.ok(pair.sent[0].includes("draft/message-redaction"));
  pair.feed(":alice!a@h JOIN #lobby");
  pair.feed("@msgid=m1 :bob!b@h PRIVMSG #lobby :oops", "@msgid=m2 :bob!b@h PRIVMSG #lobby :ok");
  pair.seen.length = 0;
  pair.feed(":bob!b@h REDACT #lobby m1 :typo", ":bob!b@h REDACT #lobby nosuch", ":bob!b@h REDACT #lobby");
  assert.deepEqual(pair.texts("#lobby").slice(-2), ["message deleted", "ok"]);
  assert.ok(pair.chat.model.get("#lobby").messages.find((m) => m.id === "m1").deleted);
  assert.deepEqual(pair.seen, ["history"]);
});

test("REDACT of a private message finds the other person's buffer", () => {
  const pair = new Pair({ caps: "echo-message batch draft/message-redaction" });
  pair.feed("@msgid=p1 :bob!b@h PRIVMSG alice :psst", ":bob!b@h REDACT alice p1");
  assert.deepEqual(pair.texts("bob"), ["message deleted"]);
});
