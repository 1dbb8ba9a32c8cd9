"""The seam between the client and its websocket: what a ``Link`` needs of a socket.

A ``FrameSocket`` carries whole binary frames (one websocket message each). The client
never touches a socket library; ``aiohttp_socket`` implements this for CPython, and the
browser worker implements it over a websocket owned by the page's JavaScript.

``send`` is synchronous on purpose: a frame made by plain code (an edit, a runner's
output) is handed over before the call returns, in call order, even while the asyncio
loop does not turn (a Pyodide worker that is busy running a cell). An implementation
may still queue internally (aiohttp's sends are coroutines), as long as the order holds.

The end of a socket is reported by ``receive`` raising ``SocketClosed(code, reason)``:
``code`` is the close code (None or 1006 when the socket ended without a close frame,
``reason`` then says what failed, if anything is known). A text message is not an end:
``receive`` raises ``TextFrame`` and the socket stays open, so that the protocol
(``ClientConnection.receive_text``) decides what it means.

This module imports nothing beyond the standard library and the client's config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .config import ServerConfig


class SocketClosed(Exception):
    """The socket has ended (either side closed it, or the transport failed)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(
            f"socket closed ({code}): {reason}" if reason else f"socket closed ({code})"
        )
        self.code = code
        self.reason = reason


class TextFrame(Exception):
    """A text message arrived; the socket is still open (the protocol refuses it)."""


class FrameSocket(Protocol):
    """One open websocket that carries binary frames."""

    needs_auth_frame: bool
    """The key did not go with the upgrade (no header or cookie could carry it): the
    first frame must be the auth frame."""

    def send(self, frame: bytes) -> None:
        """Hand over one binary frame; never blocks, never waits for the loop. Frames
        leave in call order. After the socket has ended, frames are dropped silently
        (``receive`` reports the end)."""
        ...

    async def receive(self) -> bytes:
        """The next binary frame. Raises SocketClosed when the socket has ended (also on
        every call after that) and TextFrame for a text message."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (idempotent) and release what it holds; a ``receive`` under
        way then raises SocketClosed."""
        ...


class Connector(Protocol):
    """Opens a FrameSocket to ``config.ws_url``, authenticated by ``config.headers`` (or
    however the transport can: a browser page sends its cookie).

    Raises AuthError when the server refuses the key (HTTP 401/403), ConnectError for any
    other failure to get in (unreachable, HTTP 404: "check PROJECT_ID and BASE_PATH").
    ``heartbeat`` is the ping interval in seconds (None: no pings) and
    ``max_frame_size`` the largest frame to accept; a transport may ignore either where
    it cannot apply them. Bound it with ``asyncio.timeout``; a cancelled connector must
    release whatever it opened.
    """

    async def __call__(
        self, config: ServerConfig, *, heartbeat: float | None, max_frame_size: int
    ) -> FrameSocket: ...
