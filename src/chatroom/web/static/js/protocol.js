// The IRC session of one connection, sans I/O: lines in, events out; commands in,
// lines to send out. No WebSocket, no DOM, no timers: client.js (ChatClient)
// owns those and wraps this, as websockets' connections wrap their protocol.
//
// The caller's loop, for every WebSocket message (one IRC line, IRCv3 WebSocket):
//   protocol.receiveLine(text);
//   for (const event of protocol.eventsReceived()) ...act on it...;
//   for (const line of protocol.dataToSend()) ws.send(line);
// and after anything it asks of the protocol (send, setNick, connectionMade), send
// dataToSend() the same way. Lines it cannot send (the socket is not open) it drops.
//
// What this owns: registration (one state, one transition table), capability
// negotiation (CAP 302), SASL PLAIN, creating an account (REGISTER), ISUPPORT, our nick and the nick we want,
// batches, PING, and why a sign-in failed. What it leaves to chat.js: rooms,
// messages, members, history.

import { CONCAT, MULTILINE, casefold, formatLine, nickOf, parseLine } from "./irc.js";

/** Registration states (Modern IRC "Connection Registration", IRCv3 CAP 302). */
export const State = Object.freeze({
  DISCONNECTED: "disconnected", // no connection
  NEGOTIATING: "negotiating", // CAP LS 302, NICK, USER sent; agreeing on capabilities
  AUTHENTICATING: "authenticating", // AUTHENTICATE PLAIN sent; waiting for 903/904
  CREATING: "creating", // REGISTER sent before CAP END (before-connect); waiting for its answer
  REGISTERING: "registering", // CAP END sent; waiting for RPL_WELCOME
  REGISTERED: "registered", // RPL_WELCOME received
});

/**
 * Every state and what moves it: TRANSITIONS[state][input] is the next state.
 * Inputs: open and close come from the caller (connectionMade, connectionLost); the
 * others from the server. A server line that does not fit the state is ignored
 * (a server without CAP may send RPL_WELCOME at once, hence welcome from every
 * state before registered).
 */
export const TRANSITIONS = Object.freeze({
  [State.DISCONNECTED]: { open: State.NEGOTIATING },
  [State.NEGOTIATING]: {
    sasl: State.AUTHENTICATING,
    create: State.CREATING,
    capEnd: State.REGISTERING,
    welcome: State.REGISTERED,
    close: State.DISCONNECTED,
  },
  [State.AUTHENTICATING]: {
    saslDone: State.REGISTERING,
    welcome: State.REGISTERED,
    close: State.DISCONNECTED,
  },
  [State.CREATING]: { created: State.REGISTERING, close: State.DISCONNECTED },
  [State.REGISTERING]: { welcome: State.REGISTERED, close: State.DISCONNECTED },
  [State.REGISTERED]: { close: State.DISCONNECTED },
});

/** Capabilities we ask for, when offered (IRCv3 capability negotiation, CAP 302). */
export const WANTED_CAPS = Object.freeze([
  "message-tags", "server-time", "echo-message", "batch", "draft/chathistory",
  "away-notify", "multi-prefix", "userhost-in-names", "account-notify", "extended-join",
  "draft/read-marker", "draft/message-redaction", "draft/multiline", "draft/event-playback",
  "soju.im/search",
]);

/** A received multiline batch as one PRIVMSG/NOTICE line: the tags and source of its
 * BATCH + line, its lines' texts joined with "\n" (a concatenated one without). */
export function joinMultiline(batch) {
  const lines = batch.lines.filter((l) => l.command === "PRIVMSG" || l.command === "NOTICE");
  if (!lines.length) return null;
  let text = "";
  lines.forEach((l, i) => {
    const piece = l.params[1] ?? "";
    text += i === 0 || CONCAT in l.tags ? piece : "\n" + piece;
  });
  const tags = { ...batch.opening.tags };
  delete tags.batch;
  return { tags, source: batch.opening.source, command: lines[0].command, params: [batch.target, text] };
}

/** Batches whose lines are replayed content (history, search results), never live. */
const REPLAYED = new Set(["chathistory", "soju.im/search"]);

/** The account-registration cap (IRCv3 draft); its value lists "before-connect" when
 * REGISTER may come before CAP END. */
export const ACCOUNT_REGISTRATION = "draft/account-registration";

/** What a FAIL REGISTER code means for the person filling in the sign-in form. */
const REGISTER_FAILURES = {
  ACCOUNT_EXISTS: (name) => `The account ${name} already exists. Sign in with its password, or pick another name.`,
  WEAK_PASSWORD: () => "That password is too weak: choose a longer one.",
  UNACCEPTABLE_PASSWORD: () => "That password cannot be used: choose another one.",
  BAD_ACCOUNT_NAME: (name) => `The name “${name}” cannot be an account name.`,
  ACCOUNT_NAME_MUST_BE_NICK: (name) => `Someone online is using the name ${name}: pick another name.`,
  TEMPORARILY_UNAVAILABLE: () => "Accounts cannot be created right now.",
};

/** The sign-in form's text for FAIL REGISTER <code> <name> :<description>. */
export function registerFailure(code, name, description) {
  const known = REGISTER_FAILURES[code];
  const text = known ? known(name) : "The account could not be created.";
  return description ? `${text} (${description})` : text;
}

/** ISUPPORT values assumed until the server says otherwise (RPL_ISUPPORT). */
const DEFAULT_ISUPPORT = { PREFIX: "(ov)@+", CHANTYPES: "#", CHATHISTORY: "100", NICKLEN: "32" };

/** The caller used the protocol wrongly (a bug on our side, not the server's). */
export class LocalProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = "LocalProtocolError";
  }
}

/**
 * One IRC session. Events, from eventsReceived():
 *   {type: "registered", nick}         RPL_WELCOME: the server knows us as `nick`
 *   {type: "nick", old, nick, line}    our own nick changed
 *   {type: "line", line, batch}        any other line, for chat.js; `batch` is the
 *                                      open batch it belongs to ({type, target}) or null
 *   {type: "batch-end", batch}         a batch ended
 *   {type: "account-created", account}  REGISTER SUCCESS: the account exists and we
 *                                      are logged in to it
 *   {type: "close"}                    sign-in failed for good (see `fatal`): close
 *                                      the connection, do not reconnect
 * Lines of a chathistory or soju.im/search batch are content, replayed: they reach chat.js as "line"
 * events and never change the session (a NICK in history does not rename us).
 */
export class IrcProtocol {
  /** options: {nick, password, realname, create}; `create`: make an account named `nick`
   * with `password` (REGISTER) instead of logging in to it. */
  constructor({ nick, password = "", realname = "", create = false }) {
    this.wantedNick = nick;
    this.nick = nick;
    this.password = password;
    this.create = create && !!password; // until the account exists; then we log in
    this.realname = realname || nick;
    this.state = State.DISCONNECTED;
    this.caps = new Set(); // enabled capabilities
    this.isupport = { ...DEFAULT_ISUPPORT }; // kept across reconnects, like the rooms
    this.fatal = ""; // why the server will not have us; reconnecting would not help
    this.needsPassword = false; // the sign-in form should ask for a password
    this.error = ""; // the reason of the server's ERROR, shown when it closes
    this.offered = null; // capabilities of a CAP LS still arriving
    this.capValues = new Map(); // CAP LS 302 values: "draft/multiline" -> "max-bytes=…"
    this.batches = new Map(); // reference -> {type, target, opening, lines}
    this.events = [];
    this.outgoing = [];
  }

  get registered() {
    return this.state === State.REGISTERED;
  }

  move(input) {
    const next = TRANSITIONS[this.state][input];
    if (next === undefined) throw new LocalProtocolError(`cannot ${input} while ${this.state}`);
    this.state = next;
  }

  /** Can the server's `input` happen now? (A line that does not fit is ignored.) */
  allows(input) {
    return TRANSITIONS[this.state][input] !== undefined;
  }

  // -- what the caller tells us -----------------------------------------------------------

  /** The connection is open: start registering. Then send dataToSend(). */
  connectionMade() {
    this.move("open");
    this.caps.clear();
    this.capValues.clear();
    this.batches.clear();
    this.offered = null;
    this.outgoing = [];
    this.events = [];
    this.fatal = "";
    this.error = "";
    this.nick = this.wantedNick;
    this.send("CAP", "LS", "302");
    this.send("NICK", this.nick); // a password goes with SASL or PASS once CAP LS shows which
    this.send("USER", this.nick.slice(0, 16), "0", "*", this.realname);
  }

  /** The connection closed (either side). Read `fatal`, `error` and `registered`
   * first: this forgets the server's ERROR and the lines not yet sent. */
  connectionLost() {
    if (this.state !== State.DISCONNECTED) this.move("close");
    this.error = "";
    this.outgoing = [];
  }

  /** Queue a command; the caller sends it with dataToSend(). */
  send(command, ...params) {
    this.outgoing.push(formatLine(command, ...params));
  }

  /** The server's multiline limits {maxBytes, maxLines}, or null when it takes none. */
  multilineLimits() {
    if (!this.caps.has(MULTILINE) || !this.caps.has("batch")) return null;
    const values = Object.fromEntries((this.capValues.get(MULTILINE) ?? "").split(",").map((kv) => kv.split("=")));
    const maxBytes = Number(values["max-bytes"]);
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) return null;
    const maxLines = Number(values["max-lines"]);
    return { maxBytes, maxLines: Number.isInteger(maxLines) && maxLines > 0 ? maxLines : maxBytes };
  }

  /** Queue a line typed by the user (/quote) as it is, made one line. */
  sendRaw(text) {
    this.outgoing.push(text.replace(/[\r\n]/g, " "));
  }

  /** The nick we want from now on; asked for at once when registered. */
  setNick(nick) {
    this.wantedNick = nick;
    if (this.registered) this.send("NICK", nick);
  }

  /** The lines to send, oldest first; each call returns them once. */
  dataToSend() {
    const out = this.outgoing;
    this.outgoing = [];
    return out;
  }

  /** The events of the lines received so far, oldest first; each call returns them once. */
  eventsReceived() {
    const out = this.events;
    this.events = [];
    return out;
  }

  // -- what the server tells us ----------------------------------------------------------

  /** One line from the server (without CR LF). Then read eventsReceived() and dataToSend(). */
  receiveLine(text) {
    if (this.state === State.DISCONNECTED) throw new LocalProtocolError("a line while disconnected");
    const line = parseLine(text);
    const batch = line.tags.batch ? (this.batches.get(line.tags.batch) ?? null) : null;
    if (batch && batch.type === MULTILINE) {
      batch.lines.push(line); // one message, made at the end of the batch
      return;
    }
    if (batch && REPLAYED.has(batch.type) && line.command !== "BATCH") {
      this.events.push({ type: "line", line, batch });
      return;
    }
    const handler = SESSION[line.command];
    if (!handler || handler.call(this, line) === PASS) this.events.push({ type: "line", line, batch });
  }

  isMe(nick) {
    return casefold(nick) === casefold(this.nick);
  }

  /** ISUPPORT PREFIX as {modes: "ov", symbols: "@+"}. */
  prefix() {
    const m = /^\(([^)]*)\)(.*)$/.exec(this.isupport.PREFIX || "");
    return m ? { modes: m[1], symbols: m[2] } : { modes: "ov", symbols: "@+" };
  }

  /** Our wanted nick is free again (its holder quit or renamed): ask for it. */
  reclaimNick(freed) {
    if (casefold(freed) === casefold(this.wantedNick) && !this.isMe(this.wantedNick)) {
      this.send("NICK", this.wantedNick);
    }
  }

  /** Capabilities agreed (or none to agree on): create the account first if the
   * server takes REGISTER before connecting, else let registration finish. */
  endCaps() {
    if (this.create && this.registerBeforeConnect()) {
      this.move("create");
      this.sendRegister();
      return;
    }
    this.move("capEnd");
    this.send("CAP", "END");
  }

  registerBeforeConnect() {
    return (this.capValues.get(ACCOUNT_REGISTRATION) ?? "").split(",").includes("before-connect");
  }

  sendRegister() {
    this.send("REGISTER", this.wantedNick, "*", this.password);
  }

  /** Sign-in failed for good: say why, and ask the caller to close. */
  fail(reason, { needsPassword = false, close = true } = {}) {
    this.fatal = reason;
    if (needsPassword) this.needsPassword = true;
    if (close) this.events.push({ type: "close" });
  }
}

/** A SESSION handler's answer: the line is also for chat.js. */
const PASS = Symbol("pass");

/** SASL failed: the password is wrong (or the account locked); trying again will not help. */
function saslFailed() {
  this.fail(`That password is not right for ${this.wantedNick}.`, { needsPassword: true });
}

/** The lines the session acts on, `this` = the IrcProtocol. A handler returns PASS
 * when chat.js should see the line too. */
const SESSION = {
  PING(line) {
    this.send("PONG", ...line.params);
  },
  ERROR(line) {
    this.error = line.params[0] ?? "";
  },
  CAP(line) {
    const sub = (line.params[1] ?? "").toUpperCase();
    const list = line.params[line.params.length - 1] ?? "";
    if (sub === "LS") {
      if (!this.allows("capEnd")) return;
      this.offered = this.offered ?? new Set();
      for (const cap of list.split(" ")) {
        if (!cap) continue;
        const [name, ...value] = cap.split("=");
        this.offered.add(name);
        this.capValues.set(name, value.join("="));
      }
      if (line.params[2] === "*") return; // more LS lines follow (CAP 302)
      const wanted = WANTED_CAPS.filter((c) => this.offered.has(c));
      // An account password goes with SASL PLAIN (IRCv3 SASL 3.1); a server without
      // accounts may want a server password (PASS) instead. Both before CAP END.
      // Creating an account: REGISTER instead, before CAP END or after the welcome.
      if (this.create && !this.offered.has(ACCOUNT_REGISTRATION)) {
        this.fail("This server does not let you create an account here.");
        return;
      }
      if (this.password && !this.create && this.offered.has("sasl")) wanted.push("sasl");
      else if (this.password && !this.create) this.send("PASS", this.password);
      this.offered = null;
      if (wanted.length) this.send("CAP", "REQ", wanted.join(" "));
      else this.endCaps();
    } else if (sub === "ACK") {
      for (const cap of list.split(" ")) {
        if (cap.startsWith("-")) this.caps.delete(cap.slice(1));
        else if (cap) this.caps.add(cap);
      }
      if (!this.allows("capEnd")) return;
      if (this.caps.has("sasl") && this.password && !this.create) {
        this.move("sasl");
        this.send("AUTHENTICATE", "PLAIN");
      } else this.endCaps();
    } else if (sub === "NAK") {
      if (this.allows("capEnd")) this.endCaps();
    }
  },
  AUTHENTICATE(line) {
    if (line.params[0] !== "+" || this.state !== State.AUTHENTICATING) return;
    // PLAIN: authzid \0 authcid \0 password, base64, in chunks of 400 (a final "+"
    // when the last chunk is exactly 400 long) (IRCv3 SASL 3.1).
    const bytes = new TextEncoder().encode(`${this.wantedNick}\0${this.wantedNick}\0${this.password}`);
    const encoded = btoa(String.fromCharCode(...bytes));
    for (let i = 0; i < encoded.length; i += 400) this.send("AUTHENTICATE", encoded.slice(i, i + 400));
    if (encoded.length % 400 === 0) this.send("AUTHENTICATE", "+");
  },
  "903"() {
    // RPL_SASLSUCCESS
    if (!this.allows("saslDone")) return;
    this.move("saslDone");
    this.send("CAP", "END");
  },
  "902": saslFailed, // ERR_NICKLOCKED
  "904": saslFailed, // ERR_SASLFAIL
  "905": saslFailed, // ERR_SASLTOOLONG
  "001"(line) {
    // RPL_WELCOME: the first parameter is the nick the server gave us.
    if (!this.allows("welcome")) return;
    this.move("welcome");
    this.nick = line.params[0] ?? this.nick;
    this.events.push({ type: "registered", nick: this.nick });
    if (this.create) this.sendRegister(); // the server takes it only now
  },
  REGISTER(line) {
    // REGISTER SUCCESS <account> :<message>; the server has logged us in.
    if (line.params[0] !== "SUCCESS" || !this.create) return;
    this.create = false; // from now on (a reconnect) we log in with SASL
    this.events.push({ type: "account-created", account: line.params[1] ?? this.wantedNick });
    if (this.allows("created")) {
      this.move("created");
      this.send("CAP", "END");
    }
  },
  FAIL(line) {
    // FAIL REGISTER <code> <account> :<description>: the sign-in form says why.
    if (line.params[0] !== "REGISTER" || !this.create) return PASS;
    const [, code = "", name = this.wantedNick] = line.params;
    const description = line.params.length > 3 ? line.params[line.params.length - 1] : "";
    this.fail(registerFailure(code, name, description));
    return undefined;
  },
  "005"(line) {
    // RPL_ISUPPORT: TOKEN, TOKEN=value, -TOKEN (removed).
    for (const token of line.params.slice(1, -1)) {
      const eq = token.indexOf("=");
      if (token.startsWith("-")) delete this.isupport[token.slice(1)];
      else if (eq < 0) this.isupport[token] = "";
      else this.isupport[token.slice(0, eq)] = token.slice(eq + 1);
    }
  },
  "432"(line) {
    // ERR_ERRONEUSNICKNAME: before registration, there is no nick to fall back on.
    if (this.registered) return PASS;
    this.fail(`The name “${line.params[1] ?? this.nick}” cannot be used: ${line.params[2] ?? ""}`);
  },
  "433"() {
    // ERR_NICKNAMEINUSE: taken, maybe by our own previous connection. Carry on as
    // nick_ and take the name back when it frees up (see QUIT and NICK).
    if (this.registered) return PASS;
    const max = Number(this.isupport.NICKLEN) || 32;
    this.nick = (this.nick.length >= max ? this.nick.slice(0, max - 1) : this.nick) + "_";
    this.send("NICK", this.nick);
  },
  "464"() {
    // ERR_PASSWDMISMATCH; the server closes the connection itself.
    this.fail(this.password ? "That password is not right." : "This server needs a password.", {
      needsPassword: true,
      close: false,
    });
  },
  "465"(line) {
    // ERR_YOUREBANNEDCREEP; the server closes the connection itself.
    this.fail(line.params[1] ?? "You are banned from this server.", { close: false });
  },
  BATCH(line) {
    // IRCv3 batch: "+ref type target..." opens, "-ref" closes.
    const ref = line.params[0] ?? "";
    if (ref.startsWith("+")) {
      this.batches.set(ref.slice(1), { type: line.params[1] ?? "", target: line.params[2] ?? "", opening: line, lines: [] });
    } else if (ref.startsWith("-")) {
      const batch = this.batches.get(ref.slice(1));
      this.batches.delete(ref.slice(1));
      if (batch && batch.type === MULTILINE) {
        // One message; inside a history batch, part of the history.
        const message = joinMultiline(batch);
        const parent = this.batches.get(batch.opening.tags.batch ?? "") ?? null;
        if (message) this.events.push({ type: "line", line: message, batch: parent && REPLAYED.has(parent.type) ? parent : null });
      } else if (batch) this.events.push({ type: "batch-end", batch });
    }
  },
  NOTE(line) {
    // Accounts: our nick is registered and we are not logged in to it.
    if (line.params[1] === "NICK_REGISTERED") this.needsPassword = true;
    return PASS;
  },
  NICK(line) {
    const old = nickOf(line.source);
    const now = line.params[0] ?? "";
    if (!this.isMe(old)) {
      this.events.push({ type: "line", line, batch: null });
      this.reclaimNick(old);
      return undefined;
    }
    this.nick = now;
    // With a password the wanted nick is the account's: keep asking for it.
    if (!this.password || casefold(now) !== casefold(this.wantedNick)) this.wantedNick = now;
    this.events.push({ type: "nick", old, nick: now, line });
    return undefined;
  },
  QUIT(line) {
    this.events.push({ type: "line", line, batch: null });
    this.reclaimNick(nickOf(line.source));
  },
};
