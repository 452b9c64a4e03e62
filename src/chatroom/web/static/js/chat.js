// The chat over one IrcProtocol: the Model (rooms, private chats, messages,
// members), history with draft/chathistory, and what the UI asks for. It acts on
// the protocol's events (handlers.js has one handler per command) and asks the
// protocol to send lines; it tells the views what changed through events. No
// WebSocket, no DOM, no timers: client.js sends what the protocol queued.

import { HANDLERS } from "./handlers.js";
import { Presence } from "./presence.js";
import { firstNew, markRead } from "./readmarkers.js";
import { DELETED_TEXT, endHistory, fetchHistory, historyLine, openAt } from "./history.js";
import { CONCAT, MULTILINE, actionText, casefold, cutExact, formatLine, isChannel, isCtcp, nickOf, splitText, stripFormatting, timeOf } from "./irc.js";
import { Message, Model, SPOKEN } from "./model.js";
import { REACT_TAG, REPLY_TAG, UNREACT_TAG, escapeTag, reactLine, reactionReceived, reactionSummary } from "./reactions.js";
import { SEARCH_BATCH, SEARCH_CAP, Search, searchAttributes } from "./search.js";
import { TypingSender, TypingWatch } from "./typing.js";

export { DELETED_TEXT };

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
   *   reactions(buffer, msgid)  the reactions to a message changed
   *   search(search)         a search (search.js) got its results, or failed
   *   focus(buffer, msgid)   show `msgid` of `buffer` (openAt); null: it could not be found
   * A private chat's `online` (true, false, null: not known) comes from IRCv3 MONITOR
   * (presence.js).
   */
  constructor(protocol, options = {}) {
    this.protocol = protocol;
    this.model = new Model();
    this.listeners = new Map();
    this.isSeen = () => true; // the view says whether the active buffer is visible
    this.multilineRefs = 0; // our draft/multiline batch references
    this.names = new Map(); // channel key -> members, while NAMES is arriving
    this.presence = new Presence(this); // who of the private chats is online (MONITOR)
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
      if (event.batch.type === SEARCH_BATCH) this.searchDone();
      else if (event.batch.type === "chathistory") {
        const buffer = this.model.get(event.batch.target);
        if (buffer) endHistory(this, buffer);
      }
    } else if (event.type === "line") {
      const { line, batch } = event;
      if (batch && batch.type === "chathistory") historyLine(this, batch, line);
      else if (batch && batch.type === SEARCH_BATCH) this.searchLine(line);
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
    this.presence.forget(); // the server forgot the last connection's list
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
        this.presence.unwatch(old); // MONITOR follows the person to the new nick
        this.presence.watch([now]);
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

  /** The user has read `buffer` (default: the active one): see readmarkers.js. */
  markRead(buffer = this.model.activeBuffer()) {
    markRead(this, buffer);
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
    if (this.model.get(name)?.kind === "query") this.presence.unwatch(name);
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
      this.presence.watch([buffer.name]);
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

  // -- search (search.js) and showing one message ------------------------------------------

  /** Search the history for `query` ({text, target, from}); an error to show, or "". */
  search(query) {
    if (!this.registered || !this.protocol.caps.has(SEARCH_CAP)) return "This server cannot search its history.";
    this.searching = new Search(query);
    this.send("SEARCH", searchAttributes(query));
    return "";
  }

  searchLine(line) {
    if (!this.searching || this.searching.done || (line.command !== "PRIVMSG" && line.command !== "NOTICE")) return;
    const message = this.messageFrom(line, { kind: "channel" });
    if (message) this.searching.add(line, message, this.nick, this.isupport.CHANTYPES);
  }

  /** The search's batch ended, or FAIL SEARCH said why not (`error`). */
  searchDone(error = "") {
    if (!this.searching || this.searching.done) return;
    this.searching.finish(error);
    this.emit("search", this.searching);
  }

  /** Show the conversation `name` at its message `msgid` (a search result): opened
   * (joined) if it is not, the page around the message fetched if not loaded. */
  openAt(name, msgid) {
    let buffer = this.model.get(name);
    if (isChannel(name, this.isupport.CHANTYPES)) {
      if (!buffer?.joined) this.join(name);
      else this.activate(name);
    } else {
      this.openQuery(name);
    }
    buffer = this.model.get(name);
    if (buffer) openAt(this, buffer, msgid);
  }

  // -- deleting (https://ircv3.net/specs/extensions/message-redaction) --------------------

  /** May we delete `message` of `buffer`? Our own, or any in a channel we operate. */
  canDelete(buffer, message) {
    if (!message.id || message.deleted || !this.protocol.caps.has("draft/message-redaction")) return false;
    if (message.self) return true;
    const me = buffer.kind === "channel" ? buffer.members.get(casefold(this.nick)) : null;
    const symbols = this.prefixSymbols();
    const op = symbols.indexOf("@");
    return !!me && op >= 0 && [...me.prefix].some((s) => symbols.indexOf(s) >= 0 && symbols.indexOf(s) <= op);
  }

  /** Ask the server to delete `msgid` of `name`; it answers REDACT (shown as deleted) or FAIL. */
  deleteMessage(name, msgid) {
    const buffer = this.model.get(name);
    if (buffer && msgid) this.send("REDACT", buffer.name, msgid);
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

  fetchHistory(buffer, kind) {
    fetchHistory(this, buffer, kind);
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

  addMessage(buffer, message, live, page = null) {
    const how = buffer.add(message, page);
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
