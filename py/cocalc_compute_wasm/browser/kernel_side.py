"""The inside of a kernel worker (kernel.js): one IPython kernel, cells one at a time.

Messages come from the compute worker (``{op: "execute", code}``) and go back as the
kernel's wire events, batched for streams like a native kernel process's. The worker's
JavaScript gives two synchronous helpers when the page is cross-origin isolated:
``read_stdin()`` blocks on the shared stdin slot (None when interrupted first), and the
interrupt buffer, which Pyodide polls while Python runs. Pyodide's ``time.sleep`` spins
without looking at that buffer, so it is replaced by one that waits in short slices on
``wait_ms`` (an ``Atomics.wait``) and stops at an interrupt. As it starts, the kernel
also asks the browser for its GPU (`gpu.attach`, beside the warm-up) and says in its
``ready`` message what it found.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from .. import gpu
from ..kernel.batching import StreamBatcher
from ..kernel.events import INTERRUPTED_EARLY, ExecuteReply, InputRequest, Output
from ..kernel.wire import event_to_wire
from . import packages, project_files
from .after_import import after_import
from .heap import heap_bytes

SLEEP_SLICE = 0.05
"""Longest uninterruptible stretch of a sleeping cell (seconds)."""

HOME = project_files.DEFAULT_MOUNT
"""The notebooks' working directory, where the project's files are mounted."""
WARM_UP = "1 + 1"


class KernelSide:
    def __init__(
        self,
        post: Callable[[Any], None],
        read_stdin: Any | None,
        interrupt_buffer: Any | None,
        index_url: str,
    ) -> None:
        from ..kernel import Kernel

        self._post = post
        self._interrupt_buffer = interrupt_buffer
        self._batcher = StreamBatcher(self._send)
        self._read_stdin = read_stdin
        self.kernel = Kernel(stdin=self._ask if read_stdin is not None else None, cwd=HOME)
        self.kernel.shell.input_transformers_cleanup.append(packages.pip_lines)
        self._index_url = index_url
        self._packages_ready = False

    def use_packages(self) -> None:
        """Point micropip at the project's index, before the first cell runs: importing
        micropip takes 0.1-0.2 s, which a kernel's boot (and so a restart) need not
        pay. Done inside the cell, an interrupt stops it as it stops the cell."""
        if not self._packages_ready:
            packages.use_project_index(self._index_url)
            self._packages_ready = True

    def _send(self, message: dict[str, Any]) -> None:
        import js
        from pyodide.ffi import to_js

        self._post(to_js(message, dict_converter=js.Object.fromEntries))

    def _ask(self, prompt: str, password: bool) -> str:
        self._batcher.emit(InputRequest(prompt, password))
        assert self._read_stdin is not None
        value = self._read_stdin()
        if value is None:
            raise KeyboardInterrupt
        return str(value)

    async def handle(self, data: Any) -> None:
        """One message from the compute worker (JS calls this; a JsProxy comes in). A
        failure here is a broken kernel: the compute worker replaces it."""
        try:
            await self._handle(data.to_py())
        except Exception as error:
            self._send({"type": "error", "phase": "kernel", "message": repr(error)})

    async def _handle(self, message: dict[str, Any]) -> None:
        if message.get("op") != "execute":
            return
        try:
            self.use_packages()
            reply = await self.kernel.execute(str(message.get("code", "")), self._batcher.emit)
        except KeyboardInterrupt:
            self._batcher.emit(Output(INTERRUPTED_EARLY))
            reply = ExecuteReply("error", None)
        finally:
            # an interrupt that comes after the cell ended has nothing to stop
            if self._interrupt_buffer is not None:
                self._interrupt_buffer[0] = 0
        self._batcher.flush()
        self._send(event_to_wire(reply))


def interruptible_sleep(wait_ms: Callable[[float], Any], interrupt_buffer: Any) -> Callable:
    """A ``time.sleep`` that an interrupt stops, as SIGINT stops it in CPython."""

    def sleep(seconds: float) -> None:
        if not isinstance(seconds, int | float):
            raise TypeError(
                f"'{type(seconds).__name__}' object cannot be interpreted as an integer"
            )
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            wait_ms(min(left, SLEEP_SLICE) * 1000)
            if interrupt_buffer[0] != 0:
                interrupt_buffer[0] = 0
                raise KeyboardInterrupt

    return sleep


async def start(
    post: Any,
    read_stdin: Any | None,
    interrupt_buffer: Any | None,
    wait_ms: Any | None,
    index_url: str,
    snapshot: Any | None = None,
    files_exchange: Any | None = None,
    files_mount: Any | None = None,
) -> KernelSide:
    """Start the kernel, warm it up, mount the project's files, and tell the compute
    worker it is ready. `index_url` is the project's package index, micropip's only one;
    `snapshot` is how pyodide-boot.js booted ({url, used, error}; None without a
    snapshot); `files_exchange` is the file link (None without shared memory),
    `files_mount(ops, path)` mounts project-fs.js's file system."""
    import IPython
    import pyodide_js

    if wait_ms is not None and interrupt_buffer is not None:
        time.sleep = interruptible_sleep(wait_ms, interrupt_buffer)
    started = time.perf_counter()
    # urllib.request (which `requests` imports too) costs ~200 ms to import and would grow
    # the snapshot's memory past what a restore holds: set up when a cell imports it
    for name in ("urllib.request", "urllib3"):
        after_import(name, lambda _module: _install_urllib_handler())
    os.makedirs(HOME, exist_ok=True)
    attaching = asyncio.ensure_future(gpu.attach())  # the browser answers while we warm up
    warm_up = await _warm_up()
    await attaching
    files = _mount_files(files_exchange, files_mount)
    side = KernelSide(post, read_stdin, interrupt_buffer, index_url)
    side._send(
        {
            "type": "ready",
            "python": sys.version.split()[0],
            "pyodide": str(pyodide_js.version),
            "ipython": IPython.__version__,
            "warm_up": warm_up,
            "kernel_ms": (time.perf_counter() - started) * 1000,
            "heap_bytes": heap_bytes(),
            "stdin": read_stdin is not None,
            "interrupt": interrupt_buffer is not None,
            "snapshot": snapshot.to_py() if snapshot is not None else None,
            "files": files,
            "gpu": gpu.summary(),
        }
    )
    return side


@functools.cache  # once, whichever of the two came first
def _install_urllib_handler() -> None:
    from . import urllib_handler

    urllib_handler.install()


def _mount_files(exchange: Any | None, mount: Any | None) -> dict[str, Any]:
    """Mount the project at HOME (after the warm-up, which must not reach the server)."""
    if exchange is None or mount is None:
        why = "this page is not cross-origin isolated, so the kernel has no shared memory"
        project_files.attach(None, why)
        return {"mounted": None, "why": why}
    link = project_files.ProjectLink(exchange, mount)
    project_files.attach(link)
    return {"mounted": link.mount(HOME), "why": ""}


async def _warm_up() -> dict[str, Any]:
    """Run one cell in a throwaway kernel: the first cell of a process pays for IPython's
    lazy imports and compiler set-up, which should not land on a user's first cell, and
    the user's kernel starts from a clean namespace at [1]."""
    from ..kernel import Kernel

    outputs: list[dict[str, Any]] = []

    def collect(event: Any) -> None:
        if isinstance(event, Output):
            outputs.append(event.output)

    reply = await Kernel(cwd=HOME).execute(WARM_UP, collect)
    return {"code": WARM_UP, "status": reply.status, "outputs": outputs}
