// What the chat does with each line from the server that protocol.js passes on:
// one handler per command, called with `this` = the Chat (Modern IRC numerics,
// IRCv3 replies). Registration, capabilities, SASL, ISUPPORT, PING and batches are
// protocol.js's; a numeric 4xx/5xx without a handler here is shown as an error.

import { casefold, isChannel, nickOf, stripFormatting } from "./irc.js";
import { readMarkerMoved } from "./readmarkers.js";

/** The token of our own WHOX queries (https://ircv3.net/specs/extensions/whox): it
 * tells their replies from those of a WHO the user typed. */
export const WHOX_TOKEN = "152";

function withReason(text, reason) {
  return reason ? `${text} (${reason})` : text;
}

export const HANDLERS = {
  MARKREAD(line) {
    // https://ircv3.net/specs/extensions/read-marker: MARKREAD <target> timestamp=<time|*>
    readMarkerMoved(this, line.params[0], line.params[1]);
  },
  REDACT(line) {
    // https://ircv3.net/specs/extensions/message-redaction: REDACT <target> <msgid> [reason]
    if (line.params.length >= 2) this.messageDeleted(line.params[0], line.params[1], line.source);
  },
  "432"(line) {
    // ERR_ERRONEUSNICKNAME after registration (before it, protocol.js gives up).
    this.showError(`“${line.params[1]}” cannot be used as a name.`);
  },
  "433"(line) {
    // ERR_NICKNAMEINUSE after registration (before it, protocol.js tries nick_).
    this.showError(`The name ${line.params[1]} is already taken.`);
  },
  // A JOIN the server refused: ERR_NOSUCHCHANNEL, ERR_TOOMANYCHANNELS,
  // ERR_CHANNELISFULL, ERR_INVITEONLYCHAN, ERR_BANNEDFROMCHAN, ERR_BADCHANNELKEY,
  // ERR_BADCHANMASK, ERR_BADCHANNAME.
  "403": joinRefused,
  "405": joinRefused,
  "471": joinRefused,
  "473": joinRefused,
  "474": joinRefused,
  "475": joinRefused,
  "476": joinRefused,
  "479": joinRefused,
  "376"() {
    // RPL_ENDOFMOTD: the welcome burst (and ISUPPORT) is over.
    this.presence.watchQueries();
  },
  "422"(line) {
    // ERR_NOMOTD: the same, without a MOTD (shown, as any 4xx).
    this.presence.watchQueries();
    this.showError(line.params.slice(1).join(" "));
  },
  // IRCv3 MONITOR: RPL_MONONLINE <nick> :<nick!user@host>,... / RPL_MONOFFLINE <nick> :<nick>,...
  "730"(line) {
    for (const target of (line.params[1] ?? "").split(",")) if (target) this.presence.changed(nickOf(target), true, line);
  },
  "731"(line) {
    for (const target of (line.params[1] ?? "").split(",")) if (target) this.presence.changed(target, false, line);
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
    const known = new Map(buffer.members); // what WHOX and notifications said stays
    buffer.members.clear();
    for (const { nick, prefix } of entries) {
      const old = known.get(casefold(nick));
      buffer.setMember(nick, prefix, old?.away ?? false, old?.account ?? null);
    }
    this.emit("buffer", buffer);
  },
  "354"(line) {
    // RPL_WHOSPCRPL to our "WHO #room %tcnuhafr,<token>": in the spec's order,
    // <me> <token> <channel> <user> <host> <nick> <flags> <account> :<realname>.
    const p = line.params;
    if (p.length !== 9 || p[1] !== WHOX_TOKEN) return;
    const buffer = this.model.get(p[2]);
    if (!buffer || !buffer.joined) return;
    const symbols = this.prefixSymbols();
    const prefix = [...symbols].filter((s) => p[6].includes(s)).join("");
    buffer.setMember(p[5], prefix, p[6].startsWith("G"), p[7] === "0" ? null : p[7]);
    this.emit("buffer", buffer);
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
    if (line.params[0] === "SEARCH") this.searchDone(line.params[line.params.length - 1] ?? "The search failed.");
    this.showError(line.params[line.params.length - 1] ?? "");
  },
  NOTE(line) {
    // Accounts: our nick is registered and we are not logged in to it. The server's
    // NOTICE says so too; this says what to do from a browser.
    // (protocol.js has noted that the sign-in form should ask for the password.)
    if (line.params[1] === "NICK_REGISTERED") {
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
      if ("WHOX" in this.isupport) {
        // Accounts and away states of everyone there, after the NAMES reply.
        // (Its 315 end, as every numeric without a handler, is not shown.)
        this.send("WHO", name, `%tcnuhafr,${WHOX_TOKEN}`);
      }
      this.emit("buffer", buffer);
      this.emit("buffers");
      return;
    }
    const buffer = this.model.get(name);
    if (!buffer) return;
    // extended-join: JOIN <channel> <account or *> :<realname>
    const account = line.params.length > 2 && line.params[1] !== "*" ? line.params[1] : null;
    buffer.setMember(nick, "", false, account);
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
      if (this.typingIn.stopped(buffer.name, nick)) this.typingChanged(buffer.name);
      this.note(buffer, "part", withReason(`${nick} has left ${buffer.name}`, reason), { nick, line });
    }
    this.emit("buffer", buffer);
    this.emit("buffers");
  },
  TAGMSG(line) {
    // Reactions (reactions.js) and +typing (https://ircv3.net/specs/client-tags/typing),
    // only in a buffer already open: a notification never opens a private chat.
    if ("+draft/react" in line.tags || "+draft/unreact" in line.tags) {
      this.reacted(line);
      return;
    }
    const state = line.tags["+typing"];
    const nick = nickOf(line.source);
    if (state === undefined || !line.source.includes("!") || this.isMe(nick)) return;
    let target = line.params[0] ?? "";
    const statusmsg = this.isupport.STATUSMSG ?? "";
    while (target && statusmsg.includes(target[0])) target = target.slice(1);
    const name = isChannel(target, this.isupport.CHANTYPES) ? target : nick;
    if (this.model.get(name) && this.typingIn.received(name, nick, state, this.clock)) this.typingChanged(name);
  },
  QUIT(line) {
    // (protocol.js asks for our wanted nick if this frees it.)
    const nick = nickOf(line.source);
    for (const key of this.typingIn.stoppedEverywhere(nick)) this.typingChanged(key);
    const text = withReason(`${nick} has left the chat`, line.params[0] ?? "");
    for (const buffer of this.model.buffersWith(nick)) {
      buffer.removeMember(nick);
      this.note(buffer, "quit", text, { nick, line });
      this.emit("buffer", buffer);
    }
  },
  NICK(line) {
    // Another's nick (our own comes as protocol.js's "nick" event).
    this.renamed(nickOf(line.source), line.params[0] ?? "", line, false);
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
  ACCOUNT(line) {
    // account-notify: ACCOUNT <account or *>
    const nick = nickOf(line.source);
    const account = (line.params[0] ?? "*") === "*" ? null : line.params[0];
    for (const buffer of this.model.buffersWith(nick)) {
      const member = buffer.members.get(casefold(nick));
      if (member) member.account = account;
      this.emit("buffer", buffer);
    }
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
}

/** A JOIN the server refused (no such channel, bad name, full, invite-only, banned,
 * wrong key): say why, and forget the room if nothing happened in it yet. */
function joinRefused(line) {
  const name = line.params[1] ?? "";
  const buffer = this.model.get(name);
  if (buffer && buffer.kind === "channel" && !buffer.joined && !buffer.messages.length) this.close(name);
  this.showError(`${name}: ${line.params[line.params.length - 1] ?? "cannot join"}`);
}

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
  if (!this.isMe(nick) && this.typingIn.stopped(buffer.name, nick)) this.typingChanged(buffer.name);
  const message = this.messageFrom(line, buffer);
  if (message) this.addMessage(buffer, message, true);
}
