"""The client over a FrameSocket that is not aiohttp: an in-memory pair, with a scripted
project server (the protocol's ServerConnection and a PatchLog) at the other end."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from cocalc_compute_wasm.client import (
    AuthError,
    Client,
    ConnectError,
    NotebookDoc,
    ServerConfig,
    SocketClosed,
    TextFrame,
    connect,
)
from cocalc_compute_wasm.protocol import (
    AuthRequested,
    ChannelMessage,
    CloseCode,
    Hello,
    Request,
    Response,
    ServerConnection,
)
from cocalc_compute_wasm.sync import NOTEBOOK, Accepted, ClientPatch, LogRecord, PatchLog

CHANNEL = 7


class MemorySocket:
    """One end of an in-memory FrameSocket pair: ``send`` puts the frame straight into
    the other end's inbox; a str in the inbox is a text message."""

    def __init__(self, needs_auth_frame: bool = False) -> None:
        self.needs_auth_frame = needs_auth_frame
        self.inbox: asyncio.Queue[bytes | str | SocketClosed] = asyncio.Queue()
        self.peer: MemorySocket | None = None
        self.ended: SocketClosed | None = None

    @classmethod
    def pair(cls, needs_auth_frame: bool = False) -> tuple[MemorySocket, MemorySocket]:
        a, b = cls(), cls(needs_auth_frame)
        a.peer, b.peer = b, a
        return a, b

    def send(self, frame: bytes | str) -> None:
        if self.ended is None and self.peer is not None and self.peer.ended is None:
            self.peer.inbox.put_nowait(frame)

    async def receive(self) -> bytes:
        if self.ended is not None:
            raise self.ended
        item = await self.inbox.get()
        if isinstance(item, SocketClosed):
            self.ended = item
            raise item
        if isinstance(item, str):
            raise TextFrame()
        return item

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.ended is not None:
            return
        self.ended = SocketClosed(code, reason)
        self.inbox.put_nowait(self.ended)  # wakes a receive under way
        assert self.peer is not None
        if self.peer.ended is None:
            self.peer.inbox.put_nowait(SocketClosed(code, reason))


class ScriptedServer:
    """Just enough of the project server: hello, ``open`` (an empty catch-up the first
    time), ``patch`` (ordered by a PatchLog, the record pushed back), ``close``."""

    def __init__(self, auth_frame: bool = False) -> None:
        self.auth_frame = auth_frame
        self.auth_keys: list[str] = []
        self.log = PatchLog(NOTEBOOK)
        self.connectors_called = 0
        self.sockets: list[MemorySocket] = []  # the server's ends
        self.connection = ServerConnection(authenticated=True)
        self.requests: list[Request] = []
        self.hold_patches = False
        self.text_instead_of_hello = False
        self._to_push: list[LogRecord] = []
        self._tasks: set[asyncio.Task] = set()

    @property
    def socket(self) -> MemorySocket:
        return self.sockets[-1]

    async def connector(
        self, config: ServerConfig, *, heartbeat: float | None, max_frame_size: int
    ) -> MemorySocket:
        assert config.ws_url == "http://project.test/p1/raw/.smc/ws"
        self.connectors_called += 1
        mine, theirs = MemorySocket.pair(needs_auth_frame=self.auth_frame)
        self.sockets.append(mine)
        self.connection = ServerConnection(authenticated=not self.auth_frame)
        task = asyncio.ensure_future(self._serve(mine, self.connection))
        self._tasks.add(task)
        return theirs

    async def finished(self) -> None:
        """Wait until every served socket has ended."""
        async with asyncio.timeout(1):
            await asyncio.gather(*self._tasks)

    def frames_waiting(self) -> int:
        """Frames the client has handed over that this server has not read yet."""
        return self.socket.inbox.qsize()

    def push_record(self, doc: NotebookDoc) -> None:
        """Order another replica's edits and push their records, as for a collaborator."""
        for patch in doc.take_outgoing():
            self._accept_and_push(self.socket, self.connection, patch)

    async def _serve(self, socket: MemorySocket, connection: ServerConnection) -> None:
        try:
            hello = connection.receive_frame(await socket.receive())
            if isinstance(hello, AuthRequested):
                self.auth_keys.append(hello.api_key)
                connection.accept_auth()
                hello = connection.receive_frame(await socket.receive())
            assert isinstance(hello, Hello)
            if self.text_instead_of_hello:
                socket.send("hello?")
                await socket.receive()
                return
            socket.send(connection.accept_hello(1_000_000.0, {"project_id": "p1"}))
            while True:
                event = connection.receive_frame(await socket.receive())
                assert isinstance(event, Request)
                self.requests.append(event)
                if event.cmd == "patch" and self.hold_patches:
                    continue
                result = self._answer(event)
                socket.send(connection.send(Response(event.request_id, result)))
                if event.cmd == "patch":
                    self._push_pending(socket, connection)
        except SocketClosed:
            pass

    def _answer(self, request: Request) -> dict[str, Any]:
        if request.cmd == "open":
            catch_up = self.log.catch_up(request.args.get("since", 0))
            return {
                "channel": CHANNEL,
                "path": request.args["path"],
                "catch_up": catch_up.to_wire(),
                "presence": {"participants": []},
                "save_error": None,
            }
        if request.cmd == "patch":
            patch = ClientPatch.from_wire(NOTEBOOK, request.args["patch"])
            outcome = self.log.accept(patch)
            assert isinstance(outcome, Accepted)
            self._to_push = [outcome.record]
            return {"seq": outcome.record.seq, "duplicate": False}
        if request.cmd == "close":
            return {}
        raise AssertionError(f"unexpected request {request.cmd}")

    def _push_pending(self, socket: MemorySocket, connection: ServerConnection) -> None:
        for record in self._to_push:
            body = {"record": record.to_wire()}
            socket.send(connection.send(ChannelMessage(CHANNEL, body)))
        self._to_push = []

    def _accept_and_push(
        self, socket: MemorySocket, connection: ServerConnection, patch: ClientPatch
    ) -> None:
        outcome = self.log.accept(patch)
        assert isinstance(outcome, Accepted)
        self._to_push = [outcome.record]
        self._push_pending(socket, connection)


async def _connect(server: ScriptedServer, **options: Any) -> Client:
    return await connect(
        "http://project.test", "p1", "sk-test", connector=server.connector, **options
    )


async def test_a_client_works_over_an_in_memory_socket():
    server = ScriptedServer()
    client = await _connect(server)
    assert client.connected
    assert client.server_time_ms() == pytest.approx(1_000_000.0, abs=5_000)  # offset from hello

    nb = await client.open_notebook("work.ipynb")
    assert nb.path == "work.ipynb"
    assert nb.doc.confirmed_seq == 0  # the catch-up was empty
    assert nb.cell_ids() == []
    assert [r.cmd for r in server.requests] == ["open"]
    assert server.requests[0].args == {"path": "work.ipynb", "since": 0}

    cell = nb.insert_cell(input="1 + 1")
    await nb.synced(1)  # acknowledged by the pushed record of its own patch
    assert server.log.value == nb.doc.value
    assert nb.doc.confirmed_seq == 1

    # a record pushed for another client's edit
    bob = NotebookDoc("bob")
    bob.catch_up(server.log.catch_up(0))
    bob.set_input(cell, "2 + 2")
    changes = []
    nb.on_change(changes.append)
    server.push_record(bob)
    async with asyncio.timeout(1):
        while nb.doc.confirmed_seq < 2:
            await asyncio.sleep(0)
    assert nb.cell(cell)["input"] == "2 + 2"
    assert any(cell in c.cell_ids for c in changes)

    await client.close()
    assert [r.cmd for r in server.requests] == ["open", "patch", "close"]
    assert server.socket.peer.ended is not None  # the client closed its end
    await server.finished()  # and the server saw the end
    assert not client.connected


@pytest.mark.parametrize("auth_frame", [False, True])
async def test_the_key_goes_in_an_auth_frame_only_when_the_socket_could_not_carry_it(auth_frame):
    server = ScriptedServer(auth_frame=auth_frame)
    client = await _connect(server)
    assert client.connected
    assert server.auth_keys == (["sk-test"] if auth_frame else [])
    await client.close()


async def test_send_is_synchronous():
    """Frames are with the peer when the edit returns, before the loop turns once."""
    server = ScriptedServer()
    client = await _connect(server, request_timeout=0.1)
    nb = await client.open_notebook("sync.ipynb")
    await asyncio.sleep(0)
    assert server.frames_waiting() == 0

    cell = nb.insert_cell(input="a")
    assert server.frames_waiting() == 1
    server.hold_patches = True  # no acknowledgement: each edit is a patch of its own
    nb.set_input(cell, "ab")
    nb.set_input(cell, "abc")
    assert server.frames_waiting() == 3
    # still without yielding: the frames are the patch requests, in order
    frames = [server.socket.inbox.get_nowait() for _ in range(3)]
    assert server.frames_waiting() == 0
    requests = [server.connection.receive_frame(frame) for frame in frames]
    assert [r.cmd for r in requests] == ["patch"] * 3
    numbers = [r.args["patch"]["local_number"] for r in requests]
    assert numbers == [1, 2, 3]
    await client.close()  # the held patches time out: a warning, and the socket closes
    await server.finished()


async def test_a_close_code_from_the_socket_stops_or_reconnects_the_client(until_true):
    server = ScriptedServer()
    client = await _connect(server)
    states: list[tuple[str, str]] = []
    client.on_state(lambda state, detail: states.append((state, detail)))
    await client.open_notebook("drop.ipynb")
    await server.socket.close(1011, "server restarting")  # not a refusal: reconnect
    await until_true(lambda: server.connectors_called == 2 and client.connected)
    await until_true(lambda: [r.cmd for r in server.requests][-1:] == ["open"])
    assert server.requests[-1].args == {"path": "drop.ipynb", "since": 0}
    assert [state for state, _ in states] == ["reconnecting", "connected"]
    assert "server restarting" in states[0][1]

    server.socket.send("a text message")  # the protocol's 1003: close, then reconnect
    dropped = server.socket
    await until_true(lambda: server.connectors_called == 3 and client.connected)
    assert dropped.ended is not None
    assert dropped.ended.code == CloseCode.UNSUPPORTED_DATA
    assert "text messages are not part of the protocol" in dropped.ended.reason

    await server.socket.close(CloseCode.UNAUTHORIZED, "the API key has been revoked")
    await until_true(lambda: client.error is not None)
    assert isinstance(client.error, AuthError)
    assert "revoked (close code 4401)" in str(client.error)
    with pytest.raises(AuthError):
        await client.open_notebook("other.ipynb")
    await asyncio.sleep(0.05)
    assert server.connectors_called == 3  # a refusal is not retried
    assert states[-1][0] == "stopped"
    assert "revoked" in states[-1][1]


async def test_a_text_frame_during_hello_is_a_connect_error():
    server = ScriptedServer()
    server.text_instead_of_hello = True
    with pytest.raises(ConnectError, match="unexpected websocket message TEXT"):
        await _connect(server)
    assert server.socket.peer.ended is not None  # the client closed its end
    await server.finished()  # and the server saw the end


@pytest.fixture
def until_true():
    async def wait(condition, timeout: float = 1.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.001)

    return wait


def test_the_client_imports_without_aiohttp():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["aiohttp"] = None  # any import of aiohttp now fails
        import cocalc_compute_wasm.client as client
        import cocalc_compute_wasm.client.api
        import cocalc_compute_wasm.client.connection
        import cocalc_compute_wasm.client.notebook
        import cocalc_compute_wasm.client.socket
        assert client.connect and client.Client and client.Link and client.Notebook
        try:
            import cocalc_compute_wasm.client.aiohttp_socket
        except ImportError:
            pass
        else:
            raise AssertionError("aiohttp was not blocked")
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
