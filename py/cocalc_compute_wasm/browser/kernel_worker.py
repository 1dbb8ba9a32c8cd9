"""Kernels of the browser's compute worker: each a Pyodide worker of its own (kernel.js).

`WorkerKernel` is the KernelHost the runner drives, as `KernelProcess` is on a native
host: a cell's events come back as messages, an interrupt is a SIGINT written into the
worker's interrupt buffer, input() is answered through a shared stdin slot, and a
restart terminates the worker and takes a fresh one. Booting Pyodide and IPython takes
seconds, so `KernelPool` keeps one kernel booted ahead: a notebook assigned, or a
restart, takes it at once and the pool boots the next in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..kernel.events import ExecuteReply, KernelEvent
from ..worker.service import KernelDied, relay_events

log = logging.getLogger(__name__)

BOOT_TIMEOUT = 180.0
"""A fresh browser profile on a slow machine boots Pyodide and IPython in seconds; this
only catches a kernel worker that will never come up."""

Spawn = Callable[[Any], Any]
"""kernel-handle.js's ``spawnKernel(config)``: a handle with ``listen``, ``send``,
``interrupt``, ``writeStdin``, ``terminate`` and ``shared``."""


class BootingKernel:
    """One kernel worker from its spawn on: its messages are queued from the first, so
    that none is lost before a `WorkerKernel` takes it over."""

    def __init__(self, spawn: Spawn, config: Any, on_change: Callable[[], None]) -> None:
        from pyodide.ffi import create_proxy

        self.state = "booting"
        self.phase = ""
        self.report: dict[str, Any] = {}
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ready: asyncio.Future[dict[str, Any]] = asyncio.get_event_loop().create_future()
        self._on_change = on_change
        self._proxy = create_proxy(self._on_message)
        self.handle = spawn(config)
        self.handle.listen(self._proxy)

    @property
    def shared_memory(self) -> bool:
        return bool(self.handle.shared)

    def terminate(self, why: str) -> None:
        if self.state == "ended":
            return
        self.handle.terminate()
        self._proxy.destroy()
        self._end(why)

    def _end(self, why: str) -> None:
        self.state = "ended"
        if not self.ready.done():
            self.ready.set_exception(KernelDied(why))
        self.messages.put_nowait({"type": "ended", "message": why})
        self._on_change()

    def _on_message(self, data: Any) -> None:
        message = data.to_py()
        kind = message.get("type")
        if kind == "phase":
            self.phase = str(message.get("phase", ""))
            self._on_change()
        elif kind == "ready":
            self.state = "ready"
            self.report = message
            if not self.ready.done():
                self.ready.set_result(message)
            self._on_change()
        elif kind == "error":
            why = f"a kernel worker failed ({message.get('phase')}): {message.get('message')}"
            log.error("%s", why)
            self.handle.terminate()
            self._end(why)
        else:
            self.messages.put_nowait(message)


class KernelPool:
    """Hands out booting-or-ready kernel workers and keeps ``spare`` more booting."""

    def __init__(
        self,
        spawn: Spawn,
        config: Any,
        spare: int = 1,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._spawn = spawn
        self._config = config
        self._spare_count = spare
        self._on_change = on_change
        self.spares: list[BootingKernel] = []

    def fill(self) -> None:
        """Boot spares until there are ``spare`` of them (call once to start)."""
        self.spares = [k for k in self.spares if k.state != "ended"]
        while len(self.spares) < self._spare_count:
            self.spares.append(self._boot())
        self._on_change()

    def take(self) -> BootingKernel:
        self.spares = [k for k in self.spares if k.state != "ended"]
        kernel = self.spares.pop(0) if self.spares else self._boot()
        self.fill()
        return kernel

    def _boot(self) -> BootingKernel:
        return BootingKernel(self._spawn, self._config, self._on_change)

    def stop(self) -> None:
        for kernel in self.spares:
            kernel.terminate("the compute worker stopped")
        self.spares = []

    def status(self) -> list[dict[str, Any]]:
        return [{"state": k.state, "phase": k.phase} for k in self.spares]

    def kernel(self) -> WorkerKernel:
        """A KernelFactory for ComputeWorker."""
        return WorkerKernel(self)


class WorkerKernel:
    """The KernelHost of a notebook served by the browser."""

    def __init__(self, pool: KernelPool) -> None:
        self._pool = pool
        self._worker: BootingKernel | None = None
        self.executing = False

    @property
    def interruptible(self) -> bool:
        return self._worker is not None and self._worker.shared_memory

    @property
    def report(self) -> dict[str, Any]:
        """What the kernel worker said when it was ready (versions, boot times, heap)."""
        return self._worker.report if self._worker else {}

    @property
    def gpu(self) -> dict[str, Any] | None:
        """The kernel's GPU as it found it when it started (kernel_side's report)."""
        return self.report.get("gpu")

    async def start(self) -> None:
        self._worker = self._pool.take()
        async with asyncio.timeout(BOOT_TIMEOUT):
            await self._worker.ready

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.terminate("the kernel was stopped")
            self._worker = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def execute(self, code: str, on_event: Callable[[KernelEvent], None]) -> ExecuteReply:
        worker = self._worker
        if worker is None or worker.state != "ready":
            raise KernelDied("the kernel worker is not running")

        async def receive() -> dict[str, Any]:
            message = await worker.messages.get()
            if message.get("type") == "ended":
                raise KernelDied(str(message.get("message")))
            return message

        worker.handle.send(_to_js({"op": "execute", "code": code}))
        self.executing = True
        try:
            return await relay_events(receive, on_event)
        finally:
            self.executing = False

    def interrupt(self) -> None:
        if self._worker is not None and self.executing:
            self._worker.handle.interrupt()

    def send_stdin(self, value: str) -> None:
        if self._worker is None or not self._worker.handle.writeStdin(value):
            log.warning("input() could not be answered: no stdin slot, or the line is too long")


def _to_js(value: dict[str, Any]) -> Any:
    import js
    from pyodide.ffi import to_js

    return to_js(value, dict_converter=js.Object.fromEntries)
