"""The wire protocol of ``/{project_id}/raw/.smc/ws``, sans-IO (in the manner of h11/wsproto).

Each side holds a connection object: ``ServerConnection`` in the project server,
``ClientConnection`` in a collaborator or compute client. The IO shell feeds it every
received websocket message and acts on the one event it returns, and gets the bytes to
send from it. No sockets, clocks, threads or asyncio inside; the same code runs in
CPython and in Pyodide. The browser's JS link implements the client side of the same
frames, described here.

Frames
------
One binary websocket message is one frame is one msgpack map with string keys (no
extension types, nesting at most ``FrameLimits.max_depth`` = 64 levels, at most
``FrameLimits.max_frame_size`` = 16 MiB; before authentication at most
``max_auth_frame_size`` = 4 KiB). Ids and integer channel ids are integers in [0, 2**53)
(JavaScript's safe integers). A received map is classified by its envelope keys, in
this order (implementations must test them in this order)::

    {"ch": <int|str>, ...body}                         channel message, either direction
    {"id": n, "ok": true, ...result}                   success response
    {"id": n, "ok": false,
     "error": {"code": "<ErrorCode>", "message": "<text>"}}   error response (exactly these keys)
    {"id": n, "cmd": "<name>", ...args}                request, either direction
    {"cmd": "auth", "api_key": "<key>"}                auth frame (exactly these keys)

So a request's args may not use ``id``, ``cmd``, ``ok`` or ``ch``, a result may not use
``id``, ``ok`` or ``ch``, and a channel body may not use ``ch``; ``send()`` refuses them.

Conversation
------------
1. Authentication. The shell may have accepted the key already from the ``api_key``
   cookie or an ``Authorization: Bearer`` header (``ServerConnection(authenticated=True)``).
   Otherwise the client's first frame must be the auth frame; the server connection
   returns ``AuthRequested`` and the shell answers ``accept_auth()`` or
   ``reject_auth(reason)``. An auth frame is allowed only as the first frame (also when
   already authenticated, in which case its key is checked as well). There is no reply
   to it: a rejected key closes the socket with 4401.
2. Hello, the first request::

       -> {"id": n, "cmd": "hello", "protocol": 1,
           "kind": "collaborator"|"compute", "client_id": "<str>"}
       <- {"id": n, "ok": true, "protocol": 1, "server_time": <ms since epoch>, ...info}

   ``info`` is what the shell adds, e.g. ``project_id``. Another protocol version gets
   ``{"id": n, "ok": false, "error": {"code": "unsupported_protocol", ...}}``, then a close
   with 4505.
3. Open. Either side sends requests (ids are per sender, unique among its pending
   requests) and answers each request of the peer with exactly one response; channel
   messages flow both ways (e.g. the server pushes document patches). ``hello`` and
   ``auth`` are not requests after the handshake.

Close codes (CloseCode)
-----------------------
=====  =====================  =============================================================
1000   NORMAL                 orderly close by either side
1001   GOING_AWAY             the server is shutting down; reconnect to its next start
1002   PROTOCOL_ERROR         not msgpack, not a map, wrong shape or types, a frame the
                              state forbids (before hello, second hello, response to an
                              unknown id, request id reused while pending, ...)
1003   UNSUPPORTED_DATA       a text message
1008   POLICY_VIOLATION       the client fell too far behind reading, or did not
                              authenticate in time
1009   TOO_BIG                frame larger than max_frame_size (max_auth_frame_size
                              before authentication)
1011   INTERNAL_ERROR         an unexpected server failure; reconnecting is fine
4401   UNAUTHORIZED           first frame not auth while unauthenticated, or key rejected
4505   UNSUPPORTED_PROTOCOL   hello with another protocol version
=====  =====================  =============================================================

Errors
------
A peer's fault raises ``ProtocolError`` (``code``, ``reason`` within the 123 bytes of a
close frame, and ``frame``: a last message to send first, or None); the connection is
then CLOSED and the shell closes that one socket. Misuse by our own side (sending after
close, answering a request that is not pending, ...) raises ``LocalProtocolError``.
``ok: false`` responses carry an ``ErrorCode``: ``bad_request``, ``unknown_command``,
``not_found``, ``forbidden``, ``conflict``, ``unsupported_protocol``, ``internal``
(received codes are not checked, so a newer peer may send more).

The shell's loop
----------------
The shell answers AuthRequested and Hello before it feeds the next frame (a client may
send auth and hello back to back)::

    conn = ServerConnection(authenticated=key_from_cookie_or_header_is_valid)
    try:
        async for msg in ws:
            if msg.type is not BINARY:
                conn.receive_text()  # raises ProtocolError(1003)
            event = conn.receive_frame(msg.data)
            if isinstance(event, AuthRequested):
                if not await keys.check(event.api_key):
                    conn.reject_auth("invalid API key")  # raises ProtocolError(4401)
                conn.accept_auth()
            elif isinstance(event, Hello):
                await ws.send_bytes(conn.accept_hello(time_ms(), {"project_id": pid}))
            else:
                ...  # Request -> handler -> ws.send_bytes(conn.send(Response(...)))
    except ProtocolError as error:
        if error.frame is not None:
            await ws.send_bytes(error.frame)
        await ws.close(code=error.code, message=error.reason.encode())
"""

from .connection import ClientConnection, ConnectionState, ServerConnection
from .errors import CloseCode, ErrorCode, LocalProtocolError, ProtocolError
from .events import (
    AuthRequested,
    ChannelId,
    ChannelMessage,
    ClientEvent,
    ClientKind,
    ErrorResponse,
    Hello,
    HelloAccepted,
    Message,
    Request,
    Response,
    ServerEvent,
)
from .frames import DEFAULT_LIMITS, FrameLimits
from .messages import MAX_ID, PROTOCOL_VERSION

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_ID",
    "PROTOCOL_VERSION",
    "AuthRequested",
    "ChannelId",
    "ChannelMessage",
    "ClientConnection",
    "ClientEvent",
    "ClientKind",
    "CloseCode",
    "ConnectionState",
    "ErrorCode",
    "ErrorResponse",
    "FrameLimits",
    "Hello",
    "HelloAccepted",
    "LocalProtocolError",
    "Message",
    "ProtocolError",
    "Request",
    "Response",
    "ServerConnection",
    "ServerEvent",
]
