"""The client session: ``await connect()``, open notebooks, and stay connected.

One Client is one client id (stable for its whole life, across reconnects, so that the
server recognises resent patches) and at most one live Link at a time. When the socket
drops, a supervisor task reconnects with backoff, re-opens every open notebook from its
replica's confirmed seq and resends the pending patches. Only a refusal (bad key, other
protocol) stops it: then every waiter raises that error.

The socket comes from a ``Connector`` (``socket.py``); ``connect()`` uses aiohttp's
(``aiohttp_socket``) unless given another, and only then imports aiohttp, so that this
module also loads where aiohttp is absent (a browser worker brings its own connector).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from ..protocol import ChannelId, ClientKind, ErrorCode, FrameLimits
from .backoff import Backoff
from .config import ServerConfig, resolve_config
from .connection import Link, RequestHandler
from .errors import (
    ClientClosed,
    ClientError,
    ConfigError,
    ConnectError,
    ConnectionLost,
    Refused,
    RequestError,
)
from .notebook import Notebook
from .notebook_doc import NotebookDoc
from .socket import Connector

log = logging.getLogger(__name__)

MessageCallback = Callable[[ChannelId, dict[str, Any]], None]
StateCallback = Callable[[str, str], None]
"""(state, detail): "connected", "reconnecting" (detail: why) or "stopped" (why)."""


async def connect(
    server: str | None = None,
    project_id: str | None = None,
    api_key: str | None = None,
    base_path: str | None = None,
    kind: str = ClientKind.COLLABORATOR,
    client_id: str | None = None,
    *,
    request_timeout: float = 30.0,
    connect_timeout: float = 10.0,
    heartbeat: float | None = 20.0,
    backoff: Backoff | None = None,
    on_message: MessageCallback | None = None,
    request_handler: RequestHandler | None = None,
    connector: Connector | None = None,
    config: ServerConfig | None = None,
) -> Client:
    """Connect to a project; arguments left out come from ``API_SERVER``, ``PROJECT_ID``,
    ``API_KEY`` and ``BASE_PATH``/``API_BASE_PATH``.

    ``on_message`` and ``request_handler`` are installed before the first hello, so that
    a compute client hears the server's first words (its notebook assignments).

    The first connection is not retried: ConfigError, AuthError or ConnectError say what
    is wrong. ``client_id`` names this session to the server; never reuse one that another
    live session uses (a fresh one is made by default).

    ``connector`` opens each socket (the first and every reconnect); by default an aiohttp
    websocket with the key in an ``Authorization: Bearer`` header. ``config`` replaces
    the four location arguments (a browser page makes its own: its key may be a cookie).
    """
    config = config or resolve_config(server, project_id, api_key, base_path)
    if kind not in tuple(ClientKind):
        raise ConfigError(f"kind must be one of {', '.join(ClientKind)}, not {kind!r}")
    client = Client(
        config,
        ClientKind(kind),
        client_id or f"{kind}-{uuid.uuid4().hex}",
        request_timeout=request_timeout,
        connect_timeout=connect_timeout,
        heartbeat=heartbeat,
        backoff=backoff or Backoff(),
        connector=connector,
    )
    if on_message is not None:
        client.on_message(on_message)
    client.set_request_handler(request_handler)
    await client._start()
    return client


class Client:
    """A connection to one project that heals itself; make it with ``connect()``."""

    def __init__(
        self,
        config: ServerConfig,
        kind: ClientKind,
        client_id: str,
        *,
        request_timeout: float,
        connect_timeout: float,
        heartbeat: float | None,
        backoff: Backoff,
        connector: Connector | None = None,
    ) -> None:
        self.config = config
        self.kind = kind
        self.client_id = client_id
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.heartbeat = heartbeat
        self.backoff = backoff
        self.limits = FrameLimits()
        self.error: BaseException | None = None
        """Why this client stopped for good (Refused, ClientClosed); None while it lives."""
        self.connector = connector or _default_connector()
        self._link: Link | None = None
        self._ready = asyncio.Event()  # set while a link is up, or once the client stopped
        self._clock_offset_ms = 0.0
        self._rng = random.Random()
        self._open: dict[str, Notebook] = {}  # open notebooks by canonical path
        self._docs: dict[str, NotebookDoc] = {}  # every replica ever opened: see open_notebook
        self._aliases: dict[str, str] = {}  # path as asked -> canonical path
        self._channels: dict[int, Notebook] = {}  # channel ids of the current link
        self._message_callbacks: list[MessageCallback] = []
        self._state_callbacks: list[StateCallback] = []
        self._request_handler: RequestHandler | None = None
        self._supervisor: asyncio.Task | None = None

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"<Client {self.client_id} {state} to {self.config.ws_url}>"

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def project_id(self) -> str:
        return self.config.project_id

    @property
    def connected(self) -> bool:
        return self._link is not None and not self._link.closed

    def server_time_ms(self) -> float:
        """The server's clock now (ms since the epoch), as learnt at the last hello."""
        return time.time() * 1000 + self._clock_offset_ms

    # --- notebooks -------------------------------------------------------------------

    async def open_notebook(self, path: str) -> Notebook:
        """Open (or return the already open) notebook at ``path`` in the project.

        A notebook opened before in this session continues its replica from where it
        stood: the server knows this client id's earlier patches, so a fresh replica
        could not tell them from its own.
        """
        async with asyncio.timeout(self.request_timeout):
            while True:
                known = self._aliases.get(path, path)
                if known in self._open:
                    return self._open[known]
                link = await self._ready_link()
                doc = self._docs.get(known)
                args = {"path": path, "since": doc.confirmed_seq if doc else 0}
                try:
                    return await link.send_request("open", args, partial(self._opened, link, path))
                except ConnectionLost:
                    continue  # the supervisor reconnects; ask again on the new link

    def _opened(self, link: Link, path: str, result: dict[str, Any]) -> Notebook:
        """The answer to ``open``, in the reader (records on its channel follow it)."""
        canonical = result.get("path")
        if not isinstance(canonical, str):
            raise ClientError(f"open {path}: the server sent no path: {result!r}")
        self._aliases[path] = canonical
        if canonical in self._open:  # opened meanwhile, maybe under another spelling
            return self._open[canonical]
        doc = self._docs.setdefault(canonical, NotebookDoc(self.client_id))
        notebook = Notebook(self, canonical, doc)
        self._open[canonical] = notebook
        try:
            return notebook._attach(link, result)
        except BaseException:
            self._forget(notebook)
            raise

    def _forget(self, notebook: Notebook) -> None:
        if self._open.get(notebook.path) is notebook:
            del self._open[notebook.path]
        for channel, owner in list(self._channels.items()):
            if owner is notebook:
                del self._channels[channel]

    # --- for compute clients -----------------------------------------------------------

    def on_message(self, callback: MessageCallback) -> Callable[[], None]:
        """Call ``callback(channel, body)`` for channel messages that are not a document's
        (e.g. ``runner``: ``{assigned: path}``); returns a function that unsubscribes."""
        self._message_callbacks.append(callback)
        return lambda: self._message_callbacks.remove(callback)

    def on_state(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback(state, detail)`` whenever the connection comes up, drops (or
        a reconnect fails) or stops for good; returns a function that unsubscribes."""
        self._state_callbacks.append(callback)
        return lambda: self._state_callbacks.remove(callback)

    def _tell_state(self, state: str, detail: str = "") -> None:
        for callback in list(self._state_callbacks):
            try:
                callback(state, detail)
            except Exception:
                log.exception("on_state callback failed")

    def set_request_handler(self, handler: RequestHandler | None) -> None:
        """Answer the server's requests (``control`` for a runner) with ``handler``;
        without one they are answered ``unknown_command``."""
        self._request_handler = handler

    # --- closing -----------------------------------------------------------------------

    async def close(self) -> None:
        """Close every notebook (each waits, within the request timeout, until the server
        has its edits), then the connection."""
        if self.error is not None:
            return
        results = await asyncio.gather(
            *(notebook.close() for notebook in list(self._open.values())),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                log.warning("closing a notebook failed, unacknowledged edits are lost: %r", result)
        await self._stop(ClientClosed("the client was closed"))

    async def _stop(self, error: BaseException) -> None:
        if self.error is not None:
            return
        self.error = error
        if self._supervisor is not None and self._supervisor is not asyncio.current_task():
            self._supervisor.cancel()
        for notebook in list(self._open.values()):
            notebook._shut(error)
        self._ready.set()
        self._tell_state("stopped", str(error))
        if self._link is not None:
            await self._link.close()

    # --- the connection ----------------------------------------------------------------

    async def _start(self) -> None:
        """The first connection: failures are raised, not retried."""
        link = await self._open_link()
        self._install(link)
        self._supervisor = asyncio.ensure_future(self._supervise(link))

    async def _open_link(self) -> Link:
        try:
            async with asyncio.timeout(self.connect_timeout):
                return await Link.open(
                    self.connector,
                    self.config,
                    self.kind,
                    self.client_id,
                    heartbeat=self.heartbeat,
                    limits=self.limits,
                )
        except TimeoutError:
            raise ConnectError(
                f"no connection to {self.config.ws_url} within {self.connect_timeout:g} s"
            ) from None

    def _install(self, link: Link) -> None:
        self._link = link
        self._clock_offset_ms = link.clock_offset_ms
        self._channels.clear()
        link.start(self._on_channel, self._on_request)
        for notebook in self._open.values():
            notebook._reattach(link)
        self._ready.set()
        self._tell_state("connected")

    async def _supervise(self, link: Link) -> None:
        """Reconnect whenever the link drops, until the client is closed or refused."""
        reason: BaseException
        try:
            while True:
                reason = await link.wait_closed()
                self._ready.clear()
                self._channels.clear()
                for notebook in self._open.values():
                    notebook._detach()
                if isinstance(reason, Refused):
                    break
                log.warning("%s; reconnecting", reason)
                self._tell_state("reconnecting", str(reason))
                link = await self._reconnect()
        except Refused as refusal:
            reason = refusal
        except Exception as error:  # a bug: stop visibly rather than hang every waiter
            log.exception("client %s: reconnecting failed", self.client_id)
            reason = error
        log.error("client %s stops: %s", self.client_id, reason)
        await self._stop(reason)

    async def _reconnect(self) -> Link:
        for attempt, delay in enumerate(self.backoff.delays(self._rng), 1):
            await asyncio.sleep(delay)
            try:
                link = await self._open_link()
            except ConnectError as error:
                log.info("reconnect attempt %d failed: %s", attempt, error)
                self._tell_state("reconnecting", str(error))
                continue
            log.info("reconnected after %d attempt(s)", attempt)
            self._install(link)
            return link
        raise AssertionError("backoff delays never end")  # pragma: no cover

    async def _ready_link(self) -> Link:
        while True:
            if self.error is not None:
                raise self.error
            if self._link is not None and not self._link.closed:
                return self._link
            await self._ready.wait()

    def _on_channel(self, channel: ChannelId, body: dict[str, Any]) -> None:
        if isinstance(channel, int):
            notebook = self._channels.get(channel)
            if notebook is not None:
                notebook._receive(body)
            return  # a notebook closed a moment ago
        for callback in list(self._message_callbacks):
            try:
                callback(channel, body)
            except Exception:
                log.exception("on_message callback failed")

    async def _on_request(self, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        if self._request_handler is None:
            raise RequestError(cmd, ErrorCode.UNKNOWN_COMMAND, f"a {self.kind} client has no {cmd}")
        return await self._request_handler(cmd, args)


def _default_connector() -> Connector:
    """aiohttp's connector, imported only when no other is given."""
    from .aiohttp_socket import connect_aiohttp

    return connect_aiohttp
