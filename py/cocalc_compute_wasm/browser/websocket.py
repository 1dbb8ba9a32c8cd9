"""The FrameSocket of a browser worker: a JavaScript WebSocket, driven from Python.

The upgrade carries the page's ``api_key`` cookie when the page and the project server
share an origin; a key typed into the page (or given to ``startCompute``) goes in the
first frame instead, never into the URL. A browser hides why an upgrade failed (an
HTTP 401 and an unreachable server look alike), so a refused cookie is answered by the
server after the upgrade, with a close code the protocol explains.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..client.config import ServerConfig
from ..client.errors import ConnectError
from ..client.socket import SocketClosed, TextFrame

OPEN = 1  # WebSocket.readyState
MAX_REASON_BYTES = 123  # what a close frame can carry


def browser_close_code(code: int) -> int:
    """Scripts may only close with 1000 or 3000-4999; the protocol's 1002, 1008 and
    1011 go out as 1000 with their reason."""
    return code if code == 1000 or 3000 <= code <= 4999 else 1000


def close_reason(reason: str) -> str:
    data = reason.encode()[:MAX_REASON_BYTES]
    return data.decode(errors="ignore")


class BrowserSocket:
    """A FrameSocket over a JS WebSocket; events arrive on the asyncio (JS) loop."""

    def __init__(self, ws: Any, needs_auth_frame: bool) -> None:
        from pyodide.ffi import create_proxy

        self.ws = ws
        self.needs_auth_frame = needs_auth_frame
        self._inbox: asyncio.Queue[bytes | SocketClosed | TextFrame] = asyncio.Queue()
        self._ended: SocketClosed | None = None
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._proxies = [
            create_proxy(self._on_open),
            create_proxy(self._on_message),
            create_proxy(self._on_close),
        ]
        ws.binaryType = "arraybuffer"
        ws.onopen, ws.onmessage, ws.onclose = self._proxies

    def send(self, frame: bytes) -> None:
        if self._ended is None and self.ws.readyState == OPEN:
            from pyodide.ffi import to_js

            self.ws.send(to_js(frame))

    async def receive(self) -> bytes:
        if self._ended is not None:
            raise self._ended
        item = await self._inbox.get()
        if isinstance(item, SocketClosed):
            self._ended = item
        if isinstance(item, Exception):
            raise item
        return item

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self._ended is None:
            self._ended = SocketClosed(code, reason)
            self._inbox.put_nowait(self._ended)
            self.ws.close(browser_close_code(code), close_reason(reason))
        self._release()

    async def opened(self) -> None:
        await self._opened

    def _on_open(self, event: Any) -> None:
        if not self._opened.done():
            self._opened.set_result(None)

    def _on_message(self, event: Any) -> None:
        data = event.data
        if isinstance(data, str):
            self._inbox.put_nowait(TextFrame())
        else:
            self._inbox.put_nowait(data.to_bytes())

    def _on_close(self, event: Any) -> None:
        closed = SocketClosed(event.code, event.reason)
        if not self._opened.done():
            self._opened.set_exception(closed)
        self._inbox.put_nowait(closed)
        # not from inside the callback: that would destroy the proxy being called
        asyncio.get_event_loop().call_soon(self._release)

    def _release(self) -> None:
        self.ws.onopen = self.ws.onmessage = self.ws.onclose = None
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies = []


def websocket_url(http_url: str) -> str:
    scheme, rest = http_url.split("://", 1)
    return f"{ {'http': 'ws', 'https': 'wss'}.get(scheme, scheme) }://{rest}"


async def connect_browser(
    config: ServerConfig, *, heartbeat: float | None, max_frame_size: int
) -> BrowserSocket:
    """The browser's Connector. A browser answers the server's pings itself and sends
    none of its own, so ``heartbeat`` does not apply; frame sizes are checked by the
    protocol."""
    import js

    url = websocket_url(config.ws_url)
    socket = BrowserSocket(js.WebSocket.new(url), needs_auth_frame=config.api_key is not None)
    try:
        await socket.opened()
    except SocketClosed as closed:
        raise ConnectError(
            f"cannot open {url} (closed with code {closed.code}): the server is not reachable"
            " there, or refused this page's api_key cookie"
        ) from None
    except BaseException:
        await socket.close()
        raise
    return socket
