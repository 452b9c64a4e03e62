// Who of the private chats is online, with IRCv3 MONITOR
// (https://ircv3.net/specs/extensions/monitor): a private chat's person is watched while
// the chat is open and the server advertises MONITOR; 730/731 set the buffer's
// `online` (true, false; null: not known). No DOM, no network: the Chat sends.

import { casefold } from "./irc.js";

export class Presence {
  constructor(chat) {
    this.chat = chat;
    this.monitored = new Set(); // folded nicks we sent MONITOR + for, this connection
  }

  /** A new connection: the server knows none of our list. */
  forget() {
    this.monitored.clear();
  }

  /** The welcome burst is over (ISUPPORT has arrived): watch every private chat's person. */
  watchQueries() {
    this.watch([...this.chat.model.buffers.values()].filter((b) => b.kind === "query").map((b) => b.name));
  }

  /** Watch `nicks` not watched yet, within the server's MONITOR=<n>, in lines that fit. */
  watch(nicks) {
    const chat = this.chat;
    if (!chat.registered || !("MONITOR" in chat.isupport)) return;
    const limit = Number(chat.isupport.MONITOR) || Infinity;
    let chunk = [];
    for (const nick of nicks) {
      const key = casefold(nick);
      if (this.monitored.has(key) || this.monitored.size >= limit) continue;
      this.monitored.add(key);
      if (chunk.length && [...chunk, nick].join(",").length > 400) {
        chat.send("MONITOR", "+", chunk.join(","));
        chunk = [];
      }
      chunk.push(nick);
    }
    if (chunk.length) chat.send("MONITOR", "+", chunk.join(","));
  }

  unwatch(nick) {
    if (this.monitored.delete(casefold(nick))) this.chat.send("MONITOR", "-", nick);
  }

  /** 730/731: `nick` is online (true) or offline (false); a line says so when it changes. */
  changed(nick, online, line) {
    const chat = this.chat;
    const buffer = chat.model.get(nick);
    if (!buffer || buffer.kind !== "query" || buffer.online === online) return;
    buffer.online = online;
    chat.note(buffer, "info", `${buffer.name} is ${online ? "online" : "offline"}`, { line });
    chat.emit("buffer", buffer);
    chat.emit("buffers");
  }
}
