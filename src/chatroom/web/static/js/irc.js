// IRC lines: parse and format (Modern IRC "Message format", IRCv3 message-tags).
// Pure functions, no DOM; every other module builds on these.

const TAG_UNESCAPES = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

/** Undo IRCv3 tag-value escaping (message-tags, "Escaping values"). */
export function unescapeTag(value) {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== "\\") {
      out += c;
    } else if (i + 1 < value.length) {
      i++;
      out += TAG_UNESCAPES[value[i]] ?? value[i];
    } // a lone trailing backslash is dropped
  }
  return out;
}

/**
 * Parse one line (without CR LF) into {tags, source, command, params}.
 * `tags` is a plain object; `source` is "" when absent; `command` is upper case.
 */
export function parseLine(line) {
  let rest = line;
  const tags = {};
  if (rest.startsWith("@")) {
    const end = rest.indexOf(" ");
    const raw = end < 0 ? rest.slice(1) : rest.slice(1, end);
    rest = end < 0 ? "" : rest.slice(end + 1);
    for (const item of raw.split(";")) {
      if (!item) continue;
      const eq = item.indexOf("=");
      if (eq < 0) tags[item] = "";
      else tags[item.slice(0, eq)] = unescapeTag(item.slice(eq + 1));
    }
  }
  rest = rest.replace(/^ +/, "");
  let source = "";
  if (rest.startsWith(":")) {
    const end = rest.indexOf(" ");
    source = end < 0 ? rest.slice(1) : rest.slice(1, end);
    rest = end < 0 ? "" : rest.slice(end + 1);
  }
  const params = [];
  let command = "";
  while (rest.length) {
    rest = rest.replace(/^ +/, "");
    if (!rest.length) break;
    if (command && rest.startsWith(":")) {
      params.push(rest.slice(1));
      break;
    }
    const end = rest.indexOf(" ");
    const word = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? "" : rest.slice(end + 1);
    if (!command) command = word.toUpperCase();
    else params.push(word);
  }
  return { tags, source, command, params };
}

/**
 * Format a command and its parameters as one line. CR, LF and NUL in a parameter
 * become spaces: one WebSocket message must stay one IRC line (IRCv3 WebSocket).
 * The last parameter gets a ":" when it needs one (empty, spaces, leading ":").
 */
export function formatLine(command, ...params) {
  const clean = params.map((p) => String(p).replace(/[\r\n\0]/g, " "));
  const parts = [command];
  clean.forEach((p, i) => {
    const last = i === clean.length - 1;
    if (last && (p === "" || p.includes(" ") || p.startsWith(":"))) parts.push(":" + p);
    else parts.push(p.replace(/ /g, ""));
  });
  return parts.join(" ");
}

/** "nick!user@host" -> "nick" (a server name stays as it is). */
export function nickOf(source) {
  const bang = source.indexOf("!");
  return bang < 0 ? source : source.slice(0, bang);
}

/** CASEMAPPING=ascii: only A-Z fold (the server announces it in ISUPPORT). */
export function casefold(text) {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export function isChannel(name, chantypes = "#&") {
  return name.length > 0 && chantypes.includes(name[0]);
}

// mIRC formatting: bold, colour (with its digits), hex colour, reset, monospace,
// reverse, italics, strikethrough, underline. Shown as plain text.
const FORMATTING = /\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;

export function stripFormatting(text) {
  return text.replace(FORMATTING, "");
}

/** A CTCP ACTION ("/me") body, or null for anything else. */
export function actionText(text) {
  const m = /^\x01ACTION(?: (.*?))?\x01?$/.exec(text);
  return m ? (m[1] ?? "") : null;
}

/** Is this any other CTCP request (VERSION, PING...)? Those are not shown. */
export function isCtcp(text) {
  return text.startsWith("\x01");
}

/** "2024-05-01T12:00:00.000Z" for CHATHISTORY timestamp= anchors. */
export function isoTime(date) {
  return date.toISOString();
}

/** The server-time tag of a line as a Date (IRCv3 server-time), else now. */
export function timeOf(line) {
  const t = line.tags.time ? new Date(line.tags.time) : new Date();
  return Number.isNaN(t.getTime()) ? new Date() : t;
}

/** How many UTF-16 units of `rest` (longer than `max` bytes) fit in `max` UTF-8 bytes,
 * never ending inside a surrogate pair (an emoji); at least 1. */
function fitting(rest, max, encoder) {
  let cut = Math.min(rest.length, max);
  while (cut > 1 && encoder.encode(rest.slice(0, cut)).length > max) cut--;
  if (cut > 1 && cut < rest.length && /[\uDC00-\uDFFF]/.test(rest[cut])) cut--;
  return cut;
}

/** Split text into pieces of at most `max` UTF-8 bytes, at spaces when possible. */
export function splitText(text, max) {
  const out = [];
  const encoder = new TextEncoder();
  let rest = text;
  while (encoder.encode(rest).length > max) {
    let cut = fitting(rest, max, encoder);
    const space = rest.lastIndexOf(" ", cut);
    if (space > cut / 2) cut = space;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, "");
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * Cut one line of text into pieces of at most `max` UTF-8 bytes that join back to it
 * exactly (for draft/multiline-concat): a cut falls after a space when one is in the
 * second half, never inside a character. [""] for "".
 */
export function cutExact(text, max) {
  const out = [];
  const encoder = new TextEncoder();
  let rest = text;
  while (encoder.encode(rest).length > max) {
    let cut = fitting(rest, max, encoder);
    const space = rest.lastIndexOf(" ", cut - 1);
    if (space + 1 > cut / 2) cut = space + 1;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out.filter(Boolean).length ? out.filter(Boolean) : [""];
}

/** IRCv3 multiline (https://ircv3.net/specs/extensions/multiline): the batch type (also
 * the capability) and the tag that joins a line to the one before without a line break. */
export const MULTILINE = "draft/multiline";
export const CONCAT = "draft/multiline-concat";
