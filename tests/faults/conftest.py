"""Fault tests: a project server as a real process that can be SIGKILLed and restarted on
the same port and folder, and native compute workers as `cocalc-compute worker --native`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from netproxy import Proxy

from cocalc_compute_wasm.client import Backoff, connect

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]
FAST = Backoff(initial=0.05, maximum=0.5)


class ServerProcess:
    """`cocalc-compute serve PROJECT_DIR`: started, killed, started again where it was."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.api_key = ""
        self.project_id = ""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, "serve", str(self.project_dir), "--port", str(self.port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = json.loads(self.process.stdout.readline())
        self.port = int(ready["url"].rstrip("/").rsplit(":", 1)[1])
        self.project_id = ready["project_id"]
        self.api_key = ready["api_key"] or self.api_key  # a key only on the first start

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, no save, whatever was in flight is cut."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
            self.process.stdout.close()

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "API_SERVER": self.origin,
            "PROJECT_ID": self.project_id,
            "API_KEY": self.api_key,
        }


@pytest.fixture
def server(dist, tmp_path):
    """A project server process (the browser build must exist: it refuses to start
    without one)."""
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    served = ServerProcess(project_dir)
    served.start()
    yield served
    served.stop()


@pytest.fixture
async def native_worker(server, proxy, tmp_path):
    """``native_worker(origin)``: start `cocalc-compute worker --native` on the project
    reached at ``origin`` (the server's own by default, or a proxy's); stopped after the
    test, and its log printed (pytest shows it when the test fails)."""
    workers = []
    log_path = tmp_path / "worker.log"

    def start(origin: str | None = None) -> subprocess.Popen:
        with log_path.open("a") as log:
            worker = subprocess.Popen(
                [*COMMAND, "worker", "--native", "--cwd", str(server.project_dir)],
                env={**server.env(), "API_SERVER": origin or server.origin},
                stderr=log,
            )
        workers.append(worker)
        return worker

    # Stopped before any proxy it uses, and waited for off the loop that runs the proxies:
    # its goodbye (closing notebooks, stopping kernels) needs the server.
    yield start
    try:
        for worker in workers:
            worker.terminate()
            try:
                await asyncio.to_thread(worker.wait, 20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)
                raise
    finally:
        if log_path.exists():
            print(log_path.read_text())


@pytest.fixture
async def proxy(server):
    """``await proxy()``: a TCP proxy to the server that can cut or refuse connections;
    it outlives the server's restarts (same port)."""
    proxies = []

    async def make() -> Proxy:
        made = Proxy("127.0.0.1", server.port)
        made.url = await made.start()
        proxies.append(made)
        return made

    yield make
    for made in proxies:
        await made.stop()


@pytest.fixture
async def collaborator(server):
    """``await collaborator()``: a collaborator's client with fast reconnects."""
    clients = []

    async def make(origin: str | None = None):
        client = await connect(
            origin or server.origin, server.project_id, server.api_key, backoff=FAST
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
