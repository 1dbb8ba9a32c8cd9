"""The events a connection returns for received frames, and takes to build frames to send.

Plain frozen values: the connection decides what is valid when; the shell only reads
fields and constructs these. ``args``, ``result`` and ``body`` hold the frame's remaining
keys as a plain dict (frozen means the event's fields are not reassigned, not that these
dicts are deep-frozen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ClientKind(StrEnum):
    """What a client comes to do; sent in ``hello``."""

    COLLABORATOR = "collaborator"
    """Edits documents and asks for cells to run."""
    COMPUTE = "compute"
    """Provides a kernel: runs the cells, may receive requests such as interrupt."""


ChannelId = int | str


@dataclass(frozen=True)
class AuthRequested:
    """Server side: the peer sent an auth frame; answer with accept_auth() or reject_auth()."""

    api_key: str = field(repr=False)


@dataclass(frozen=True)
class Hello:
    """Server side: the peer opened the session; answer with accept_hello()."""

    kind: ClientKind
    client_id: str


@dataclass(frozen=True)
class HelloAccepted:
    """Client side: the server accepted ``hello``; the connection is now OPEN.

    ``info`` holds the extra fields the server's shell added (e.g. ``project_id``).
    """

    protocol: int
    server_time: int | float
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """A request, received or to send; its id is unique among the sender's pending ones."""

    request_id: int
    cmd: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    """A successful answer (``ok: true``) to the request with ``request_id``."""

    request_id: int
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorResponse:
    """A failed answer (``ok: false``); ``code`` is one of ErrorCode when we send it."""

    request_id: int
    code: str
    message: str


@dataclass(frozen=True)
class ChannelMessage:
    """Traffic on a channel (e.g. a document's patches), in either direction."""

    channel: ChannelId
    body: dict[str, Any] = field(default_factory=dict)


Message = Request | Response | ErrorResponse | ChannelMessage
"""What either side may send and receive once the connection is OPEN."""

ServerEvent = AuthRequested | Hello | Message
"""What ServerConnection.receive_frame() returns."""

ClientEvent = HelloAccepted | Message
"""What ClientConnection.receive_frame() returns."""
