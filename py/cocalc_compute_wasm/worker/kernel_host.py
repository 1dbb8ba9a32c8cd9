"""The worker's side of a kernel process: start, execute, interrupt, answer input,
restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from ..kernel.events import ExecuteReply, KernelEvent
from .pipe_frames import FrameError, decode_body, decode_length, encode
from .service import KernelDied, relay_events

START_TIMEOUT = 60.0


class KernelProcess:
    """A kernel in a child process (`kernel_process`): a SIGINT reaches any cell. Its
    GPU is not published: WebGPU arrays live in the browser kernel only."""

    interruptible = True
    gpu = None

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer_fd: int | None = None
        self._transport: asyncio.ReadTransport | None = None
        self.executing = False

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self) -> None:
        to_kernel_read, to_kernel_write = os.pipe()
        from_kernel_read, from_kernel_write = os.pipe()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cocalc_compute_wasm.worker.kernel_process",
            "--fd-in",
            str(to_kernel_read),
            "--fd-out",
            str(from_kernel_write),
            "--cwd",
            str(self.cwd),
            pass_fds=(to_kernel_read, from_kernel_write),
            stdin=asyncio.subprocess.DEVNULL,
        )
        os.close(to_kernel_read)
        os.close(from_kernel_write)
        self._writer_fd = to_kernel_write
        loop = asyncio.get_running_loop()
        self._reader = asyncio.StreamReader(limit=1 << 20)
        self._transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(self._reader), os.fdopen(from_kernel_read, "rb")
        )
        async with asyncio.timeout(START_TIMEOUT):
            ready = await self._receive()
        if ready.get("event") != "ready":
            raise KernelDied(f"the kernel process said {ready!r} instead of ready")

    async def execute(self, code: str, on_event: Callable[[KernelEvent], None]) -> ExecuteReply:
        """Run a cell; `on_event` gets every event as it arrives."""
        self._send({"op": "execute", "code": code})
        self.executing = True
        try:
            return await relay_events(self._receive, on_event)
        finally:
            self.executing = False

    def interrupt(self) -> None:
        if self._process and self._process.returncode is None and self.executing:
            self._process.send_signal(signal.SIGINT)

    def send_stdin(self, value: str) -> None:
        self._send({"value": value})

    async def stop(self) -> None:
        if self._writer_fd is not None:
            os.close(self._writer_fd)
            self._writer_fd = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._process and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def _send(self, message: dict) -> None:
        if self._writer_fd is None:
            raise KernelDied("the kernel process is not running")
        data = encode(message)
        try:
            while data:
                data = data[os.write(self._writer_fd, data) :]
        except OSError as error:
            raise KernelDied(f"the kernel process ended ({error})") from None

    async def _receive(self) -> dict:
        try:
            header = await self._reader.readexactly(4)
            return decode_body(await self._reader.readexactly(decode_length(header)))
        except (asyncio.IncompleteReadError, FrameError):
            code = await self._process.wait() if self._process else None
            raise KernelDied(f"the kernel process ended (exit status {code})") from None
