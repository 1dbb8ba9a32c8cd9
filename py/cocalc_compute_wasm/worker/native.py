"""`cocalc-compute worker --native`: this CPython process becomes a compute client.

The server assigns notebooks to it; each gets a `NotebookService` (``service``): the
runner core over the notebook's live document, and a kernel in a child process. The
connection (with its reconnects and resends) stays in this process, so a cell keeps
running, and its outputs keep being buffered, while the socket is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from pathlib import Path

from ..client import connect
from .kernel_host import KernelProcess
from .service import ComputeWorker, worker_client_id


class NativeWorker(ComputeWorker):
    """A compute worker whose kernels are child processes started in ``cwd``."""

    def __init__(self, cwd: Path) -> None:
        super().__init__(lambda: KernelProcess(cwd))
        self.cwd = cwd


async def run_native_worker(
    server: str | None, project_id: str | None, api_key: str | None, cwd: Path
) -> None:
    """Serve until SIGINT or SIGTERM, then stop every kernel on the way out."""
    stopping = asyncio.current_task()
    assert stopping is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.cancel)
    worker = NativeWorker(cwd)
    async with await connect(
        server,
        project_id,
        api_key,
        kind="compute",
        client_id=worker_client_id("native", uuid.uuid4().hex),
        **worker.handlers(),
    ) as client:
        with contextlib.suppress(asyncio.CancelledError):
            await worker.serve(client)
