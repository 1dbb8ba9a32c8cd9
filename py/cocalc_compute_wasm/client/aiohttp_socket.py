"""The FrameSocket of CPython: an aiohttp websocket, and the connector that opens one.

This is the only client module that imports aiohttp. Each socket owns its own
``ClientSession`` and closes it with the socket, so a client holds nothing once its
link is closed. aiohttp's sends are coroutines, so ``send`` queues the frame and one
writer task sends the queue in order.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus

import aiohttp

from .config import ServerConfig
from .errors import AuthError, ConnectError
from .socket import SocketClosed, TextFrame

log = logging.getLogger(__name__)

_CLOSED_TYPES = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


async def connect_aiohttp(
    config: ServerConfig, *, heartbeat: float | None, max_frame_size: int
) -> AiohttpSocket:
    """The default Connector: ``config.ws_url`` with the key in a bearer header."""
    http = aiohttp.ClientSession()
    try:
        ws = await http.ws_connect(
            config.ws_url,
            headers=config.headers,
            heartbeat=heartbeat,
            max_msg_size=max_frame_size,
        )
    except BaseException as error:
        await http.close()
        if isinstance(error, aiohttp.WSServerHandshakeError):
            status = f"HTTP {error.status} {_phrase(error.status)}"
            if error.status in (401, 403):
                raise AuthError(
                    f"the project server refused the API key ({status}): check API_KEY"
                ) from None
            hint = " (check PROJECT_ID and BASE_PATH)" if error.status == 404 else ""
            raise ConnectError(f"cannot open {config.ws_url}: {status}{hint}") from None
        if isinstance(error, aiohttp.ClientError | OSError):
            raise ConnectError(f"cannot connect to {config.ws_url}: {error!r}") from None
        raise
    return AiohttpSocket(ws, http)


class AiohttpSocket:
    """A FrameSocket over an aiohttp client websocket (and the session it came from)."""

    needs_auth_frame = False  # the key went in the upgrade's Authorization header

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, http: aiohttp.ClientSession) -> None:
        self.ws = ws
        self._http = http
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._writer = asyncio.ensure_future(self._write())

    def send(self, frame: bytes) -> None:
        if not self._writer.done():
            self._outbox.put_nowait(frame)

    async def receive(self) -> bytes:
        message = await self.ws.receive()
        if message.type == aiohttp.WSMsgType.BINARY:
            return message.data
        if message.type == aiohttp.WSMsgType.TEXT:
            raise TextFrame()
        if message.type == aiohttp.WSMsgType.CLOSE:
            raise SocketClosed(message.data, message.extra or "")
        if message.type in _CLOSED_TYPES:
            raise SocketClosed(self.ws.close_code, "")
        if message.type == aiohttp.WSMsgType.ERROR:
            raise SocketClosed(None, repr(message.data))
        raise SocketClosed(None, f"unexpected websocket message {message.type.name}")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self._writer.cancel()
        try:
            await self.ws.close(code=code, message=reason.encode())
        finally:
            await self._http.close()

    async def _write(self) -> None:
        try:
            while True:
                await self.ws.send_bytes(await self._outbox.get())
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as error:
            log.debug("writer stops: %r", error)
            await self.ws.close()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
