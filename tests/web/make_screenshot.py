"""Take docs/images/web-client*.png: the real page, in a real conversation.

Run: ``.venv/bin/python tests/web/make_screenshot.py`` (needs /usr/bin/chromium).
A server is started on free ports with a throw-away data directory; a few IRC
clients (tests/support/irc_client.py) and one browser person chat, reply, react and
type; Chromium takes the pictures (a laptop window in light mode with the "New
messages" line, the search results, a phone in dark mode, and a shared image and file).
"""

from __future__ import annotations

import re
import signal
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from support.irc_client import IrcClient  # noqa: E402
from support.server import start_server  # noqa: E402

IMAGES = HERE.parents[1] / "docs" / "images"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARGS += ["--disable-component-update", "--disable-sync", "--no-first-run"]


def irc(port: int, nick: str, *rooms: str) -> IrcClient:
    client = IrcClient(port).register(nick, "message-tags")
    for room in rooms:
        client.join(room)
    return client


def say(client: IrcClient, target: str, text: str) -> None:
    client.send(f"PRIVMSG {target} :{text}")
    client.send("PING :sync")
    client.expect("PONG")
    time.sleep(0.05)


def type_line(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")
    expect(page.locator("#input")).to_have_value("")
    time.sleep(0.1)


def msgid(page: Page, text: str) -> str:
    line = page.locator("#messages .msg", has_text=text).last
    expect(line).to_have_attribute("data-msgid", re.compile(".+"))
    return line.get_attribute("data-msgid") or ""


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Guests may share: maya, a guest, uploads for the files picture.
        server = start_server(Path(tmp), "--no-flood-control", config="[files]\nguests = true\n")
        try:
            run(server.port, server.web_port)
        finally:
            server.stop(signal.SIGTERM)


def sign_in(page: Page, web_port: int, nick: str) -> None:
    page.goto(f"http://127.0.0.1:{web_port}/")
    page.fill("#nick", nick)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")


def run(port: int, web_port: int) -> None:
    tom = irc(port, "tom", "#lobby", "#games")
    tom.send("TOPIC #lobby :Friday game night, 7 pm. Details: https://example.org/friday")
    priya = irc(port, "priya", "#lobby", "#games")
    sam = irc(port, "sam", "#lobby", "#random")
    lena = irc(port, "lena", "#lobby")
    lena.send("AWAY :at work")
    say(tom, "#lobby", "Morning all! Who is in for Friday?")
    say(priya, "#lobby", "Count me in. I can host this time, the flat is big enough now")
    say(sam, "#lobby", "\x01ACTION checks the calendar\x01")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        laptop = browser.new_context(viewport={"width": 1280, "height": 760}, color_scheme="light")
        page = laptop.new_page()
        sign_in(page, web_port, "maya")
        type_line(page, "/join #games")
        type_line(page, "/join #random")
        page.locator("#buffers .buffer", has_text="#lobby").click()
        type_line(page, "Hi everyone! I'll bring the board games")
        say(tom, "#lobby", "maya: could you bring Catan? Last time was legendary")
        catan = msgid(page, "could you bring Catan")
        type_line(page, "Sure, and Ticket to Ride for the ones who lose at Catan")
        page.locator("#buffers .buffer", has_text="#games").click()
        say(tom, "#games", "Rules question for Friday: does the longest road count double?")
        # Said while maya looks at #games: unread in #lobby, under a "New messages" line.
        say(priya, "#lobby", "Ha! Map to my place: https://example.org/map")
        say(sam, "#lobby", "Yes! Unless the train strike goes ahead")
        say(tom, "#lobby", "It was called off this morning, so no excuses")
        tom.send(f"@+draft/reply={catan} PRIVMSG #lobby :Thanks for the Catan, maya!")
        for client, emoji in ((priya, "🎉"), (sam, "🎉"), (tom, "👍"), (lena, "😂")):
            client.send(f"@+draft/reply={catan};+draft/react={emoji} TAGMSG #lobby")
        say(tom, "maya", "Thanks for organising this, by the way")
        expect(page.locator("#buffers .buffer", has_text="tom")).to_be_visible()
        expect(
            page.locator("#buffers .buffer", has_text="#lobby").locator(".badge")
        ).to_be_visible()
        page.locator("#buffers .buffer", has_text="#lobby").click()
        expect(page.locator("#messages .new-messages")).to_have_count(1)
        priya.send("@+typing=active TAGMSG #lobby")
        expect(page.locator("#typing")).to_have_text("priya is typing…")
        page.mouse.move(640, 740)
        time.sleep(0.5)
        page.screenshot(path=str(IMAGES / "web-client.png"))
        page.keyboard.press("Control+k")
        page.fill("#search-text", "catan")
        page.press("#search-text", "Enter")
        expect(page.locator("#search-results .result")).to_have_count(3)
        time.sleep(0.3)
        page.screenshot(path=str(IMAGES / "web-client-search.png"))
        phone = browser.new_context(
            viewport={"width": 390, "height": 760}, color_scheme="dark", device_scale_factor=1
        )
        small = phone.new_page()
        sign_in(small, web_port, "lena_phone")
        expect(small.locator(".msg", has_text="Thanks for the Catan")).to_be_visible()
        time.sleep(0.5)
        small.screenshot(path=str(IMAGES / "web-client-phone.png"))
        share_files(page, tom)
        browser.close()
    for client in (tom, priya, sam, lena):
        client.close()


def game_board() -> bytes:
    """A picture to share: a hand-drawn looking game board (Pillow)."""
    import io

    from PIL import Image, ImageDraw

    board = Image.new("RGB", (1200, 800), (232, 220, 190))
    draw = ImageDraw.Draw(board)
    colours = [(196, 78, 52), (84, 140, 74), (214, 170, 60), (70, 110, 170), (150, 150, 140)]
    for row in range(5):
        for col in range(7):
            x, y = 110 + col * 150 + (row % 2) * 75, 90 + row * 140
            hexagon = [(x + dx, y + dy) for dx, dy in ((0, -80), (70, -40), (70, 40), (0, 80),
                                                        (-70, 40), (-70, -40))]  # fmt: skip
            draw.polygon(hexagon, fill=colours[(row * 3 + col * 2) % 5], outline=(60, 50, 40))
            draw.ellipse((x - 22, y - 22, x + 22, y + 22), fill=(250, 245, 230))
            draw.text((x - 6, y - 7), str((row + col) % 11 + 2), fill=(40, 30, 20))
    out = io.BytesIO()
    board.save(out, "PNG")
    return out.getvalue()


def share_files(page: Page, tom: IrcClient) -> None:
    """web-client-files.png: an image shared from the page shows as the server's
    thumbnail, a text file as its link."""
    page.keyboard.press("Escape")  # the search panel of the picture before
    expect(page.locator("#search-results")).to_be_hidden()
    page.locator("#buffers .buffer", has_text="#games").click()
    say(tom, "#games", "Can someone share the board from last time? And the house rules")
    for name, mime, body in (
        ("board.png", "image/png", game_board()),
        (
            "house-rules.txt",
            "text/plain",
            b"1. Longest road counts once.\n2. No trading on turn 1.\n",
        ),
    ):
        page.set_input_files(
            "#attach-file", files=[{"name": name, "mimeType": mime, "buffer": body}]
        )
        tom.expect("PRIVMSG")
    thumb = page.locator("#messages img.thumb")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_js_property("complete", True)
    say(tom, "#games", "Perfect, thanks maya!")
    time.sleep(0.5)
    page.screenshot(path=str(IMAGES / "web-client-files.png"))


if __name__ == "__main__":
    main()
