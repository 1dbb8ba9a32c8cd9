"""Every way a peer can break the protocol: its close code, its reason, and CLOSED after."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from cocalc_compute_wasm.protocol import (
    ClientConnection,
    CloseCode,
    ConnectionState,
    FrameLimits,
    ProtocolError,
    ServerConnection,
)
from cocalc_compute_wasm.protocol.errors import MAX_CLOSE_REASON_BYTES


def pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def nested(levels: int) -> dict[str, Any]:
    """A channel frame whose nesting is exactly ``levels`` deep (the frame's map is 1)."""
    value: list[Any] = []
    for _ in range(levels - 2):
        value = [value]
    return {"ch": 1, "v": value}


HELLO = {"id": 1, "cmd": "hello", "protocol": 1, "kind": "compute", "client_id": "c"}
P = CloseCode.PROTOCOL_ERROR


def stage(name: str, connect):
    """A connection at the named point of the conversation (the one to feed)."""
    if name == "unauthenticated":
        return ServerConnection()
    if name == "pre-authenticated":
        return ServerConnection(authenticated=True)
    if name == "small-limit":
        return ServerConnection(authenticated=True, limits=FrameLimits(max_frame_size=64))
    if name == "after-auth":
        server = ServerConnection()
        server.receive_frame(pack({"cmd": "auth", "api_key": "k"}))
        server.accept_auth()
        return server
    if name == "open":
        return connect()[0]
    if name == "client-hello":  # the client's hello has id 1
        client = ClientConnection("compute", "c")
        client.start()
        return client
    if name == "client-open":
        return connect()[1]
    raise AssertionError(name)


CASES = [
    # -- not a frame at all --------------------------------------------------------------
    ("unauthenticated", [b""], P, "not a msgpack frame"),
    ("unauthenticated", [b"\xc1"], P, "not a msgpack frame"),
    ("unauthenticated", [b"\x81\xa1a"], P, "not a msgpack frame: Unpack failed: incomplete"),
    ("unauthenticated", [pack({}) + pack({})], P, "not a msgpack frame"),
    ("unauthenticated", [b"\xdd\xff\xff\xff\xff"], P, "exceeds max_array_len"),
    ("unauthenticated", [b"\x81\xa1a\xa2\xff\xfe"], P, "can't decode byte 0xff"),
    ("unauthenticated", [pack([1])], P, "frame must be a msgpack map, not list"),
    ("unauthenticated", [pack("x")], P, "frame must be a msgpack map, not str"),
    ("unauthenticated", [pack(None)], P, "frame must be a msgpack map, not NoneType"),
    ("unauthenticated", [b"\x81\x01\x02"], P, "int is not allowed for map key"),
    ("unauthenticated", [pack({"a": {b"k": 1}})], P, "map keys must be strings"),
    ("unauthenticated", [pack({"t": msgpack.Timestamp(0)})], P, "exceeds max_ext_len(0)"),
    ("unauthenticated", [pack({"e": msgpack.ExtType(5, b"x")})], P, "exceeds max_ext_len(0)"),
    ("unauthenticated", [pack(nested(65))], P, "nesting deeper than 64 levels"),
    ("pre-authenticated", [b"\x81\xa1v" + b"\x91" * 5000 + b"\xc0"], P, "not a msgpack frame"),
    ("small-limit", [pack({"ch": 1, "v": "x" * 60})], 1009, "frame of 69 bytes exceeds the limit"),
    ("unauthenticated", [pack({"cmd": "auth", "api_key": "k" * 5000})], 1009, "limit of 4096"),
    # -- maps of no known shape ----------------------------------------------------------
    ("unauthenticated", [pack({})], P, "frame has no known shape (keys [])"),
    ("unauthenticated", [pack({"foo": 1})], P, "no known shape (keys ['foo'])"),
    ("unauthenticated", [pack({"cmd": "ping"})], P, "no known shape"),
    ("open", [pack({"ch": 1.5})], P, "'ch' must be an integer in [0, 2**53) or a string, not 1.5"),
    ("open", [pack({"ch": -1})], P, "'ch' must be"),
    ("open", [pack({"ch": True})], P, "'ch' must be"),
    ("open", [pack({"ch": ""})], P, "'ch' must be"),
    ("open", [pack({"ch": 2**53})], P, "'ch' must be"),
    ("open", [pack({"ch": None})], P, "'ch' must be"),
    ("open", [pack({"id": "1", "cmd": "x"})], P, "request 'id' must be an integer in [0, 2**53)"),
    ("open", [pack({"id": -1, "cmd": "x"})], P, "request 'id' must be"),
    ("open", [pack({"id": False, "cmd": "x"})], P, "request 'id' must be"),
    ("open", [pack({"id": 2**53, "cmd": "x"})], P, "request 'id' must be"),
    ("open", [pack({"id": 1.0, "cmd": "x"})], P, "request 'id' must be"),
    ("open", [pack({"id": 1})], P, "request 1 needs 'cmd', a non-empty string"),
    ("open", [pack({"id": 1, "cmd": 5})], P, "needs 'cmd'"),
    ("open", [pack({"id": 1, "cmd": ""})], P, "needs 'cmd'"),
    ("open", [pack({"ok": True})], P, "response 'id' must be an integer"),
    ("open", [pack({"id": "x", "ok": False})], P, "response 'id' must be"),
    ("open", [pack({"id": 1, "ok": "yes"})], P, "response 'ok' must be true or false, not 'yes'"),
    ("open", [pack({"id": 1, "ok": False})], P, "an error response is exactly"),
    ("open", [pack({"id": 1, "ok": False, "error": "bad"})], P, "an error response is exactly"),
    ("open", [pack({"id": 1, "ok": False, "error": {"code": "x"}})], P, "error response is"),
    ("open", [pack({"id": 1, "ok": False, "error": {"code": "", "message": ""}})], P, "error"),
    ("open", [pack({"id": 1, "ok": False, "error": {"code": "x", "message": 1}})], P, "error"),
    ("open", [pack({"id": 1, "ok": False, "error": {"code": "", "message": ""}, "y": 1})], P, "er"),
    # -- auth ----------------------------------------------------------------------------
    ("unauthenticated", [pack({"ch": 1})], CloseCode.UNAUTHORIZED, "not authenticated"),
    ("unauthenticated", [pack(HELLO)], CloseCode.UNAUTHORIZED, "not authenticated"),
    ("unauthenticated", [pack({"id": 1, "cmd": "auth"})], P, "an auth frame has no 'id'"),
    ("unauthenticated", [pack({"cmd": "auth", "api_key": 1})], P, "an auth frame is exactly"),
    ("unauthenticated", [pack({"cmd": "auth", "api_key": "k", "x": 1})], P, "is exactly"),
    ("unauthenticated", [pack({"cmd": "auth"})], P, "an auth frame is exactly"),
    ("after-auth", [pack({"cmd": "auth", "api_key": "k"})], P, "expected hello, got auth frame"),
    ("open", [pack({"cmd": "auth", "api_key": "k"})], P, "auth frame may only be the first"),
    # -- hello ---------------------------------------------------------------------------
    ("pre-authenticated", [pack({"id": 1, "cmd": "ping"})], P, "expected hello, got request 'pi"),
    ("pre-authenticated", [pack({"ch": "doc"})], P, "expected hello, got channel message"),
    ("pre-authenticated", [pack({"id": 4, "ok": True})], P, "got response to request 4"),
    ("pre-authenticated", [pack(HELLO | {"kind": "robot"})], P, "hello is exactly"),
    ("pre-authenticated", [pack(HELLO | {"client_id": ""})], P, "hello is exactly"),
    ("pre-authenticated", [pack(HELLO | {"protocol": "1"})], P, "hello is exactly"),
    ("pre-authenticated", [pack(HELLO | {"protocol": True})], P, "hello is exactly"),
    ("pre-authenticated", [pack(HELLO | {"extra": 1})], P, "hello is exactly"),
    ("pre-authenticated", [pack({"id": 1, "cmd": "hello"})], P, "hello is exactly"),
    ("pre-authenticated", [pack(HELLO | {"protocol": 0})], 4505, "protocol 0 is not supported"),
    ("open", [pack(HELLO)], P, "hello may only be sent once, first"),
    # -- ids -----------------------------------------------------------------------------
    ("open", [pack({"id": 9, "ok": True})], P, "response to unknown request id 9"),
    ("open", [pack({"id": 9, "ok": False, "error": {"code": "x", "message": ""}})], P, "id 9"),
    ("open", [pack({"id": 5, "cmd": "x"})] * 2, P, "request id 5 reused while pending"),
    # -- the client side -----------------------------------------------------------------
    ("client-hello", [pack({"ch": 1})], P, "expected the answer to hello, got channel message"),
    ("client-hello", [pack({"id": 9, "ok": True})], P, "got response to request 9"),
    ("client-hello", [pack({"id": 1, "cmd": "x"})], P, "got request 'x'"),
    ("client-hello", [pack({"id": 1, "ok": True, "protocol": 1})], P, "numeric 'server_time'"),
    ("client-hello", [pack({"id": 1, "ok": True, "protocol": 1, "server_time": "x"})], P, "time"),
    ("client-hello", [pack({"id": 1, "ok": True, "server_time": 1})], P, "integer 'protocol'"),
    (
        "client-hello",
        [pack({"id": 1, "ok": True, "protocol": 2, "server_time": 1})],
        CloseCode.UNSUPPORTED_PROTOCOL,
        "server answered hello with protocol 2; we speak 1",
    ),
    (
        "client-hello",
        [pack({"id": 1, "ok": False, "error": {"code": "forbidden", "message": "no compute"}})],
        P,
        "server refused hello: forbidden: no compute",
    ),
    ("client-open", [pack({"id": 3, "ok": True})], P, "response to unknown request id 3"),
    ("client-open", [pack({"id": 3, "cmd": "interrupt"})] * 2, P, "request id 3 reused"),
    ("client-open", [pack(HELLO)], P, "hello may only be sent once"),
]


@pytest.mark.parametrize(("where", "frames", "code", "reason"), CASES)
def test_malformed_frame_closes_with_code_and_reason(connect, where, frames, code, reason):
    connection = stage(where, connect)
    *accepted, bad = frames
    for frame in accepted:
        connection.receive_frame(frame)
    with pytest.raises(ProtocolError) as info:
        connection.receive_frame(bad)
    assert info.value.code == code
    assert reason in info.value.reason
    assert connection.state is ConnectionState.CLOSED


@pytest.mark.parametrize("where", ["unauthenticated", "pre-authenticated", "open", "client-open"])
def test_text_message_closes_with_1003(connect, where):
    connection = stage(where, connect)
    with pytest.raises(ProtocolError) as info:
        connection.receive_text()
    assert info.value.code == CloseCode.UNSUPPORTED_DATA == 1003
    assert "text messages are not part of the protocol" in info.value.reason
    assert connection.state is ConnectionState.CLOSED


def test_nesting_up_to_the_limit_is_accepted(connect):
    server, _ = connect()
    assert server.receive_frame(pack(nested(64))).body == {"v": nested(64)["v"]}


def test_long_reasons_are_cut_to_fit_a_close_frame(connect):
    client = stage("client-hello", connect)
    error = {"code": "forbidden", "message": "é" * 200}
    with pytest.raises(ProtocolError) as info:
        client.receive_frame(pack({"id": 1, "ok": False, "error": error}))
    assert len(info.value.reason.encode()) <= MAX_CLOSE_REASON_BYTES
    assert info.value.reason.startswith("server refused hello: forbidden: éé")
    assert info.value.reason.endswith("é...")


def test_only_the_unauthenticated_get_the_small_frame_limit():
    big_hello = pack(HELLO | {"client_id": "c" * 5000})
    assert ServerConnection(authenticated=True).receive_frame(big_hello).client_id == "c" * 5000
    server = stage("after-auth", None)
    assert server.receive_frame(big_hello).client_id == "c" * 5000
