// A page's chat without a page: the protocol and the Chat of app.js, fed server lines
// by hand, for the node unit tests. Not a test file itself (node --test runs *.test.mjs).

import { Chat } from "../../../src/chatroom/web/static/js/chat.js";
import { IrcProtocol } from "../../../src/chatroom/web/static/js/protocol.js";

/**
 * alice connected and registered with `caps` acknowledged (`ls`: what the server
 * offers, by default the same), #lobby her room. `listen(chat)` runs before anything
 * arrives, to record events. `feed(...lines)` hands the chat server lines and returns
 * what it sent back.
 */
export function signedIn(caps, { ls = caps, listen = () => {} } = {}) {
  const protocol = new IrcProtocol({ nick: "alice" });
  const chat = new Chat(protocol, { rooms: ["#lobby"], active: "#lobby" });
  listen(chat);
  const feed = (...lines) => {
    for (const line of lines) {
      protocol.receiveLine(line);
      for (const event of protocol.eventsReceived()) chat.handle(event);
    }
    return protocol.dataToSend();
  };
  protocol.connectionMade();
  protocol.dataToSend();
  feed(`:srv CAP * LS :${ls}`, `:srv CAP alice ACK :${caps}`, ":srv 001 alice :Hi");
  return { protocol, chat, feed };
}
