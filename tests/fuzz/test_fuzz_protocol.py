"""Fuzz: any bytes are either parsed or refused with a RemoteProtocolError, never anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chatroom.errors import RemoteProtocolError
from chatroom.protocol.decoder import LineDecoder
from chatroom.protocol.line import parse

_irc_ish = st.lists(
    st.one_of(
        st.binary(max_size=600),
        st.sampled_from([b"\r\n", b"\n", b" ", b":", b"@", b";", b"=", b"\\", b"\xff", b"\0"]),
        st.text(max_size=40).map(str.encode),
    ),
    max_size=40,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(chunks=st.lists(_irc_ish, max_size=10))
def test_any_bytes_parse_or_raise_remote_error(chunks: list[bytes]) -> None:
    decoder = LineDecoder()
    for chunk in chunks:
        decoder.receive_data(chunk)
        while decoder.has_line:
            try:
                text = decoder.next_line()
                assert text is not None
                line = parse(text)
            except RemoteProtocolError:
                continue
            assert line.command
            assert decoder.queued_bytes <= decoder.max_line + len(chunk)
