// Replies and reactions (https://ircv3.net/specs/client-tags/reply and
// https://ircv3.net/specs/client-tags/react), as the Python client core does them
// (client/reactions.py). A reply is a PRIVMSG with +draft/reply=<msgid>: its
// Message keeps the msgid in replyTo. A reaction is a TAGMSG with +draft/reply and
// +draft/react=<emoji>; taking it back sends +draft/unreact. A buffer keeps, per
// msgid, who reacted how; clicking a reaction toggles it. No DOM, no network.

import { casefold, formatLine, isChannel, nickOf } from "./irc.js";

export const REPLY_TAG = "+draft/reply";
export const REACT_TAG = "+draft/react";
export const UNREACT_TAG = "+draft/unreact";
/** The reactions offered on a message, besides those given already. */
export const DEFAULT_REACTIONS = Object.freeze(["👍", "❤️", "😂", "🎉", "😮"]);
/** Messages whose reactions a buffer keeps; beyond it the oldest are forgotten. */
export const MAX_MESSAGES = 2000;

/** A tag value escaped for the wire (IRCv3 message-tags). */
export function escapeTag(value) {
  return value.replace(/[\\; \r\n]/g, (c) => ({ "\\": "\\\\", ";": "\\:", " ": "\\s", "\r": "\\r", "\n": "\\n" })[c]);
}

/** Record that `nick` reacted to `msgid` with `text` (`on`) or took it back; whether
 * anything changed. `buffer.reactions`: msgid -> Map(text -> [nicks]). `time` (ms,
 * the line's server-time) orders what arrives out of order: history is fetched
 * newest page first and a reconnect replays what was seen live, so a reaction or
 * its taking back older than the last one applied for the same nick is ignored
 * (replayed twice, a reaction changes nothing the second time). */
export function applyReaction(buffer, msgid, text, nick, on, time = null) {
  if (time !== null && !newest(buffer, msgid, `${text}\n${casefold(nick)}`, time)) return false;
  let given = buffer.reactions.get(msgid);
  if (!given) {
    if (!on) return false;
    if (buffer.reactions.size >= MAX_MESSAGES) buffer.reactions.delete(buffer.reactions.keys().next().value);
    given = new Map();
    buffer.reactions.set(msgid, given);
  }
  const nicks = given.get(text) ?? [];
  const present = nicks.some((n) => casefold(n) === casefold(nick));
  if (on === present) return false;
  const now = on ? [...nicks, nick] : nicks.filter((n) => casefold(n) !== casefold(nick));
  if (now.length) given.set(text, now);
  else given.delete(text);
  return true;
}

/** Is `time` later than the last reaction event of `key` (reaction and nick) to
 * `msgid`? Remembers it if so, for the last MAX_MESSAGES messages. */
function newest(buffer, msgid, key, time) {
  const times = buffer.reactionTimes;
  let seen = times.get(msgid);
  if (!seen) {
    if (times.size >= MAX_MESSAGES) times.delete(times.keys().next().value);
    seen = new Map();
    times.set(msgid, seen);
  }
  if (seen.has(key) && seen.get(key) > time) return false; // the same millisecond: in arrival order
  seen.set(key, time);
  return true;
}

/** The reactions to `msgid` in the order first given: [{text, nicks, mine}]. */
export function reactionSummary(buffer, msgid, me) {
  return [...(buffer.reactions.get(msgid) ?? new Map())].map(([text, nicks]) => ({
    text, nicks, mine: nicks.some((n) => casefold(n) === casefold(me)),
  }));
}

/** The TAGMSG that reacts to `msgid` in `target` with `text` (or takes it back). */
export function reactLine(target, msgid, text, undo = false) {
  const tag = undo ? UNREACT_TAG : REACT_TAG;
  return `@${REPLY_TAG}=${escapeTag(msgid)};${tag}=${escapeTag(text)} ${formatLine("TAGMSG", target)}`;
}

/** A reaction TAGMSG from the server, live (`buffer` null: found from the target; a
 * reaction never opens one) or from a history batch. The buffer, if it changed. */
export function reactionReceived(chat, line, buffer = null) {
  const msgid = line.tags[REPLY_TAG];
  const on = REACT_TAG in line.tags;
  const text = line.tags[on ? REACT_TAG : UNREACT_TAG];
  const nick = nickOf(line.source ?? "");
  if (!msgid || !text || !nick) return null;
  if (!buffer) {
    let target = line.params[0] ?? "";
    const statusmsg = chat.isupport.STATUSMSG ?? "";
    while (target && statusmsg.includes(target[0])) target = target.slice(1);
    buffer = chat.model.get(isChannel(target, chat.isupport.CHANTYPES) || chat.isMe(nick) ? target : nick);
  }
  const time = line.tags.time ? Date.parse(line.tags.time) : NaN;
  return buffer && applyReaction(buffer, msgid, text, nick, on, Number.isNaN(time) ? null : time) ? buffer : null;
}

/** The message of `buffer` with `msgid` (a reply's quote), if it is still kept. */
export function messageById(buffer, msgid) {
  if (!msgid || !buffer.msgids.has(msgid)) return null;
  return buffer.messages.findLast((m) => m.id === msgid) ?? null;
}
