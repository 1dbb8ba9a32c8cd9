"""A compute client's work, whatever hosts its kernels: serve every notebook the server
assigns, each with the runner core over its live document and a kernel of its own.

The kernel host is the only part that differs between hosts: a child process on a
native host (`native`), a Pyodide worker in a browser (`..browser`). Everything here
runs in an asyncio loop that stays free while cells run, so the connection (reconnects,
resends, control requests) is always served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..client import Client, Notebook
from ..client.errors import RequestError
from ..kernel.events import ExecuteReply, KernelEvent, Output
from ..kernel.wire import event_from_wire
from ..notebook import INPUT
from ..protocol import ErrorCode
from ..runner import Execute, Runner, SendInput

log = logging.getLogger(__name__)

RECENT_ERRORS = 20
"""How many problems a worker remembers for a person looking at it."""
BUSY_PRESENCE_DELAY = 0.1
"""A cell that ends sooner is not announced as a busy kernel: collaborators would only
see a flicker, and the two presence updates would cost as much as the cell."""


WORKER_FLAVOURS = ("browser", "native")
"""Compute workers name themselves ``compute-<flavour>-<hex>``, so that collaborators can
tell (from presence) what serves their notebook."""


def worker_client_id(flavour: str, unique: str) -> str:
    """The client id of a compute worker of ``flavour`` (``unique``: no dashes)."""
    if flavour not in WORKER_FLAVOURS:
        raise ValueError(f"a worker flavour is one of {', '.join(WORKER_FLAVOURS)}")
    return f"compute-{flavour}-{unique}"


def worker_flavour(client_id: str) -> str:
    """The flavour in a compute client's id; "compute" for another client of the protocol."""
    parts = client_id.split("-", 2)
    return parts[1] if len(parts) == 3 and parts[1] in WORKER_FLAVOURS else "compute"


class KernelDied(Exception):
    """The kernel ended while it was needed; the message says how."""


class KernelHost(Protocol):
    """One kernel the runner drives. ``execute`` raises KernelDied when the kernel ends
    under it; ``interrupt`` and ``send_stdin`` never wait. ``interruptible`` is False
    where an interrupt cannot reach a running cell (a browser without shared memory).
    ``gpu`` is what the kernel said about its GPU (its `gpu.summary()`), published to
    collaborators; None where the host does not tell."""

    @property
    def interruptible(self) -> bool: ...

    @property
    def gpu(self) -> dict[str, Any] | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def restart(self) -> None: ...

    async def execute(self, code: str, on_event: Callable[[KernelEvent], None]) -> ExecuteReply: ...

    def interrupt(self) -> None: ...

    def send_stdin(self, value: str) -> None: ...


KernelFactory = Callable[[], KernelHost]


async def relay_events(
    receive: Callable[[], Awaitable[dict[str, Any]]], on_event: Callable[[KernelEvent], None]
) -> ExecuteReply:
    """Hand a running cell's events (wire dicts from ``receive``) to ``on_event`` until
    the reply that ends it, which is returned."""
    while True:
        event = event_from_wire(await receive())
        if isinstance(event, ExecuteReply):
            return event
        on_event(event)


class NotebookService:
    """Runs one notebook's cells: feeds the runner core, carries out its actions."""

    def __init__(
        self,
        client: Client,
        notebook: Notebook,
        kernel: KernelHost,
        on_change: Callable[[], None] = lambda: None,
        on_error: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.client = client
        self.notebook = notebook
        self.runner = Runner(notebook.doc)
        self.kernel = kernel
        self.kernel_state = "starting"
        self._on_change = on_change
        self._on_error = on_error
        self._tick: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self._pumping = False
        self._restarting = False
        self.released = False
        self._unsubscribe: Callable[[], None] = lambda: None

    def now(self) -> float:
        return self.client.server_time_ms()

    def status(self) -> dict[str, Any]:
        """What a person watching this worker wants to know about the notebook."""
        running = self.runner.current_cell
        source = None
        if running is not None:
            cell = self.notebook.cell(running) or {}
            lines = str(cell.get(INPUT, "")).strip().split("\n")
            source = lines[0] + (" …" if len(lines) > 1 else "")
        return {
            "path": self.notebook.path,
            "kernel": self.kernel_state,
            "running": None if running is None else {"id": running, "input": source},
            "queued": len(self.runner.queued()),
        }

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
            return {"interrupted": self.kernel.interruptible}
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
                    # the code goes to the kernel now: "run" and "busy" are one patch
                    self.runner.execution_started()
                    self._spawn(self._execute(action))
                elif isinstance(action, SendInput):
                    self.kernel.send_stdin(action.value)
            self.notebook.flush()
        finally:
            self._pumping = False
        self._on_change()
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
        self._set_kernel_state("busy")
        announced = False

        def announce_busy() -> None:
            nonlocal announced
            announced = True
            self._spawn(self._report("busy"))

        announce = asyncio.get_running_loop().call_later(BUSY_PRESENCE_DELAY, announce_busy)

        def on_event(event: KernelEvent) -> None:
            self.runner.kernel_event(event, self.now())
            self._pump()

        try:
            reply = await self.kernel.execute(action.code, on_event)
        except KernelDied as died:
            if self._restarting:
                return  # the runner already ended the cell; the new kernel is coming
            log.warning("%s: %s; starting a new kernel", self.notebook.path, died)
            self._on_error(f"the kernel died ({died}); a new one was started")
            on_event(Output(_kernel_died_output(str(died))))
            reply = ExecuteReply("error", None)
            self.runner.execution_finished(reply, self.now())
            self._pump()
            await self._report("dead")
            announced = True  # collaborators saw "dead": they must hear "idle" too
            await self.kernel.restart()
        else:
            self.runner.execution_finished(reply, self.now())
            self._pump()
        finally:
            announce.cancel()
        if announced:
            self._spawn(self._report("idle"))
        else:
            self._set_kernel_state("idle")

    def _set_kernel_state(self, state: str) -> None:
        """For this worker's own status only; `_report` also tells collaborators."""
        self.kernel_state = state
        self._on_change()

    async def _report(self, state: str) -> None:
        self._set_kernel_state(state)
        try:
            await self.notebook.report_kernel(state, self.kernel.gpu)
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


class ComputeWorker:
    """Serves every notebook the server assigns to this compute client, each with a
    kernel from ``kernel_factory``.

    Its handlers must be given to `connect()`, so that no assignment that arrives with
    the hello is missed: `client = await connect(..., **worker.handlers())`.
    ``on_change`` is called (synchronously, often) whenever ``status()`` may differ.
    """

    def __init__(
        self, kernel_factory: KernelFactory, on_change: Callable[[], None] = lambda: None
    ) -> None:
        self.kernel_factory = kernel_factory
        self.services: dict[str, NotebookService] = {}
        self.errors: deque[dict[str, Any]] = deque(maxlen=RECENT_ERRORS)
        self._on_change = on_change
        self._starting: dict[str, asyncio.Task] = {}
        self._assigned: set[str] = set()  # the notebooks the server last said are ours
        self._releasing: set[asyncio.Task] = set()
        self._client: asyncio.Future[Client] = asyncio.get_running_loop().create_future()

    def handlers(self) -> dict[str, Any]:
        return {"on_message": self._on_message, "request_handler": self._on_request}

    def status(self) -> dict[str, Any]:
        """The notebooks assigned (starting ones included) and recent problems."""
        notebooks = [
            self.services[path].status()
            if path in self.services
            else {"path": path, "kernel": "opening", "running": None, "queued": 0}
            for path in sorted(self._starting)
        ]
        return {"notebooks": notebooks, "errors": list(self.errors)}

    def record_error(self, message: str, path: str | None = None) -> None:
        self.errors.append({"time": time.time() * 1000, "path": path, "message": message})
        self._on_change()

    async def control(self, path: str, args: dict[str, Any]) -> dict[str, Any]:
        """Carry out a control action (interrupt, restart, stdin, more_output) on a
        notebook this worker serves, as if a collaborator had asked through the server."""
        if path not in self._starting:
            raise RequestError("control", ErrorCode.NOT_FOUND, f"not serving {path!r}")
        service = await self._starting[path]
        return await service.control(args)

    async def serve(self, client: Client) -> None:
        """Serve until cancelled; kernels are stopped on the way out, and the worker can
        serve again (through another client)."""
        self._client.set_result(client)
        try:
            await asyncio.Event().wait()
        finally:
            for starting in self._starting.values():
                starting.cancel()
            for service in self.services.values():
                await service.stop()
            await asyncio.gather(*self._releasing, return_exceptions=True)
            self.services.clear()
            self._starting.clear()
            self._assigned.clear()
            self._client = asyncio.get_running_loop().create_future()
            self._on_change()

    def _on_message(self, channel: object, body: dict[str, Any]) -> None:
        assignments = body.get("assignments")
        if channel != "runner" or not isinstance(assignments, list):
            return
        self._assigned = {path for path in assignments if isinstance(path, str)}
        self._reconcile()

    def _reconcile(self) -> None:
        """Serve what the server assigns, let go of the rest. A notebook that is being
        re-opened after a reconnect is kept until its open is answered: a restarted
        server assigns nothing to a compute client that just said hello, and learns
        that it serves the notebook only from that open (whose assignments come before
        its answer), so letting go earlier would kill a running cell for nothing."""
        for path in self._assigned - self._starting.keys():
            self._starting[path] = asyncio.ensure_future(self._serve(path))
        for path in self._starting.keys() - self._assigned:
            service = self.services.get(path)
            if service is not None and not service.notebook.attached:
                continue  # decided again when it is open: `_serve` watches for that
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
        self._on_change()

    async def _serve(self, path: str) -> NotebookService:
        client = await self._client
        try:
            notebook = await client.open_notebook(path)
            service = self.services[path] = NotebookService(
                client,
                notebook,
                self.kernel_factory(),
                self._on_change,
                lambda message: self.record_error(message, path),
            )
            notebook.on_change(lambda changes: changes.presence and self._reconcile())
            await service.start()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.record_error(f"cannot serve it: {error}", path)
            raise
        log.info("serving %s", path)
        return service

    async def _on_request(self, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        path = args.get("path")
        if cmd != "control":
            raise RequestError(cmd, ErrorCode.BAD_REQUEST, f"a compute worker has no {cmd!r}")
        if not isinstance(path, str):
            raise RequestError(cmd, ErrorCode.BAD_REQUEST, "control needs a notebook path")
        return await self.control(path, args)
