"""A served project, a bare protocol client, and Python clients that reach the server
directly or through a TCP proxy that can cut connections the way a network does."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
import pytest
from netproxy import Proxy

from cocalc_compute_wasm.client import Backoff, connect
from cocalc_compute_wasm.protocol import (
    ChannelMessage,
    ClientConnection,
    ErrorResponse,
    HelloAccepted,
    Response,
)
from cocalc_compute_wasm.server import keys, make_app
from cocalc_compute_wasm.server.doc_store import DocumentStore
from cocalc_compute_wasm.sync import NOTEBOOK, PatchLog

_client_ids = itertools.count(1)


class RequestFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Served:
    url: str
    project_id: str
    api_key: str
    project: object
    http: aiohttp.ClientSession

    @property
    def ws_url(self) -> str:
        return f"{self.url}{self.project_id}/raw/.smc/ws"


@dataclass
class BareClient:
    """The protocol's ClientConnection over an aiohttp websocket, nothing more: it lets
    tests say exactly what goes over the wire."""

    ws: aiohttp.ClientWebSocketResponse
    connection: ClientConnection
    channels: dict = field(default_factory=dict)

    async def receive(self, timeout: float = 5.0):
        message = await self.ws.receive(timeout)
        if message.type != aiohttp.WSMsgType.BINARY:
            return message
        event = self.connection.receive_frame(message.data)
        if isinstance(event, ChannelMessage):
            self.channels.setdefault(event.channel, []).append(event.body)
        return event

    async def call(self, cmd: str, **args) -> dict:
        request = self.connection.new_request(cmd, args)
        await self.ws.send_bytes(self.connection.send(request))
        while True:
            event = await self.receive()
            if isinstance(event, Response | ErrorResponse) and (
                event.request_id == request.request_id
            ):
                if isinstance(event, ErrorResponse):
                    raise RequestFailed(event.code, event.message)
                return event.result

    async def fails(self, cmd: str, **args) -> RequestFailed:
        """The error answer to a request that must fail."""
        try:
            result = await self.call(cmd, **args)
        except RequestFailed as failure:
            return failure
        raise AssertionError(f"{cmd} succeeded with {result}, but it should have failed")

    async def channel_message(self, channel, timeout: float = 5.0) -> dict:
        async with asyncio.timeout(timeout):
            while not self.channels.get(channel):
                await self.receive()
        return self.channels[channel].pop(0)


@pytest.fixture
async def served(aiohttp_server, project, dist):
    key, _ = keys.create_key(project.db, "test")
    server = await aiohttp_server(make_app(project, dist, save_delay=0.05))
    async with aiohttp.ClientSession() as http:
        yield Served(str(server.make_url("/")), project.project_id, key, project, http)


@pytest.fixture
def bare_client(served):
    """Open a bare client; by default authenticated by bearer header and past hello."""

    async def open_client(kind="collaborator", *, key=None, by="header", hello=True):
        key = served.api_key if key is None else key
        headers = {
            "header": {"Authorization": f"Bearer {key}"},
            "cookie": {"Cookie": f"api_key={key}"},
        }.get(by, {})
        ws = await served.http.ws_connect(served.ws_url, headers=headers)
        connection = ClientConnection(
            kind, f"client-{next(_client_ids)}", api_key=key if by == "frame" else None
        )
        client = BareClient(ws, connection)
        if hello:
            for frame in connection.start():
                await ws.send_bytes(frame)
            assert isinstance(await client.receive(), HelloAccepted)
        return client

    return open_client


FAST = Backoff(initial=0.02, maximum=0.2)


@pytest.fixture
def origin(served) -> str:
    parts = urlsplit(served.url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
async def proxy(origin):
    parts = urlsplit(origin)
    proxy = Proxy(parts.hostname, parts.port)
    proxy.url = await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture
async def open_client(served, origin):
    """``await open_client(via=proxy)``: a connected client with fast reconnects, closed
    after the test."""
    clients = []

    async def make(via: Proxy | None = None, api_key: str | None = None, **options):
        options.setdefault("backoff", FAST)
        server = via.url if via is not None else origin
        client = await connect(server, served.project_id, api_key or served.api_key, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
def stored_log(served):
    """What the server committed for a notebook, read back from its SQLite store."""

    def load(path: str) -> PatchLog:
        return DocumentStore(served.project.db).load(path, NOTEBOOK)

    return load


async def eventually(condition, timeout: float = 5.0) -> None:
    """Poll ``condition()`` until it holds (for what arrives by push)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.fixture
def until():
    return eventually
