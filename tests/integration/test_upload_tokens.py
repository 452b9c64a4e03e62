"""Upload tokens across processes (EXTJWT, docs/scale-out.md): a token one process of
the network issued is accepted by the process that receives the upload."""

from __future__ import annotations

import urllib.error
import urllib.request

from chatroom.storage.passwords import hash_password
from support.irc_client import IrcClient, process_of
from support.ports import free_port
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member

GUESTS = "[files]\nguests = true\n"
OPERATOR = f'[[operators]]\nname = "op"\npassword = "{hash_password("pw")}"\n'


def _token_reply(client: IrcClient) -> str:
    """The joined pieces of one EXTJWT answer (each but the last has a '*' before it)."""
    client.send("EXTJWT *")
    pieces = []
    while True:
        line = client.expect("EXTJWT")
        pieces.append(line.params[-1])
        if len(line.params) == 3:
            return "".join(pieces)


def _upload(url: str, token: str, body: bytes = b"shared\n") -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_a_token_from_one_cluster_process_uploads_on_another(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    web = server_factory("--no-flood-control", "--cluster", redis.url, config=GUESTS)
    upload = f"http://127.0.0.1:{web.web_port}/upload"
    other = cluster_member(server_factory, redis.url, config=f'{GUESTS}url = "{upload}"\n')
    guest = IrcClient(other.port).register("far")
    token = _token_reply(guest)
    assert _upload(upload, token) == 201
    assert _upload(upload, token[:-2] + "AA") == 401  # the signature still matters
    near = IrcClient(web.port).register("near")
    assert _upload(upload, _token_reply(near)) == 201  # and local tokens still work


def test_workers_take_each_others_tokens(server_factory: ServerFactory, redis: RedisServer) -> None:
    web_port = free_port()
    upload = f"http://127.0.0.1:{web_port}/upload"
    config = f'{GUESTS}url = "{upload}"\n{OPERATOR}'
    parent = server_factory(
        "--no-flood-control", "--cluster", redis.url, "--workers", "2", "--web-port",
        str(web_port), config=config,
    )  # fmt: skip
    parent.wait_for_log(r"(?s)Listening at 127\.0\.0\.1:(\d+).*Listening at 127\.0\.0\.1:\1")
    by_process: dict[str, IrcClient] = {}
    for i in range(24):  # the kernel spreads connections: one client on each worker
        client = IrcClient(parent.port).register(f"w{i}")
        client.send("OPER op pw")  # STATS N (process_of) is for operators
        client.expect("381")
        by_process.setdefault(process_of(client), client)
        if len(by_process) == 2:
            break
    assert len(by_process) == 2, "every connection went to one worker"
    for client in by_process.values():  # only worker 0 serves the web port
        assert _upload(upload, _token_reply(client)) == 201, process_of(client)
    assert parent.stop() == 0
