// The connection: IRC over WebSocket (IRCv3 "WebSocket support", subprotocol
// text.ircv3.net: one line per message, no CR LF), registration with CAP 302,
// history with draft/chathistory, automatic reconnect with catch-up.
// It owns the Model and tells the view what changed through events; no DOM here.

import { HANDLERS } from "./handlers.js";
import {
  actionText, casefold, formatLine, isChannel, isCtcp, nickOf, parseLine, stripFormatting, timeOf,
} from "./irc.js";
import { Message, Model, SPOKEN } from "./model.js";

const HISTORY_PAGE = 50; // messages per CHATHISTORY request (capped by ISUPPORT)
const MAX_BACKOFF = 30; // seconds between reconnect attempts, at most
const IDLE_PING = 60_000; // ms of silence before we PING the server
const DEAD_AFTER = 100_000; // ms of silence before we give the connection up

export class ChatClient {
  /**
   * options: {url, nick, password, rooms: [names], active: name|null, realname}
   * Call connect(); listen with on(event, fn). Events:
   *   state(state, detail)   "connecting" | "connected" | "reconnecting" | "disconnected"
   *   buffers()              the list of buffers or their unread counts changed
   *   buffer(buffer)         topic, members or joined state of one buffer changed
   *   message(buffer, message, {how, live})   a line was added
   *   history(buffer)        a batch of history was merged into the buffer
   *   active(buffer)         another buffer is shown
   *   nick(nick)             our own nick changed
   */
  constructor(options) {
    this.url = options.url;
    this.wantedNick = options.nick;
    this.nick = options.nick;
    this.password = options.password || "";
    this.realname = options.realname || options.nick;
    this.model = new Model();
    this.listeners = new Map();
    this.isSeen = () => true; // the view says whether the active buffer is visible
    this.state = "idle";
    this.attempt = 0;
    this.ws = null;
    this.quitting = false;
    this.fatal = "";
    this.registered = false;
    this.caps = new Set();
    this.isupport = { PREFIX: "(ov)@+", CHANTYPES: "#", CHATHISTORY: "100", NICKLEN: "32" };
    this.batches = new Map();
    this.names = new Map(); // channel key -> Map of members, while NAMES is arriving
    this.lastError = "";
    this.timers = { reconnect: 0, keepalive: 0 };
    this.lastRecv = 0;
    for (const room of options.rooms ?? []) this.model.open(room, "channel").wanted = true;
    if (options.active) this.model.active = casefold(options.active);
  }

  // -- events --------------------------------------------------------------------

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  emit(type, ...args) {
    for (const fn of this.listeners.get(type) ?? []) fn(...args);
  }

  setState(state, detail = {}) {
    this.state = state;
    this.emit("state", state, detail);
  }

  // -- connection ------------------------------------------------------------------

  connect() {
    clearTimeout(this.timers.reconnect);
    this.quitting = false;
    this.fatal = "";
    this.lastError = "";
    this.setState("connecting", { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url, ["text.ircv3.net"]);
    } catch (err) {
      this.scheduleReconnect(String(err));
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.onOpen();
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastRecv = Date.now();
      if (typeof event.data === "string") this.handle(parseLine(event.data));
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.onClose(event);
    };
  }

  onOpen() {
    this.registered = false;
    this.caps.clear();
    this.batches.clear();
    this.nick = this.wantedNick;
    this.lastRecv = Date.now();
    this.send("CAP", "LS", "302");
    this.send("NICK", this.nick); // a password goes with SASL or PASS once CAP LS shows which
    this.send("USER", this.nick.slice(0, 16), "0", "*", this.realname);
    clearInterval(this.timers.keepalive);
    this.timers.keepalive = setInterval(() => this.keepalive(), 15_000);
  }

  keepalive() {
    const idle = Date.now() - this.lastRecv;
    if (!this.ws) return;
    if (idle > DEAD_AFTER) this.ws.close();
    else if (idle > IDLE_PING && this.registered) this.send("PING", "keepalive");
  }

  onClose(event) {
    clearInterval(this.timers.keepalive);
    const wasRegistered = this.registered;
    this.registered = false;
    for (const buffer of this.model.buffers.values()) {
      if (buffer.kind === "channel") {
        buffer.joined = false;
        buffer.members.clear();
      }
      buffer.historyPending = null;
    }
    this.emit("buffers");
    if (this.quitting || this.fatal) {
      this.setState("disconnected", { reason: this.fatal || "You left the chat.", fatal: !!this.fatal });
      return;
    }
    if (wasRegistered) this.attempt = 0;
    const reason = this.lastError || (event.code === 1006 ? "Lost the connection" : "The connection closed");
    this.scheduleReconnect(reason);
  }

  scheduleReconnect(reason) {
    const delay = Math.min(MAX_BACKOFF, 2 ** this.attempt) * (0.6 + 0.4 * Math.random());
    this.attempt++;
    this.setState("reconnecting", { reason, delay, at: Date.now() + delay * 1000 });
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => this.connect(), delay * 1000);
  }

  /** Try again now (the user asked, or the network came back). */
  reconnectNow() {
    if (this.state === "reconnecting") this.connect();
  }

  quit(reason = "Leaving") {
    this.quitting = true;
    clearTimeout(this.timers.reconnect);
    if (this.ws) {
      this.send("QUIT", reason);
      this.ws.close(1000);
    } else {
      this.setState("disconnected", { reason: "You left the chat.", fatal: false });
    }
  }

  send(command, ...params) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(formatLine(command, ...params));
  }

  // -- what the UI asks for ------------------------------------------------------------

  activate(name) {
    const buffer = this.model.get(name);
    if (!buffer) return;
    this.model.active = buffer.key;
    buffer.unread = 0;
    buffer.mentions = 0;
    this.emit("active", buffer);
    this.emit("buffers");
  }

  join(name, { activate = true } = {}) {
    const buffer = this.model.open(name, "channel");
    buffer.wanted = true;
    if (activate) this.activate(buffer.name);
    this.emit("buffers");
    if (!buffer.joined && this.registered) this.send("JOIN", buffer.name);
  }

  part(name, reason = "") {
    const buffer = this.model.get(name);
    if (!buffer) return;
    if (buffer.kind === "channel" && buffer.joined) {
      buffer.wanted = false;
      if (reason) this.send("PART", buffer.name, reason);
      else this.send("PART", buffer.name);
    } else {
      this.close(buffer.name);
    }
  }

  /** Forget a buffer (a private chat, or a room already left). */
  close(name) {
    this.model.remove(name);
    this.emit("buffers");
    const active = this.model.activeBuffer();
    if (active) this.emit("active", active);
  }

  openQuery(nick, { activate = true } = {}) {
    const existed = !!this.model.get(nick);
    const buffer = this.model.open(nick, "query");
    if (!existed) this.fetchHistory(buffer, "latest");
    if (activate) this.activate(buffer.name);
    this.emit("buffers");
    return buffer;
  }

  /** Send text to a buffer, split to fit a 512-byte line. Without echo-message,
   * show it at once ourselves. */
  say(name, text, { action = false, notice = false } = {}) {
    const buffer = this.model.get(name);
    if (!buffer || !text) return;
    const command = notice ? "NOTICE" : "PRIVMSG";
    for (const chunk of splitText(text, 400)) {
      this.send(command, buffer.name, action ? `\x01ACTION ${chunk}\x01` : chunk);
      if (!this.caps.has("echo-message")) {
        const kind = action ? "action" : notice ? "notice" : "message";
        this.addMessage(buffer, new Message({ kind, nick: this.nick, text: chunk, self: true }), true);
      }
    }
  }

  setNick(nick) {
    this.wantedNick = nick;
    if (this.registered) this.send("NICK", nick);
  }

  /** Fetch older messages of a buffer (scrolling up). */
  loadOlder(buffer) {
    if (!buffer.reachedStart && !buffer.historyPending) this.fetchHistory(buffer, "before");
  }

  // -- history (IRCv3 draft/chathistory) -------------------------------------------------

  historyLimit() {
    return Math.max(1, Math.min(HISTORY_PAGE * 2, Number(this.isupport.CHATHISTORY) || 100));
  }

  fetchHistory(buffer, kind) {
    if (!this.registered || !this.caps.has("draft/chathistory") || buffer.kind === "server") return;
    let anchor = "*";
    let sub = "LATEST";
    let limit = Math.min(HISTORY_PAGE, this.historyLimit());
    if (kind === "before") {
      const oldest = buffer.oldestStored();
      if (oldest) {
        sub = "BEFORE";
        anchor = `msgid=${oldest.id}`;
      }
    } else if (kind === "after" && buffer.lastStored) {
      sub = "AFTER";
      anchor = `msgid=${buffer.lastStored.id}`;
      limit = this.historyLimit();
    }
    buffer.historyPending = { kind: sub.toLowerCase(), anchor, limit, count: 0 };
    this.send("CHATHISTORY", sub, buffer.name, anchor, String(limit));
  }

  endHistory(buffer) {
    const pending = buffer.historyPending;
    buffer.historyPending = null;
    if (!pending) return;
    if ((pending.kind === "before" || pending.kind === "latest") && pending.count < pending.limit) {
      buffer.reachedStart = true;
    }
    this.emit("history", buffer);
    // Catching up after a reconnect: a full page means there may be more.
    if (pending.kind === "after" && pending.count >= pending.limit) this.fetchHistory(buffer, "after");
  }

  // -- incoming lines ---------------------------------------------------------------------

  handle(line) {
    const batch = line.tags.batch ? this.batches.get(line.tags.batch) : null;
    if (batch && batch.type === "chathistory") {
      this.handleHistoryLine(batch, line);
      return;
    }
    const handler = HANDLERS[line.command];
    if (handler) handler.call(this, line);
    else if (/^[45]\d\d$/.test(line.command)) this.showError(line.params.slice(1).join(" "));
  }

  handleHistoryLine(batch, line) {
    const buffer = this.model.get(batch.target) ?? this.model.open(batch.target, isChannel(batch.target, this.isupport.CHANTYPES) ? "channel" : "query");
    const message = this.messageFrom(line, buffer);
    if (!message) return;
    if (buffer.historyPending) buffer.historyPending.count++;
    this.addMessage(buffer, message, false);
  }

  /** Build a Message from a PRIVMSG/NOTICE line, or null if not shown (CTCP). */
  messageFrom(line, buffer) {
    let text = line.params[1] ?? "";
    const nick = nickOf(line.source);
    const self = casefold(nick) === casefold(this.nick);
    let kind = line.command === "NOTICE" ? "notice" : "message";
    const action = actionText(text);
    if (action !== null) {
      kind = "action";
      text = action;
    } else if (isCtcp(text)) {
      return null;
    }
    text = stripFormatting(text);
    const highlight = !self && (buffer.kind === "query" || this.mentionsMe(text));
    return new Message({ id: line.tags.msgid || null, time: timeOf(line), kind, nick, text, self, highlight });
  }

  mentionsMe(text) {
    const nick = this.nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\w-])${nick}($|[^\\w-])`, "i").test(text);
  }

  addMessage(buffer, message, live) {
    const how = buffer.add(message);
    if (!how) return;
    if (live && !message.self && SPOKEN.has(message.kind)) {
      if (buffer.key !== this.model.active || !this.isSeen()) {
        buffer.unread++;
        if (message.highlight) buffer.mentions++;
        this.emit("buffers");
      }
    }
    this.emit("message", buffer, message, { how, live });
  }

  /** A line of our own making (joins, errors...) in a buffer; `null` = the active one. */
  note(buffer, kind, text, { nick = "", line = null } = {}) {
    const target = buffer ?? this.model.activeBuffer();
    if (!target) return;
    const time = line ? timeOf(line) : new Date();
    this.addMessage(target, new Message({ kind, nick, text, time }), true);
  }

  showError(text) {
    this.note(null, "error", text);
  }

  prefixSymbols() {
    const m = /^\(([^)]*)\)(.*)$/.exec(this.isupport.PREFIX || "");
    return m ? m[2] : "@+";
  }

  prefixModes() {
    const m = /^\(([^)]*)\)(.*)$/.exec(this.isupport.PREFIX || "");
    return m ? m[1] : "ov";
  }

  isMe(nick) {
    return casefold(nick) === casefold(this.nick);
  }

  registeredNow() {
    this.registered = true;
    this.attempt = 0;
    this.setState("connected", { nick: this.nick });
    this.emit("nick", this.nick);
    const rooms = [...this.model.buffers.values()].filter((b) => b.kind === "channel" && b.wanted);
    if (rooms.length) this.send("JOIN", rooms.map((b) => b.name).join(","));
    for (const buffer of this.model.buffers.values()) {
      if (buffer.kind === "query") this.fetchHistory(buffer, buffer.lastStored ? "after" : "latest");
    }
  }
}

/** Split text into pieces of at most `max` UTF-8 bytes, at spaces when possible. */
export function splitText(text, max) {
  const out = [];
  const encoder = new TextEncoder();
  let rest = text;
  while (encoder.encode(rest).length > max) {
    let cut = Math.min(rest.length, max);
    while (cut > 1 && encoder.encode(rest.slice(0, cut)).length > max) cut--;
    const space = rest.lastIndexOf(" ", cut);
    if (space > cut / 2) cut = space;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, "");
  }
  if (rest) out.push(rest);
  return out;
}
