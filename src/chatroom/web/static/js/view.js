// Rendering: the sidebar, the conversation, the members. Every string that came
// from the network is put in the page with textContent or as a Text node, never as
// HTML, so a message like <img src=x onerror=...> is shown, not run. Links are
// built with DOM APIs, for http and https URLs only.

import { casefold } from "./irc.js";
import { DEFAULT_REACTIONS } from "./reactions.js";
import { thumbnailFor } from "./upload.js";

const NICK_COLOURS = 12; // .c0 ... .c11 in style.css, readable in light and dark mode
const GROUP_GAP = 5 * 60 * 1000; // lines by the same person within 5 minutes share a name
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;

export function el(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** A stable colour class for a nick (the same in every buffer and every client):
 * FNV-1a over the folded nick, which spreads short names well. */
export function nickClass(nick) {
  let hash = 0x811c9dc5;
  for (const c of casefold(nick)) hash = Math.imul(hash ^ c.codePointAt(0), 0x01000193) >>> 0;
  return `c${hash % NICK_COLOURS}`;
}

/**
 * Text with its http/https URLs as links: a DocumentFragment of Text nodes and
 * <a rel="noopener noreferrer" target="_blank"> elements. Trailing punctuation
 * stays outside the link ("see https://x.org." links https://x.org).
 */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let raw = match[0];
    while (/[.,;:!?'")\]]$/.test(raw)) {
      if (raw.endsWith(")") && (raw.match(/\(/g) ?? []).length >= (raw.match(/\)/g) ?? []).length) break;
      raw = raw.slice(0, -1);
    }
    let url;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue;
    if (match.index > last) fragment.append(document.createTextNode(text.slice(last, match.index)));
    const link = el("a", "", raw);
    link.href = url.href;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    fragment.append(link);
    last = match.index + raw.length;
  }
  if (last < text.length) fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (sameDay(date, today)) return "Today";
  if (sameDay(date, yesterday)) return "Yesterday";
  return date.toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

const EVENT_ICONS = { join: "→", part: "←", quit: "←", nick: "↔", topic: "✎", kick: "✕", mode: "⚙", info: "ℹ", error: "⚠" };

/** One line of the conversation as an element. `previous` decides grouping; `context`
 * (optional) quotes replies and counts reactions: {quoted(msgid) -> Message|null,
 * reactions(msgid) -> [{text, nicks, mine}], onReact(msgid, text), onReply(message),
 * canDelete(message), onDelete(msgid)}. */
export function messageElement(message, previous, context = null) {
  const spoken = message.kind === "message" || message.kind === "notice" || message.kind === "action";
  const row = el("div", `msg kind-${message.kind}`);
  if (message.self) row.classList.add("self");
  if (message.highlight) row.classList.add("highlight");
  if (message.deleted) row.classList.add("deleted"); // draft/message-redaction
  if (message.id) row.dataset.msgid = message.id;
  const time = el("time", "", message.time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
  time.dateTime = message.time.toISOString();
  time.title = message.time.toLocaleString();
  row.append(time);
  const body = el("div", "body");
  if (spoken && message.kind !== "action") {
    const grouped =
      previous && previous.kind === message.kind && casefold(previous.nick) === casefold(message.nick) &&
      message.time - previous.time < GROUP_GAP && sameDay(previous.time, message.time);
    if (grouped && !message.replyTo) row.classList.add("cont");
    if (message.replyTo && context) body.append(quoteElement(context.quoted(message.replyTo)));
    const nick = el("span", `nick ${nickClass(message.nick)}`, message.nick);
    body.append(nick);
    const text = el("span", "text");
    text.append(linkify(message.text));
    body.append(text);
    addThumbnails(body, text);
  } else if (message.kind === "action") {
    const text = el("span", "text");
    text.append(el("span", `nick ${nickClass(message.nick)}`, message.nick), document.createTextNode(" "), linkify(message.text));
    body.append(el("span", "icon", "•"), text);
  } else {
    body.append(el("span", "icon", EVENT_ICONS[message.kind] ?? "•"), el("span", "text", message.text));
  }
  row.append(body);
  if (spoken && message.id && !message.deleted && context) {
    body.append(reactionsElement(message.id, context.reactions(message.id), context));
    row.append(actionsElement(message, context));
  }
  return row;
}

/** The line above a reply: who said what it answers (or that it is not loaded). */
function quoteElement(quoted) {
  const quote = el("div", "quote");
  if (quoted) quote.append(el("span", `nick ${nickClass(quoted.nick)}`, quoted.nick), el("span", "text", quoted.text.split("\n")[0]));
  else quote.append(el("span", "text", "a message not loaded"));
  return quote;
}

/** The counts under a message: one button per reaction; clicking toggles ours. */
export function reactionsElement(msgid, reactions, context) {
  const row = el("div", "reactions");
  for (const { text, nicks, mine } of reactions) {
    const button = el("button", mine ? "reaction mine" : "reaction", `${text} ${nicks.length}`);
    button.type = "button";
    button.title = `${nicks.join(", ")} reacted with ${text}`;
    button.setAttribute("aria-pressed", String(mine));
    button.addEventListener("click", () => context.onReact(msgid, text));
    row.append(button);
  }
  return row;
}

/** What shows on hovering a message: reply, and a few reactions to give. */
function actionsElement(message, context) {
  const actions = el("div", "actions");
  const reply = el("button", "reply", "↩");
  reply.type = "button";
  reply.title = `Reply to ${message.nick}`;
  reply.setAttribute("aria-label", reply.title);
  reply.addEventListener("click", () => context.onReply(message));
  actions.append(reply);
  for (const text of DEFAULT_REACTIONS) {
    const react = el("button", "react", text);
    react.type = "button";
    react.title = `React with ${text}`;
    react.addEventListener("click", () => context.onReact(message.id, text));
    actions.append(react);
  }
  if (context.canDelete?.(message)) actions.append(deleteButton(message, context));
  return actions;
}

/** Delete (draft/message-redaction): a first click asks "Delete?", a second sends it. */
function deleteButton(message, context) {
  const button = el("button", "delete", "🗑");
  button.type = "button";
  button.title = message.self ? "Delete your message" : `Delete ${message.nick}'s message`;
  button.setAttribute("aria-label", button.title);
  button.addEventListener("click", () => {
    if (!button.classList.contains("confirm")) {
      button.classList.add("confirm");
      button.textContent = "Delete?";
      return;
    }
    context.onDelete(message.id);
  });
  button.addEventListener("blur", () => {
    button.classList.remove("confirm");
    button.textContent = "🗑";
  });
  return button;
}

/**
 * After the text, a thumbnail for each link to one of this server's shared files
 * (the server's small PNG, never the original); a file without one (not an
 * image) removes its <img> when the thumbnail is not found.
 */
function addThumbnails(body, text) {
  for (const link of text.querySelectorAll("a")) {
    const thumb = thumbnailFor(link.href, globalThis.location?.origin);
    if (!thumb) continue;
    const image = el("img", "thumb");
    image.src = thumb;
    image.alt = "";
    image.loading = "lazy";
    image.addEventListener("error", () => anchor.remove());
    const anchor = el("a", "thumb-link");
    anchor.href = link.href;
    anchor.rel = "noopener noreferrer";
    anchor.target = "_blank";
    anchor.append(image);
    body.append(anchor);
  }
}

export class ConversationView {
  /** `list` is the scrolling element that holds the lines. */
  constructor(list) {
    this.list = list;
    this.buffer = null;
    this.context = null; // messageElement's: replies and reactions (set by app.js)
    this.found = null; // the msgid of the message a search result opened
  }

  /** The reactions to `msgid` changed: redraw its counts if it is on screen. */
  updateReactions(buffer, msgid) {
    if (this.buffer !== buffer || !this.context) return;
    const row = [...this.list.querySelectorAll(".msg[data-msgid]")].find((r) => r.dataset.msgid === msgid);
    row?.querySelector(".reactions")?.replaceWith(reactionsElement(msgid, this.context.reactions(msgid), this.context));
  }

  /** Scroll to the message `msgid` and mark it (a search result), if it is shown. */
  showMessage(msgid) {
    this.found = msgid; // stays marked when the buffer is drawn again (older history...)
    const row = this.markFound();
    row?.scrollIntoView({ block: "center" });
  }

  markFound() {
    for (const old of this.list.querySelectorAll(".msg.found")) old.classList.remove("found");
    const row = [...this.list.querySelectorAll(".msg[data-msgid]")].find((r) => r.dataset.msgid === this.found);
    row?.classList.add("found");
    return row;
  }

  atBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 40;
  }

  scrollToBottom() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Draw a whole buffer (on switching, and after history was merged in), keeping
   * the reader's place: stuck to the bottom, or the same lines in view. */
  render(buffer, { keepPlace = true } = {}) {
    const switching = this.buffer !== buffer;
    const wasAtBottom = switching || this.atBottom();
    const fromBottom = this.list.scrollHeight - this.list.scrollTop;
    this.buffer = buffer;
    const fragment = document.createDocumentFragment();
    const top = el("div", "history-edge");
    if (buffer.reachedStart) top.textContent = buffer.kind === "channel" ? `This is the start of ${buffer.name}.` : "This is the start of your conversation.";
    else if (buffer.historyPending) top.textContent = "Loading older messages…";
    fragment.append(top);
    let previous = null;
    for (const message of buffer.messages) {
      if (!previous || !sameDay(previous.time, message.time)) fragment.append(this.divider(message.time));
      if (message.gapBefore) fragment.append(el("div", "day gap", "Messages in between are not loaded"));
      if (message === buffer.newFrom) fragment.append(el("div", "day new-messages", "New messages"));
      fragment.append(messageElement(message, previous, this.context));
      previous = message;
    }
    this.list.replaceChildren(fragment);
    if (switching) this.found = null;
    else if (this.found) this.markFound();
    if (wasAtBottom || !keepPlace) this.scrollToBottom();
    else this.list.scrollTop = this.list.scrollHeight - fromBottom;
  }

  divider(date) {
    const day = el("div", "day");
    day.append(el("span", "", dayLabel(date)));
    return day;
  }

  /** Add the newest line at the end; follow it if the reader was at the bottom. */
  append(buffer, message) {
    if (this.buffer !== buffer) return;
    const stick = this.atBottom() || message.self;
    const list = buffer.messages;
    const previous = list.length > 1 ? list[list.length - 2] : null;
    if (!previous || !sameDay(previous.time, message.time)) this.list.append(this.divider(message.time));
    this.list.append(messageElement(message, previous, this.context));
    if (stick) this.scrollToBottom();
  }
}

/** The sidebar: rooms and private chats with unread counts. */
export function renderBufferList(container, model, onSelect, onClose) {
  const fragment = document.createDocumentFragment();
  const groups = [
    ["Rooms", model.ordered().filter((b) => b.kind === "channel")],
    ["Private chats", model.ordered().filter((b) => b.kind === "query")],
  ];
  for (const [title, buffers] of groups) {
    if (!buffers.length) continue;
    fragment.append(el("h2", "group", title));
    const ul = el("ul");
    for (const buffer of buffers) {
      const li = el("li");
      const button = el("button", "buffer");
      button.type = "button";
      button.dataset.key = buffer.key;
      if (buffer.key === model.active) {
        button.classList.add("active");
        button.setAttribute("aria-current", "page");
      }
      if (buffer.kind === "channel" && !buffer.joined) button.classList.add("parted");
      if (buffer.unread) button.classList.add("unread");
      const name = el("span", "name", buffer.name);
      if (buffer.kind === "query") name.classList.add(nickClass(buffer.name));
      if (buffer.kind === "query" && buffer.online !== null) {
        // Whether the person is connected (MONITOR): a dot with words, not colour alone.
        const state = buffer.online ? "online" : "offline";
        const dot = el("span", `presence ${state}`, buffer.online ? "●" : "○");
        dot.title = `${buffer.name} is ${state}`;
        dot.setAttribute("role", "img");
        dot.setAttribute("aria-label", state);
        button.append(dot);
        if (!buffer.online) button.classList.add("offline");
      }
      button.append(name);
      if (buffer.unread) {
        const badge = el("span", buffer.mentions ? "badge mention" : "badge", String(buffer.unread));
        badge.title = `${buffer.unread} unread` + (buffer.mentions ? `, ${buffer.mentions} for you` : "");
        button.append(badge);
      }
      button.addEventListener("click", () => onSelect(buffer));
      const close = el("button", "close", "×");
      close.type = "button";
      close.title = buffer.kind === "channel" && buffer.joined ? `Leave ${buffer.name}` : `Close ${buffer.name}`;
      close.setAttribute("aria-label", close.title);
      close.addEventListener("click", (event) => {
        event.stopPropagation();
        onClose(buffer);
      });
      li.append(button, close);
      ul.append(li);
    }
    fragment.append(ul);
  }
  container.replaceChildren(fragment);
}

/** The people in a room, ranked, with away people dimmed. */
export function renderMembers(container, count, buffer, prefixOrder, onSelect) {
  const members = buffer && buffer.kind === "channel" ? buffer.sortedMembers(prefixOrder) : [];
  count.textContent = members.length ? String(members.length) : "";
  const fragment = document.createDocumentFragment();
  for (const member of members) {
    const li = el("li");
    const button = el("button", "member");
    button.type = "button";
    if (member.away) button.classList.add("away");
    if (member.prefix) button.append(el("span", "prefix", member.prefix[0]));
    button.append(el("span", `nick ${nickClass(member.nick)}`, member.nick));
    button.title = `Talk privately with ${member.nick}` + (member.away ? " (away)" : "");
    button.addEventListener("click", () => onSelect(member.nick));
    li.append(button);
    fragment.append(li);
  }
  container.replaceChildren(fragment);
}
