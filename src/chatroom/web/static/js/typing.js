// Typing notifications (https://ircv3.net/specs/client-tags/typing), as the Python
// client core has them (chatroom.client.typing_notify): no timers, no DOM; the
// caller passes the time (seconds) in. chat.js drives both classes.
//
// TypingSender: what the input line does -> [target, state] pairs to send:
//   active while a message (not a /command) is being changed, at most once every
//   THROTTLE s per target (the spec: no notification within 3 s of another for a
//   target); paused once after PAUSED_AFTER s without a change, text left; done once
//   when the text is cleared (or the user moves to another buffer) without being
//   sent, held back by the throttle until tick(). A sent message needs no done.
// TypingWatch: who is typing per buffer, forgotten on done, a message, leaving,
//   ACTIVE_FOR s after their last active or PAUSED_FOR s after their last paused.

import { casefold } from "./irc.js";

export const THROTTLE = 3;
export const PAUSED_AFTER = 5;
export const ACTIVE_FOR = 6;
export const PAUSED_FOR = 30;
const STATES = new Set(["active", "paused", "done"]);

/** Whether the input line holds a message being typed (not blank, not a /command). */
export function isTypingText(text) {
  if (!text.trim()) return false;
  return !text.startsWith("/") || text.startsWith("//");
}

export class TypingSender {
  constructor() {
    this.target = null; // where the user types, while typing
    this.state = "done"; // the last state told to `target`
    this.typedAt = 0;
    this.sentAt = new Map(); // folded target -> time of the last notification
    this.pending = null; // [target, "done"] held back by the throttle
  }

  /** The input line reads `text` and sends to `target` (null: no conversation). */
  textChanged(target, text, now) {
    const out = [];
    if (this.target !== null && (target === null || casefold(target) !== casefold(this.target))) {
      out.push(...this.stop(now));
    }
    if (target === null || !isTypingText(text)) return [...out, ...this.stop(now)];
    this.target = target;
    this.typedAt = now;
    if (this.pending && casefold(this.pending[0]) === casefold(target)) this.pending = null;
    const sent = this.send(target, "active", now);
    if (sent.length) this.state = "active";
    return [...out, ...sent];
  }

  /** A message went to `target`: typing there has ended, nothing more to send. */
  messageSent(target) {
    if (this.target !== null && casefold(this.target) === casefold(target)) {
      this.target = null;
      this.state = "done";
    }
    if (this.pending && casefold(this.pending[0]) === casefold(target)) this.pending = null;
  }

  /** Time passed (about every second): a held-back done, or paused. */
  tick(now) {
    const out = [];
    const pending = this.pending;
    if (pending && this.maySend(pending[0], now)) {
      this.pending = null;
      out.push(...this.send(pending[0], pending[1], now));
    }
    const target = this.target;
    if (target !== null && this.state === "active" && now - this.typedAt >= PAUSED_AFTER && this.maySend(target, now)) {
      out.push(...this.send(target, "paused", now));
      this.state = "paused";
    }
    return out;
  }

  stop(now) {
    const target = this.target;
    this.target = null;
    if (target === null || this.state === "done") return [];
    this.state = "done";
    if (this.maySend(target, now)) return this.send(target, "done", now);
    this.pending = [target, "done"];
    return [];
  }

  maySend(target, now) {
    const last = this.sentAt.get(casefold(target));
    return last === undefined || now - last >= THROTTLE;
  }

  send(target, state, now) {
    if (!this.maySend(target, now)) return [];
    this.sentAt.set(casefold(target), now);
    return [[target, state]];
  }
}

export class TypingWatch {
  constructor() {
    this.typing = new Map(); // folded buffer -> Map(folded nick -> {nick, state, at})
  }

  /** `nick` sent +typing=`state` to `buffer`; true if who types there changed. */
  received(buffer, nick, state, now) {
    if (!STATES.has(state)) return false;
    if (state === "done") return this.stopped(buffer, nick);
    const key = casefold(buffer);
    if (!this.typing.has(key)) this.typing.set(key, new Map());
    const typers = this.typing.get(key);
    const before = typers.has(casefold(nick));
    typers.set(casefold(nick), { nick, state, at: now });
    return !before;
  }

  /** `nick` no longer types in `buffer`; true if they were. */
  stopped(buffer, nick) {
    const typers = this.typing.get(casefold(buffer));
    if (!typers || !typers.delete(casefold(nick))) return false;
    if (!typers.size) this.typing.delete(casefold(buffer));
    return true;
  }

  /** `nick` quit: the folded buffers where they were typing. */
  stoppedEverywhere(nick) {
    return [...this.typing.keys()].filter((buffer) => this.stopped(buffer, nick));
  }

  /** Forget who stopped without saying so; the folded buffers that changed. */
  expire(now) {
    const changed = [];
    for (const [buffer, typers] of [...this.typing]) {
      for (const [key, { state, at }] of [...typers]) {
        if (now - at >= (state === "active" ? ACTIVE_FOR : PAUSED_FOR)) {
          typers.delete(key);
          if (!changed.includes(buffer)) changed.push(buffer);
        }
      }
      if (!typers.size) this.typing.delete(buffer);
    }
    return changed;
  }

  /** Forget everyone (the connection ended); the folded buffers that changed. */
  stoppedAll() {
    const changed = [...this.typing.keys()];
    this.typing.clear();
    return changed;
  }

  /** The nicks typing in `buffer`, in the order they started. */
  nicks(buffer) {
    return [...(this.typing.get(casefold(buffer))?.values() ?? [])].map((t) => t.nick);
  }
}

/** "alice is typing…", "alice and bob are typing…", "3 people are typing…", or "". */
export function typingText(nicks) {
  if (!nicks.length) return "";
  if (nicks.length === 1) return `${nicks[0]} is typing…`;
  if (nicks.length === 2) return `${nicks[0]} and ${nicks[1]} are typing…`;
  return `${nicks.length} people are typing…`;
}
