"""The protocol's error vocabulary: close codes, ``ok: false`` codes and the two exceptions.

Kept in one module so that the server shell, the Python client and the browser's JS link
all read their codes from a single table.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

# RFC 6455 limits a close frame's payload to 125 bytes, two of which hold the code.
MAX_CLOSE_REASON_BYTES = 123


class CloseCode(IntEnum):
    """WebSocket close codes a shell uses when it ends a connection.

    Standard codes where one fits; 4xxx private codes mirror the HTTP status of the
    same meaning, so that a browser's ``CloseEvent.code`` reads naturally.
    """

    NORMAL = 1000
    """Orderly close by either side."""
    GOING_AWAY = 1001
    """The server is shutting down; the client may reconnect to its next start."""
    PROTOCOL_ERROR = 1002
    """Malformed frame, wrong frame shape, or a frame the connection's state forbids."""
    UNSUPPORTED_DATA = 1003
    """A text message: every frame must be a binary message."""
    POLICY_VIOLATION = 1008
    """The peer broke a rule of the shell: too slow to read, too slow to authenticate."""
    TOO_BIG = 1009
    """A frame larger than the receiver's ``FrameLimits.max_frame_size``."""
    INTERNAL_ERROR = 1011
    """The server hit an unexpected condition; the client may reconnect."""
    UNAUTHORIZED = 4401
    """No authentication before the first non-auth frame, or the API key was rejected."""
    UNSUPPORTED_PROTOCOL = 4505
    """The ``hello`` asked for a protocol version the server does not speak."""


class ErrorCode(StrEnum):
    """The ``error.code`` values of ``ok: false`` responses.

    Add new codes here, nowhere else: sending a code not in this table is refused, so
    that the JS client can rely on the full list. Received codes are not checked (a
    newer peer may know more).
    """

    BAD_REQUEST = "bad_request"
    """The arguments of the request are missing or of the wrong type."""
    UNKNOWN_COMMAND = "unknown_command"
    """No handler for ``cmd``."""
    NOT_FOUND = "not_found"
    """The request names something (document, file, channel) that does not exist."""
    FORBIDDEN = "forbidden"
    """The authenticated key or client kind may not do this."""
    CONFLICT = "conflict"
    """The request clashes with the current state (e.g. another runner holds the notebook)."""
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    """Answer to a ``hello`` whose protocol version the server does not speak."""
    INTERNAL = "internal"
    """The handler failed; the message says how, the details stay in the server log."""


def _truncate_reason(reason: str) -> str:
    """Cut ``reason`` to what fits into a close frame, on a UTF-8 character boundary."""
    raw = reason.encode("utf-8")
    if len(raw) <= MAX_CLOSE_REASON_BYTES:
        return reason
    return raw[: MAX_CLOSE_REASON_BYTES - 3].decode("utf-8", errors="ignore") + "..."


class ProtocolError(Exception):
    """The peer broke the protocol (or failed authentication); close the socket.

    The connection that raised it is already CLOSED. The shell sends ``frame`` if it is
    not None (a last ``ok: false`` response the peer may want to read), then closes the
    websocket with ``code`` and ``reason``. ``reason`` always fits into a close frame.
    """

    def __init__(self, code: CloseCode, reason: str, frame: bytes | None = None) -> None:
        self.code = code
        self.reason = _truncate_reason(reason)
        self.frame = frame
        super().__init__(f"{self.reason} (close code {int(code)})")


class LocalProtocolError(Exception):
    """This side used the connection wrongly (a bug in our own code, not the peer's).

    For example: sending after close, answering a request that is not pending, feeding a
    frame before answering ``AuthRequested``. Not a subclass of ProtocolError on purpose:
    a shell that closes the socket on ProtocolError must not hide its own bugs that way.
    """
