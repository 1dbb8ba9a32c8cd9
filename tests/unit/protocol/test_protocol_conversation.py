"""Whole conversations through both connection objects, and local misuse."""

from __future__ import annotations

import msgpack
import pytest

import cocalc_compute_wasm.protocol as protocol
from cocalc_compute_wasm.protocol import (
    PROTOCOL_VERSION,
    AuthRequested,
    ChannelMessage,
    ClientConnection,
    ClientKind,
    CloseCode,
    ConnectionState,
    ErrorCode,
    ErrorResponse,
    FrameLimits,
    Hello,
    HelloAccepted,
    LocalProtocolError,
    ProtocolError,
    Request,
    Response,
    ServerConnection,
)


def test_auth_frame_handshake_then_requests_both_ways(connect):
    server, client = connect(kind="compute")

    # client -> server requests, answered out of order, one of them with an error
    ping = client.new_request("ping")
    open_doc = client.new_request("open", {"path": "a.ipynb", "blob": b"\x00\xff"})
    assert ping.request_id != open_doc.request_id
    assert server.receive_frame(client.send(ping)) == ping
    assert server.receive_frame(client.send(open_doc)) == open_doc
    reply = server.send(ErrorResponse(open_doc.request_id, ErrorCode.NOT_FOUND, "no a.ipynb"))
    assert client.receive_frame(reply) == ErrorResponse(
        open_doc.request_id, "not_found", "no a.ipynb"
    )
    reply = server.send(Response(ping.request_id, {"pong": True, "cmd": "result keys are free"}))
    assert client.receive_frame(reply) == Response(
        ping.request_id, {"pong": True, "cmd": "result keys are free"}
    )

    # server -> client request (e.g. interrupt for a compute client); ids are per sender
    interrupt = server.new_request("interrupt", {"path": "a.ipynb"})
    assert interrupt.request_id == 1  # as the client's hello: each sender counts from 1
    assert client.receive_frame(server.send(interrupt)) == interrupt
    assert server.receive_frame(client.send(Response(interrupt.request_id))) == Response(
        interrupt.request_id, {}
    )

    # channel traffic in both directions, integer and string channel ids
    patch = ChannelMessage(3, {"patch": [[], [{"type": "cell", "id": "x", "pos": 1.5}]]})
    assert client.receive_frame(server.send(patch)) == patch
    cursor = ChannelMessage("presence", {"cursor": [1, 2], "cmd": "body keys are free"})
    assert server.receive_frame(client.send(cursor)) == cursor
    assert server.state is client.state is ConnectionState.OPEN


def test_pre_authenticated_handshake_sends_no_auth_frame():
    server = ServerConnection(authenticated=True)
    client = ClientConnection(ClientKind.COLLABORATOR, "c")
    (hello,) = client.start()
    assert server.receive_frame(hello) == Hello(ClientKind.COLLABORATOR, "c")
    assert client.receive_frame(server.accept_hello(12.5)) == HelloAccepted(
        PROTOCOL_VERSION, 12.5, {}
    )
    assert server.state is client.state is ConnectionState.OPEN


def test_pre_authenticated_server_still_checks_an_auth_frame():
    server = ServerConnection(authenticated=True)
    auth, _ = ClientConnection("compute", "c", api_key="k2").start()
    assert server.receive_frame(auth) == AuthRequested("k2")
    with pytest.raises(ProtocolError) as info:
        server.reject_auth("unknown API key")
    assert (info.value.code, info.value.reason) == (CloseCode.UNAUTHORIZED, "unknown API key")
    assert server.state is ConnectionState.CLOSED


def test_rejected_key_closes_with_4401():
    server = ServerConnection()
    auth, _ = ClientConnection("compute", "c", api_key="wrong").start()
    server.receive_frame(auth)
    with pytest.raises(ProtocolError) as info:
        server.reject_auth()
    assert info.value.code == 4401
    assert info.value.frame is None
    assert "API key" in info.value.reason
    assert "wrong" not in str(info.value)  # the key itself never shows


def test_auth_requested_repr_hides_the_key():
    assert "secret" not in repr(AuthRequested("secret"))


def test_protocol_version_mismatch_is_answered_then_closed():
    server = ServerConnection(authenticated=True)
    client = ClientConnection("collaborator", "c")
    (hello,) = client.start()
    newer = msgpack.unpackb(hello) | {"protocol": PROTOCOL_VERSION + 1, "kind": "future-kind"}
    with pytest.raises(ProtocolError) as info:
        server.receive_frame(msgpack.packb(newer))
    error = info.value
    assert error.code == CloseCode.UNSUPPORTED_PROTOCOL == 4505
    assert f"protocol {PROTOCOL_VERSION + 1} is not supported" in error.reason
    assert server.state is ConnectionState.CLOSED
    assert msgpack.unpackb(error.frame) == {
        "id": newer["id"],
        "ok": False,
        "error": {"code": "unsupported_protocol", "message": error.reason},
    }
    # the client reads that last frame as a refusal of its hello
    with pytest.raises(ProtocolError) as info:
        client.receive_frame(error.frame)
    assert info.value.code == CloseCode.UNSUPPORTED_PROTOCOL
    assert info.value.reason.startswith("server refused hello: unsupported_protocol: protocol")
    assert client.state is ConnectionState.CLOSED


def test_request_ids_may_be_reused_once_answered(pair):
    server, client = pair
    frame = client.send(Request(7, "ping"))
    server.receive_frame(frame)
    client.receive_frame(server.send(Response(7)))
    server.receive_frame(client.send(Request(7, "ping")))  # 7 is free again
    with pytest.raises(LocalProtocolError, match="request id 7 is still pending"):
        client.send(Request(7, "ping"))


def test_close_stops_both_directions(pair):
    server, client = pair
    client.close()
    client.close()  # idempotent
    assert client.state is ConnectionState.CLOSED
    with pytest.raises(LocalProtocolError, match="cannot send in state CLOSED"):
        client.send(client.new_request("ping"))
    with pytest.raises(LocalProtocolError, match="connection is closed"):
        client.receive_frame(server.send(ChannelMessage(1)))
    with pytest.raises(LocalProtocolError, match="connection is closed"):
        client.receive_text()


def test_frames_are_accepted_as_bytearray_and_memoryview(pair):
    server, client = pair
    frame = client.send(ChannelMessage(1, {"x": 1}))
    assert server.receive_frame(bytearray(frame)) == ChannelMessage(1, {"x": 1})
    assert server.receive_frame(memoryview(frame)) == ChannelMessage(1, {"x": 1})


@pytest.mark.parametrize(
    ("event", "match"),
    [
        (Request(2, "x", {"ch": 1}), "reserved keys"),
        (Request(2, "x", {"ok": 1}), "reserved keys"),
        (Request(2, ""), "cmd must be a non-empty string"),
        (Request(-1, "x"), "request id must be"),
        (Request(True, "x"), "request id must be"),
        (Request(2, "hello"), "belongs to the handshake"),
        (Request(2, "auth"), "belongs to the handshake"),
        (Request(2, "x", {"nested": {1: "int key"}}), "map keys must be strings"),
        (Request(2, "x", {"v": {1, 2}}), "unsupported value type set"),
        (Request(2, "x", {"v": 2**64}), "cannot send this message"),
        (Request(2, "x", {"v": "\ud800"}), "cannot send this message"),
        (Request(2, "x", {"v": [[[[[[[[]]]]]]]]}), "nesting deeper than 8 levels"),
        (Request(2, "x", {"v": "x" * 300}), "cannot send a frame of"),
        (Response(1, {"ch": 1}), "reserved keys"),
        (ErrorResponse(1, "teapot", "x"), "unknown error code 'teapot'"),
        (ChannelMessage(1.5), "channel id must be"),
        (ChannelMessage("", {}), "channel id must be"),
        (ChannelMessage(1, {"ch": 2}), "reserved keys"),
        (ChannelMessage(1, [1, 2]), "channel body must be a dict"),
        (AuthRequested("k"), "cannot send a AuthRequested"),
    ],
)
def test_send_refuses_what_a_peer_would_reject(connect, event, match):
    server, client = connect(limits=FrameLimits(max_frame_size=256, max_depth=8))
    server.receive_frame(client.send(Request(1, "held")))  # so that Response(1) is answerable
    with pytest.raises(LocalProtocolError, match=match):
        server.send(event) if isinstance(event, Response | ErrorResponse) else client.send(event)
    assert server.state is client.state is ConnectionState.OPEN


def test_answers_must_match_pending_peer_requests(pair):
    server, client = pair
    with pytest.raises(LocalProtocolError, match="no pending request 5 of the peer"):
        server.send(Response(5))
    server.receive_frame(client.send(Request(5, "x")))
    server.send(Response(5))
    with pytest.raises(LocalProtocolError, match="no pending request 5 of the peer"):
        server.send(ErrorResponse(5, ErrorCode.INTERNAL, "twice"))


def test_misuse_by_the_shell_is_a_local_error():
    server = ServerConnection()
    with pytest.raises(LocalProtocolError, match="state AWAITING_AUTH"):
        server.accept_auth()
    with pytest.raises(LocalProtocolError, match="cannot send in state AWAITING_AUTH"):
        server.send(ChannelMessage(1))
    auth, hello = ClientConnection("compute", "c", api_key="k").start()
    server.receive_frame(auth)
    with pytest.raises(LocalProtocolError, match=r"accept_auth\(\) or reject_auth\(\)"):
        server.receive_frame(hello)
    server.accept_auth()
    with pytest.raises(LocalProtocolError, match="state AWAITING_HELLO"):
        server.accept_hello(0)
    server.receive_frame(hello)
    with pytest.raises(LocalProtocolError, match=r"accept_hello\(\) first"):
        server.receive_frame(hello)
    with pytest.raises(LocalProtocolError, match="server_time must be a number"):
        server.accept_hello("now")
    with pytest.raises(LocalProtocolError, match="reserved keys"):
        server.accept_hello(0, {"protocol": 2})
    assert server.state is ConnectionState.HELLO_RECEIVED
    server.accept_hello(0)
    assert server.state is ConnectionState.OPEN


def test_client_misuse_is_a_local_error():
    client = ClientConnection("collaborator", "c")
    with pytest.raises(LocalProtocolError, match=r"call start\(\) first"):
        client.receive_frame(b"\x80")
    client.start()
    with pytest.raises(LocalProtocolError, match="state AWAITING_HELLO"):
        client.start()
    with pytest.raises(LocalProtocolError, match="hello exchange is not done"):
        client.send(client.new_request("ping"))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("robot", "c"), "kind must be one of"),
        (("compute", ""), "client_id must be a non-empty string"),
        (("compute", 5), "client_id must be a non-empty string"),
    ],
)
def test_client_arguments_are_checked(args, match):
    with pytest.raises(ValueError, match=match):
        ClientConnection(*args)


def test_client_api_key_must_be_a_string():
    with pytest.raises(ValueError, match="api_key must be a string"):
        ClientConnection("compute", "c", api_key=b"k")


def test_package_doc_lists_every_code():
    """The package docstring is the spec the JS client follows: keep it complete."""
    for code in CloseCode:
        assert f"{int(code)}   {code.name}" in protocol.__doc__
    for code in ErrorCode:
        assert f"``{code.value}``" in protocol.__doc__
