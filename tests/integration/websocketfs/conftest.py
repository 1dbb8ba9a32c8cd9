"""paramiko's SFTPClient, the judge of the WebSocketFS server, over a websocket.

paramiko runs in a worker thread and talks to `WebSocketChannel` as to an SSH channel
(send/recv of a byte stream); the channel cuts the stream into packets, one websocket
message each, and the websocket itself lives in the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import struct
from dataclasses import dataclass

import aiohttp
import paramiko
import pytest


class WebSocketChannel:
    """The parts of paramiko's Channel that SFTPClient uses, over an aiohttp websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, loop: asyncio.AbstractEventLoop):
        self.ws, self.loop = ws, loop
        self.incoming: queue.Queue[bytes | None] = queue.Queue()
        self.received = bytearray()
        self.outgoing = bytearray()
        self.timeout: float | None = 60.0
        self.pump = loop.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    self.incoming.put(message.data)
        finally:
            self.incoming.put(None)

    def _await(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def send(self, data: bytes) -> int:
        self.outgoing += data
        while len(self.outgoing) >= 4:
            size = 4 + struct.unpack(">I", self.outgoing[:4])[0]
            if len(self.outgoing) < size:
                break
            packet = bytes(self.outgoing[:size])
            del self.outgoing[:size]
            self._await(self.ws.send_bytes(packet))
        return len(data)

    def recv(self, n: int) -> bytes:
        while not self.received:
            item = self.incoming.get(timeout=self.timeout)
            if item is None:
                self.incoming.put(None)
                return b""
            self.received += item
        out = bytes(self.received[:n])
        del self.received[:n]
        return out

    def recv_ready(self) -> bool:
        return bool(self.received) or not self.incoming.empty()

    def settimeout(self, timeout: float | None) -> None:
        self.timeout = timeout

    def gettimeout(self) -> float | None:
        return self.timeout

    def setblocking(self, blocking: bool) -> None:
        self.timeout = None if blocking else 0.0

    def get_name(self) -> str:
        return "websocketfs"

    def close(self) -> None:
        self._await(self.ws.close())


@dataclass
class Sftp:
    """A paramiko SFTPClient whose blocking calls run off the loop: `await sftp.call(...)`."""

    client: paramiko.SFTPClient
    channel: WebSocketChannel

    async def call(self, method: str, *args, **kwargs):
        if method == "statvfs_ok":
            return await asyncio.to_thread(self._statvfs)
        return await asyncio.to_thread(getattr(self.client, method), *args, **kwargs)

    @contextlib.asynccontextmanager
    async def open(self, path: str, mode: str):
        """An SFTPFile, closed off the loop too (its close is a blocking request)."""
        remote = await self.call("open", path, mode)
        try:
            yield remote
        finally:
            await asyncio.to_thread(remote.close)

    async def call_on(self, remote, method: str, *args):
        """A blocking call on an open SFTPFile, off the loop."""
        return await asyncio.to_thread(getattr(remote, method), *args)

    def _statvfs(self) -> bool:
        """statvfs@openssh.com, which paramiko does not wrap: its eleven uint64s."""
        kind, message = self.client._request(paramiko.sftp.CMD_EXTENDED, "statvfs@openssh.com", "/")
        assert kind == paramiko.sftp.CMD_EXTENDED_REPLY
        values = [message.get_int64() for _ in range(11)]
        return values[0] > 0 and values[2] > 0


@pytest.fixture
def fs_url(served) -> str:
    return f"{served.url}{served.project_id}/raw/.smc/websocketfs"


@pytest.fixture
def bearer(served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served.api_key}"}


@pytest.fixture
async def sftp(served, fs_url, bearer):
    ws = await served.http.ws_connect(fs_url, headers=bearer, max_msg_size=0)
    channel = WebSocketChannel(ws, asyncio.get_running_loop())
    client = await asyncio.to_thread(paramiko.SFTPClient, channel)
    yield Sftp(client, channel)
    await asyncio.to_thread(client.close)
    await channel.pump
