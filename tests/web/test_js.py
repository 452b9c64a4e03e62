"""The browser client's pure modules (no DOM) under Node.js: the IRC line parser
against the shared ircdocs parser vectors, the model, the input line, and the
``node --test`` unit tests of the protocol, the chat and the connection in
``tests/web/js/``.

Skipped when ``node`` is missing; the browser tests cover the same code in Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from parser_tests import data as vectors

from support.timeouts import TIMEOUT

NODE = shutil.which("node")
JS = Path(__file__).parents[2] / "src" / "chatroom" / "web" / "static" / "js"
UNIT_TESTS = Path(__file__).parent / "js"
pytestmark = pytest.mark.skipif(NODE is None, reason="needs node to run the page's modules")


def node(script: str, data: Any = None) -> Any:
    """Run an ES module script with ``data`` as JSON on stdin; return its JSON output."""
    prelude = (
        "import { readFileSync } from 'node:fs';\n"
        "const input = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const out = (value) => process.stdout.write(JSON.stringify(value));\n"
    )
    result = subprocess.run(
        [
            str(NODE),
            "--input-type=module",
            "-e",
            prelude + script.replace("JS/", JS.as_uri() + "/"),
        ],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=3 * TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout or "null")


def test_parse_line_matches_the_ircdocs_vectors() -> None:
    cases = vectors.msg_split["tests"]
    parsed = node(
        "import { parseLine } from 'JS/irc.js';\nout(input.map((t) => parseLine(t)));",
        [case["input"] for case in cases],
    )
    for case, line in zip(cases, parsed, strict=True):
        atoms = case["atoms"]
        assert line["tags"] == (atoms.get("tags") or {}), case["input"]
        assert (line["source"] or None) == atoms.get("source"), case["input"]
        assert line["command"] == str(atoms["verb"]).upper(), case["input"]
        assert line["params"] == (atoms.get("params") or []), case["input"]


def test_format_line_round_trips_and_never_makes_two_lines() -> None:
    params = [["#lobby", "hello world"], ["#a", ""], ["#a", ":smile"], ["x", "a\r\nQUIT :b"]]
    lines = node(
        "import { formatLine, parseLine } from 'JS/irc.js';\n"
        "out(input.map((p) => { const l = formatLine('PRIVMSG', ...p);"
        " return [l, parseLine(l).params]; }));",
        params,
    )
    assert [line for line, _ in lines] == [
        "PRIVMSG #lobby :hello world",
        "PRIVMSG #a :",
        "PRIVMSG #a ::smile",
        "PRIVMSG x :a  QUIT :b",
    ]
    assert [p for _, p in lines[:3]] == params[:3]


def test_buffers_keep_time_order_and_drop_duplicates() -> None:
    result = node(
        """
import { Buffer, Message } from 'JS/model.js';
const b = new Buffer('#lobby', 'channel');
const at = (s) => new Date(Date.UTC(2024, 0, 1, 12, 0, s));
const results = [
  b.add(new Message({ id: 'm2', time: at(2), text: 'two' })),
  b.add(new Message({ id: 'm3', time: at(3), text: 'three' })),
  b.add(new Message({ id: 'm1', time: at(1), text: 'one' })),  // history, older
  b.add(new Message({ id: 'm2', time: at(2), text: 'two again' })),  // live and history
];
out({ results, texts: b.messages.map((m) => m.text), last: b.lastStored.id,
      oldest: b.oldestStored().id });
""",
    )
    assert result == {
        "results": ["append", "append", "insert", False],
        "texts": ["one", "two", "three"],
        "last": "m3",
        "oldest": "m1",
    }


def test_input_line_commands_completion_and_splitting() -> None:
    result = node(
        """
import { ChatClient } from 'JS/client.js';
import { splitText } from 'JS/irc.js';
import { Completer, runInput } from 'JS/commands.js';
const client = new ChatClient({ url: 'ws://x/ws', nick: 'alice', rooms: ['#lobby'] });
const sent = [];
client.flush = () => sent.push(...client.protocol.dataToSend());  // no WebSocket
client.protocol.connectionMade();
for (const line of [
  ':srv CAP * LS :echo-message draft/chathistory',
  ':srv CAP alice ACK :echo-message draft/chathistory',
  ':srv 001 alice :Welcome',
  ':alice!a@h JOIN #lobby',
  ':srv 353 alice = #lobby :alice bob Barbara carol',
  ':srv 366 alice #lobby :End of /NAMES list',
]) client.receive(line);
sent.length = 0;
const lobby = client.model.get('#lobby');
const errors = [
  runInput(client, lobby, 'hello //world'),
  runInput(client, lobby, '//slash'),
  runInput(client, lobby, '/me waves'),
  runInput(client, lobby, '/msg bob psst'),
  runInput(client, lobby, '/join games'),
  runInput(client, lobby, '/bogus'),
];
const completer = new Completer();
const first = completer.complete('b', 1, client, lobby);
const second = completer.complete(first.value, first.caret, client, lobby);
completer.reset();
const middle = completer.complete('hi ca', 5, client, lobby);
out({
  sent, errors, completions: [first.value, second.value, middle.value],
  mention: [client.chat.mentionsMe('hey alice!'), client.chat.mentionsMe('malice'),
            client.chat.mentionsMe('Alice: hi')],
  split: splitText('a'.repeat(10) + ' ' + 'é'.repeat(10), 12).map((s) => s.length),
  buffers: client.model.ordered().map((b) => b.name),
});
""",
    )
    assert result["sent"] == [
        "PRIVMSG #lobby :hello //world",
        "PRIVMSG #lobby /slash",
        "PRIVMSG #lobby :\x01ACTION waves\x01",
        "CHATHISTORY LATEST bob * 50",
        "PRIVMSG bob psst",
        "JOIN #games",
    ]
    assert result["errors"][:5] == [""] * 5
    assert result["errors"][5] == "Unknown command /bogus. Type /help for the list."
    assert result["completions"] == ["Barbara: ", "bob: ", "hi carol "]
    assert result["mention"] == [True, False, True]
    assert result["split"] == [10, 6, 4]  # 12 bytes at most: é is two
    assert result["buffers"] == ["#games", "#lobby", "bob"]


def test_node_unit_tests_of_protocol_chat_and_connection() -> None:
    result = subprocess.run(
        [str(NODE), "--test", "--no-warnings", f"{UNIT_TESTS}/"],
        capture_output=True,
        text=True,
        timeout=10 * TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
