"""One websocket to the project, from handshake to close: the asyncio shell around
``ClientConnection``, over any ``FrameSocket`` (``socket.py``).

A Link never reconnects; when its socket is gone, ``wait_closed()`` returns why and every
unanswered request fails with ConnectionLost. The Client (``api.py``) then opens a new
Link. Frames go out through the socket's synchronous ``send`` as they are made, so they
leave in the order they were made even when plain (non-async) code makes them, and
without waiting for the asyncio loop to turn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..protocol import (
    ChannelId,
    ChannelMessage,
    ClientConnection,
    CloseCode,
    ErrorCode,
    ErrorResponse,
    FrameLimits,
    HelloAccepted,
    Message,
    ProtocolError,
    Request,
    Response,
)
from .config import ServerConfig
from .errors import AuthError, ConnectError, ConnectionLost, Refused, RequestError
from .socket import Connector, FrameSocket, SocketClosed, TextFrame

log = logging.getLogger(__name__)

T = TypeVar("T")

ChannelHandler = Callable[[ChannelId, dict[str, Any]], None]
"""Called in the reader, in frame order, for each channel message."""
RequestHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""Answers a request of the server (e.g. control for a runner); raise RequestError to
answer ``ok: false``."""

ABNORMAL_CLOSURE = 1006
"""The close code of a socket that ended without a close frame (RFC 6455)."""


def close_error(code: int | None, reason: str) -> Exception:
    """What the end of the socket means to us: Refused when retrying cannot help.

    For a socket that ended without a close frame (``code`` None or 1006), ``reason``
    says what failed, if anything is known."""
    if code in (None, ABNORMAL_CLOSURE):
        if reason:
            return ConnectionLost(f"the connection to the project server failed: {reason}")
        return ConnectionLost("the connection to the project server was lost")
    why = f"{reason} (close code {code})" if reason else f"close code {code}"
    if code == CloseCode.UNAUTHORIZED:
        return AuthError(f"the project server refused the API key: {why}")
    if code == CloseCode.UNSUPPORTED_PROTOCOL:
        return Refused(f"the project server speaks another protocol version: {why}")
    return ConnectionLost(f"the project server closed the connection: {why}")


class Link:
    """A connected, greeted websocket: requests matched to answers, frames in order."""

    def __init__(
        self,
        socket: FrameSocket,
        connection: ClientConnection,
        clock_offset_ms: float,
    ) -> None:
        self.socket = socket
        self.connection = connection
        self.clock_offset_ms = clock_offset_ms
        """Server clock minus ours, from hello, assuming the answer took half the trip."""
        self._waiting: dict[int, tuple[str, asyncio.Future, Callable[[dict], Any] | None]] = {}
        self._closed: asyncio.Future[Exception] = asyncio.get_running_loop().create_future()
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    async def open(
        cls,
        connector: Connector,
        config: ServerConfig,
        kind: str,
        client_id: str,
        *,
        heartbeat: float | None,
        limits: FrameLimits,
    ) -> Link:
        """Connect through ``connector`` (which authenticates) and exchange hello; bound
        it with ``asyncio.timeout``.

        Raises AuthError for a refused key, Refused for a protocol mismatch, ConnectError
        for any other failure to get in.
        """
        socket = await connector(config, heartbeat=heartbeat, max_frame_size=limits.max_frame_size)
        api_key = config.api_key if socket.needs_auth_frame else None
        connection = ClientConnection(kind, client_id, api_key=api_key, limits=limits)
        try:
            sent_at = time.time() * 1000
            for frame in connection.start():
                socket.send(frame)
            try:
                data = await socket.receive()
            except TextFrame:
                raise ConnectError("unexpected websocket message TEXT") from None
            except SocketClosed as closed:
                refusal = close_error(closed.code, closed.reason)
                if isinstance(refusal, Refused):
                    raise refusal from None
                raise ConnectError(str(refusal)) from None
            received_at = time.time() * 1000
            hello = connection.receive_frame(data)
        except ProtocolError as error:
            await socket.close(error.code, error.reason)
            raise ConnectError(f"the project server broke the protocol: {error}") from None
        except BaseException:
            await socket.close()
            raise
        assert isinstance(hello, HelloAccepted)  # the only event before OPEN
        offset = hello.server_time - (sent_at + received_at) / 2
        return cls(socket, connection, offset)

    def start(self, on_channel: ChannelHandler, on_request: RequestHandler) -> None:
        """Begin reading; callbacks run in the reader task."""
        self._spawn(self._read(on_channel, on_request))

    # --- requests --------------------------------------------------------------------

    def send_request(
        self,
        cmd: str,
        args: dict[str, Any],
        on_answer: Callable[[dict[str, Any]], T] | None = None,
    ) -> asyncio.Future[T]:
        """Send a request now; its future gets the result (or RequestError/ConnectionLost).

        ``on_answer`` runs in the reader, before any later frame is looked at, and its
        return value becomes the future's result: use it when the answer must take effect
        before the channel messages that follow it (e.g. ``open``'s channel id).
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if self._closed.done():
            future.set_exception(self._closed.result())
            return future
        request = self.connection.new_request(cmd, args)
        self._send(request)
        self._waiting[request.request_id] = (cmd, future, on_answer)
        return future

    # --- closing ---------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed.done()

    async def wait_closed(self) -> Exception:
        """Wait until the socket is gone; returns why (ConnectionLost or Refused)."""
        return await asyncio.shield(self._closed)

    async def close(self) -> None:
        """Close the socket (code 1000) and wait for the reader to finish."""
        await self.socket.close()
        await self.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    # --- inside --------------------------------------------------------------------

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _send(self, event: Message) -> None:
        self.socket.send(self.connection.send(event))

    async def _read(self, on_channel: ChannelHandler, on_request: RequestHandler) -> None:
        reason: Exception = ConnectionLost("the connection to the project server was lost")
        try:
            while True:
                try:
                    data = await self.socket.receive()
                except TextFrame:
                    self.connection.receive_text()  # raises ProtocolError (1003)
                    continue
                event = self.connection.receive_frame(data)
                self._dispatch(event, on_channel, on_request)
        except SocketClosed as closed:
            reason = close_error(closed.code, closed.reason)
        except ProtocolError as error:
            log.warning("the project server broke the protocol: %s", error)
            reason = ConnectionLost(f"the project server broke the protocol: {error}")
            await self.socket.close(error.code, error.reason)
        except Exception as error:  # a bug of ours: start afresh on a new connection
            log.exception("handling a frame from the project server failed")
            reason = ConnectionLost(f"the client failed on a frame: {error!r}")
        finally:
            self.connection.close()
            self._closed.set_result(reason)
            for _, future, _ in self._waiting.values():
                if not future.done():
                    future.set_exception(reason)
            self._waiting.clear()
            await self.socket.close()

    def _dispatch(
        self, event: object, on_channel: ChannelHandler, on_request: RequestHandler
    ) -> None:
        if isinstance(event, ChannelMessage):
            on_channel(event.channel, event.body)
        elif isinstance(event, Response | ErrorResponse):
            self._answer(event)
        elif isinstance(event, Request):
            self._spawn(self._serve(event, on_request))

    def _answer(self, event: Response | ErrorResponse) -> None:
        cmd, future, on_answer = self._waiting.pop(event.request_id)
        if future.done():  # the caller gave up (timeout)
            return
        if isinstance(event, ErrorResponse):
            future.set_exception(RequestError(cmd, event.code, event.message))
            return
        try:
            result = event.result if on_answer is None else on_answer(event.result)
        except Exception as error:  # the answer did not make sense to the caller
            future.set_exception(error)
        else:
            future.set_result(result)

    async def _serve(self, request: Request, on_request: RequestHandler) -> None:
        try:
            result = await on_request(request.cmd, request.args)
            answer: Message = Response(request.request_id, result)
        except RequestError as error:
            answer = ErrorResponse(request.request_id, error.code, error.message)
        except Exception:
            log.exception("answering the server's %s request failed", request.cmd)
            answer = ErrorResponse(request.request_id, ErrorCode.INTERNAL, f"{request.cmd} failed")
        if not self._closed.done():
            self._send(answer)
