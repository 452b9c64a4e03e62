"""The IRC protocol, sans I/O: lines, a bounded decoder, numerics, case mapping, caps.

This package is pure: it imports no asyncio, socket, sqlite or time module
(a test checks it), so it can be used by the server, the clients and tests alike.
"""

from chatroom.protocol.casemap import casefold, is_valid_channel, is_valid_nick
from chatroom.protocol.decoder import LineDecoder
from chatroom.protocol.line import Line, parse

__all__ = ["Line", "LineDecoder", "casefold", "is_valid_channel", "is_valid_nick", "parse"]
