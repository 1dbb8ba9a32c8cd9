"""Python clients against the real project server, directly or through a TCP proxy that
can cut connections the way a network does (no close frame)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from cocalc_compute_wasm.client import Backoff, connect
from cocalc_compute_wasm.server.doc_store import DocumentStore
from cocalc_compute_wasm.sync import NOTEBOOK, PatchLog

FAST = Backoff(initial=0.02, maximum=0.2)


class Proxy:
    """Forwards TCP to the server. ``drop()`` aborts every connection on both ends; with
    ``blackhole`` set, what the server sends is swallowed (acks that never arrive); with
    ``refuse`` set, new connections are cut at once (the server is unreachable)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.blackhole = False
        self.refuse = False
        self.connections = 0
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.drop()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def drop(self) -> None:
        for pair in list(self._pairs):
            for writer in pair:
                writer.transport.abort()
        self._pairs.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.refuse:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        pair = (writer, up_writer)
        self._pairs.add(pair)
        await asyncio.gather(
            self._pipe(reader, up_writer, downstream=False),
            self._pipe(up_reader, writer, downstream=True),
            return_exceptions=True,
        )
        self._pairs.discard(pair)
        for end in pair:
            end.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, downstream: bool
    ) -> None:
        while data := await reader.read(65536):
            if downstream and self.blackhole:
                continue
            writer.write(data)
            await writer.drain()
        writer.transport.abort()


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
