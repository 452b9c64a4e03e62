// What the client does with each line from the server: one handler per command,
// called with `this` = the ChatClient (Modern IRC numerics, IRCv3 replies).

import { casefold, isChannel, nickOf, stripFormatting } from "./irc.js";

/** Capabilities we ask for, when offered (IRCv3 capability negotiation, CAP 302). */
const WANTED_CAPS = [
  "message-tags", "server-time", "echo-message", "batch", "draft/chathistory",
  "away-notify", "multi-prefix", "userhost-in-names",
];

function withReason(text, reason) {
  return reason ? `${text} (${reason})` : text;
}

export const HANDLERS = {
  PING(line) {
    this.send("PONG", ...line.params);
  },
  ERROR(line) {
    this.lastError = line.params[0] ?? "";
  },
  CAP(line) {
    const sub = (line.params[1] ?? "").toUpperCase();
    const list = line.params[line.params.length - 1] ?? "";
    if (sub === "LS") {
      this.offered = (this.offered ?? new Set());
      for (const cap of list.split(" ")) if (cap) this.offered.add(cap.split("=")[0]);
      if (line.params[2] === "*") return; // more LS lines follow (CAP 302)
      const wanted = WANTED_CAPS.filter((c) => this.offered.has(c));
      // An account password goes with SASL PLAIN (IRCv3 SASL 3.1); a server without
      // accounts may want a server password (PASS) instead. Both before CAP END.
      if (this.password && this.offered.has("sasl")) wanted.push("sasl");
      else if (this.password) this.send("PASS", this.password);
      this.offered = null;
      if (wanted.length) this.send("CAP", "REQ", wanted.join(" "));
      else this.send("CAP", "END");
    } else if (sub === "ACK") {
      for (const cap of list.split(" ")) {
        if (cap.startsWith("-")) this.caps.delete(cap.slice(1));
        else if (cap) this.caps.add(cap);
      }
      if (this.registered) return;
      if (this.caps.has("sasl") && this.password) this.send("AUTHENTICATE", "PLAIN");
      else this.send("CAP", "END");
    } else if (sub === "NAK") {
      if (!this.registered) this.send("CAP", "END");
    }
  },
  AUTHENTICATE(line) {
    if (line.params[0] !== "+") return;
    // PLAIN: authzid \0 authcid \0 password, base64, in chunks of 400 (a final "+"
    // when the last chunk is exactly 400 long).
    const bytes = new TextEncoder().encode(`${this.wantedNick}\0${this.wantedNick}\0${this.password}`);
    const encoded = btoa(String.fromCharCode(...bytes));
    for (let i = 0; i < encoded.length; i += 400) this.send("AUTHENTICATE", encoded.slice(i, i + 400));
    if (encoded.length % 400 === 0) this.send("AUTHENTICATE", "+");
  },
  "903"() {
    this.send("CAP", "END"); // RPL_SASLSUCCESS
  },
  "904"() {
    this.fatal = `That password is not right for ${this.wantedNick}.`; // ERR_SASLFAIL
    this.needsPassword = true;
    this.ws?.close();
  },
  "001"(line) {
    this.nick = line.params[0] ?? this.nick;
    this.registeredNow();
  },
  "005"(line) {
    for (const token of line.params.slice(1, -1)) {
      const eq = token.indexOf("=");
      if (token.startsWith("-")) delete this.isupport[token.slice(1)];
      else if (eq < 0) this.isupport[token] = "";
      else this.isupport[token.slice(0, eq)] = token.slice(eq + 1);
    }
  },
  "432"(line) {
    if (!this.registered) {
      this.fatal = `The name “${line.params[1] ?? this.nick}” cannot be used: ${line.params[2] ?? ""}`;
      this.ws?.close();
    } else this.showError(`“${line.params[1]}” cannot be used as a name.`);
  },
  "433"(line) {
    if (!this.registered) {
      // Taken, maybe by our own previous connection: carry on as nick_ and take the
      // name back when it frees up (see QUIT and NICK).
      const max = Number(this.isupport.NICKLEN) || 32;
      this.nick = (this.nick.length >= max ? this.nick.slice(0, max - 1) : this.nick) + "_";
      this.send("NICK", this.nick);
    } else {
      this.showError(`The name ${line.params[1]} is already taken.`);
    }
  },
  "464"() {
    this.fatal = this.password ? "That password is not right." : "This server needs a password.";
    this.needsPassword = true;
  },
  "465"(line) {
    this.fatal = line.params[1] ?? "You are banned from this server.";
  },
  "332"(line) {
    const buffer = this.model.get(line.params[1] ?? "");
    if (buffer) {
      buffer.topic = line.params[2] ?? "";
      this.emit("buffer", buffer);
    }
  },
  "331"(line) {
    const buffer = this.model.get(line.params[1] ?? "");
    if (buffer) {
      buffer.topic = "";
      this.emit("buffer", buffer);
    }
  },
  "353"(line) {
    const channel = line.params[2] ?? "";
    const key = casefold(channel);
    if (!this.names.has(key)) this.names.set(key, []);
    const symbols = this.prefixSymbols();
    for (const entry of (line.params[3] ?? "").split(" ")) {
      if (!entry) continue;
      let i = 0;
      while (i < entry.length && symbols.includes(entry[i])) i++;
      this.names.get(key).push({ prefix: entry.slice(0, i), nick: nickOf(entry.slice(i)) });
    }
  },
  "366"(line) {
    const buffer = this.model.get(line.params[1] ?? "");
    const key = casefold(line.params[1] ?? "");
    const entries = this.names.get(key) ?? [];
    this.names.delete(key);
    if (!buffer) return;
    buffer.members.clear();
    for (const { nick, prefix } of entries) buffer.setMember(nick, prefix);
    this.emit("buffer", buffer);
  },
  BATCH(line) {
    const ref = line.params[0] ?? "";
    if (ref.startsWith("+")) {
      this.batches.set(ref.slice(1), { type: line.params[1] ?? "", target: line.params[2] ?? "" });
    } else if (ref.startsWith("-")) {
      const batch = this.batches.get(ref.slice(1));
      this.batches.delete(ref.slice(1));
      if (batch && batch.type === "chathistory") {
        const buffer = this.model.get(batch.target);
        if (buffer) this.endHistory(buffer);
      }
    }
  },
  FAIL(line) {
    if (line.params[0] === "CHATHISTORY") {
      // The anchor is gone (purged) or the target refused: start from the latest.
      for (const buffer of this.model.buffers.values()) {
        const p = buffer.historyPending;
        if (p && (line.params.includes(p.anchor) || line.params.includes(buffer.name))) {
          buffer.historyPending = null;
          if (p.kind === "after") {
            buffer.lastStored = null;
            this.fetchHistory(buffer, "latest");
          } else buffer.reachedStart = true;
        }
      }
      return;
    }
    this.showError(line.params[line.params.length - 1] ?? "");
  },
  NOTE(line) {
    // Accounts: our nick is registered and we are not logged in to it. The server's
    // NOTICE says so too; this says what to do from a browser.
    if (line.params[1] === "NICK_REGISTERED") {
      this.needsPassword = true;
      this.note(null, "error", `The name ${line.params[2] ?? this.nick} is registered. To keep it, leave and sign in again with its password.`);
    }
  },
  JOIN(line) {
    const nick = nickOf(line.source);
    const name = line.params[0] ?? "";
    if (this.isMe(nick)) {
      const buffer = this.model.open(name, "channel");
      buffer.name = name; // the server's spelling
      buffer.joined = true;
      buffer.wanted = true;
      buffer.members.clear();
      if (!this.model.active) this.activate(name);
      this.note(buffer, "join", `You have joined ${name}`, { nick, line });
      this.fetchHistory(buffer, buffer.lastStored ? "after" : "latest");
      this.emit("buffer", buffer);
      this.emit("buffers");
      return;
    }
    const buffer = this.model.get(name);
    if (!buffer) return;
    buffer.setMember(nick);
    this.note(buffer, "join", `${nick} has joined ${buffer.name}. Say hi!`, { nick, line });
    this.emit("buffer", buffer);
  },
  PART(line) {
    const nick = nickOf(line.source);
    const buffer = this.model.get(line.params[0] ?? "");
    if (!buffer) return;
    const reason = line.params[1] ?? "";
    if (this.isMe(nick)) {
      buffer.joined = false;
      buffer.members.clear();
      this.note(buffer, "part", withReason(`You have left ${buffer.name}`, reason), { nick, line });
    } else {
      buffer.removeMember(nick);
      this.note(buffer, "part", withReason(`${nick} has left ${buffer.name}`, reason), { nick, line });
    }
    this.emit("buffer", buffer);
    this.emit("buffers");
  },
  QUIT(line) {
    const nick = nickOf(line.source);
    const text = withReason(`${nick} has left the chat`, line.params[0] ?? "");
    for (const buffer of this.model.buffersWith(nick)) {
      buffer.removeMember(nick);
      this.note(buffer, "quit", text, { nick, line });
      this.emit("buffer", buffer);
    }
    if (casefold(nick) === casefold(this.wantedNick) && !this.isMe(this.wantedNick)) this.send("NICK", this.wantedNick);
  },
  NICK(line) {
    const old = nickOf(line.source);
    const now = line.params[0] ?? "";
    let buffers = this.model.buffersWith(old);
    let text = `${old} is now known as ${now}`;
    if (this.isMe(old)) {
      this.nick = now;
      if (!this.password || casefold(now) !== casefold(this.wantedNick)) this.wantedNick = now;
      this.emit("nick", now);
      text = `You are now known as ${now}`;
      buffers = [...this.model.buffers.values()].filter((b) => b.kind === "channel" && b.joined);
    } else if (casefold(old) === casefold(this.wantedNick) && !this.isMe(this.wantedNick)) {
      this.send("NICK", this.wantedNick);
    }
    for (const buffer of buffers) {
      const member = buffer.members.get(casefold(old));
      if (member) {
        buffer.removeMember(old);
        buffer.setMember(now, member.prefix, member.away);
      }
      if (buffer.kind === "query" && buffer.key === casefold(old)) this.model.rename(old, now);
      this.note(buffer, "nick", text, { nick: old, line });
      this.emit("buffer", buffer);
    }
    this.emit("buffers");
  },
  KICK(line) {
    const by = nickOf(line.source);
    const buffer = this.model.get(line.params[0] ?? "");
    const target = line.params[1] ?? "";
    if (!buffer) return;
    const reason = line.params[2] ?? "";
    if (this.isMe(target)) {
      buffer.joined = false;
      buffer.wanted = false;
      buffer.members.clear();
      this.note(buffer, "kick", withReason(`You were kicked from ${buffer.name} by ${by}`, reason), { line });
    } else {
      buffer.removeMember(target);
      this.note(buffer, "kick", withReason(`${by} has kicked ${target} from ${buffer.name}`, reason), { line });
    }
    this.emit("buffer", buffer);
  },
  TOPIC(line) {
    const buffer = this.model.get(line.params[0] ?? "");
    if (!buffer) return;
    buffer.topic = line.params[1] ?? "";
    const who = nickOf(line.source);
    this.note(buffer, "topic", buffer.topic ? `${who} set the topic: ${buffer.topic}` : `${who} cleared the topic`, { nick: who, line });
    this.emit("buffer", buffer);
  },
  MODE(line) {
    const buffer = this.model.get(line.params[0] ?? "");
    if (!buffer || buffer.kind !== "channel") return;
    const modes = this.prefixModes();
    const symbols = this.prefixSymbols();
    let adding = true;
    let arg = 2;
    for (const c of line.params[1] ?? "") {
      if (c === "+" || c === "-") { adding = c === "+"; continue; }
      const idx = modes.indexOf(c);
      if (idx >= 0) {
        const member = buffer.members.get(casefold(line.params[arg++] ?? ""));
        if (member) {
          const set = new Set(member.prefix);
          if (adding) set.add(symbols[idx]); else set.delete(symbols[idx]);
          member.prefix = [...symbols].filter((s) => set.has(s)).join("");
        }
      } else if ("beIkl".includes(c) && (adding || c !== "l")) arg++;
    }
    this.note(buffer, "mode", `${nickOf(line.source)} sets mode ${line.params.slice(1).join(" ")}`, { line });
    this.emit("buffer", buffer);
  },
  AWAY(line) {
    for (const buffer of this.model.buffersWith(nickOf(line.source))) {
      const member = buffer.members.get(casefold(nickOf(line.source)));
      if (member) member.away = line.params.length > 0;
      this.emit("buffer", buffer);
    }
  },
  PRIVMSG(line) { onMessage.call(this, line); },
  NOTICE(line) { onMessage.call(this, line); },
};

/** A JOIN the server refused (no such channel, bad name, full, invite-only, banned,
 * wrong key): say why, and forget the room if nothing happened in it yet. */
function joinRefused(line) {
  const name = line.params[1] ?? "";
  const buffer = this.model.get(name);
  if (buffer && buffer.kind === "channel" && !buffer.joined && !buffer.messages.length) this.close(name);
  this.showError(`${name}: ${line.params[line.params.length - 1] ?? "cannot join"}`);
}
for (const numeric of ["403", "405", "471", "473", "474", "475", "476", "479"]) HANDLERS[numeric] = joinRefused;

// ERR_NICKLOCKED and ERR_SASLTOOLONG end a sign-in like ERR_SASLFAIL.
HANDLERS["902"] = HANDLERS["904"];
HANDLERS["905"] = HANDLERS["904"];

/** PRIVMSG and NOTICE: to a room, to us (a private chat), or from the server. */
function onMessage(line) {
  const nick = nickOf(line.source);
  let target = line.params[0] ?? "";
  const statusmsg = this.isupport.STATUSMSG ?? "";
  while (target && statusmsg.includes(target[0]) && isChannel(target.slice(1), this.isupport.CHANTYPES)) target = target.slice(1);
  let buffer;
  if (isChannel(target, this.isupport.CHANTYPES)) {
    buffer = this.model.get(target);
  } else if (!line.source.includes("!")) {
    // From the server itself (or before registration): a note where the user is.
    if (this.registered) this.note(null, "info", stripFormatting(line.params[1] ?? ""));
    return;
  } else {
    const peer = this.isMe(nick) ? target : nick;
    buffer = this.model.get(peer) ?? this.openQuery(peer, { activate: false });
  }
  if (!buffer) return;
  const message = this.messageFrom(line, buffer);
  if (message) this.addMessage(buffer, message, true);
};
