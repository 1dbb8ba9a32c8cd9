"""The two ends of a ``/.smc/ws`` connection as sans-IO state machines.

A shell feeds every received websocket message to ``receive_frame()`` (or tells
``receive_text()`` that a text message came) and gets back exactly one event, and hands
events to ``send()`` to get the bytes of one binary message. After the handshake
(auth, then hello) both ends are alike: either may send requests, answer the peer's
requests and exchange channel messages, so that logic lives once in ``_Connection``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from enum import Enum, auto
from typing import Any, Generic, NoReturn, TypeVar

from .errors import CloseCode, ErrorCode, LocalProtocolError, ProtocolError
from .events import (
    AuthRequested,
    ChannelMessage,
    ClientEvent,
    ClientKind,
    ErrorResponse,
    Hello,
    Message,
    Request,
    Response,
    ServerEvent,
)
from .frames import DEFAULT_LIMITS, FrameLimits, decode_frame, encode_frame
from .messages import (
    AUTH_CMD,
    HELLO_CMD,
    PROTOCOL_VERSION,
    auth_message,
    build_message,
    hello_protocol,
    hello_request,
    hello_response,
    is_client_id,
    is_client_kind,
    parse_hello,
    parse_hello_accepted,
    parse_message,
)


class ConnectionState(Enum):
    """Where a connection stands; each side passes through a subset, in this order."""

    IDLE = auto()
    """Client: start() has not been called."""
    AWAITING_AUTH = auto()
    """Server: not authenticated by the shell; only an auth frame is accepted."""
    AUTHENTICATING = auto()
    """Server: AuthRequested was returned; the shell must accept_auth() or reject_auth()."""
    AWAITING_HELLO = auto()
    """Server: the hello request is expected. Client: hello sent, its answer is expected."""
    HELLO_RECEIVED = auto()
    """Server: Hello was returned; the shell must accept_hello()."""
    OPEN = auto()
    """Handshake done: requests, responses and channel messages in both directions."""
    CLOSED = auto()
    """Closed by close() or by a ProtocolError; nothing can be sent or received."""


_HINTS = {
    ConnectionState.IDLE: "call start() first",
    ConnectionState.AWAITING_AUTH: "the peer has not authenticated yet",
    ConnectionState.AUTHENTICATING: "answer AuthRequested: accept_auth() or reject_auth()",
    ConnectionState.AWAITING_HELLO: "the hello exchange is not done yet",
    ConnectionState.HELLO_RECEIVED: "answer Hello with accept_hello() first",
    ConnectionState.OPEN: "the connection is open",
    ConnectionState.CLOSED: "the connection is closed",
}


def _describe(event: AuthRequested | Message) -> str:
    """Name a received event in a close reason (never showing an API key)."""
    match event:
        case Request(cmd=cmd):
            return f"request {cmd[:40]!r}"
        case Response() | ErrorResponse():
            return f"response to request {event.request_id}"
        case ChannelMessage():
            return "channel message"
    return "auth frame"


E = TypeVar("E")


class _Connection(Generic[E]):
    """What both ends share: frame intake, state checks, and the OPEN-state exchange."""

    _RECEIVING: frozenset[ConnectionState]
    """The states in which this side may be fed a frame."""

    def __init__(self, state: ConnectionState, limits: FrameLimits) -> None:
        self.limits = limits
        self._state = state
        self._next_id = 1
        self._awaiting_response: set[int] = set()  # ids of our requests not yet answered
        self._answering: set[int] = set()  # ids of the peer's requests we have not answered

    @property
    def state(self) -> ConnectionState:
        return self._state

    def receive_frame(self, data: bytes | bytearray | memoryview) -> E:
        """Take one received binary message; return its event.

        Raises ProtocolError (and the connection is CLOSED) if the peer broke the
        protocol; LocalProtocolError if this side may not receive now.
        """
        self._require(self._RECEIVING, "receive a frame")
        try:
            return self._on_event(parse_message(decode_frame(data, self._receive_limits())))
        except ProtocolError:
            self._state = ConnectionState.CLOSED
            raise

    def receive_text(self) -> NoReturn:
        """Report a received text message: always a ProtocolError (1003)."""
        self._require(self._RECEIVING, "receive a frame")
        self._fail(
            CloseCode.UNSUPPORTED_DATA,
            "text messages are not part of the protocol: frames are binary msgpack maps",
        )

    def new_request(self, cmd: str, args: dict[str, Any] | None = None) -> Request:
        """A Request with a fresh id of ours, to hand to send()."""
        return Request(self._allocate_id(), cmd, {} if args is None else args)

    def send(self, event: Message) -> bytes:
        """The bytes of one binary message carrying ``event``; OPEN state only.

        Tracks ids: a Request's id must not be pending already, a (Error)Response must
        answer a pending request of the peer.
        """
        self._require({ConnectionState.OPEN}, "send")
        data = self._encode(event)  # validates the event before any state changes
        if isinstance(event, Request):
            if event.cmd in (AUTH_CMD, HELLO_CMD):
                raise LocalProtocolError(f"{event.cmd!r} belongs to the handshake, not to send()")
            if event.request_id in self._awaiting_response:
                raise LocalProtocolError(f"request id {event.request_id} is still pending")
            self._awaiting_response.add(event.request_id)
        elif isinstance(event, Response | ErrorResponse):
            if event.request_id not in self._answering:
                raise LocalProtocolError(f"no pending request {event.request_id} of the peer")
            self._answering.remove(event.request_id)
        return data

    def close(self) -> None:
        """Record that the socket is closing (either side); idempotent."""
        self._state = ConnectionState.CLOSED

    # -- helpers for the subclasses -----------------------------------------------------

    def _on_event(self, event: AuthRequested | Message) -> E:
        raise NotImplementedError

    def _receive_limits(self) -> FrameLimits:
        return self.limits

    def _require(self, states: Collection[ConnectionState], action: str) -> None:
        if self._state not in states:
            raise LocalProtocolError(
                f"cannot {action} in state {self._state.name}: {_HINTS[self._state]}"
            )

    def _fail(self, code: CloseCode, reason: str, frame: bytes | None = None) -> NoReturn:
        self._state = ConnectionState.CLOSED
        raise ProtocolError(code, reason, frame)

    def _encode(self, event: Message) -> bytes:
        return encode_frame(build_message(event), self.limits)

    def _allocate_id(self) -> int:
        request_id = self._next_id
        self._next_id += 1
        return request_id

    def _on_open_event(self, event: AuthRequested | Message) -> Message:
        """Check a frame received in the OPEN state against the pending ids."""
        if isinstance(event, AuthRequested):
            self._fail(CloseCode.PROTOCOL_ERROR, "an auth frame may only be the first frame")
        if isinstance(event, Request):
            if event.cmd == HELLO_CMD:
                self._fail(CloseCode.PROTOCOL_ERROR, "hello may only be sent once, first")
            if event.request_id in self._answering:
                self._fail(
                    CloseCode.PROTOCOL_ERROR, f"request id {event.request_id} reused while pending"
                )
            self._answering.add(event.request_id)
        elif isinstance(event, Response | ErrorResponse):
            if event.request_id not in self._awaiting_response:
                self._fail(
                    CloseCode.PROTOCOL_ERROR, f"response to unknown request id {event.request_id}"
                )
            self._awaiting_response.remove(event.request_id)
        return event


class ServerConnection(_Connection[ServerEvent]):
    """The project server's end of one client's websocket.

    ``authenticated=True`` when the shell already accepted an API key from the
    ``api_key`` cookie or an ``Authorization: Bearer`` header. Even then the first frame
    may be an auth frame (a page cannot know whether a cookie came along); its key is
    then checked too.
    """

    _RECEIVING = frozenset(
        {ConnectionState.AWAITING_AUTH, ConnectionState.AWAITING_HELLO, ConnectionState.OPEN}
    )

    def __init__(
        self, *, authenticated: bool = False, limits: FrameLimits = DEFAULT_LIMITS
    ) -> None:
        super().__init__(
            ConnectionState.AWAITING_HELLO if authenticated else ConnectionState.AWAITING_AUTH,
            limits,
        )
        self._first_frame = True
        self._hello_id = 0
        self._auth_limits = replace(limits, max_frame_size=limits.max_auth_frame_size)

    def accept_auth(self) -> None:
        """The key of AuthRequested is valid: go on to hello."""
        self._require({ConnectionState.AUTHENTICATING}, "accept_auth()")
        self._state = ConnectionState.AWAITING_HELLO

    def reject_auth(self, reason: str = "invalid API key") -> NoReturn:
        """The key of AuthRequested is not valid: raises ProtocolError(4401, reason).

        Raising lets the shell close the socket on the same path as for any peer fault.
        """
        self._require({ConnectionState.AUTHENTICATING}, "reject_auth()")
        self._fail(CloseCode.UNAUTHORIZED, reason)

    def accept_hello(self, server_time: int | float, info: dict[str, Any] | None = None) -> bytes:
        """The bytes of the answer to Hello; the connection is then OPEN.

        ``server_time`` is the server's clock (milliseconds since the Unix epoch, as JS
        ``Date.now()``); ``info`` adds fields such as ``project_id``.
        """
        self._require({ConnectionState.HELLO_RECEIVED}, "accept_hello()")
        data = self._encode(hello_response(self._hello_id, server_time, info or {}))
        self._state = ConnectionState.OPEN
        return data

    def _receive_limits(self) -> FrameLimits:
        if self._state is ConnectionState.AWAITING_AUTH:
            return self._auth_limits
        return self.limits

    def _on_event(self, event: AuthRequested | Message) -> ServerEvent:
        first_frame, self._first_frame = self._first_frame, False
        if isinstance(event, AuthRequested) and first_frame:
            self._state = ConnectionState.AUTHENTICATING
            return event
        if self._state is ConnectionState.AWAITING_AUTH:
            self._fail(
                CloseCode.UNAUTHORIZED,
                "not authenticated: the first frame must be {cmd: 'auth', api_key}",
            )
        if self._state is ConnectionState.OPEN:
            return self._on_open_event(event)
        # AWAITING_HELLO
        if not isinstance(event, Request) or event.cmd != HELLO_CMD:
            self._fail(CloseCode.PROTOCOL_ERROR, f"expected hello, got {_describe(event)}")
        return self._on_hello(event)

    def _on_hello(self, request: Request) -> Hello:
        protocol = hello_protocol(request)
        if type(protocol) is int and protocol != PROTOCOL_VERSION:
            message = f"protocol {protocol} is not supported; this server speaks {PROTOCOL_VERSION}"
            refusal = ErrorResponse(request.request_id, ErrorCode.UNSUPPORTED_PROTOCOL, message)
            self._fail(CloseCode.UNSUPPORTED_PROTOCOL, message, self._encode(refusal))
        hello = parse_hello(request)
        self._hello_id = request.request_id
        self._state = ConnectionState.HELLO_RECEIVED
        return hello


class ClientConnection(_Connection[ClientEvent]):
    """A client's end (collaborator or compute) of the project's websocket.

    Give ``api_key`` to authenticate with an auth frame (browser pages on another
    origin); leave it None when the key travels in a cookie or Authorization header.
    """

    _RECEIVING = frozenset({ConnectionState.AWAITING_HELLO, ConnectionState.OPEN})

    def __init__(
        self,
        kind: ClientKind | str,
        client_id: str,
        *,
        api_key: str | None = None,
        limits: FrameLimits = DEFAULT_LIMITS,
    ) -> None:
        if not is_client_kind(kind):
            raise ValueError(f"kind must be one of {[str(k) for k in ClientKind]}, not {kind!r}")
        if not is_client_id(client_id):
            raise ValueError(f"client_id must be a non-empty string, not {client_id!r}")
        if api_key is not None and not isinstance(api_key, str):
            raise ValueError("api_key must be a string or None")
        super().__init__(ConnectionState.IDLE, limits)
        self.kind = ClientKind(kind)
        self.client_id = client_id
        self._api_key = api_key
        self._hello_id = 0

    def start(self) -> list[bytes]:
        """The first frames to send, in order: the auth frame if any, then hello."""
        self._require({ConnectionState.IDLE}, "start()")
        frames = []
        if self._api_key is not None:
            frames.append(encode_frame(auth_message(self._api_key), self.limits))
        hello = hello_request(self._allocate_id(), self.kind, self.client_id)
        frames.append(self._encode(hello))
        self._hello_id = hello.request_id
        self._state = ConnectionState.AWAITING_HELLO
        return frames

    def _on_event(self, event: AuthRequested | Message) -> ClientEvent:
        if self._state is ConnectionState.OPEN:
            return self._on_open_event(event)
        # AWAITING_HELLO
        match event:
            case Response(request_id=self._hello_id):
                accepted = parse_hello_accepted(event)
                self._state = ConnectionState.OPEN
                return accepted
            case ErrorResponse(request_id=self._hello_id, code=code, message=message):
                close_code = (
                    CloseCode.UNSUPPORTED_PROTOCOL
                    if code == ErrorCode.UNSUPPORTED_PROTOCOL
                    else CloseCode.PROTOCOL_ERROR
                )
                self._fail(close_code, f"server refused hello: {code}: {message}")
        self._fail(
            CloseCode.PROTOCOL_ERROR, f"expected the answer to hello, got {_describe(event)}"
        )
