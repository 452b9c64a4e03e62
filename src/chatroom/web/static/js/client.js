// The connection: IRC over WebSocket (IRCv3 "WebSocket support", subprotocol
// text.ircv3.net: one line per message, no CR LF), the keepalive and automatic
// reconnect with back-off. It owns the WebSocket and the timers, and nothing
// else: protocol.js holds the IRC session (lines in, events out), chat.js the
// rooms and messages. Each message received goes to the protocol, its events to
// the chat, and the lines they queued to the socket. No DOM here.

import { Chat } from "./chat.js";
import { IrcProtocol } from "./protocol.js";
import { basicAuthorization, UploadTokens } from "./upload.js";

const MAX_BACKOFF = 30; // seconds between reconnect attempts, at most
const KEEPALIVE_EVERY = 15_000; // ms between checks of the connection
const IDLE_PING = 60_000; // ms of silence before we PING the server
const DEAD_AFTER = 100_000; // ms of silence before we give the connection up

export class ChatClient {
  /**
   * options: {url, nick, password, rooms: [names], active: name|null, realname}
   * Call connect(); listen with on(event, fn) (the events are listed in chat.js).
   * What the UI asks for (join, say...) goes to the Chat, then out on the socket.
   */
  constructor(options) {
    this.url = options.url;
    this.protocol = new IrcProtocol(options);
    this.chat = new Chat(this.protocol, options);
    this.state = "idle";
    this.attempt = 0;
    this.ws = null;
    this.quitting = false;
    this.timers = { reconnect: 0, keepalive: 0 };
    this.lastRecv = 0;
    this.uploadTokens = new UploadTokens(); // EXTJWT, for sharing files (upload.js)
    this.probed = false; // a guest asked once per connection whether it may upload
  }

  // -- what the views read -----------------------------------------------------------

  get model() {
    return this.chat.model;
  }

  get nick() {
    return this.protocol.nick;
  }

  get wantedNick() {
    return this.protocol.wantedNick;
  }

  get password() {
    return this.protocol.password;
  }

  get needsPassword() {
    return this.protocol.needsPassword;
  }

  get isupport() {
    return this.protocol.isupport;
  }

  prefixSymbols() {
    return this.chat.prefixSymbols();
  }

  // -- sharing files (upload.js) ---------------------------------------------------------

  /** May this session upload? Signed in with a password, or (EXTJWT) given a token. */
  mayUpload() {
    return !!this.password || (!!this.isupport.EXTJWT && this.uploadTokens.granted);
  }

  /** The `Authorization` value for the next upload (a promise): a session token when
   * the server advertises EXTJWT, else the account's name and password. */
  uploadAuthorization() {
    if (!this.isupport.EXTJWT) return Promise.resolve(basicAuthorization(this.wantedNick, this.password));
    const token = this.uploadTokens.get(this.now(), (...line) => this.send(...line));
    return token.then((value) => `Bearer ${value}`);
  }

  /** An upload with `authorization` failed: its token is not used again. */
  uploadFailed(authorization) {
    this.uploadTokens.forget(authorization.replace(/^Bearer /, ""));
  }

  /** A guest on a server with EXTJWT asks for a token once: the answer says whether
   * the server lets guests share (then the token serves the first upload). */
  probeUploads() {
    if (this.probed || this.password || !this.protocol.registered) return;
    if (!this.isupport.EXTJWT || !this.isupport["soju.im/FILEHOST"]) return;
    this.probed = true;
    this.uploadTokens
      .get(this.now(), (...line) => this.protocol.send(...line))
      .then(() => this.chat.emit("uploads"))
      .catch(() => {}); // guests may not: the attach button stays hidden
  }

  on(type, fn) {
    this.chat.on(type, fn);
  }

  setState(state, detail = {}) {
    this.state = state;
    this.chat.emit("state", state, detail);
  }

  // -- what the UI asks for: the chat acts, then what it queued is sent ---------------------

  activate(name) {
    this.chat.activate(name);
    this.flush();
  }

  /** The page shows the active buffer again, visible and focused (draft/read-marker). */
  markRead() {
    this.chat.markRead();
    this.flush();
  }

  join(name, options) {
    this.chat.join(name, options);
    this.flush();
  }

  part(name, reason) {
    this.chat.part(name, reason);
    this.flush();
  }

  close(name) {
    this.chat.close(name);
  }

  openQuery(nick, options) {
    const buffer = this.chat.openQuery(nick, options);
    this.flush();
    return buffer;
  }

  say(name, text, options) {
    this.chat.say(name, text, options);
    this.flush();
  }

  /** Click on the reaction `text` under `msgid` of `name`: give it or take it back. */
  toggleReaction(name, msgid, text) {
    this.chat.toggleReaction(name, msgid, text);
    this.flush();
  }

  /** Search the history (search.js): an error to show, or "" (results come as "search"). */
  search(query) {
    const error = this.chat.search(query);
    this.flush();
    return error;
  }

  /** Show the conversation `name` at its message `msgid` (a search result). */
  openAt(name, msgid) {
    this.chat.openAt(name, msgid);
    this.flush();
  }

  /** Delete our message (or, as a channel operator, anyone's) `msgid` of `name`. */
  deleteMessage(name, msgid) {
    this.chat.deleteMessage(name, msgid);
    this.flush();
  }

  setNick(nick) {
    this.protocol.setNick(nick);
    this.flush();
  }

  loadOlder(buffer) {
    this.chat.loadOlder(buffer);
    this.flush();
  }

  note(buffer, kind, text, options) {
    this.chat.note(buffer, kind, text, options);
  }

  send(command, ...params) {
    this.protocol.send(command, ...params);
    this.flush();
  }

  /** A line typed by the user (/quote), sent as it is. */
  sendRaw(text) {
    this.protocol.sendRaw(text);
    this.flush();
  }

  // -- the socket --------------------------------------------------------------------------

  connect() {
    clearTimeout(this.timers.reconnect);
    this.quitting = false;
    this.setState("connecting", { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url, ["text.ircv3.net"]);
    } catch (err) {
      this.scheduleReconnect(String(err));
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.onOpen();
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastRecv = Date.now();
      if (typeof event.data === "string") this.receive(event.data);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.onClose(event);
    };
  }

  onOpen() {
    this.lastRecv = Date.now();
    this.protocol.connectionMade();
    this.flush();
    clearInterval(this.timers.keepalive);
    this.timers.keepalive = setInterval(() => this.keepalive(), KEEPALIVE_EVERY);
    clearInterval(this.timers.tick);
    this.timers.tick = setInterval(() => this.tick(), 1000);
  }

  /** The time typing notifications count in: seconds, monotonic. */
  now() {
    return performance.now() / 1000;
  }

  /** About every second while connected (typing notifications, see chat.js). */
  tick() {
    this.chat.tick(this.now());
    this.flush();
  }

  /** The user's input line now reads `text`. */
  inputChanged(text) {
    this.chat.inputChanged(text, this.now());
    this.flush();
  }

  /** One line from the server: through the protocol, its events to the chat, and
   * the lines both queued out on the socket. */
  receive(text) {
    this.protocol.receiveLine(text);
    for (const event of this.protocol.eventsReceived()) {
      if (event.type === "close") {
        this.ws?.close();
        continue;
      }
      if (event.type === "registered") {
        this.attempt = 0;
        this.setState("connected", { nick: event.nick });
      }
      if (event.type === "line" && this.uploadTokens.receive(event.line, this.now())) continue;
      this.chat.handle(event);
    }
    this.probeUploads();
    this.flush();
  }

  /** Send what the protocol queued; dropped when the socket is not open (as a
   * WebSocket would refuse it). */
  flush() {
    const lines = this.protocol.dataToSend();
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    for (const line of lines) this.ws.send(line);
  }

  keepalive() {
    const idle = Date.now() - this.lastRecv;
    if (!this.ws) return;
    if (idle > DEAD_AFTER) this.ws.close();
    else if (idle > IDLE_PING && this.protocol.registered) this.send("PING", "keepalive");
  }

  onClose(event) {
    clearInterval(this.timers.keepalive);
    clearInterval(this.timers.tick);
    const { fatal, error, registered } = this.protocol;
    this.protocol.connectionLost();
    this.chat.connectionLost();
    this.uploadTokens.reset(); // a session's tokens end with it
    this.probed = false;
    if (this.quitting || fatal) {
      this.setState("disconnected", { reason: fatal || "You left the chat.", fatal: !!fatal });
      return;
    }
    if (registered) this.attempt = 0;
    const reason = error || (event.code === 1006 ? "Lost the connection" : "The connection closed");
    this.scheduleReconnect(reason);
  }

  scheduleReconnect(reason) {
    const delay = Math.min(MAX_BACKOFF, 2 ** this.attempt) * (0.6 + 0.4 * Math.random());
    this.attempt++;
    this.setState("reconnecting", { reason, delay, at: Date.now() + delay * 1000 });
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => this.connect(), delay * 1000);
  }

  /** Try again now (the user asked, or the network came back). */
  reconnectNow() {
    if (this.state === "reconnecting") this.connect();
  }

  quit(reason = "Leaving") {
    this.quitting = true;
    clearTimeout(this.timers.reconnect);
    if (this.ws) {
      this.send("QUIT", reason);
      this.ws.close(1000);
    } else {
      this.setState("disconnected", { reason: "You left the chat.", fatal: false });
    }
  }
}
