// Searching the server's history with soju's soju.im/search
// (https://soju.im/specs/search): SEARCH <attributes>, the attributes written as
// message tags (text=fast;in=#chan;from=bob;limit=50), answered by one
// soju.im/search batch of the matching PRIVMSG/NOTICE lines, oldest first, with
// their msgid and time. A result opens its conversation there (CHATHISTORY AROUND,
// history.js). No DOM, no network: the Chat sends and collects.

import { casefold, isChannel } from "./irc.js";
import { escapeTag } from "./reactions.js";

export const SEARCH_CAP = "soju.im/search";
export const SEARCH_BATCH = "soju.im/search";
/** Results asked for per search (the server caps it at its CHATHISTORY limit). */
export const SEARCH_LIMIT = 50;

/** The SEARCH parameter for {text, target, from}: only the attributes given. */
export function searchAttributes({ text = "", target = "", from = "", limit = SEARCH_LIMIT }) {
  const attrs = [];
  if (target) attrs.push(`in=${escapeTag(target)}`);
  if (from) attrs.push(`from=${escapeTag(from)}`);
  if (text) attrs.push(`text=${escapeTag(text)}`);
  attrs.push(`limit=${limit}`);
  return attrs.join(";");
}

/** What "/search" and the search box type, read: "from:bob in:#games lunch plans"
 * gives {text: "lunch plans", from: "bob", target: "#games"}. */
export function parseQuery(typed) {
  const query = { text: "", from: "", target: "" };
  const words = [];
  for (const word of typed.trim().split(/\s+/)) {
    const m = /^(from|in):(\S+)$/i.exec(word);
    if (m && m[1].toLowerCase() === "from") query.from = m[2];
    else if (m) query.target = m[2];
    else if (word) words.push(word);
  }
  query.text = words.join(" ");
  return query;
}

/** One search: what was asked, and its results as they arrive (newest first once done). */
export class Search {
  constructor(query) {
    this.query = query;
    this.results = []; // [{target, message}]
    this.done = false;
    this.error = "";
  }

  /** A PRIVMSG/NOTICE of the batch as `message` (chat.js's Message): the conversation
   * it belongs to is the channel, or the other person of a private one. */
  add(line, message, me, chantypes) {
    const target = line.params[0] ?? "";
    const name = isChannel(target, chantypes) || casefold(message.nick) === casefold(me) ? target : message.nick;
    this.results.push({ target: name, message });
  }

  finish(error = "") {
    this.done = true;
    this.error = error;
    this.results.sort((a, b) => b.message.time - a.message.time);
  }
}

/** `text` cut where it matches `words` (case-insensitive): [[piece, matched], ...],
 * for the result list to highlight them. */
export function highlightParts(text, words) {
  const wanted = words.trim();
  if (!wanted) return [[text, false]];
  const parts = [];
  const lower = text.toLowerCase();
  const needle = wanted.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, at)) {
    if (i > at) parts.push([text.slice(at, i), false]);
    parts.push([text.slice(i, i + needle.length), true]);
    at = i + needle.length;
  }
  if (at < text.length) parts.push([text.slice(at), false]);
  return parts;
}
