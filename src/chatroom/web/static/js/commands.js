// What the input line understands: /commands and Tab completion of nicks, rooms
// and command names. Acts on a ChatClient; no DOM here.

import { casefold, isChannel } from "./irc.js";

export const HELP = [
  ["/join #room", "go to a room (it is created if it does not exist)"],
  ["/part [#room] [reason]", "leave this room (or the one named)"],
  ["/msg nick text", "send a private message"],
  ["/query nick", "open a private chat"],
  ["/me text", "say what you are doing (“* alice waves”)"],
  ["/nick name", "change your name"],
  ["/topic [text]", "show or set the room's topic"],
  ["/away [text]", "mark yourself away (no text: back)"],
  ["/search words", "search the history (from:nick, in:#room narrow it)"],
  ["/quit [reason]", "leave the chat"],
  ["/help", "this list"],
];

const COMMANDS = ["away", "help", "join", "leave", "me", "msg", "nick", "notice", "part", "query", "quit", "quote", "search", "topic"];

function roomName(text, chantypes) {
  return isChannel(text, chantypes) ? text : `#${text}`;
}

/**
 * Run one line typed by the user in `buffer` (the active one, may be null).
 * Returns an error message to show, or "" when done. "//text" sends "/text".
 */
export function runInput(client, buffer, line, { onQuit, onSearch, replyTo = null } = {}) {
  if (!line.trim()) return "";
  if (!line.startsWith("/") || line.startsWith("//")) {
    if (!buffer || buffer.kind === "server") return "Join a room first: /join #lobby";
    if (client.state !== "connected") return "Not connected: your message was not sent. It will be possible again once reconnected.";
    if (buffer.kind === "channel" && !buffer.joined) return `You are not in ${buffer.name}: /join ${buffer.name}`;
    client.say(buffer.name, line.startsWith("//") ? line.slice(1) : line, { replyTo });
    return "";
  }
  const space = line.indexOf(" ");
  const command = (space < 0 ? line.slice(1) : line.slice(1, space)).toLowerCase();
  const rest = space < 0 ? "" : line.slice(space + 1).trim();
  const words = rest.split(/\s+/).filter(Boolean);
  const chantypes = client.isupport.CHANTYPES || "#";
  if (client.state !== "connected" && !["help", "quit"].includes(command)) {
    return "Not connected yet: try again in a moment.";
  }
  switch (command) {
    case "join":
      if (!words.length) return "Usage: /join #room";
      for (const name of words[0].split(",")) client.join(roomName(name, chantypes));
      return "";
    case "part":
    case "leave": {
      let name = buffer?.name;
      let reason = rest;
      if (words.length && isChannel(words[0], chantypes)) {
        name = words[0];
        reason = rest.slice(words[0].length).trim();
      }
      if (!name) return "Usage: /part #room";
      client.part(name, reason);
      return "";
    }
    case "msg":
    case "query": {
      if (!words.length) return `Usage: /${command} nick${command === "msg" ? " text" : ""}`;
      const target = words[0];
      const text = rest.slice(target.length).trim();
      if (isChannel(target, chantypes)) {
        if (text) client.say(target, text);
        return "";
      }
      client.openQuery(target);
      if (text) client.say(target, text);
      return "";
    }
    case "notice": {
      if (words.length < 2) return "Usage: /notice target text";
      client.send("NOTICE", words[0], rest.slice(words[0].length).trim());
      return "";
    }
    case "me":
      if (!buffer || buffer.kind === "server") return "Join a room first.";
      if (!rest) return "Usage: /me text";
      client.say(buffer.name, rest, { action: true });
      return "";
    case "nick":
      if (words.length !== 1) return "Usage: /nick newname";
      client.setNick(words[0]);
      return "";
    case "topic":
      if (!buffer || buffer.kind !== "channel") return "/topic works in a room.";
      if (rest) client.send("TOPIC", buffer.name, rest);
      else client.note(buffer, "info", buffer.topic ? `The topic is: ${buffer.topic}` : `${buffer.name} has no topic.`);
      return "";
    case "away":
      if (rest) client.send("AWAY", rest);
      else client.send("AWAY");
      return "";
    case "search":
      if (!rest) return "Usage: /search words";
      if (!client.protocol.caps.has("soju.im/search")) return "This server cannot search its history.";
      onSearch?.(rest);
      return "";
    case "quote":
      if (rest) client.sendRaw(rest);
      return "";
    case "quit":
      client.quit(rest || "Leaving");
      onQuit?.();
      return "";
    case "help":
      for (const [usage, what] of HELP) client.note(buffer, "info", `${usage} — ${what}`);
      return "";
    default:
      return `Unknown command /${command}. Type /help for the list.`;
  }
}

/**
 * Tab completion. Keeps its state between presses so that repeated Tabs cycle
 * through the matches; call reset() on any other key.
 */
export class Completer {
  constructor() {
    this.reset();
  }

  reset() {
    this.state = null;
  }

  /** Complete the word before `caret` in `value`; returns {value, caret} or null. */
  complete(value, caret, client, buffer) {
    if (this.state && this.state.value === value && this.state.caret === caret) {
      const s = this.state;
      s.index = (s.index + 1) % s.matches.length;
      return this.apply(s, value.slice(0, s.start) + value.slice(caret));
    }
    const start = value.lastIndexOf(" ", caret - 1) + 1;
    const word = value.slice(start, caret);
    if (!word) return null;
    const matches = this.candidates(word, start, client, buffer);
    if (!matches.length) return null;
    this.state = { start, matches, index: 0 };
    return this.apply(this.state, value.slice(0, start) + value.slice(caret));
  }

  apply(state, base) {
    const match = state.matches[state.index];
    const before = base.slice(0, state.start);
    const after = base.slice(state.start);
    // A nick at the start of the line is an address: "alice: ".
    const text = match + (state.start === 0 && !match.startsWith("/") && !match.startsWith("#") ? ": " : " ");
    const value = before + text + after.replace(/^ /, "");
    const caret = before.length + text.length;
    state.value = value;
    state.caret = caret;
    return { value, caret };
  }

  candidates(word, start, client, buffer) {
    const folded = casefold(word);
    if (word.startsWith("/") && start === 0) {
      return COMMANDS.filter((c) => c.startsWith(folded.slice(1))).map((c) => `/${c}`);
    }
    if (isChannel(word, client.isupport.CHANTYPES || "#")) {
      return client.model.ordered().filter((b) => b.kind === "channel" && b.key.startsWith(folded)).map((b) => b.name);
    }
    const seen = new Set();
    const out = [];
    const add = (nick) => {
      const key = casefold(nick);
      if (!seen.has(key) && key.startsWith(folded) && key !== casefold(client.nick)) {
        seen.add(key);
        out.push(nick);
      }
    };
    if (buffer) {
      // Who spoke last comes first: that is usually who one answers.
      for (let i = buffer.messages.length - 1; i >= 0 && out.length < 50; i--) {
        const m = buffer.messages[i];
        if (m.nick && (buffer.kind !== "channel" || buffer.hasMember(m.nick))) add(m.nick);
      }
      for (const member of [...buffer.members.values()].sort((a, b) => casefold(a.nick).localeCompare(casefold(b.nick)))) add(member.nick);
      if (buffer.kind === "query") add(buffer.name);
    }
    return out;
  }
}
