"""Take docs/images/tk-client.png: the real app, a real server, real people.

Run from the repository root::

    .venv/bin/python tests/ui/tk/screenshot.py [OUTPUT.png [WIDTHxHEIGHT]]

It starts Xvfb, a server and independent IRC clients (bob, carol, dave), opens
the desktop client as alice, lets them talk in a few rooms (a reply, reactions,
someone typing, and news that arrived while alice was in another room, under a
"new messages" line), and saves the window as a PNG (pixels read from the X
server; see ``xvfb.capture_png``). Needs only Xvfb; no image tools.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import tkinter as tk
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/, as pytest's pythonpath

from chatroom.client.config import ClientConfig  # noqa: E402
from chatroom.ui.tk.app import TkChatApp  # noqa: E402
from support.irc_client import IrcClient  # noqa: E402
from support.server import start_server  # noqa: E402
from support.tk import conversation, pump, pump_until, rooms_list, type_and_send  # noqa: E402
from support.xvfb import capture_png, start_xvfb  # noqa: E402

SIZE = (960, 620)
TAGS = "message-tags echo-message"


def main(output: Path, size: tuple[int, int] = SIZE) -> None:
    xvfb = start_xvfb("1280x800x24")
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--no-flood-control")
        peers: list[IrcClient] = []
        try:
            take(server.port, xvfb.display, output, peers, size)
        finally:
            for peer in peers:
                peer.close()
            server.stop(signal.SIGTERM)
            xvfb.stop()


def take(
    port: int, display: str, output: Path, peers: list[IrcClient], size: tuple[int, int]
) -> None:
    bob = IrcClient(port).register("bob", TAGS)
    carol = IrcClient(port).register("carol", TAGS)
    peers += [bob, carol]
    bob.join("#lobby")
    bob.send("TOPIC #lobby :Welcome! Be kind · demo on Friday at 15:00 ☕")
    carol.join("#lobby")
    carol.join("#design")
    carol.send("TOPIC #design :Mock-ups, colours and fonts")
    bob.join("#dev")
    bob.send("TOPIC #dev :Build & release · CI is green ✔")

    root = tk.Tk(screenName=display, className="Chatroom")
    config = ClientConfig("127.0.0.1", port, nick="alice", rooms=("#lobby", "#dev", "#design"))
    app = TkChatApp(root, _utest=True)
    app.start(config)
    root.geometry(f"{size[0]}x{size[1]}+0+0")
    pump_until(root, lambda: {"#lobby", "#dev", "#design"} <= set(rooms_list(app)), what="rooms")
    assert app.presenter is not None
    app.presenter.select("#lobby")
    pump_until(root, lambda: app.window.heading.cget("text") == "#lobby", what="lobby")

    def say(who: IrcClient, target: str, text: str) -> None:
        who.send(f"PRIVMSG {target} :{text}")
        if target == "#lobby":
            pump_until(root, lambda: text in conversation(app), what=text)
        else:
            pump(root, 0.1)

    say(bob, "#lobby", "Morning everyone! Coffee's on ☕")
    say(carol, "#lobby", "Hi bob! Did the new build land?")
    type_and_send(app, "It did. The desktop client is ready to try, screenshots coming")
    pump_until(root, lambda: "screenshots coming" in conversation(app), what="own message")
    dave = IrcClient(port).register("dave", TAGS)
    peers.append(dave)
    dave.join("#lobby")
    pump_until(root, lambda: "dave has joined" in conversation(app), what="join")
    say(dave, "#lobby", "Hello! First time here, what's this room for?")
    say(carol, "#lobby", "dave: general chat; #dev is for the code, #design for looks")
    say(carol, "#design", "New colour palette is up, feedback welcome")
    say(carol, "#design", "alice: can you check the contrast on the sidebar?")
    say(bob, "alice", "got a minute after the demo?")
    pump_until(root, lambda: "bob" in rooms_list(app), what="private chat")

    # alice reads #dev meanwhile; #lobby goes on without her.
    app.presenter.select("#dev")
    pump_until(root, lambda: app.window.heading.cget("text") == "#dev", what="dev")
    say(bob, "#dev", "Release notes drafted, tagging v0.2 after lunch")
    bob.send("PRIVMSG #lobby :Demo moved to 15:30, room B 📽")
    demo = bob.expect("PRIVMSG", lambda line: "Demo moved" in line.params[1])
    assert demo.tags is not None
    msgid = demo.tags["msgid"]
    carol.send(f"@+draft/reply={msgid} PRIVMSG #lobby :Works for me, I'll bring the projector")
    for who, emoji in ((carol, "👍"), (dave, "👍"), (dave, "🎉")):
        who.send(f"@+draft/reply={msgid};+draft/react={emoji} TAGMSG #lobby")
    dave.send("PRIVMSG #lobby :See you there!")
    pump_until(root, lambda: rooms_list(app)["#lobby"][1] == "3", what="unread")

    # Back to #lobby: the news is under the "new messages" line.
    app.presenter.select("#lobby")
    pump_until(root, lambda: "See you there!" in conversation(app), what="lobby again")
    pump_until(root, lambda: "👍 2" in conversation(app), what="reactions")
    app.features.react(msgid, "👍")
    pump_until(root, lambda: "👍 3" in conversation(app), what="own reaction")
    bob.send("@+typing=active TAGMSG #lobby")
    pump_until(root, lambda: "typing" in app.window.typing.cget("text"), what="typing")
    pump(root, 0.6)  # let the last redraws and the status settle
    window = app.window.root
    box = (window.winfo_rootx(), window.winfo_rooty(), window.winfo_width(), window.winfo_height())
    output.parent.mkdir(parents=True, exist_ok=True)
    capture_png(display, output, box)
    print(f"saved {output} ({box[2]}x{box[3]})")
    app.close()
    app.wait()


if __name__ == "__main__":
    width, height = (int(n) for n in (sys.argv[2] if len(sys.argv) > 2 else "960x620").split("x"))
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/tk-client.png"), (width, height))
