"""The `Exchange` of `RemoteFiles` for synchronous CPython callers (FUSE, fsspec): the
project's WebSocketFS endpoint through aiohttp, on an event loop in a thread of its own.

Each call sends its packets while reading the replies (so that neither side's buffers can
fill up and stall the other), and returns when every reply is in. The websocket opens on
the first call and again on the first call after it was lost; the call that met the loss
raises ConnectionError (the server forgot the open handles with the link).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import aiohttp

from ..websocketfs.packets import MAX_PACKET
from .config import ServerConfig
from .errors import AuthError, ConnectError

__all__ = ["FilesLink"]


class FilesLink:
    """A synchronous Exchange over `config.files_url`; `close()` when done."""

    def __init__(self, config: ServerConfig, *, timeout: float = 60.0) -> None:
        self.config, self.timeout = config, timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="websocketfs", daemon=True
        )
        self._thread.start()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._closed = False

    def __call__(self, packets: Sequence[bytes]) -> list[bytes]:
        if self._closed:
            raise ConnectionError("the websocketfs link was closed")
        future = asyncio.run_coroutine_threadsafe(self._exchange(packets), self._loop)
        return future.result()

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is not None and not self._ws.closed:
            return self._ws
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            self._ws = await self._session.ws_connect(
                self.config.files_url,
                headers=self.config.headers,
                max_msg_size=MAX_PACKET + 1024,
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
                autoping=True,
            )
        except aiohttp.WSServerHandshakeError as error:
            refusal = f"{self.config.files_url}: {error.status} {error.message}"
            if error.status in (401, 403):
                raise AuthError(refusal) from None
            raise ConnectError(refusal) from None
        except (aiohttp.ClientError, OSError) as error:
            raise ConnectionError(f"cannot reach {self.config.files_url}: {error}") from error
        return self._ws

    async def _exchange(self, packets: Sequence[bytes]) -> list[bytes]:
        ws = await self._connect()

        async def send_all() -> None:
            for packet in packets:
                await ws.send_bytes(packet)

        sending = asyncio.ensure_future(send_all())
        replies: list[bytes] = []
        try:
            async with asyncio.timeout(self.timeout):
                while len(replies) < len(packets):
                    message = await ws.receive()
                    if message.type != aiohttp.WSMsgType.BINARY:
                        raise ConnectionError(
                            f"websocketfs closed ({ws.close_code}): {message.extra or message.type}"
                        )
                    replies.append(message.data)
                await sending
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            sending.cancel()
            await self._drop()
            if isinstance(error, ConnectionError):
                raise
            raise ConnectionError(f"websocketfs link lost: {error!r}") from error
        return replies

    async def _drop(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            await ws.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        async def shut() -> None:
            await self._drop()
            if self._session is not None:
                await self._session.close()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
