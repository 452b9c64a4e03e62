// protocol.js without a socket: lines in, events and lines out.
// Run: node --test tests/web/js/ (tests/web/test_js.py runs it under pytest).

import assert from "node:assert/strict";
import { test } from "node:test";

import { IrcProtocol, LocalProtocolError, State, TRANSITIONS } from "../../../src/chatroom/web/static/js/protocol.js";

/** A protocol whose connection just opened; the opening lines already taken. */
function opened(options = {}) {
  const p = new IrcProtocol({ nick: "alice", ...options });
  p.connectionMade();
  p.dataToSend();
  return p;
}

/** Feed lines; return [events, lines to send]. */
function feed(p, ...lines) {
  for (const line of lines) p.receiveLine(line);
  return [p.eventsReceived(), p.dataToSend()];
}

/** Registered, with `caps` acknowledged. */
function registered(caps = "", options = {}) {
  const p = opened(options);
  feed(p, `:srv CAP * LS :${caps}`, `:srv CAP alice ACK :${caps}`, ":srv 001 alice :Welcome");
  return p;
}

test("opening sends CAP LS 302, NICK and USER, and negotiates", () => {
  const p = new IrcProtocol({ nick: "alice", realname: "Alice A." });
  assert.equal(p.state, State.DISCONNECTED);
  p.connectionMade();
  assert.equal(p.state, State.NEGOTIATING);
  assert.deepEqual(p.dataToSend(), ["CAP LS 302", "NICK alice", "USER alice 0 * :Alice A."]);
  assert.deepEqual(p.dataToSend(), []); // each line once
});

test("capabilities: a multi-line LS, a REQ of what we want, END after ACK, then welcome", () => {
  const p = opened();
  let [events, sent] = feed(p, ":srv CAP * LS * :server-time batch sasl=PLAIN");
  assert.deepEqual([events, sent], [[], []]); // more LS lines follow
  [events, sent] = feed(p, ":srv CAP * LS :echo-message unknown-cap draft/chathistory");
  assert.deepEqual(sent, ["CAP REQ :server-time echo-message batch draft/chathistory"]);
  [events, sent] = feed(p, ":srv CAP alice ACK :server-time echo-message batch draft/chathistory");
  assert.deepEqual(sent, ["CAP END"]);
  assert.equal(p.state, State.REGISTERING);
  assert.deepEqual([...p.caps].sort(), ["batch", "draft/chathistory", "echo-message", "server-time"]);
  [events, sent] = feed(p, ":srv 001 alice_ :Welcome");
  assert.deepEqual(events, [{ type: "registered", nick: "alice_" }]);
  assert.equal(p.state, State.REGISTERED);
  assert.equal(p.nick, "alice_");
});

test("nothing wanted on offer, or a NAK: CAP END at once", () => {
  assert.deepEqual(feed(opened(), ":srv CAP * LS :foo bar")[1], ["CAP END"]);
  const p = opened();
  feed(p, ":srv CAP * LS :batch");
  assert.deepEqual(feed(p, ":srv CAP alice NAK :batch")[1], ["CAP END"]);
  assert.equal(p.state, State.REGISTERING);
});

test("a server without CAP registers us at once", () => {
  const p = opened();
  assert.deepEqual(feed(p, ":srv 001 alice :Welcome")[0], [{ type: "registered", nick: "alice" }]);
  assert.ok(p.registered);
});

test("SASL PLAIN with a password, when the server offers it", () => {
  const p = opened({ password: "sesame" });
  assert.deepEqual(feed(p, ":srv CAP * LS :batch sasl")[1], ["CAP REQ :batch sasl"]);
  assert.deepEqual(feed(p, ":srv CAP alice ACK :batch sasl")[1], ["AUTHENTICATE PLAIN"]);
  assert.equal(p.state, State.AUTHENTICATING);
  const [, sent] = feed(p, "AUTHENTICATE +");
  assert.deepEqual(sent, [`AUTHENTICATE ${btoa("alice\0alice\0sesame")}`]);
  assert.deepEqual(feed(p, ":srv 903 alice :SASL authentication successful")[1], ["CAP END"]);
  assert.equal(p.state, State.REGISTERING);
});

test("SASL sends 400-byte chunks and a final + when the last one is full", () => {
  const password = "x".repeat(300 - "alice\0alice\0".length); // 300 bytes: 400 in base64
  const p = opened({ password });
  feed(p, ":srv CAP * LS :sasl", ":srv CAP alice ACK :sasl");
  const [, sent] = feed(p, "AUTHENTICATE +");
  assert.equal(sent.length, 2);
  assert.equal(sent[0].length, "AUTHENTICATE ".length + 400);
  assert.equal(sent[1], "AUTHENTICATE +");
});

test("a wrong password ends the sign-in: fatal, ask for the password, close", () => {
  for (const numeric of ["902", "904", "905"]) {
    const p = opened({ password: "nope" });
    feed(p, ":srv CAP * LS :sasl", ":srv CAP alice ACK :sasl", "AUTHENTICATE +");
    const [events] = feed(p, `:srv ${numeric} alice :no`);
    assert.deepEqual(events, [{ type: "close" }], numeric);
    assert.equal(p.fatal, "That password is not right for alice.");
    assert.ok(p.needsPassword);
  }
});

test("a password without SASL on offer goes as PASS, before CAP END", () => {
  const p = opened({ password: "serverpw" });
  assert.deepEqual(feed(p, ":srv CAP * LS :batch")[1], ["PASS serverpw", "CAP REQ batch"]);
  const [events] = feed(p, ":srv 464 * :Password incorrect");
  assert.deepEqual(events, []); // the server closes
  assert.equal(p.fatal, "That password is not right.");
  assert.ok(p.needsPassword);
});

test("nick in use before registration: carry on as nick_, within NICKLEN", () => {
  const p = opened();
  assert.deepEqual(feed(p, ":srv 433 * alice :Nickname is already in use"), [[], ["NICK alice_"]]);
  assert.equal(p.nick, "alice_");
  const q = new IrcProtocol({ nick: "a".repeat(32) });
  q.connectionMade();
  q.dataToSend();
  assert.deepEqual(feed(q, ":srv 433 * x :in use")[1], [`NICK ${"a".repeat(31)}_`]);
});

test("nick errors after registration are the chat's to show", () => {
  const p = registered();
  const [events, sent] = feed(p, ":srv 433 alice bob :in use", ":srv 432 alice b@d :bad");
  assert.deepEqual(events.map((e) => [e.type, e.line.command]), [["line", "433"], ["line", "432"]]);
  assert.deepEqual(sent, []);
});

test("an unusable nick before registration is fatal", () => {
  const p = opened();
  const [events] = feed(p, ":srv 432 * 9lives :Erroneous nickname");
  assert.deepEqual(events, [{ type: "close" }]);
  assert.equal(p.fatal, "The name “9lives” cannot be used: Erroneous nickname");
});

test("PING is answered, ERROR remembered until the connection is lost", () => {
  const p = registered();
  assert.deepEqual(feed(p, "PING :abc def"), [[], ["PONG :abc def"]]);
  feed(p, "ERROR :Closing link: too slow");
  assert.equal(p.error, "Closing link: too slow");
  p.send("PRIVMSG", "#a", "never sent");
  p.connectionLost();
  assert.equal(p.state, State.DISCONNECTED);
  assert.equal(p.error, "");
  assert.deepEqual(p.dataToSend(), []);
});

test("ISUPPORT tokens are kept, replaced and removed", () => {
  const p = registered();
  feed(p, ":srv 005 alice PREFIX=(qov)~@+ CHANTYPES=#& SAFELIST :are supported");
  assert.deepEqual(p.prefix(), { modes: "qov", symbols: "~@+" });
  assert.equal(p.isupport.SAFELIST, "");
  assert.equal(p.isupport.CHANTYPES, "#&");
  feed(p, ":srv 005 alice -SAFELIST :are supported");
  assert.ok(!("SAFELIST" in p.isupport));
});

test("our own NICK is a nick event, and the nick we want from now on", () => {
  const p = registered();
  const [events] = feed(p, ":alice!a@h NICK bob");
  assert.deepEqual(events.map((e) => [e.type, e.old, e.nick]), [["nick", "alice", "bob"]]);
  assert.equal(p.nick, "bob");
  assert.equal(p.wantedNick, "bob");
});

test("when our wanted nick is freed (QUIT or NICK), we ask for it", () => {
  const p = opened();
  feed(p, ":srv 433 * alice :in use", ":srv 001 alice_ :Welcome");
  let [events, sent] = feed(p, ":alice!old@h QUIT :Ping timeout");
  assert.deepEqual(events.map((e) => e.line.command), ["QUIT"]);
  assert.deepEqual(sent, ["NICK alice"]);
  [, sent] = feed(p, ":alice!x@h NICK carol");
  assert.deepEqual(sent, ["NICK alice"]);
  [, sent] = feed(p, ":bob!b@h QUIT :bye");
  assert.deepEqual(sent, []);
});

test("batches: history lines carry their batch and never change the session", () => {
  const p = registered("batch");
  let [events] = feed(p, "BATCH +h1 chathistory #lobby");
  assert.deepEqual(events, []);
  [events] = feed(
    p,
    "@batch=h1 :bob!b@h PRIVMSG #lobby :old news",
    "@batch=h1 :alice!a@h NICK mallory", // a replayed NICK of ours
    "@batch=h1 PING :replayed",
  );
  assert.deepEqual(events.map((e) => [e.type, e.line.command, e.batch.target]), [
    ["line", "PRIVMSG", "#lobby"],
    ["line", "NICK", "#lobby"],
    ["line", "PING", "#lobby"],
  ]);
  assert.equal(p.nick, "alice");
  assert.deepEqual(p.dataToSend(), []);
  [events] = feed(p, "BATCH -h1", "BATCH -unknown");
  assert.deepEqual(events.map((e) => [e.type, e.batch.type, e.batch.target]), [["batch-end", "chathistory", "#lobby"]]);
});

test("other lines go to the chat as they are", () => {
  const p = registered();
  const [events] = feed(p, ":bob!b@h PRIVMSG #lobby :hi", ":srv NOTE * NICK_REGISTERED alice :registered");
  assert.deepEqual(events.map((e) => [e.type, e.line.command, e.batch]), [
    ["line", "PRIVMSG", null],
    ["line", "NOTE", null],
  ]);
  assert.ok(p.needsPassword);
});

test("setNick asks the server only once registered", () => {
  const p = opened();
  p.setNick("bob");
  assert.deepEqual(p.dataToSend(), []);
  assert.equal(p.wantedNick, "bob");
  feed(p, ":srv 001 alice :Welcome");
  p.setNick("carol");
  assert.deepEqual(p.dataToSend(), ["NICK carol"]);
});

test("send and sendRaw make exactly one line", () => {
  const p = registered();
  p.send("PRIVMSG", "#a", "x\r\nQUIT :y");
  p.sendRaw("MODE #a\r\n+i");
  assert.deepEqual(p.dataToSend(), ["PRIVMSG #a :x  QUIT :y", "MODE #a  +i"]);
});

test("the transition table: every state is reachable and a connection can always close", () => {
  const reached = new Set([State.DISCONNECTED]);
  for (const moves of Object.values(TRANSITIONS)) for (const next of Object.values(moves)) reached.add(next);
  assert.deepEqual([...reached].sort(), Object.values(State).sort());
  for (const state of Object.values(State)) {
    if (state !== State.DISCONNECTED) assert.equal(TRANSITIONS[state].close, State.DISCONNECTED, state);
  }
});

test("misuse by the caller raises LocalProtocolError", () => {
  const p = new IrcProtocol({ nick: "alice" });
  assert.throws(() => p.receiveLine("PING :x"), LocalProtocolError);
  p.connectionMade();
  assert.throws(() => p.connectionMade(), LocalProtocolError);
  p.connectionLost();
  p.connectionLost(); // closing twice is harmless
  p.connectionMade(); // and a new connection starts over
  assert.equal(p.state, State.NEGOTIATING);
});

test("reconnecting starts over: caps and batches forgotten, the wanted nick asked for", () => {
  const p = registered("batch");
  feed(p, ":alice!a@h NICK alice2", "BATCH +b chathistory #a");
  p.connectionLost();
  p.setNick("alice");
  p.connectionMade();
  assert.deepEqual(p.dataToSend(), ["CAP LS 302", "NICK alice", "USER alice 0 * alice"]);
  assert.equal(p.caps.size, 0);
  assert.equal(p.batches.size, 0);
  assert.equal(p.nick, "alice");
});

test("lines that make no sense are ignored or passed on, never thrown", () => {
  const junk = [
    "", " ", ":", "@", "@;;", ":srv", "CAP", ":srv CAP", ":srv CAP * ACK", "AUTHENTICATE",
    ":srv 001", ":srv 005", ":srv 433", ":srv 903", "BATCH", "BATCH +", "NICK", ":x NICK",
    "QUIT", ":srv 353", "\u0000\u0001", "@batch=nope :a!b@c PRIVMSG", "PING",
  ];
  for (const state of ["opened", "registered"]) {
    const p = state === "opened" ? opened() : registered();
    for (const line of junk) assert.doesNotThrow(() => p.receiveLine(line), `${state}: ${JSON.stringify(line)}`);
  }
});

// -- creating an account (draft/account-registration) ------------------------------------

test("creating an account before connecting: REGISTER before CAP END, then logged in", () => {
  const p = opened({ password: "s3cret-pass", create: true });
  let [events, sent] = feed(p, ":srv CAP * LS :batch sasl=PLAIN draft/account-registration=before-connect");
  assert.deepEqual(sent, ["CAP REQ batch"]); // no sasl: there is no account to log in to yet
  [events, sent] = feed(p, ":srv CAP alice ACK :batch");
  assert.deepEqual(sent, ["REGISTER alice * s3cret-pass"]);
  assert.equal(p.state, State.CREATING);
  [events, sent] = feed(p, ":srv REGISTER SUCCESS alice :Account created");
  assert.deepEqual(events, [{ type: "account-created", account: "alice" }]);
  assert.deepEqual(sent, ["CAP END"]);
  assert.equal(p.state, State.REGISTERING);
  feed(p, ":srv 001 alice :Welcome");
  assert.equal(p.state, State.REGISTERED);
  // A reconnect logs in to the account it made, with SASL.
  p.connectionLost();
  p.connectionMade();
  p.dataToSend();
  assert.deepEqual(feed(p, ":srv CAP * LS :sasl draft/account-registration=before-connect")[1], ["CAP REQ sasl"]);
});

test("creating an account on a server that takes REGISTER only after connecting", () => {
  const p = opened({ password: "s3cret-pass", create: true });
  let [, sent] = feed(p, ":srv CAP * LS :sasl draft/account-registration");
  assert.deepEqual(sent, ["CAP END"]); // nothing wanted: no sasl, and no PASS either
  [, sent] = feed(p, ":srv 001 alice :Welcome");
  assert.deepEqual(sent, ["REGISTER alice * s3cret-pass"]);
  const [events] = feed(p, ":srv REGISTER SUCCESS alice :Account created");
  assert.deepEqual(events, [{ type: "account-created", account: "alice" }]);
  assert.equal(p.state, State.REGISTERED);
  assert.equal(p.create, false);
});

test("FAIL REGISTER closes with a sentence for the sign-in form", () => {
  const cases = [
    ["ACCOUNT_EXISTS", /account alice already exists/],
    ["WEAK_PASSWORD", /password is too weak/],
    ["BAD_ACCOUNT_NAME", /cannot be an account name/],
    ["ACCOUNT_NAME_MUST_BE_NICK", /using the name alice/],
    ["TEMPORARILY_UNAVAILABLE", /cannot be created right now/],
    ["SOMETHING_NEW", /could not be created/],
  ];
  for (const [code, sentence] of cases) {
    const p = opened({ password: "pw", create: true });
    feed(p, ":srv CAP * LS :draft/account-registration=before-connect");
    const [events] = feed(p, `:srv FAIL REGISTER ${code} alice :Server says why`);
    assert.deepEqual(events, [{ type: "close" }], code);
    assert.match(p.fatal, sentence, code);
    assert.match(p.fatal, /Server says why/, code);
  }
});

test("creating an account where the server offers no registration says so", () => {
  const p = opened({ password: "pw", create: true });
  const [events, sent] = feed(p, ":srv CAP * LS :sasl batch");
  assert.deepEqual([events, sent], [[{ type: "close" }], []]);
  assert.match(p.fatal, /does not let you create an account/);
});

test("a FAIL REGISTER when not creating one is for chat.js", () => {
  const p = registered();
  const [events] = feed(p, ":srv FAIL REGISTER ACCOUNT_EXISTS alice :exists");
  assert.equal(events[0].type, "line");
  assert.equal(p.fatal, "");
});
