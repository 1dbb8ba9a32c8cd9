"""Fuzzing the project websocket's frame decoder and connection state machines.

Property: whatever one websocket message holds, ``receive_frame`` returns one event of its
side, or raises ProtocolError with a close code of the table and a reason that says what was
wrong, and the connection is then CLOSED. Nothing else may escape. Inputs are random bytes
and the malformed frames a sloppy or hostile peer sends: valid msgpack of the wrong shape,
each envelope field of each frame kind with a wrong value, truncated and oversized frames,
msgpack headers announcing huge lengths, and deep nesting. Every case is at most a few
kilobytes, so none can be slow. tests/unit/protocol/test_protocol_fuzz.py drives whole
conversations; this module goes after the decoder itself, at the default limits too.
"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from fuzzing import cases, clear_reason
from hypothesis import given
from hypothesis import strategies as st

from cocalc_compute_wasm.protocol import (
    DEFAULT_LIMITS,
    ClientConnection,
    ClientEvent,
    CloseCode,
    ConnectionState,
    FrameLimits,
    ProtocolError,
    Response,
    ServerConnection,
    ServerEvent,
)
from cocalc_compute_wasm.protocol.errors import MAX_CLOSE_REASON_BYTES

SMALL = FrameLimits(max_frame_size=512, max_depth=8, max_auth_frame_size=64)

AUTH = {"cmd": "auth", "api_key": "k"}
HELLO = {"id": 1, "cmd": "hello", "protocol": 1, "kind": "compute", "client_id": "c"}
HELLO_ACCEPTED = {"id": 1, "ok": True, "protocol": 1, "server_time": 5}

#: One valid frame of each kind; `wrong_fields` breaks them one field at a time.
TEMPLATES: list[dict[str, Any]] = [
    AUTH,
    HELLO,
    HELLO_ACCEPTED,
    {"id": 7, "cmd": "ping"},
    {"id": 1, "ok": True, "x": 1},
    {"id": 2, "ok": False, "error": {"code": "internal", "message": "m"}},
    {"ch": 3, "record": {"seq": 1}},
    {"ch": "runner", "assignments": []},
]


def pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=6)
    | st.binary(max_size=6)
)
wrong_values = (
    scalars
    | st.sampled_from([-1, 2**53, 2**64 - 1, True, 1.5, "", "hello", "auth", b"1", [], {}])
    | st.lists(scalars, max_size=3)
    | st.dictionaries(st.text(max_size=3), scalars, max_size=3)
)
keys = st.text(max_size=5) | st.integers(-2, 2) | st.binary(max_size=2)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=16,
)


@st.composite
def wrong_fields(draw: st.DrawFn) -> bytes:
    """A valid frame with one to three fields replaced by wrong values, dropped, or added."""
    frame = dict(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "add" or not frame:
            name = draw(st.sampled_from(["id", "ok", "ch", "cmd", "error", "api_key"]))
        else:
            name = draw(st.sampled_from(sorted(frame)))
        if action == "drop":
            frame.pop(name, None)
        else:
            frame[name] = draw(wrong_values)
    return pack(frame)


@st.composite
def huge_lengths(draw: st.DrawFn) -> bytes:
    """A msgpack header (str, bin, array, map, ext) that announces up to 4 GiB, maybe nested
    inside a map, followed by a few bytes only."""
    kind = draw(st.sampled_from([b"\xdb", b"\xc6", b"\xdd", b"\xdf", b"\xc9", b"\xda", b"\xdc"]))
    width = 2 if kind in (b"\xda", b"\xdc") else 4
    length = draw(st.integers(0, 2 ** (8 * width) - 1))
    header = kind + length.to_bytes(width, "big") + (b"\x01" if kind == b"\xc9" else b"")
    prefix = draw(st.sampled_from([b"", b"\x81\xa2id", b"\x82\xa2id\x01\xa3cmd"]))
    return prefix + header + draw(st.binary(max_size=16))


@st.composite
def deep(draw: st.DrawFn) -> tuple[bytes, int]:
    """A channel frame nested `depth` maps or lists deep (its own map is level 1)."""
    depth = draw(st.integers(1, 1500))
    level = draw(st.sampled_from([b"\x81\xa1k", b"\x91"]))
    return b"\x82\xa2ch\x01\xa1k" + level * (depth - 1) + b"\xc0", depth


@st.composite
def cut(draw: st.DrawFn) -> bytes:
    """A valid frame cut short (or with junk after it)."""
    data = pack(draw(st.sampled_from(TEMPLATES)))
    if draw(st.booleans()):
        return data[: draw(st.integers(0, len(data) - 1))]
    return data + draw(st.binary(min_size=1, max_size=8))


oversized = st.integers(SMALL.max_frame_size + 1, 3 * SMALL.max_frame_size).map(
    lambda size: pack({"ch": 1, "pad": "x" * size})
)
frames = st.one_of(
    st.binary(max_size=512),
    values.map(pack),
    wrong_fields(),
    huge_lengths(),
    deep().map(lambda made: made[0]),
    cut(),
    oversized,
)


def server_in(state: ConnectionState, limits: FrameLimits) -> ServerConnection:
    """A server connection brought to a receiving state the way a shell brings it there."""
    if state is ConnectionState.AWAITING_AUTH:
        return ServerConnection(limits=limits)
    server = ServerConnection(authenticated=True, limits=limits)
    if state is ConnectionState.OPEN:
        server.receive_frame(pack(HELLO))
        server.accept_hello(1, {"project_id": "p"})
        server.send(server.new_request("interrupt"))  # so that a response to id 1 may match
    return server


def client_in(state: ConnectionState, limits: FrameLimits) -> ClientConnection:
    client = ClientConnection("compute", "c", limits=limits)
    client.start()
    if state is ConnectionState.OPEN:
        client.receive_frame(pack(HELLO_ACCEPTED))
        client.send(client.new_request("ping"))
    return client


def check_refusal(error: ProtocolError, connection: ServerConnection | ClientConnection) -> None:
    assert error.code in set(CloseCode)
    assert clear_reason(error.reason), repr(error.reason)
    assert len(error.reason.encode()) <= MAX_CLOSE_REASON_BYTES
    assert connection.state is ConnectionState.CLOSED


def receive(connection: ServerConnection | ClientConnection, data: bytes) -> object | None:
    """The event, or None after checking the ProtocolError; any other exception escapes."""
    try:
        return connection.receive_frame(data)
    except ProtocolError as error:
        check_refusal(error, connection)
        return None


SERVER_STATES = [
    ConnectionState.AWAITING_AUTH,
    ConnectionState.AWAITING_HELLO,
    ConnectionState.OPEN,
]
CLIENT_STATES = [ConnectionState.AWAITING_HELLO, ConnectionState.OPEN]


@cases(1200)
@given(data=frames, state=st.sampled_from(SERVER_STATES), small=st.booleans())
def test_server_returns_an_event_or_closes_with_a_reason(data, state, small):
    server = server_in(state, SMALL if small else DEFAULT_LIMITS)
    event = receive(server, data)
    if event is not None:
        assert isinstance(event, ServerEvent)
        assert server.state is not ConnectionState.CLOSED


@cases(600)
@given(data=frames, state=st.sampled_from(CLIENT_STATES), small=st.booleans())
def test_client_returns_an_event_or_closes_with_a_reason(data, state, small):
    client = client_in(state, SMALL if small else DEFAULT_LIMITS)
    event = receive(client, data)
    if event is not None:
        assert isinstance(event, ClientEvent)
        assert client.state is not ConnectionState.CLOSED


@cases(300)
@given(made=deep(), small=st.booleans())
def test_nesting_is_accepted_exactly_up_to_the_limit(made, small):
    data, depth = made
    limits = SMALL if small else DEFAULT_LIMITS
    server = server_in(ConnectionState.OPEN, limits)
    accepted = receive(server, data) is not None
    assert accepted == (depth <= limits.max_depth and len(data) <= limits.max_frame_size)


@cases(300)
@given(data=huge_lengths(), state=st.sampled_from(SERVER_STATES))
def test_announced_lengths_are_not_believed(data, state):
    """A header announcing gigabytes over a few bytes is refused, not allocated for."""
    server = server_in(state, DEFAULT_LIMITS)
    assert receive(server, data) is None


@cases(300)
@given(data=oversized, state=st.sampled_from(SERVER_STATES))
def test_oversized_frames_are_too_big(data, state):
    server = server_in(state, SMALL)
    with pytest.raises(ProtocolError) as refused:
        server.receive_frame(data)
    assert refused.value.code == CloseCode.TOO_BIG
    assert f"{len(data)} bytes" in refused.value.reason


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x81\xa1k" * 3000 + b"\xc0", "nested deeper than msgpack decodes"),
        (b"\xc1", "a byte that begins no msgpack value"),
    ],
)
def test_msgpack_errors_without_a_message_get_one(data, says):
    """Found by fuzzing: msgpack's StackError and FormatError have no message, so the
    close reason was only 'not a msgpack frame: '."""
    server = server_in(ConnectionState.OPEN, DEFAULT_LIMITS)
    with pytest.raises(ProtocolError) as refused:
        server.receive_frame(data)
    assert refused.value.code == CloseCode.PROTOCOL_ERROR
    assert refused.value.reason == f"not a msgpack frame: {says}"


def test_a_response_event_survives_the_decoder_unchanged():
    """The positive side of the property: what is valid is an event, not a refusal."""
    server = server_in(ConnectionState.OPEN, DEFAULT_LIMITS)
    assert receive(server, pack({"id": 1, "ok": True, "x": [1, {"y": None}]})) == Response(
        1, {"x": [1, {"y": None}]}
    )
