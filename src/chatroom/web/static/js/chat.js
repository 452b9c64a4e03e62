// The chat over one IrcProtocol: the Model (rooms, private chats, messages,
// members), history with draft/chathistory, and what the UI asks for. It acts on
// the protocol's events (handlers.js has one handler per command) and asks the
// protocol to send lines; it tells the views what changed through events. No
// WebSocket, no DOM, no timers: client.js sends what the protocol queued.

import { HANDLERS } from "./handlers.js";
import { CONCAT, MULTILINE, actionText, casefold, cutExact, formatLine, isChannel, isCtcp, nickOf, splitText, stripFormatting, timeOf } from "./irc.js";
import { Message, Model, SPOKEN } from "./model.js";
import { REACT_TAG, REPLY_TAG, UNREACT_TAG, escapeTag, reactLine, reactionReceived, reactionSummary } from "./reactions.js";
import { TypingSender, TypingWatch } from "./typing.js";

/** What is shown in place of a deleted message's text (draft/message-redaction). */
export const DELETED_TEXT = "message deleted";

const HISTORY_PAGE = 50; // messages per CHATHISTORY request (capped by ISUPPORT)

export class Chat {
  /**
   * protocol: the IrcProtocol to send through; options: {rooms: [names], active: name|null}.
   * Listen with on(event, fn). Events:
   *   state(state, detail)   from client.js: "connecting" | "connected" | "reconnecting" | "disconnected"
   *   buffers()              the list of buffers or their unread counts changed
   *   buffer(buffer)         topic, members or joined state of one buffer changed
   *   message(buffer, message, {how, live})   a line was added
   *   history(buffer)        a batch of history was merged into the buffer
   *   active(buffer)         another buffer is shown
   *   nick(nick)             our own nick changed
   *   typing(buffer)         who is typing in it changed (typingIn.nicks(buffer.name))
   * A private chat's `online` (true, false, null: not known) comes from IRCv3 MONITOR
   * (https://ircv3.net/specs/extensions/monitor): its person's nick is watched while
   * the chat is open and the server advertises MONITOR.
   */
  constructor(protocol, options = {}) {
    this.protocol = protocol;
    this.model = new Model();
    this.listeners = new Map();
    this.isSeen = () => true; // the view says whether the active buffer is visible
    this.multilineRefs = 0; // our draft/multiline batch references
    this.names = new Map(); // channel key -> members, while NAMES is arriving
    this.monitored = new Set(); // folded nicks we sent MONITOR + for, this connection
    // Typing notifications (typing.js): ours to send, the others' received, and the
    // time of client.js's last tick, which dates what is received.
    this.typingOut = new TypingSender();
    this.typingIn = new TypingWatch();
    this.clock = 0;
    for (const room of options.rooms ?? []) this.model.open(room, "channel").wanted = true;
    if (options.active) this.model.active = casefold(options.active);
  }

  // What handlers.js and the views read of the session.
  get nick() {
    return this.protocol.nick;
  }

  get isupport() {
    return this.protocol.isupport;
  }

  get registered() {
    return this.protocol.registered;
  }

  isMe(nick) {
    return this.protocol.isMe(nick);
  }

  prefixSymbols() {
    return this.protocol.prefix().symbols;
  }

  prefixModes() {
    return this.protocol.prefix().modes;
  }

  send(command, ...params) {
    this.protocol.send(command, ...params);
  }

  // -- events to the views ----------------------------------------------------------------

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  emit(type, ...args) {
    for (const fn of this.listeners.get(type) ?? []) fn(...args);
  }

  // -- the protocol's events -------------------------------------------------------------

  /** Act on one event of IrcProtocol.eventsReceived() (except "close": client.js's). */
  handle(event) {
    if (event.type === "registered") this.registeredNow();
    else if (event.type === "nick") this.renamed(event.old, event.nick, event.line);
    else if (event.type === "batch-end") {
      if (event.batch.type === "chathistory") {
        const buffer = this.model.get(event.batch.target);
        if (buffer) this.endHistory(buffer);
      }
    } else if (event.type === "line") {
      const { line, batch } = event;
      if (batch && batch.type === "chathistory") this.handleHistoryLine(batch, line);
      else if (HANDLERS[line.command]) HANDLERS[line.command].call(this, line);
      else if (/^[45]\d\d$/.test(line.command)) this.showError(line.params.slice(1).join(" "));
    }
  }

  registeredNow() {
    this.emit("nick", this.nick);
    const rooms = [...this.model.buffers.values()].filter((b) => b.kind === "channel" && b.wanted);
    if (rooms.length) this.send("JOIN", rooms.map((b) => b.name).join(","));
    for (const buffer of this.model.buffers.values()) {
      if (buffer.kind === "query") this.fetchHistory(buffer, buffer.lastStored ? "after" : "latest");
    }
    this.monitored.clear(); // the server forgot the last connection's list
  }

  // -- who of the private chats is online (MONITOR) ---------------------------------------

  /** The welcome burst is over (ISUPPORT has arrived): watch every private chat's person. */
  watchQueries() {
    this.watch([...this.model.buffers.values()].filter((b) => b.kind === "query").map((b) => b.name));
  }

  /** Watch `nicks` not watched yet, within the server's MONITOR=<n>, in lines that fit. */
  watch(nicks) {
    if (!this.registered || !("MONITOR" in this.isupport)) return;
    const limit = Number(this.isupport.MONITOR) || Infinity;
    let chunk = [];
    for (const nick of nicks) {
      const key = casefold(nick);
      if (this.monitored.has(key) || this.monitored.size >= limit) continue;
      this.monitored.add(key);
      if (chunk.length && [...chunk, nick].join(",").length > 400) {
        this.send("MONITOR", "+", chunk.join(","));
        chunk = [];
      }
      chunk.push(nick);
    }
    if (chunk.length) this.send("MONITOR", "+", chunk.join(","));
  }

  unwatch(nick) {
    if (this.monitored.delete(casefold(nick))) this.send("MONITOR", "-", nick);
  }

  /** 730/731: `nick` is online (true) or offline (false); a line says so when it changes. */
  presence(nick, online, line) {
    const buffer = this.model.get(nick);
    if (!buffer || buffer.kind !== "query" || buffer.online === online) return;
    buffer.online = online;
    this.note(buffer, "info", `${buffer.name} is ${online ? "online" : "offline"}`, { line });
    this.emit("buffer", buffer);
    this.emit("buffers");
  }

  /** `old` (our nick, or another's when `self` is false) is now `now`. */
  renamed(old, now, line, self = true) {
    let buffers = this.model.buffersWith(old);
    let text = `${old} is now known as ${now}`;
    if (self) {
      this.emit("nick", now);
      text = `You are now known as ${now}`;
      buffers = [...this.model.buffers.values()].filter((b) => b.kind === "channel" && b.joined);
    }
    for (const buffer of buffers) {
      const member = buffer.members.get(casefold(old));
      if (member) {
        buffer.removeMember(old);
        buffer.setMember(now, member.prefix, member.away, member.account);
      }
      if (buffer.kind === "query" && buffer.key === casefold(old)) {
        this.model.rename(old, now);
        this.unwatch(old); // MONITOR follows the person to the new nick
        this.watch([now]);
      }
      this.note(buffer, "nick", text, { nick: old, line });
      this.emit("buffer", buffer);
    }
    this.emit("buffers");
  }

  // -- typing (https://ircv3.net/specs/client-tags/typing) ------------------------------

  /** The input line now reads `text` (seconds `now`): notifications for the active buffer. */
  inputChanged(text, now) {
    const buffer = this.model.activeBuffer();
    const target = buffer && (buffer.kind === "channel" || buffer.kind === "query") ? buffer.name : null;
    this.clock = Math.max(this.clock, now);
    this.sendTyping(this.typingOut.textChanged(target, text, now));
  }

  /** Time passed (client.js calls it every second): held-back or paused
   * notifications go out, and who stopped typing without saying so is forgotten. */
  tick(now) {
    this.clock = now;
    this.sendTyping(this.typingOut.tick(now));
    for (const key of this.typingIn.expire(now)) this.typingChanged(key);
  }

  sendTyping(notifications) {
    if (!this.registered || !this.protocol.caps.has("message-tags")) return;
    for (const [target, state] of notifications) this.protocol.sendRaw(`@+typing=${state} TAGMSG ${target}`);
  }

  typingChanged(name) {
    const buffer = this.model.get(name);
    if (buffer) this.emit("typing", buffer);
  }

  /** The connection closed: no room is joined any more, no history is on its way. */
  connectionLost() {
    this.typingOut = new TypingSender();
    for (const key of this.typingIn.stoppedAll()) this.typingChanged(key);
    for (const buffer of this.model.buffers.values()) {
      if (buffer.kind === "channel") {
        buffer.joined = false;
        buffer.members.clear();
      }
      buffer.historyPending = null;
    }
    this.emit("buffers");
  }

  // -- what the UI asks for ------------------------------------------------------------

  activate(name) {
    const buffer = this.model.get(name);
    if (!buffer) return;
    this.model.active = buffer.key;
    buffer.newFrom = firstNew(buffer);
    buffer.unread = 0;
    buffer.mentions = 0;
    this.emit("active", buffer);
    this.emit("buffers");
    if (this.isSeen()) this.markRead(buffer);
  }

  // -- read markers (IRCv3 draft/read-marker) ------------------------------------------

  /** The user has read `buffer` (default: the active one) to its newest message: it is
   * shown, the page visible and focused. Clears its count and, with the capability,
   * sends MARKREAD so the account's other devices clear theirs. */
  markRead(buffer = this.model.activeBuffer()) {
    if (!buffer) return;
    if (buffer.unread || buffer.mentions) {
      buffer.unread = buffer.mentions = 0;
      this.emit("buffers");
    }
    if (buffer.kind === "server" || !this.protocol.caps.has("draft/read-marker")) return;
    const newest = buffer.messages.findLast((m) => SPOKEN.has(m.kind));
    if (!newest || (buffer.readMarker && newest.time <= buffer.readMarker)) return;
    buffer.readMarker = newest.time;
    this.send("MARKREAD", buffer.name, `timestamp=${newest.time.toISOString()}`);
  }

  /** MARKREAD from the server: after a JOIN, or another device of the account read on. */
  readMarkerMoved(target, value) {
    const buffer = this.model.get(target);
    const match = /^timestamp=(.+)$/.exec(value ?? "");
    const when = match && match[1] !== "*" ? new Date(match[1]) : null;
    if (!buffer || !when || Number.isNaN(when.getTime())) return;
    if (buffer.readMarker && when <= buffer.readMarker) return;
    buffer.readMarker = when;
    this.recount(buffer);
  }

  /** REDACT from the server (draft/message-redaction): the message `msgid` of `target`
   * (a channel, or a private chat: the other person) shows "message deleted". */
  messageDeleted(target, msgid, source) {
    const channel = isChannel(target, this.isupport.CHANTYPES);
    const name = channel || casefold(target) !== casefold(this.nick) ? target : nickOf(source);
    const buffer = this.model.get(name);
    const message = buffer?.messages.find((m) => m.id === msgid && !m.deleted);
    if (!message) return;
    Object.assign(message, { text: DELETED_TEXT, deleted: true, highlight: false });
    this.emit("history", buffer); // redraws the buffer when it is on screen
  }

  /** Count `buffer`'s unread messages again from its read marker (history included). */
  recount(buffer) {
    const seen = buffer.key === this.model.active && this.isSeen();
    const unread = seen ? [] : buffer.messages.filter((m) => isNew(m, buffer.readMarker));
    buffer.unread = unread.length;
    buffer.mentions = unread.filter((m) => m.highlight).length;
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
    if (this.model.get(name)?.kind === "query") this.unwatch(name);
    this.model.remove(name);
    this.emit("buffers");
    const active = this.model.activeBuffer();
    if (active) this.emit("active", active);
  }

  openQuery(nick, { activate = true } = {}) {
    const existed = !!this.model.get(nick);
    const buffer = this.model.open(nick, "query");
    if (!existed) {
      this.fetchHistory(buffer, "latest");
      this.watch([buffer.name]);
    }
    if (activate) this.activate(buffer.name);
    this.emit("buffers");
    return buffer;
  }

  /** Send text to a buffer, split to fit a 512-byte line. Text with line breaks is one
   * draft/multiline message where the server takes it (within its limits), else each
   * line a message. Without echo-message, show it at once ourselves. */
  say(name, text, { action = false, notice = false, replyTo = null } = {}) {
    const buffer = this.model.get(name);
    if (!buffer || !text) return;
    const command = notice ? "NOTICE" : "PRIVMSG";
    const kind = action ? "action" : notice ? "notice" : "message";
    this.typingOut.messageSent(buffer.name); // the message ends our typing there
    text = text.replace(/\r\n?/g, "\n");
    // A reply (+draft/reply) tags each line, or the multiline batch, it is sent as.
    const tags = replyTo && this.protocol.caps.has("message-tags") ? `@${REPLY_TAG}=${escapeTag(replyTo)} ` : "";
    if (text.includes("\n") && !action && this.sayMultiline(buffer, command, text, tags)) {
      this.shownSent(buffer, kind, text, replyTo);
      return;
    }
    for (const line of text.split("\n")) {
      for (const chunk of splitText(line, 400)) {
        this.protocol.sendRaw(tags + formatLine(command, buffer.name, action ? `\x01ACTION ${chunk}\x01` : chunk));
        this.shownSent(buffer, kind, chunk, replyTo);
      }
    }
  }

  /** Send `text` as one multiline batch; false (nothing sent) if the server takes none
   * or the text is over its limits. */
  sayMultiline(buffer, command, text, tags = "") {
    const limits = this.protocol.multilineLimits();
    if (!limits) return false;
    const parts = text.split("\n").flatMap((line) => cutExact(line, 400).map((piece, i) => [piece, i > 0]));
    if (parts.length > limits.maxLines || new TextEncoder().encode(text).length > limits.maxBytes) return false;
    const ref = `m${++this.multilineRefs}`;
    this.protocol.sendRaw(tags + formatLine("BATCH", `+${ref}`, MULTILINE, buffer.name));
    for (const [piece, concat] of parts) {
      const tags = concat ? `@batch=${ref};${CONCAT} ` : `@batch=${ref} `;
      this.protocol.sendRaw(tags + formatLine(command, buffer.name, piece));
    }
    this.protocol.sendRaw(formatLine("BATCH", `-${ref}`));
    return true;
  }

  shownSent(buffer, kind, text, replyTo = null) {
    if (!this.protocol.caps.has("echo-message")) {
      this.addMessage(buffer, new Message({ kind, nick: this.nick, text, self: true, replyTo }), true);
    }
  }

  // -- reactions (https://ircv3.net/specs/client-tags/react) ----------------------------

  /** Clicking the reaction `text` under `msgid` of `name`: react, or take back our own.
   * Without echo-message, shown at once. */
  toggleReaction(name, msgid, text) {
    const buffer = this.model.get(name);
    if (!buffer || !msgid || !text || !this.protocol.caps.has("message-tags")) return;
    const mine = reactionSummary(buffer, msgid, this.nick).some((r) => r.text === text && r.mine);
    this.protocol.sendRaw(reactLine(buffer.name, msgid, text, mine));
    if (!this.protocol.caps.has("echo-message")) this.reacted({ tags: tagsOf(msgid, text, mine), source: this.nick, params: [buffer.name] }, buffer);
  }

  /** A reaction TAGMSG, live (`buffer` null) or replayed: tell the views if it changed. */
  reacted(line, buffer = null) {
    const changed = reactionReceived(this, line, buffer);
    if (changed) this.emit("reactions", changed, line.tags[REPLY_TAG]);
  }

  reactions(buffer, msgid) {
    return reactionSummary(buffer, msgid, this.nick);
  }

  setNick(nick) {
    this.protocol.setNick(nick);
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
    if (!this.registered || !this.protocol.caps.has("draft/chathistory") || buffer.kind === "server") return;
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
    if (buffer.readMarker) this.recount(buffer);
    this.emit("history", buffer);
    // Catching up after a reconnect: a full page means there may be more.
    if (pending.kind === "after" && pending.count >= pending.limit) this.fetchHistory(buffer, "after");
  }

  handleHistoryLine(batch, line) {
    const buffer = this.model.get(batch.target) ?? this.model.open(batch.target, isChannel(batch.target, this.isupport.CHANTYPES) ? "channel" : "query");
    if (buffer.historyPending) buffer.historyPending.count++; // events count in the page too
    // draft/event-playback replays reactions as TAGMSG (and joins, parts...: not shown).
    if (line.command === "TAGMSG") this.reacted(line, buffer);
    else if (line.command === "REDACT") this.messageDeleted(line.params[0] ?? "", line.params[1] ?? "", line.source);
    if (line.command !== "PRIVMSG" && line.command !== "NOTICE") return;
    const message = this.messageFrom(line, buffer);
    if (message) this.addMessage(buffer, message, false);
  }

  // -- messages ------------------------------------------------------------------------------

  /** Build a Message from a PRIVMSG/NOTICE line, or null if not shown (CTCP). */
  messageFrom(line, buffer) {
    let text = line.params[1] ?? "";
    const nick = nickOf(line.source);
    const self = this.isMe(nick);
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
    const replyTo = line.tags[REPLY_TAG] || null;
    return new Message({ id: line.tags.msgid || null, time: timeOf(line), kind, nick, text, self, highlight, replyTo });
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
      } else {
        this.markRead(buffer);
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
}

function tagsOf(msgid, text, undo) {
  return { [REPLY_TAG]: msgid, [undo ? UNREACT_TAG : REACT_TAG]: text };
}

function isNew(message, marker) {
  return !message.self && SPOKEN.has(message.kind) && message.time > marker;
}

/** The first message of `buffer` not read yet (where the "new messages" line goes), or
 * null: after the read marker when the server keeps one, else the last `unread` ones. */
function firstNew(buffer) {
  if (buffer.readMarker) return buffer.messages.find((m) => isNew(m, buffer.readMarker)) ?? null;
  let left = buffer.unread;
  if (!left) return null;
  for (let i = buffer.messages.length - 1; i >= 0; i--) {
    const m = buffer.messages[i];
    if (!m.self && SPOKEN.has(m.kind) && --left === 0) return m;
  }
  return null;
}
