"""Property tests: no input makes a connection raise anything but ProtocolError.

A simulated shell answers every event the way a real one would (accepting or rejecting
keys, accepting hello, answering some requests, sending requests of its own so that
responses can match), so that the fuzzed frames reach every state, not just the first.
"""

from __future__ import annotations

from typing import Any

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocalc_compute_wasm.protocol import (
    MAX_ID,
    AuthRequested,
    ChannelMessage,
    ClientConnection,
    ClientEvent,
    CloseCode,
    ConnectionState,
    FrameLimits,
    Hello,
    HelloAccepted,
    ProtocolError,
    Request,
    Response,
    ServerConnection,
    ServerEvent,
)
from cocalc_compute_wasm.protocol.errors import MAX_CLOSE_REASON_BYTES
from cocalc_compute_wasm.protocol.frames import decode_frame, encode_frame


def examples(count: int) -> settings:
    """Fixed, generous counts; the session-scoped ``connect`` fixture is safe to share."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


LIMITS = FrameLimits(max_frame_size=4096, max_depth=6)


def pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8)
)
any_keys = st.text(max_size=6) | st.integers(min_value=-3, max_value=3) | st.binary(max_size=2)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_keys, inner, max_size=4),
    max_leaves=12,
)
shallow = (  # cheaper to draw than ``values``, enough for wrong-typed envelope fields
    scalars
    | st.lists(scalars, max_size=3)
    | st.dictionaries(st.text(max_size=4), scalars, max_size=3)
)
small_ids = st.integers(min_value=0, max_value=4)
ids = small_ids | st.sampled_from([-1, MAX_ID + 1, True, 1.0, "1", None])
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "id": ids,
        "ch": ids | st.text(max_size=2),
        "cmd": st.sampled_from(["auth", "hello", "ping", ""]) | shallow,
        "ok": st.booleans() | shallow,
        "error": st.fixed_dictionaries({"code": st.text(max_size=3), "message": st.text()})
        | shallow,
        "api_key": st.text(max_size=3) | shallow,
        "protocol": st.sampled_from([1, 2]) | shallow,
        "kind": st.sampled_from(["collaborator", "compute", "robot"]) | shallow,
        "client_id": st.text(max_size=3) | shallow,
        "server_time": st.floats() | shallow,
    },
)
plausible = st.builds(
    lambda envelope, extra: extra | envelope,
    envelopes,
    st.dictionaries(st.text(max_size=4), shallow, max_size=2),
)
AUTH = pack({"cmd": "auth", "api_key": "k"})
HELLO = pack({"id": 1, "cmd": "hello", "protocol": 1, "kind": "compute", "client_id": "c"})
HELLO_ACCEPTED = pack({"id": 1, "ok": True, "protocol": 1, "server_time": 5})
TEXT = object()  # stands for a text message in a frame sequence
valid = st.sampled_from(
    [
        {"cmd": "auth", "api_key": "k"},
        {"id": 1, "cmd": "hello", "protocol": 1, "kind": "compute", "client_id": "c"},
        {"id": 1, "ok": True, "protocol": 1, "server_time": 5},
        {"id": 1, "ok": True},
        {"id": 2, "ok": False, "error": {"code": "internal", "message": "m"}},
        {"id": 3, "cmd": "interrupt"},
        {"ch": 1, "patch": []},
    ]
)
maps = st.dictionaries(st.text(max_size=4), shallow, max_size=3)
traffic = st.one_of(  # well-formed OPEN-state frames with fuzzed ids and payloads
    st.builds(lambda i, cmd, args: args | {"id": i, "cmd": cmd}, small_ids, st.text(), maps),
    st.builds(lambda i, result: result | {"id": i, "ok": True}, small_ids, maps),
    st.builds(lambda ch, body: body | {"ch": ch}, small_ids | st.text(max_size=2), maps),
)
frames = st.one_of(
    traffic.map(pack),
    traffic.map(pack),
    plausible.map(pack),
    valid.map(pack),
    values.map(pack),
    st.binary(max_size=64),
    st.sampled_from([TEXT, pack({"ch": 1, "v": "x" * 5000})]),  # the latter over LIMITS
)
# Most sequences start with a valid handshake, so that the fuzzed frames also hit OPEN.
server_prefixes = st.sampled_from([[], [AUTH], [AUTH, HELLO], [HELLO]])
client_prefixes = st.sampled_from([[], [HELLO_ACCEPTED]])


def check_closed(error: ProtocolError, connection) -> None:
    assert error.code in set(CloseCode)
    assert error.reason
    assert len(error.reason.encode()) <= MAX_CLOSE_REASON_BYTES
    assert connection.state is ConnectionState.CLOSED


def feed(connection, frame) -> Any:
    if frame is TEXT:
        connection.receive_text()  # always raises
    else:
        return connection.receive_frame(frame)


def drive_server(server: ServerConnection, sequence: list, reject_keys: bool) -> None:
    """Play the server shell over ``sequence``; only ProtocolError may stop it."""
    for frame in sequence:
        try:
            event = feed(server, frame)
            assert isinstance(event, ServerEvent)
            if isinstance(event, AuthRequested):
                if reject_keys:
                    server.reject_auth()
                else:
                    server.accept_auth()
            elif isinstance(event, Hello):
                server.accept_hello(1, {"project_id": "p"})
                for _ in range(2):  # requests of ours, so that responses 1 and 2 can match
                    server.send(server.new_request("interrupt"))
            elif isinstance(event, Request) and event.request_id % 2:
                server.send(Response(event.request_id, {"cmd": event.cmd}))
        except ProtocolError as error:
            check_closed(error, server)
            return
        assert server.state in {
            ConnectionState.AWAITING_AUTH,
            ConnectionState.AWAITING_HELLO,
            ConnectionState.OPEN,
        }


@examples(2000)
@given(data=st.binary(max_size=256), authenticated=st.booleans())
def test_server_survives_arbitrary_bytes(data, authenticated):
    drive_server(ServerConnection(authenticated=authenticated, limits=LIMITS), [data], False)


@examples(1000)
@given(value=values, authenticated=st.booleans())
def test_server_survives_arbitrary_msgpack_values(value, authenticated):
    server = ServerConnection(authenticated=authenticated, limits=LIMITS)
    drive_server(server, [pack(value)], False)


@examples(1200)
@given(
    prefix=server_prefixes,
    sequence=st.lists(frames, max_size=6),
    authenticated=st.booleans(),
    reject_keys=st.booleans(),
)
def test_server_survives_arbitrary_conversations(prefix, sequence, authenticated, reject_keys):
    server = ServerConnection(authenticated=authenticated, limits=LIMITS)
    drive_server(server, prefix + sequence, reject_keys)


@examples(600)
@given(prefix=client_prefixes, sequence=st.lists(frames, max_size=6))
def test_client_survives_arbitrary_conversations(prefix, sequence):
    client = ClientConnection("compute", "c", limits=LIMITS)
    client.start()
    for frame in prefix + sequence:
        try:
            event = feed(client, frame)
            assert isinstance(event, ClientEvent)
            if isinstance(event, HelloAccepted):
                client.send(client.new_request("ping"))
            elif isinstance(event, Request):
                client.send(Response(event.request_id))
        except ProtocolError as error:
            check_closed(error, client)
            return
        assert client.state in {ConnectionState.AWAITING_HELLO, ConnectionState.OPEN}


# -- what is valid goes through unchanged -------------------------------------------------

json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)
payloads = st.dictionaries(st.text(max_size=10), json_like, max_size=5)


@examples(150)
@given(message=payloads)
def test_codec_round_trips_plain_maps(message):
    assert decode_frame(encode_frame(message, FrameLimits()), FrameLimits()) == message


@examples(100)
@given(
    channel=st.integers(min_value=0, max_value=MAX_ID) | st.text(min_size=1),
    body=payloads.filter(lambda body: "ch" not in body),
    cmd=st.text(min_size=1).filter(lambda cmd: cmd not in ("auth", "hello")),
    args=payloads.filter(lambda args: not {"id", "cmd", "ok", "ch"} & args.keys()),
)
def test_valid_messages_arrive_unchanged(connect, channel, body, cmd, args):
    server, client = connect()
    message = ChannelMessage(channel, body)
    assert client.receive_frame(server.send(message)) == message
    request = client.new_request(cmd, args)
    assert server.receive_frame(client.send(request)) == request
