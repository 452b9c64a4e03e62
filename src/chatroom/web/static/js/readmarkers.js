// Read markers (IRCv3 draft/read-marker, https://ircv3.net/specs/extensions/read-marker)
// for a Chat: the time of the last message read per conversation, kept by the server
// per account, so reading on one device clears the counts on the others; the unread
// counts and the "new messages" line come from it. No DOM, no network: the Chat sends.

import { SPOKEN } from "./model.js";

/** The user has read `buffer` to its newest message: it is shown, the page visible
 * and focused. Clears its count and, with the capability, sends MARKREAD so the
 * account's other devices clear theirs. */
export function markRead(chat, buffer) {
  if (!buffer) return;
  if (buffer.unread || buffer.mentions) {
    buffer.unread = buffer.mentions = 0;
    chat.emit("buffers");
  }
  if (buffer.kind === "server" || !chat.protocol.caps.has("draft/read-marker")) return;
  const newest = buffer.messages.findLast((m) => SPOKEN.has(m.kind));
  if (!newest || (buffer.readMarker && newest.time <= buffer.readMarker)) return;
  buffer.readMarker = newest.time;
  chat.send("MARKREAD", buffer.name, `timestamp=${newest.time.toISOString()}`);
}

/** MARKREAD from the server: after a JOIN, or another device of the account read on. */
export function readMarkerMoved(chat, target, value) {
  const buffer = chat.model.get(target);
  const match = /^timestamp=(.+)$/.exec(value ?? "");
  const when = match && match[1] !== "*" ? new Date(match[1]) : null;
  if (!buffer || !when || Number.isNaN(when.getTime())) return;
  if (buffer.readMarker && when <= buffer.readMarker) return;
  buffer.readMarker = when;
  recount(chat, buffer);
}

/** Count `buffer`'s unread messages again from its read marker (history included). */
export function recount(chat, buffer) {
  const seen = buffer.key === chat.model.active && chat.isSeen();
  const unread = seen ? [] : buffer.messages.filter((m) => isNew(m, buffer.readMarker));
  buffer.unread = unread.length;
  buffer.mentions = unread.filter((m) => m.highlight).length;
  chat.emit("buffers");
}

function isNew(message, marker) {
  return !message.self && SPOKEN.has(message.kind) && message.time > marker;
}

/** The first message of `buffer` not read yet (where the "new messages" line goes), or
 * null: after the read marker when the server keeps one, else the last `unread` ones. */
export function firstNew(buffer) {
  if (buffer.readMarker) return buffer.messages.find((m) => isNew(m, buffer.readMarker)) ?? null;
  let left = buffer.unread;
  if (!left) return null;
  for (let i = buffer.messages.length - 1; i >= 0; i--) {
    const m = buffer.messages[i];
    if (!m.self && SPOKEN.has(m.kind) && --left === 0) return m;
  }
  return null;
}
