"""The websocketfs connection's state machine, sans-IO: websocket messages in, SFTP
requests to run and reply bytes out.

Framing as websocketfs frames it: each binary message is one whole SFTP packet, its
4-byte length prefix included. The first packet must be INIT (answered at once with
VERSION); after it, every packet must be a request. A text message, a malformed or
oversized packet, or a packet out of order ends the connection: `ProtocolViolation`
carries the websocket close code and reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .packets import (
    MAX_PACKET,
    SFTP_VERSION,
    Init,
    Packet,
    PacketError,
    Request,
    Version,
    decode_packet,
    encode_packet,
)


class CloseCode(enum.IntEnum):
    NORMAL = 1000
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    MESSAGE_TOO_BIG = 1009


class ProtocolViolation(Exception):
    """The client broke the framing or the protocol: close with `code` and `reason`."""

    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class State(enum.Enum):
    AWAITING_INIT = "awaiting INIT"
    OPEN = "open"


@dataclass(frozen=True)
class Reply:
    """Bytes to send back now."""

    data: bytes


@dataclass(frozen=True)
class Run:
    """A request to run on the files; its reply goes through `SftpSession.reply`."""

    request: Request


class SftpSession:
    """One websocketfs connection's protocol state."""

    def __init__(self, extensions: tuple[tuple[str, bytes], ...] = ()) -> None:
        self.state = State.AWAITING_INIT
        self.extensions = extensions
        self.client_version: int | None = None

    def receive_binary(self, data: bytes) -> Reply | Run:
        if len(data) > MAX_PACKET:
            raise ProtocolViolation(
                CloseCode.MESSAGE_TOO_BIG, f"a packet of {len(data)} bytes (at most {MAX_PACKET})"
            )
        try:
            packet = decode_packet(data)
        except PacketError as error:
            raise ProtocolViolation(
                CloseCode.PROTOCOL_ERROR, f"malformed packet: {error}"
            ) from None
        if self.state is State.AWAITING_INIT:
            if not isinstance(packet, Init):
                raise ProtocolViolation(
                    CloseCode.PROTOCOL_ERROR, f"expected INIT first, got {type(packet).__name__}"
                )
            self.state, self.client_version = State.OPEN, packet.version
            return Reply(encode_packet(Version(SFTP_VERSION, self.extensions)))
        if not isinstance(packet, Request):
            raise ProtocolViolation(
                CloseCode.PROTOCOL_ERROR, f"{type(packet).__name__} is not a request"
            )
        return Run(packet)

    def receive_text(self) -> None:
        raise ProtocolViolation(
            CloseCode.UNSUPPORTED_DATA, "websocketfs takes binary messages (SFTP packets) only"
        )

    def reply(self, packet: Packet) -> bytes:
        return encode_packet(packet)
