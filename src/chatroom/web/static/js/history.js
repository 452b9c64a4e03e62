// History with IRCv3 draft/chathistory (https://ircv3.net/specs/extensions/chathistory),
// for a Chat: the latest page on joining, older pages on scrolling up, catch-up after a
// reconnect, and a page AROUND one message (a search result). Replayed lines are
// merged in time order; draft/event-playback adds reactions (TAGMSG) and deletions
// (REDACT) to them, applied as the live ones are. No DOM, no network: the Chat sends.

import { isChannel, timeOf } from "./irc.js";
import { Message } from "./model.js";
import { recount } from "./readmarkers.js";

export const HISTORY_PAGE = 50; // messages per CHATHISTORY request (capped by ISUPPORT)

/** What is shown in place of a deleted message's text (draft/message-redaction). */
export const DELETED_TEXT = "message deleted";

/** The most messages one request may ask for: the server's ISUPPORT CHATHISTORY. */
export function historyLimit(chat) {
  return Math.max(1, Math.min(HISTORY_PAGE * 2, Number(chat.isupport.CHATHISTORY) || 100));
}

/** Ask for a page of `buffer`'s history: kind "latest", "before" (older than the
 * oldest shown), "after" (catch-up from the newest stored) or "around" (`msgid`). */
export function fetchHistory(chat, buffer, kind, msgid = null) {
  if (!chat.registered || !chat.protocol.caps.has("draft/chathistory") || buffer.kind === "server") return;
  let anchor = "*";
  let sub = "LATEST";
  let limit = Math.min(HISTORY_PAGE, historyLimit(chat));
  if (kind === "before") {
    const oldest = buffer.oldestStored();
    if (oldest) {
      sub = "BEFORE";
      anchor = `msgid=${oldest.id}`;
    }
  } else if (kind === "after" && buffer.lastStored) {
    sub = "AFTER";
    anchor = `msgid=${buffer.lastStored.id}`;
    limit = historyLimit(chat);
  } else if (kind === "around" && msgid) {
    sub = "AROUND";
    anchor = `msgid=${msgid}`;
  }
  buffer.historyPending = { kind: sub.toLowerCase(), anchor, limit, count: 0, added: new Set() };
  chat.send("CHATHISTORY", sub, buffer.name, anchor, String(limit));
}

/** The batch of `buffer`'s pending request ended: merge done, tell the views, and go
 * on (more catch-up, or the page around a message the user asked to see). */
export function endHistory(chat, buffer) {
  const pending = buffer.historyPending;
  buffer.historyPending = null;
  if (!pending) return;
  if ((pending.kind === "before" || pending.kind === "latest") && pending.count < pending.limit) {
    buffer.reachedStart = true;
  }
  if (pending.kind === "around") markGaps(buffer, pending);
  if (buffer.readMarker) recount(chat, buffer);
  chat.emit("history", buffer);
  // Catching up after a reconnect: a full page means there may be more.
  if (pending.kind === "after" && pending.count >= pending.limit) fetchHistory(chat, buffer, "after");
  else showFocus(chat, buffer);
}

/** Show `buffer` at its message `msgid` (a search result): at once when loaded, else
 * after the page AROUND it arrives (once any request in flight is done). */
export function openAt(chat, buffer, msgid) {
  buffer.focus = { msgid, asked: false };
  if (!buffer.historyPending) showFocus(chat, buffer);
}

function showFocus(chat, buffer) {
  const focus = buffer.focus;
  if (!focus) return;
  const joined = buffer.kind !== "channel" || buffer.joined;
  if (buffer.msgids.has(focus.msgid) || focus.asked) {
    buffer.focus = null;
    chat.emit("focus", buffer, buffer.msgids.has(focus.msgid) ? focus.msgid : null);
  } else if (joined && chat.registered) {
    focus.asked = true;
    fetchHistory(chat, buffer, "around", focus.msgid);
  }
  // Not joined yet: the JOIN fetches history, and its end comes back here.
}

/** A page AROUND a message may not reach the messages already shown: unless it
 * overlaps them, mark where messages are missing (`gapBefore`). */
function markGaps(buffer, pending) {
  if (pending.overlap) return;
  const list = buffer.messages;
  const inPage = (m) => m.id && pending.added.has(m.id);
  for (let i = 1; i < list.length; i++) {
    if (!list[i].id || !list[i - 1].id) continue;
    if (inPage(list[i]) !== inPage(list[i - 1])) list[i].gapBefore = true;
  }
}

/** One line of a chathistory batch for `batch.target`. */
export function historyLine(chat, batch, line) {
  const buffer = chat.model.get(batch.target) ?? chat.model.open(batch.target, isChannel(batch.target, chat.isupport.CHANTYPES) ? "channel" : "query");
  const pending = buffer.historyPending;
  if (pending) pending.count++; // events count in the page too
  if (pending && line.tags.msgid) pending.added.add(line.tags.msgid);
  // draft/event-playback replays reactions as TAGMSG (and joins, parts...: not shown).
  if (line.command === "TAGMSG") chat.reacted(line, buffer);
  else if (line.command === "REDACT") deletedInHistory(chat, buffer, line);
  if (line.command !== "PRIVMSG" && line.command !== "NOTICE") return;
  if (pending && buffer.msgids.has(line.tags.msgid)) pending.overlap = true;
  const message = chat.messageFrom(line, buffer);
  if (message) chat.addMessage(buffer, message, false, pending?.added);
}

/** A REDACT replayed in place of a deleted message (event-playback): mark it deleted
 * if it is shown, else show the place it had ("message deleted"). */
function deletedInHistory(chat, buffer, line) {
  const msgid = line.params[1] ?? "";
  if (!msgid) return;
  if (buffer.msgids.has(msgid)) {
    chat.messageDeleted(line.params[0] ?? "", msgid, line.source);
    return;
  }
  buffer.historyPending?.added.add(msgid);
  const message = new Message({ id: msgid, time: timeOf(line), text: DELETED_TEXT });
  message.deleted = true;
  chat.addMessage(buffer, message, false);
}
