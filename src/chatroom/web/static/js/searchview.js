// The search box (search.js does the searching): opened by the 🔍 button in the
// header, Ctrl+K or "/search words"; lists the results (time, room, sender, the text
// with the words marked); a click opens the conversation at that message, which the
// conversation scrolls to and marks. Shown only when the server has soju.im/search.
// Everything from the network is put in the page as text.

import { SEARCH_CAP, highlightParts, parseQuery } from "./search.js";
import { el, nickClass } from "./view.js";

const $ = (id) => document.getElementById(id);

export class SearchPanel {
  /** `conversation`: the ConversationView that shows the message a result opens. */
  constructor(conversation) {
    this.conversation = conversation;
    this.client = null;
    this.lastQuery = null;
    $("search-toggle").addEventListener("click", () => ($("search").hidden ? this.open() : this.close()));
    $("search-close").addEventListener("click", () => this.close());
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    $("search").addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close();
        $("input").focus();
      }
    });
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k" && this.available()) {
        event.preventDefault();
        this.open();
      }
    });
  }

  /** Follow a new ChatClient: its results, the messages they open, whether it can search. */
  attach(client) {
    this.client = client;
    this.close();
    client.on("state", () => this.update());
    client.on("search", (search) => this.show(search));
    client.on("focus", (buffer, msgid) => {
      if (buffer !== client.model.activeBuffer()) return;
      if (msgid) this.conversation.showMessage(msgid);
      else client.note(buffer, "error", "That message is no longer in the history.");
    });
    this.update();
  }

  available() {
    return !!this.client && this.client.state === "connected" && this.client.protocol.caps.has(SEARCH_CAP);
  }

  update() {
    $("search-toggle").hidden = !this.available();
    if (!this.available()) this.close();
  }

  /** Show the box, with `typed` in it (then searched for) or as it was. */
  open(typed = null) {
    if (!this.available()) return;
    $("search").hidden = false;
    document.body.classList.remove("show-sidebar", "show-members");
    if (typed !== null) {
      $("search-text").value = typed;
      this.run();
    }
    $("search-text").focus();
  }

  close() {
    $("search").hidden = true;
  }

  /** Search for what the box says ("from:bob", "in:#room" narrow it; "only here": this room). */
  run() {
    const typed = $("search-text").value;
    const query = parseQuery(typed);
    const active = this.client?.model.activeBuffer();
    if ($("search-here").checked && active && active.kind !== "server" && !query.target) query.target = active.name;
    if (!query.text && !query.from) {
      this.status("Type the words to look for.");
      return;
    }
    const error = this.client?.search(query) ?? "Not connected.";
    this.lastQuery = query;
    $("search-results").replaceChildren();
    this.status(error || "Searching…");
  }

  status(text) {
    $("search-status").textContent = text;
  }

  /** The results of a search (the newest first), each a button that opens it. */
  show(search) {
    if (search.query !== this.lastQuery) return; // an older search's answer
    if (search.error) {
      this.status(`The search failed: ${search.error}`);
      return;
    }
    const n = search.results.length;
    this.status(n ? `${n} message${n === 1 ? "" : "s"} found${n >= 50 ? " (the newest 50)" : ""}` : "Nothing found.");
    const fragment = document.createDocumentFragment();
    for (const { target, message } of search.results) fragment.append(this.resultElement(target, message, search.query.text));
    $("search-results").replaceChildren(fragment);
  }

  resultElement(target, message, words) {
    const item = el("li");
    const button = el("button", "result");
    button.type = "button";
    button.dataset.msgid = message.id ?? "";
    const time = el("time", "", message.time.toLocaleString([], { dateStyle: "short", timeStyle: "short", hourCycle: "h23" }));
    time.dateTime = message.time.toISOString();
    const head = el("span", "result-head");
    head.append(time, el("span", "room", target), el("span", `nick ${nickClass(message.nick)}`, message.nick));
    const text = el("span", "text");
    for (const [piece, matched] of highlightParts(message.text, words)) text.append(matched ? el("mark", "", piece) : document.createTextNode(piece));
    button.append(head, text);
    button.addEventListener("click", () => {
      this.close();
      if (message.id) this.client?.openAt(target, message.id);
    });
    item.append(button);
    return item;
  }
}
