"""One websocket connection on the server side: its protocol state and its outbox.

Sending never blocks the server: frames go into a bounded outbox drained by a writer
task. A client that stops reading fills its outbox and is disconnected with a reason,
instead of making the server buffer without limit or stall other clients.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from ..protocol import (
    ChannelMessage,
    CloseCode,
    ErrorResponse,
    LocalProtocolError,
    Request,
    Response,
    ServerConnection,
)

if TYPE_CHECKING:
    from .session import NotebookSession

log = logging.getLogger(__name__)

MAX_OUTBOX_BYTES = 64 << 20
"""How far (in bytes of frames) a client may fall behind before it is disconnected."""
_peer_ids = itertools.count(1)


class CommandError(Exception):
    """A request failed in a way the client should hear: becomes an `ok: false` answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Peer:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        connection: ServerConnection,
        max_outbox_bytes: int = MAX_OUTBOX_BYTES,
    ) -> None:
        self.id = next(_peer_ids)
        self.ws = ws
        self.connection = connection
        self.client_id = ""
        self.kind = ""
        self.channels: dict[int, NotebookSession] = {}
        self._next_channel = itertools.count(1)
        self._outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._outbox_bytes = 0
        self.max_outbox_bytes = max_outbox_bytes
        self._behind = False  # the outbox overflowed: the client stopped reading
        self._pending: dict[int, asyncio.Future] = {}
        self.closed = False
        self._closer: asyncio.Future | None = None
        self.writer = asyncio.ensure_future(self._write())

    def __repr__(self) -> str:
        return f"<Peer {self.id} {self.kind} {self.client_id!r}>"

    # --- channels ------------------------------------------------------------------

    def add_channel(self, session: NotebookSession) -> int:
        for channel, open_session in self.channels.items():
            if open_session is session:
                return channel
        channel = next(self._next_channel)
        self.channels[channel] = session
        return channel

    def session(self, channel: object) -> NotebookSession:
        session = self.channels.get(channel) if isinstance(channel, int) else None
        if session is None:
            raise CommandError("not_found", f"no open document on channel {channel!r}")
        return session

    # --- sending -------------------------------------------------------------------

    def send_channel(self, channel: int | str, body: dict) -> None:
        self._send(ChannelMessage(channel, body))

    def respond(self, request: Request, result: dict) -> None:
        try:
            frame = self.connection.send(Response(request.request_id, result))
        except LocalProtocolError as error:  # a server bug; still answer the request
            log.error("%r: cannot answer %s: %s", self, request.cmd, error)
            self.respond_error(request, "internal", f"{request.cmd}: the answer was malformed")
            return
        self.send_frame(frame)

    def respond_error(self, request: Request, code: str, message: str) -> None:
        self._send(ErrorResponse(request.request_id, code, message))

    async def request(self, cmd: str, args: dict) -> dict:
        """Ask the client something (the server's control messages to a runner)."""
        if self.closed:
            raise CommandError("internal", "the client disconnected")
        request = self.connection.new_request(cmd, args)
        future = asyncio.get_running_loop().create_future()
        self._pending[request.request_id] = future
        try:
            self._send(request)
            return await future
        finally:
            self._pending.pop(request.request_id, None)

    def resolve(self, answer: Response | ErrorResponse) -> None:
        future = self._pending.get(answer.request_id)
        if future is None or future.done():
            return
        if isinstance(answer, ErrorResponse):
            future.set_exception(CommandError(answer.code, answer.message))
        else:
            future.set_result(answer.result)

    def _send(self, event: ChannelMessage | Response | ErrorResponse | Request) -> None:
        if self.closed:
            return
        try:
            frame = self.connection.send(event)
        except LocalProtocolError as error:
            log.warning("%r: not sent: %s", self, error)
            return
        self.send_frame(frame)

    @property
    def backlog(self) -> int:
        """Bytes of frames queued and not yet handed to the socket."""
        return self._outbox_bytes

    def send_frame(self, frame: bytes) -> None:
        """Queue an encoded frame (the handshake answers come encoded from the protocol)."""
        if self.closed:
            return
        if self._outbox_bytes + len(frame) > self.max_outbox_bytes:
            self._behind = True
            self.close(CloseCode.POLICY_VIOLATION, "too far behind: the client is not reading")
            return
        self._outbox_bytes += len(frame)
        self._outbox.put_nowait(frame)

    async def _write(self) -> None:
        while (frame := await self._outbox.get()) is not None:
            self._outbox_bytes -= len(frame)
            try:
                await self.ws.send_bytes(frame)
            except (ConnectionError, RuntimeError):
                break

    # --- closing -------------------------------------------------------------------

    def close(self, code: int, reason: str) -> None:
        """Close after what is queued has been sent (or at once when it cannot be)."""
        if self.closed:
            return
        self.closed = True
        for future in self._pending.values():
            if not future.done():
                future.set_exception(CommandError("internal", "the client disconnected"))
        self._outbox.put_nowait(None)
        self._closer = asyncio.ensure_future(self._close_ws(code, reason))

    async def closing(self) -> None:
        """Wait until the socket is closed."""
        if self._closer is not None:
            await self._closer

    async def _close_ws(self, code: int, reason: str) -> None:
        message = reason.encode()[:123]
        if not self._behind:
            await self.writer
            await self.ws.close(code=code, message=message)
            return
        # Too far behind: it reads nothing, so neither the queue nor the socket's buffer
        # will drain. The close frame goes in after what the socket holds (the client
        # finds the reason if it ever reads again), and nothing waits for it to drain.
        self.writer.cancel()
        await self.ws.close(code=code, message=message, drain=False)
