// Desktop notifications: which messages deserve one (a setting kept in localStorage),
// and showing them. No DOM beyond what the caller passes in, so node tests it with a
// fake Notification.

/** The setting's values: what a notification is shown for. */
export const NotifyLevel = Object.freeze({
  PRIVATE: "private", // mentions and private messages (the default)
  MENTIONS: "mentions", // mentions in rooms only
  OFF: "off",
});

export const NOTIFY_KEY = "chatroom.notify";

/** The stored setting, or the default when none (or nonsense) is stored. */
export function readLevel(storage) {
  const value = storage?.getItem(NOTIFY_KEY);
  return Object.values(NotifyLevel).includes(value) ? value : NotifyLevel.PRIVATE;
}

/**
 * Does `message` in `buffer` deserve a notification at `level`? Never our own, never
 * one the person is looking at (`seen`: the page is visible and `buffer` is shown).
 * chat.js marks as highlights the messages that mention us and every private
 * message (not the lines a private chat shows about its person, as "is online").
 */
export function wantsNotification(level, buffer, message, seen) {
  if (seen || message.self || !message.highlight || level === NotifyLevel.OFF) return false;
  return buffer.kind === "query" ? level === NotifyLevel.PRIVATE : buffer.kind === "channel";
}

/**
 * Shows notifications with `Notification` (the browser's, or a fake), as `level()`
 * says, while `seen(buffer)` is false; a click calls `open(buffer)`.
 */
export class Notifier {
  constructor({ Notification, level, seen, open }) {
    this.Notification = Notification;
    this.level = level;
    this.seen = seen;
    this.open = open;
  }

  /** Whether the browser lets us show them (asked for once, by a click). */
  get allowed() {
    return !!this.Notification && this.Notification.permission === "granted";
  }

  /** Show one for `message` if it deserves it; returns the notification or null. */
  notify(buffer, message) {
    if (!this.allowed || !wantsNotification(this.level(), buffer, message, this.seen(buffer))) return null;
    const title = buffer.kind === "query" ? message.nick : `${message.nick} in ${buffer.name}`;
    const note = new this.Notification(title, { body: message.text, tag: buffer.key });
    note.onclick = () => {
      this.open(buffer);
      note.close();
    };
    return note;
  }
}
