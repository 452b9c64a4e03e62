"""``/upload PATH``: share a file through the server's filehost (soju.im/FILEHOST,
https://soju.im/specs/filehost), then send its link to the active room or chat.

Split like the rest of the client: :func:`plan` (sans I/O) checks what it can and
queues an :class:`UploadRequest` on the state; the I/O layer
(:class:`chatroom.client.core.ChatClient`) takes them with :func:`take`, runs
:func:`post` on a thread and, with the link it returns, sends it as a message.

Credentials, by the server's contract (docs/protocol.md): when it advertises
``EXTJWT``, the upload carries a session token, ``Authorization: Bearer <token>``:
:func:`plan` asks for one with ``EXTJWT *`` (or reuses one younger than
:data:`TOKEN_REUSE`), the request waits in :class:`UploadTokenState` until
:func:`extjwt_reply` has the whole token, and a failed upload forgets it
(:func:`forget_token`), so the next one asks again. No password is needed, and a guest
can share where the server allows it. A server without EXTJWT gets HTTP Basic with
the account's name and password, as before.
"""

from __future__ import annotations

import base64
import dataclasses
import ssl
import urllib.error
import urllib.request
from pathlib import Path

from chatroom.client.model import BufferKind, MessageKind
from chatroom.client.records import UploadRequest
from chatroom.client.state import ClientState
from chatroom.protocol import Line

TOKEN = "soju.im/FILEHOST"
EXTJWT = "EXTJWT"
TOKEN_REUSE = 60.0
"""Seconds (of the protocol's clock) a token is used again for the next upload: well
inside the server's lifetime (5 minutes on ours), so it never expires in between."""

REFUSALS = {
    401: "the server did not accept your account or token",
    403: "log in to an account first (/login): this server lets only accounts share files",
    411: "the request was malformed",
    413: "the file is too large, or your storage is full",
    429: "too many uploads; wait a minute",
    507: "the server has no room for it",
}


class UploadFailed(Exception):
    """The upload did not work; ``str()`` says why, for the user."""


def plan(client: ClientState, path: str) -> None:
    """Queue an upload of ``path`` for the I/O layer, or tell the user why not."""
    url = client.isupport.get(TOKEN, "")
    buffer = client.model.active_buffer
    problem = None
    if not url.startswith(("https://", "http://")):
        problem = "This server does not take uploads (it advertises no soju.im/FILEHOST)."
    elif url.startswith("http://") and client.config.tls:
        # The spec: never send over plain HTTP what the IRC connection encrypts.
        problem = "The server's upload address is not encrypted (http): not sent."
    elif EXTJWT not in client.isupport and (client.account is None or not client.account_password):
        problem = "Log in to an account first (/login): uploads are made by an account."
    elif buffer.kind not in (BufferKind.CHANNEL, BufferKind.PRIVATE):
        problem = "Switch to a room or a private chat first."
    if problem is not None:
        client.note(problem, MessageKind.ERROR)
        return
    client.note(f"Uploading {Path(path).name}...")
    if EXTJWT not in client.isupport:
        assert client.account is not None and client.account_password is not None
        pair = f"{client.account}:{client.account_password}".encode()
        basic = "Basic " + base64.b64encode(pair).decode()
        client.uploads.append(UploadRequest(url, basic, path, buffer.name))
        return
    tokens = client.upload_tokens
    tokens.waiting.append(UploadRequest(url, "", path, buffer.name))
    if tokens.token and client.clock - tokens.received < TOKEN_REUSE:
        _release(client)
    elif not tokens.asked:
        tokens.asked = True
        client.send(Line(EXTJWT, ("*",)))


def extjwt_reply(client: ClientState, line: Line) -> None:
    """EXTJWT <target> <service> [*] <token>: a token, perhaps in pieces (each but
    the last with ``*`` before it); the waiting uploads go with the whole of it."""
    if line.params[0] != "*":
        return  # a channel's token: not one we asked for
    tokens = client.upload_tokens
    tokens.pieces.append(line.params[-1])
    if len(line.params) > 3 and line.params[2] == "*":
        return
    tokens.token, tokens.pieces = "".join(tokens.pieces), []
    tokens.received, tokens.asked = client.clock, False
    _release(client)


def extjwt_failed(client: ClientState, line: Line) -> None:
    """FAIL EXTJWT <code> …: no token, so the waiting uploads are not made."""
    tokens = client.upload_tokens
    dropped, tokens.waiting, tokens.pieces, tokens.asked = tokens.waiting, [], [], False
    if not dropped:
        return
    if line.params[1:2] == ("ACCOUNT_REQUIRED",):
        reason = "log in to an account first (/login): this server lets only accounts share files"
    else:
        reason = f"no upload token: {line.params[-1]}"
    for request in dropped:
        client.note(f"Upload of {request.path} failed: {reason}", MessageKind.ERROR)


def forget_token(client: ClientState, request: UploadRequest) -> None:
    """``request`` failed: if its token is the one kept, ask for a new one next time
    (it may have expired, or the server restarted)."""
    if request.authorization == f"Bearer {client.upload_tokens.token}":
        client.upload_tokens.token = ""


def _release(client: ClientState) -> None:
    tokens = client.upload_tokens
    bearer = f"Bearer {tokens.token}"
    for request in tokens.waiting:
        client.uploads.append(dataclasses.replace(request, authorization=bearer))
    tokens.waiting = []


def take(client: ClientState) -> list[UploadRequest]:
    """The uploads queued since the last call (the I/O layer runs them)."""
    queued, client.uploads = client.uploads, []
    return queued


def post(request: UploadRequest, verify: bool = True, timeout: float = 60.0) -> str:
    """Upload the file (blocking: run it on a thread); return its URL or raise
    :class:`UploadFailed`. ``verify`` False accepts a self-signed certificate
    (the same choice as for the IRC connection)."""
    path = Path(request.path).expanduser()
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise UploadFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    name = "".join(ch for ch in path.name if ch.isascii() and (ch.isalnum() or ch in "._- "))
    http_request = urllib.request.Request(
        request.url,
        data=body,
        method="POST",
        headers={
            "Authorization": request.authorization,
            "Content-Disposition": f'attachment; filename="{name or "file"}"',
            "Content-Type": "application/octet-stream",
        },
    )
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(http_request, timeout=timeout, context=context) as response:
            location = response.headers.get("Location")
            if response.status == 201 and location:
                return str(location)
            raise UploadFailed(f"unexpected answer {response.status}")
    except urllib.error.HTTPError as exc:
        reason = _server_reason(exc) or REFUSALS.get(exc.code, f"the server answered {exc.code}")
        raise UploadFailed(reason) from None
    except (urllib.error.URLError, OSError) as exc:
        raise UploadFailed(f"cannot reach the server: {exc}") from None


def _server_reason(refusal: urllib.error.HTTPError) -> str:
    """The server's own sentence for a refusal (its short text body), or ""."""
    if "text/plain" not in (refusal.headers.get("Content-Type") or ""):
        return ""
    try:
        text = refusal.read(300).decode("utf-8", "replace")
    except OSError:
        return ""
    line = " ".join(text.split())
    return line.rstrip(".") if 0 < len(line) < 200 else ""
