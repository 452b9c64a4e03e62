// The page: the sign-in form, then the chat. Binds the DOM to a ChatClient.
// Loaded as a module from index.html (no inline script: the CSP forbids it).

import { ChatClient } from "./client.js";
import { Completer, runInput } from "./commands.js";
import { casefold, isChannel } from "./irc.js";
import { NOTIFY_KEY, Notifier, readLevel } from "./notify.js";
import { typingText } from "./typing.js";
import { uploadFile, uploadUrl } from "./upload.js";
import { messageById } from "./reactions.js";
import { SearchPanel } from "./searchview.js";
import { ConversationView, linkify, renderBufferList, renderMembers } from "./view.js";

const $ = (id) => document.getElementById(id);
const SESSION_KEY = "chatroom.session"; // this tab's chat, to come back to after a reload
const NICK_KEY = "chatroom.nick"; // the name last used, to fill in the form
const NICK_PATTERN = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

const settings = { network: "chatroom", default_room: "#lobby", nicklen: 32 };
let client = null;
let conversation = null;
let search = null; // the search box (searchview.js)
const completer = new Completer();
const sent = []; // lines typed, for ArrowUp/ArrowDown
let sentIndex = 0;
const notifier = new Notifier({
  Notification: "Notification" in window ? window.Notification : null,
  level: () => readLevel(localStorage),
  seen: (buffer) => !document.hidden && buffer === client?.model.activeBuffer(),
  open: (buffer) => {
    window.focus();
    client?.activate(buffer.name);
  },
});

// -- start ---------------------------------------------------------------------------

async function main() {
  try {
    const response = await fetch("config.json", { cache: "no-cache" });
    if (response.ok) Object.assign(settings, await response.json());
  } catch {
    // an older server, or offline for a moment: the defaults do
  }
  document.title = settings.network;
  $("brand").textContent = settings.network;
  $("login-title").textContent = settings.network;
  conversation = new ConversationView($("messages"));
  search = new SearchPanel(conversation);
  bindStatic();
  const saved = readSession();
  if (saved && saved.nick && !saved.password) {
    start(saved.nick, "", saved.rooms, saved.active);
  } else if (saved && saved.nick) {
    // Signed in with a password, which is never stored: ask for it again.
    $("nick").value = saved.nick;
    showLogin("Sign in again with your password.", { needsPassword: true });
  } else {
    showLogin("");
  }
}

function hashRoom() {
  const raw = decodeURIComponent(location.hash.slice(1)).trim();
  if (!raw) return null;
  return isChannel(raw, "#&") ? raw : `#${raw}`;
}

function readSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    return null;
  }
}

function saveSession() {
  if (!client) return;
  const rooms = client.model.ordered().filter((b) => b.kind === "channel" && b.wanted).map((b) => b.name);
  const active = client.model.activeBuffer();
  const state = { nick: client.wantedNick, rooms, active: active?.name ?? null, password: !!client.password };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(state));
  localStorage.setItem(NICK_KEY, client.wantedNick);
}

// -- sign in -----------------------------------------------------------------------------

/** The sign-in form logs in (creating = false) or creates an account (REGISTER). */
function setCreating(creating) {
  $("login-form").dataset.mode = creating ? "create" : "login";
  $("password-row").hidden = false;
  $("password").autocomplete = creating ? "new-password" : "current-password";
  $("login-submit").textContent = creating ? "Create the account and join" : "Join the chat";
  $("show-password").hidden = !creating;
  $("show-password").textContent = "I have an account";
  $("create-account").hidden = creating;
  $("login-error").textContent = "";
  $("password").focus();
}

function showLogin(error, { needsPassword = false } = {}) {
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = error;
  const nick = $("nick");
  if (!nick.value) nick.value = localStorage.getItem(NICK_KEY) || "";
  if (needsPassword) {
    $("password-row").hidden = false;
    $("show-password").hidden = true;
    $("create-account").hidden = false;
  }
  const room = hashRoom();
  $("login-room").textContent = room ?? settings.default_room;
  (needsPassword ? $("password") : nick).focus();
}

function onLogin(event) {
  event.preventDefault();
  const nick = $("nick").value.trim();
  if (!NICK_PATTERN.test(nick) || nick.length > settings.nicklen) {
    $("login-error").textContent =
      `A name is one word of letters, digits or - _ [ ] { } \\ | ^ \` (not starting with a digit or -), at most ${settings.nicklen} characters.`;
    $("nick").focus();
    return;
  }
  const create = $("login-form").dataset.mode === "create";
  if (create && !$("password").value) {
    $("login-error").textContent = "An account needs a password.";
    $("password").focus();
    return;
  }
  const saved = readSession(); // after a reload: the rooms that were open
  start(nick, $("password").value, saved?.rooms ?? [], saved?.active ?? null, create);
}

function start(nick, password, rooms, active, create = false) {
  const wanted = [settings.default_room, ...rooms];
  const fromHash = hashRoom();
  if (fromHash) wanted.push(fromHash);
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  client = new ChatClient({
    url: url.href,
    nick,
    password,
    create,
    rooms: [...new Map(wanted.filter(Boolean).map((r) => [casefold(r), r])).values()],
    active: fromHash ?? active ?? settings.default_room,
  });
  // Read (draft/read-marker) only while the page is visible and has the focus.
  client.chat.isSeen = () => !document.hidden && document.hasFocus();
  client.on("state", onState);
  client.on("uploads", currentUploadUrl); // a guest was given a token: may share
  search.attach(client);
  client.on("buffers", () => {
    drawBuffers();
    currentUploadUrl(); // after a JOIN, so the welcome's ISUPPORT is in
    saveSession();
  });
  client.on("buffer", (buffer) => {
    if (buffer === client.model.activeBuffer()) drawHeader(buffer);
  });
  client.on("message", onMessage);
  client.on("history", (buffer) => {
    if (buffer === client.model.activeBuffer()) {
      conversation.render(buffer);
      fillScreen(buffer);
    }
  });
  client.on("active", onActive);
  client.on("reactions", (buffer, msgid) => conversation.updateReactions(buffer, msgid));
  client.on("typing", (buffer) => {
    if (buffer === client.model.activeBuffer()) drawTyping(buffer);
  });
  client.on("nick", (n) => {
    $("me").textContent = n;
    saveSession();
  });
  $("login").hidden = true;
  $("app").hidden = false;
  $("me").textContent = nick;
  client.connect();
  const buffer = client.model.activeBuffer();
  if (buffer) onActive(buffer);
  $("input").focus();
}

// -- what the client tells us ---------------------------------------------------------

function onState(state, detail) {
  const status = $("status");
  status.dataset.state = state;
  const banner = $("banner");
  clearInterval(onState.countdown);
  if (state === "connected") {
    status.textContent = "Connected";
    banner.hidden = true;
  } else if (state === "connecting") {
    status.textContent = "Connecting…";
  } else if (state === "reconnecting") {
    const tick = () => {
      const left = Math.max(0, Math.ceil((detail.at - Date.now()) / 1000));
      status.textContent = "Reconnecting…";
      $("banner-text").textContent = `${detail.reason}. Reconnecting in ${left} s…`;
    };
    tick();
    onState.countdown = setInterval(tick, 1000);
    banner.hidden = false;
  } else if (state === "disconnected") {
    banner.hidden = true;
    sessionStorage.removeItem(SESSION_KEY);
    const needsPassword = !!client?.needsPassword;
    client = null;
    showLogin(detail.fatal ? detail.reason : "", { needsPassword });
  }
}

function onMessage(buffer, message, { how, live }) {
  if (!live) return; // history is drawn once, when its batch ends
  if (buffer === client.model.activeBuffer()) {
    if (how === "append") conversation.append(buffer, message);
    else conversation.render(buffer);
  }
  notifier.notify(buffer, message);
  updateTitle();
}

function onActive(buffer) {
  drawBuffers();
  drawHeader(buffer);
  if (replying && replying.buffer !== buffer) replyTo(null);
  conversation.context = replyContext(buffer);
  conversation.render(buffer, { keepPlace: false });
  fillScreen(buffer);
  drawTyping(buffer);
  if (buffer.kind === "channel") history.replaceState(null, "", `#${buffer.name.replace(/^#/, "")}`);
  document.body.classList.remove("show-sidebar", "show-members");
  updateTitle();
  saveSession();
}

// -- replies and reactions (reactions.js) -----------------------------------------------

let replying = null; // {buffer, message} the next message answers, or null

/** What the conversation needs to quote replies and count reactions in `buffer`. */
function replyContext(buffer) {
  return {
    quoted: (msgid) => messageById(buffer, msgid),
    reactions: (msgid) => client?.chat.reactions(buffer, msgid) ?? [],
    onReact: (msgid, text) => client?.toggleReaction(buffer.name, msgid, text),
    onReply: (message) => replyTo({ buffer, message }),
    canDelete: (message) => client?.chat.canDelete(buffer, message) ?? false,
    onDelete: (msgid) => client?.deleteMessage(buffer.name, msgid),
  };
}

/** Answer `to` ({buffer, message}) with the next message, or not (null): a bar above the input says so. */
function replyTo(to) {
  replying = to;
  $("replying").hidden = !to;
  $("replying-text").textContent = to ? `Replying to ${to.message.nick}: ${to.message.text.split("\n")[0]}` : "";
  if (to) $("input").focus();
}

// -- drawing ------------------------------------------------------------------------------

/** Under the messages: who is typing in the buffer shown ("alice is typing…"). */
function drawTyping(buffer) {
  $("typing").textContent = client ? typingText(client.chat.typingIn.nicks(buffer.name)) : "";
}

function drawBuffers() {
  if (!client) return;
  renderBufferList(
    $("buffers"),
    client.model,
    (buffer) => {
      client.activate(buffer.name);
      $("input").focus();
    },
    (buffer) => client.part(buffer.name),
  );
  updateTitle();
}

function drawHeader(buffer) {
  $("title").textContent = buffer.name;
  const topic = $("topic");
  if (buffer.kind === "query") topic.replaceChildren(`Private chat with ${buffer.name}`);
  else if (!buffer.joined) topic.replaceChildren(client.state === "connected" ? `You are not in ${buffer.name}.` : "");
  else topic.replaceChildren(buffer.topic ? linkify(buffer.topic) : "");
  topic.title = buffer.topic;
  renderMembers($("member-list"), $("member-count"), buffer, client.prefixSymbols(), (nick) => {
    if (casefold(nick) !== casefold(client.nick)) client.openQuery(nick);
  });
  $("members-toggle").hidden = buffer.kind !== "channel";
  $("input").placeholder = buffer.kind === "channel" ? `Message ${buffer.name}` : `Message ${buffer.name} privately`;
}

function updateTitle() {
  if (!client) return;
  const unread = client.model.totalUnread();
  const active = client.model.activeBuffer();
  document.title = `${unread ? `(${unread}) ` : ""}${active ? `${active.name} · ` : ""}${settings.network}`;
}

/** When history does not fill the screen there is nothing to scroll: ask for more. */
function fillScreen(buffer) {
  const list = $("messages");
  if (list.scrollHeight <= list.clientHeight + 10 && !buffer.reachedStart && buffer.messages.length) {
    client.loadOlder(buffer);
  }
}

// -- input ---------------------------------------------------------------------------------

function onSubmit(event) {
  event.preventDefault();
  const input = $("input");
  const line = input.value;
  if (!line.trim() || !client) return;
  const buffer = client.model.activeBuffer();
  const replyToId = replying && replying.buffer === buffer ? replying.message.id : null;
  const onSearch = (words) => search.open(words);
  const error = runInput(client, buffer, line, { onQuit: () => sessionStorage.removeItem(SESSION_KEY), replyTo: replyToId, onSearch });
  if (error) {
    client.note(buffer, "error", error);
    return;
  }
  replyTo(null);
  sent.push(line);
  sentIndex = sent.length;
  input.value = "";
}

// -- sharing files (upload.js) ---------------------------------------------------------

/** Where to upload now, or null; the attach button shows only when there is one. */
function currentUploadUrl() {
  const url = client ? uploadUrl(client.isupport, client.mayUpload(), location.origin) : null;
  $("attach").hidden = url === null;
  return url;
}

/** Upload each file, then send its link to the active conversation as a message. */
async function share(files) {
  const url = currentUploadUrl();
  const buffer = client?.model.activeBuffer();
  if (!url || !buffer || !files.length) return;
  for (const file of files) {
    let authorization = "";
    try {
      authorization = await client.uploadAuthorization();
      const link = await uploadFile(url, file, authorization);
      const error = runInput(client, buffer, link, {});
      if (error) client.note(buffer, "error", error);
    } catch (error) {
      if (authorization) client.uploadFailed(authorization);
      client.note(buffer, "error", `${file.name || "The file"}: ${error.message}`);
    }
  }
}

function bindSharing() {
  $("attach").addEventListener("click", () => $("attach-file").click());
  $("attach-file").addEventListener("change", (event) => {
    share([...event.target.files]);
    event.target.value = "";
  });
  $("input").addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length && currentUploadUrl()) {
      event.preventDefault();
      share(files);
    }
  });
  const chat = $("messages").parentElement;
  chat.addEventListener("dragover", (event) => {
    if (currentUploadUrl() && event.dataTransfer?.types.includes("Files")) event.preventDefault();
  });
  chat.addEventListener("drop", (event) => {
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length && currentUploadUrl()) {
      event.preventDefault();
      share(files);
    }
  });
}

function onInputKey(event) {
  const input = event.target;
  if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey && input.value && client) {
    const done = completer.complete(input.value, input.selectionStart, client, client.model.activeBuffer());
    event.preventDefault();
    if (done) {
      input.value = done.value;
      input.setSelectionRange(done.caret, done.caret);
    }
    return;
  }
  completer.reset();
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    // Enter sends; Shift+Enter (or a paste) makes a new line: one multiline message.
    event.preventDefault();
    $("composer").requestSubmit();
  } else if (event.key === "ArrowUp" && !event.altKey && sentIndex > 0 && (input.value === "" || input.value === sent[sentIndex])) {
    sentIndex--;
    input.value = sent[sentIndex];
    event.preventDefault();
  } else if (event.key === "ArrowDown" && !event.altKey && sentIndex < sent.length && input.value === sent[sentIndex]) {
    sentIndex++;
    input.value = sent[sentIndex] ?? "";
    event.preventDefault();
  } else if (event.key === "PageUp" || event.key === "PageDown") {
    const list = $("messages");
    list.scrollBy({ top: (event.key === "PageUp" ? -0.9 : 0.9) * list.clientHeight });
    event.preventDefault();
  }
}

/** Alt+Up/Down: previous/next buffer; Alt+1..9: that buffer; Escape: back to typing. */
function onGlobalKey(event) {
  if (!client || $("app").hidden) return;
  const list = client.model.ordered();
  const index = list.findIndex((b) => b.key === client.model.active);
  if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown") && list.length) {
    const next = list[(index + (event.key === "ArrowUp" ? list.length - 1 : 1)) % list.length];
    client.activate(next.name);
    event.preventDefault();
  } else if (event.altKey && /^[1-9]$/.test(event.key) && list[Number(event.key) - 1]) {
    client.activate(list[Number(event.key) - 1].name);
    event.preventDefault();
  } else if (event.key === "Escape") {
    if (replying) replyTo(null);
    document.body.classList.remove("show-sidebar", "show-members");
    $("input").focus();
  }
}

function bindStatic() {
  $("login-form").addEventListener("submit", onLogin);
  $("show-password").addEventListener("click", () => setCreating(false));
  $("create-account").addEventListener("click", () => setCreating(true));
  $("composer").addEventListener("submit", onSubmit);
  $("replying-cancel").addEventListener("click", () => replyTo(null));
  bindSharing();
  $("input").addEventListener("keydown", onInputKey);
  $("input").addEventListener("input", (event) => client?.inputChanged(event.target.value));
  document.addEventListener("keydown", onGlobalKey);
  $("messages").addEventListener("scroll", () => {
    const buffer = client?.model.activeBuffer();
    if (buffer && $("messages").scrollTop < 80 && !buffer.reachedStart && !buffer.historyPending) {
      client.loadOlder(buffer);
    }
  });
  $("menu").addEventListener("click", () => document.body.classList.toggle("show-sidebar"));
  $("members-toggle").addEventListener("click", () => document.body.classList.toggle("show-members"));
  $("backdrop").addEventListener("click", () => document.body.classList.remove("show-sidebar", "show-members"));
  $("reconnect").addEventListener("click", () => client?.reconnectNow());
  $("leave").addEventListener("click", () => {
    sessionStorage.removeItem(SESSION_KEY);
    client?.quit("Leaving");
  });
  const level = $("notify-level");
  level.value = readLevel(localStorage);
  level.addEventListener("change", () => localStorage.setItem(NOTIFY_KEY, level.value));
  const bell = $("notifications");
  if ("Notification" in window && Notification.permission === "default") {
    bell.hidden = false;
    bell.addEventListener("click", async () => {
      await Notification.requestPermission();
      bell.hidden = Notification.permission !== "default";
    });
  }
  window.addEventListener("hashchange", () => {
    const room = hashRoom();
    if (client && room && client.model.active !== casefold(room)) client.join(room);
  });
  window.addEventListener("online", () => client?.reconnectNow());
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && client) {
      const buffer = client.model.activeBuffer();
      if (buffer && buffer.unread) client.activate(buffer.name);
      client.reconnectNow();
    }
  });
  window.addEventListener("focus", () => {
    if (client && client.chat.isSeen()) client.markRead();
  });
}

main();
