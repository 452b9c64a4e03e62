"""Account helpers for integration tests: create an account, log in with SASL PLAIN."""

from __future__ import annotations

import base64

from support.irc_client import IrcClient
from support.server import RunningServer

PASSWORD = "correct horse battery"


def register_account(server: RunningServer, nick: str, password: str = PASSWORD) -> IrcClient:
    c = IrcClient(server.port)
    c.send("CAP LS 302")
    c.send("CAP REQ :draft/account-registration sasl")
    c.expect("CAP", lambda line: line.params[1] == "ACK")
    c.send(f"NICK {nick}")
    c.send(f"USER {nick} 0 * :{nick}")
    c.send(f"REGISTER * * :{password}")
    success = c.expect("REGISTER")
    assert success.params[:2] == ["SUCCESS", nick]
    assert c.expect("900").params[2] == nick
    c.send("CAP END")
    c.expect("001")
    c.expect("376")
    c.nick = nick
    return c


def sasl_plain(c: IrcClient, account: str, password: str) -> str:
    """Run SASL PLAIN; return the final numeric (903 success, 904 failure)."""
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    payload = base64.b64encode(f"\0{account}\0{password}".encode()).decode()
    c.send(f"AUTHENTICATE {payload}")
    return next(line.command for line in c.until_any(("903", "904")))


def connect_with_sasl(
    server: RunningServer, nick: str, account: str, password: str
) -> tuple[IrcClient, str]:
    c = IrcClient(server.port)
    c.send("CAP LS 302")
    c.send("CAP REQ :sasl account-tag extended-join account-notify message-tags")
    c.expect("CAP", lambda line: line.params[1] == "ACK")
    c.send(f"NICK {nick}")
    c.send(f"USER {nick} 0 * :{nick} real")
    result = sasl_plain(c, account, password)
    c.send("CAP END")
    c.expect("001")
    c.expect("376")
    c.nick = nick
    return c, result
