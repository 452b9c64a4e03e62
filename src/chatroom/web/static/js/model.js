// The chat as data: buffers (rooms and private chats), their messages and members.
// No DOM and no network: client.js fills it, view.js shows it.

import { casefold } from "./irc.js";

/** Kinds of lines that people said (counted as unread, stored in history). */
export const SPOKEN = new Set(["message", "action", "notice"]);

/**
 * One line of a conversation.
 * kind: message | action | notice | join | part | quit | nick | topic | kick | mode | info | error
 * replyTo: the msgid this message answers (+draft/reply), or null.
 */
export class Message {
  constructor({ id = null, time = new Date(), kind = "message", nick = "", text = "", self = false, highlight = false, replyTo = null }) {
    Object.assign(this, { id, time, kind, nick, text, self, highlight, replyTo });
  }
}

/** A room ("channel") or a private chat ("query") or the server's own notes ("server"). */
export class Buffer {
  constructor(name, kind) {
    this.name = name;
    this.key = casefold(name);
    this.kind = kind;
    this.joined = false;
    this.topic = "";
    this.members = new Map(); // folded nick -> {nick, prefix, away, account}
    this.messages = []; // sorted by time
    this.msgids = new Set();
    this.unread = 0;
    this.mentions = 0;
    this.reachedStart = false; // no older history to fetch
    this.historyPending = null; // {kind, limit} of the CHATHISTORY request in flight
    this.lastStored = null; // newest message with a msgid: where catch-up starts
    this.online = null; // a private chat's person (MONITOR): true, false, or null (not known)
    this.readMarker = null; // Date of the last message read (draft/read-marker), if known
    this.newFrom = null; // the first message not read when the buffer was shown: the "new messages" line
    this.reactions = new Map(); // msgid -> Map(reaction -> [nicks]) (reactions.js)
    this.reactionTimes = new Map(); // msgid -> Map(reaction and nick -> time of its last change)
    this.focus = null; // {msgid, asked}: the message to show once loaded (history.js openAt)
  }

  /**
   * Add a message in time order; false if it is a duplicate (same msgid), which
   * happens when history and live delivery overlap.
   * Returns "append" when it went at the end, "insert" when somewhere before.
   * `page` (the msgids of the history page it comes with, in order) settles equal
   * times: messages said within one millisecond share their time, and a page of
   * older history goes before the shown messages of its time, after its own.
   */
  add(message, page = null) {
    if (message.id) {
      if (this.msgids.has(message.id)) return false;
      this.msgids.add(message.id);
      if (!this.lastStored || message.time >= this.lastStored.time) this.lastStored = message;
    }
    const list = this.messages;
    const last = list[list.length - 1];
    if (!list.length || last.time < message.time || (!page && last.time <= message.time)) {
      list.push(message);
      return "append";
    }
    // Binary search: live, after every message of its time (arrival order); from a
    // page, before them (lower bound), then past that page's own.
    const before = page ? (m) => m.time < message.time : (m) => m.time <= message.time;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(list[mid])) lo = mid + 1;
      else hi = mid;
    }
    if (page) while (lo < list.length && list[lo].time <= message.time && page.has(list[lo].id)) lo++;
    if (lo === list.length) {
      list.push(message);
      return "append";
    }
    list.splice(lo, 0, message);
    return "insert";
  }

  /** The oldest message with a msgid: the anchor for "load older". */
  oldestStored() {
    return this.messages.find((m) => m.id) ?? null;
  }

  /** account: null when not logged in (or not known yet); away and account come from
   * WHOX replies, extended-join and the away-notify / account-notify lines. */
  setMember(nick, prefix = "", away = false, account = null) {
    this.members.set(casefold(nick), { nick, prefix, away, account });
  }

  removeMember(nick) {
    return this.members.delete(casefold(nick));
  }

  hasMember(nick) {
    return this.members.has(casefold(nick));
  }

  /** Members sorted as people expect: by rank (@ before + before none), then name. */
  sortedMembers(prefixOrder) {
    const rank = (m) => (m.prefix ? prefixOrder.indexOf(m.prefix[0]) : prefixOrder.length);
    return [...this.members.values()].sort(
      (a, b) => rank(a) - rank(b) || casefold(a.nick).localeCompare(casefold(b.nick)),
    );
  }
}

/** All buffers of one connection, and which one is shown. */
export class Model {
  constructor() {
    this.buffers = new Map(); // key -> Buffer
    this.active = null; // key
  }

  get(name) {
    return this.buffers.get(casefold(name)) ?? null;
  }

  open(name, kind) {
    let buffer = this.get(name);
    if (!buffer) {
      buffer = new Buffer(name, kind);
      this.buffers.set(buffer.key, buffer);
    }
    return buffer;
  }

  remove(name) {
    const key = casefold(name);
    this.buffers.delete(key);
    if (this.active === key) this.active = this.ordered()[0]?.key ?? null;
  }

  rename(oldName, newName) {
    const buffer = this.get(oldName);
    if (!buffer || this.get(newName)) return;
    this.buffers.delete(buffer.key);
    buffer.name = newName;
    const wasActive = this.active === buffer.key;
    buffer.key = casefold(newName);
    this.buffers.set(buffer.key, buffer);
    if (wasActive) this.active = buffer.key;
  }

  activeBuffer() {
    return this.active ? (this.buffers.get(this.active) ?? null) : null;
  }

  /** Rooms first, then private chats, each by name (the sidebar's order). */
  ordered() {
    const order = { server: 0, channel: 1, query: 2 };
    return [...this.buffers.values()].sort(
      (a, b) => order[a.kind] - order[b.kind] || a.key.localeCompare(b.key),
    );
  }

  /** Buffers where `nick` is present: its rooms and its private chat. */
  buffersWith(nick) {
    const key = casefold(nick);
    return [...this.buffers.values()].filter((b) => b.members.has(key) || (b.kind === "query" && b.key === key));
  }

  totalUnread() {
    let n = 0;
    for (const b of this.buffers.values()) n += b.unread;
    return n;
  }
}
