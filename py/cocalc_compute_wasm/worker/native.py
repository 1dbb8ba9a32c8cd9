"""`cocalc-compute worker --native`: this CPython process becomes a compute client.

The server assigns notebooks to it; each gets a `NotebookService`: the runner core over
the notebook's live document, and a kernel in a child process. The connection (with its
reconnects and resends) stays in this process, so a cell keeps running, and its outputs
keep being buffered, while the socket is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..client import Client, Notebook, connect
from ..client.errors import RequestError
from ..kernel.events import ExecuteReply, KernelEvent, Output
from ..protocol import ErrorCode
from ..runner import Execute, Runner, SendInput
from .kernel_host import KernelDied, KernelProcess

log = logging.getLogger(__name__)


class NotebookService:
    """Runs one notebook's cells: feeds the runner core, carries out its actions."""

    def __init__(self, client: Client, notebook: Notebook, cwd: Path) -> None:
        self.client = client
        self.notebook = notebook
        self.runner = Runner(notebook.doc)
        self.kernel = KernelProcess(cwd)
        self._tick: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self._pumping = False
        self._restarting = False
        self.released = False
        self._unsubscribe: Callable[[], None] = lambda: None

    def now(self) -> float:
        return self.client.server_time_ms()

    async def start(self) -> None:
        await self._report("starting")
        await self.kernel.start()
        if self.released:
            return
        self.runner.doc_changed()
        self._unsubscribe = self.notebook.on_change(lambda changes: self._changed(changes.cell_ids))
        self._pump()
        await self._report("idle")

    def release(self) -> None:
        """Stop acting on the notebook at once: another runner has it now, and two runners
        must never take the same cell. The kernel is stopped by stop()."""
        if self.released:
            return
        self.released = True
        self._unsubscribe()
        if self._tick is not None:
            self._tick.cancel()
        for task in self._tasks:
            task.cancel()

    async def stop(self) -> None:
        self.release()
        await self.kernel.stop()
        with contextlib.suppress(Exception):  # a close that fails leaves it open, edits kept
            await self.notebook.close(timeout=5)

    # --- control, from collaborators through the server ------------------------------

    async def control(self, args: dict[str, Any]) -> dict[str, Any]:
        action = args.get("action")
        if action == "interrupt":
            self.kernel.interrupt()
            self.runner.interrupt()
            self._pump()
            return {"interrupted": True}
        if action == "restart":
            self.runner.restart(self.now())
            self._pump()
            self._restarting = True
            try:
                await self._report("starting")
                await self.kernel.restart()
            finally:
                self._restarting = False
            await self._report("idle")
            return {"restarted": True}
        if action == "stdin":
            self.runner.input_reply(str(args.get("value", "")), self.now())
            self._pump()
            return {}
        if action == "more_output":
            outputs = self.runner.more_output(str(args.get("cell_id")))
            return {"outputs": outputs}
        raise RequestError("control", ErrorCode.BAD_REQUEST, f"unknown action {action!r}")

    # --- the loop: runner actions out, kernel events in -------------------------------

    def _changed(self, cell_ids) -> None:
        if not self._pumping:
            self.runner.doc_changed(cell_ids)
            self._pump()

    def _pump(self) -> None:
        """Carry out what the runner asks, send its edits, and wake it when it wants."""
        if self.released:
            return
        self._pumping = True
        try:
            for action in self.runner.take_actions():
                if isinstance(action, Execute):
                    self._spawn(self._execute(action))
                elif isinstance(action, SendInput):
                    self.kernel.send_stdin(action.value)
            self.notebook.flush()
        finally:
            self._pumping = False
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        deadline = self.runner.next_deadline()
        if deadline is not None:
            delay = max(0.0, (deadline - self.now()) / 1000)
            self._tick = asyncio.get_running_loop().call_later(delay, self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        self.runner.tick(self.now())
        self._pump()

    async def _execute(self, action: Execute) -> None:
        self._spawn(self._report("busy"))  # presence: not worth a round trip before the run
        self.runner.execution_started()
        self._pump()

        def on_event(event: KernelEvent) -> None:
            self.runner.kernel_event(event, self.now())
            self._pump()

        try:
            reply = await self.kernel.execute(action.code, on_event)
        except KernelDied as died:
            if self._restarting:
                return  # the runner already ended the cell; the new kernel is coming
            log.warning("%s: %s; starting a new kernel", self.notebook.path, died)
            on_event(Output(_kernel_died_output(str(died))))
            reply = ExecuteReply("error", None)
            self.runner.execution_finished(reply, self.now())
            self._pump()
            await self._report("dead")
            await self.kernel.restart()
        else:
            self.runner.execution_finished(reply, self.now())
            self._pump()
        self._spawn(self._report("idle"))

    async def _report(self, state: str) -> None:
        try:
            await self.notebook.report_kernel(state)
        except Exception as error:  # presence is best effort; the cells are what matter
            log.debug("kernel state %s not reported: %s", state, error)

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _kernel_died_output(reason: str) -> dict[str, Any]:
    return {
        "output_type": "error",
        "ename": "KernelDied",
        "evalue": reason,
        "traceback": [f"The kernel died: {reason}. A new kernel was started."],
    }


class NativeWorker:
    """Serves every notebook the server assigns to this compute client.

    Its handlers must be given to `connect()`, so that no assignment that arrives with
    the hello is missed: `client = await connect(..., **worker.handlers())`.
    """

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.services: dict[str, NotebookService] = {}
        self._starting: dict[str, asyncio.Task] = {}
        self._releasing: set[asyncio.Task] = set()
        self._client: asyncio.Future[Client] = asyncio.get_running_loop().create_future()

    def handlers(self) -> dict[str, Any]:
        return {"on_message": self._on_message, "request_handler": self._on_request}

    async def serve(self, client: Client) -> None:
        """Serve until cancelled; kernels are stopped on the way out."""
        self._client.set_result(client)
        try:
            await asyncio.Event().wait()
        finally:
            for service in self.services.values():
                await service.stop()
            await asyncio.gather(*self._releasing, return_exceptions=True)

    def _on_message(self, channel: object, body: dict[str, Any]) -> None:
        assignments = body.get("assignments")
        if channel != "runner" or not isinstance(assignments, list):
            return
        wanted = {path for path in assignments if isinstance(path, str)}
        for path in wanted - self._starting.keys():
            self._starting[path] = asyncio.ensure_future(self._serve(path))
        for path in self._starting.keys() - wanted:
            starting = self._starting.pop(path)
            service = self.services.pop(path, None)
            if service is None:
                starting.cancel()  # not open yet: nothing to let go of
                continue
            service.release()
            task = asyncio.ensure_future(service.stop())
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)
            log.info("no longer serving %s", path)

    async def _serve(self, path: str) -> NotebookService:
        client = await self._client
        notebook = await client.open_notebook(path)
        service = self.services[path] = NotebookService(client, notebook, self.cwd)
        await service.start()
        log.info("serving %s", path)
        return service

    async def _on_request(self, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        path = args.get("path")
        if cmd != "control" or not isinstance(path, str) or path not in self._starting:
            raise RequestError(cmd, ErrorCode.NOT_FOUND, f"this worker does not serve {path!r}")
        service = await self._starting[path]
        return await service.control(args)


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
        server, project_id, api_key, kind="compute", **worker.handlers()
    ) as client:
        with contextlib.suppress(asyncio.CancelledError):
            await worker.serve(client)
