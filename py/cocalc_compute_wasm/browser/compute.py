"""The compute worker's Python (worker.js): join the project as a compute client and
serve every notebook the server assigns, each with a kernel worker of its own.

The page learns everything through ``post``: ``status`` messages (throttled) with the
connection, the notebooks served, their kernels and queues, and recent problems; one
``ready`` message the first time the worker is connected and a kernel is up; ``error``
when connecting fails (``needsKey`` when a key would help). The page sends back
``{op: "connect", apiKey}``, ``{op: "control", id, path, action}`` (interrupt, restart:
the same control a collaborator sends through the server) and ``{op: "disconnect"}``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from ..client import Client, connect
from ..client.config import resolve_config
from ..client.errors import AuthError, ClientError
from ..worker.service import ComputeWorker, worker_client_id
from .heap import heap_bytes
from .kernel_worker import KernelPool, Spawn
from .websocket import connect_browser, websocket_url

log = logging.getLogger(__name__)

STATUS_INTERVAL = 0.1
"""Least time between two status messages to the page (seconds)."""
CONTROL_ACTIONS = ("interrupt", "restart")


def features(isolated: bool, gpu: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """What this page can do, and why not where it cannot. `gpu` is what a kernel
    found when it started (`gpu.summary()`; None while none has)."""
    no_isolation = (
        "the page is not cross-origin isolated (it needs the COOP/COEP headers the project"
        " server sends), so there is no shared memory"
    )
    return {
        "stdin": {"on": isolated, "why": "" if isolated else no_isolation},
        "interrupt": {"on": isolated, "why": "" if isolated else no_isolation},
        "files": {"on": isolated, "why": "" if isolated else no_isolation},
        "gpu": gpu_feature(gpu),
    }


def gpu_feature(gpu: dict[str, Any] | None) -> dict[str, Any]:
    """The GPU line of the page: which adapter, or why there is none."""
    if gpu is None:
        return {"on": False, "why": "no kernel has started yet"}
    if not gpu["available"]:
        return {"on": False, "why": gpu["why"]}
    name = " ".join(filter(None, (gpu["vendor"], gpu["architecture"], gpu["description"])))
    kind = "a software (fallback) adapter, on the CPU" if gpu["fallback"] else "a hardware adapter"
    reads = (
        "results read with await, or without it (JSPI)"
        if gpu["sync_reads"]
        else f"results read with await (not without: {gpu['sync_reads_why']})"
    )
    return {"on": True, "why": "", "detail": f"{name or 'unnamed adapter'}, {kind}; {reads}"}


class BrowserCompute:
    def __init__(
        self,
        config: dict[str, Any],
        post: Any,
        spawn: Spawn,
        js_config: Any,
        kernel_spawned_at: float,
        snapshot: dict[str, Any] | None = None,
        set_files_access: Callable[[str, str | None], None] | None = None,
    ) -> None:
        import js

        self.snapshot = snapshot
        self._set_files_access = set_files_access

        self.config = config
        self._post = post
        self.isolated = bool(js.crossOriginIsolated)
        self.client_id = ""
        self.connection = {"state": "disconnected", "detail": ""}
        self.client: Client | None = None
        self._serving: asyncio.Task | None = None
        self._started = time.perf_counter()
        self._ready_sent = False
        self._status_due: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self.pool = KernelPool(spawn, js_config, spare=1, on_change=self.changed)
        self.worker = ComputeWorker(self.pool.kernel, on_change=self.changed)
        self.pool.fill()
        self._spawn(self._first_kernel(kernel_spawned_at))

    async def _first_kernel(self, spawned_at: float) -> None:
        """End the page's "kernel" phase (worker.js began it when it spawned the kernel,
        at ``spawned_at`` on this worker's ``performance.now()`` clock)."""
        import js

        (kernel,) = self.pool.spares
        try:
            await kernel.ready
        except Exception as error:
            self.worker.record_error(str(error))
            return
        ms = js.performance.now() - spawned_at
        self.post({"type": "phase", "phase": "kernel", "status": "done", "ms": ms})

    # --- the connection ----------------------------------------------------------------

    async def connect(self, api_key: str | None) -> bool:
        """Connect (once at a time); False, with an error posted, when that fails."""
        if self.client is not None:
            return True
        self._set_connection("connecting")
        # a new client starts with empty replicas: under an old id, the server would
        # take its first patches for resends of the old client's
        self.client_id = worker_client_id("browser", uuid.uuid4().hex)
        try:
            server_config = resolve_config(
                self.config["server"],
                self.config["projectId"],
                api_key or None,
                self.config["basePath"],
                environ={},
                key_optional=True,
            )
            self.client = await connect(
                kind="compute",
                client_id=self.client_id,
                connector=connect_browser,
                config=server_config,
                **self.worker.handlers(),
            )
        except ClientError as error:
            self._refused(error, api_key is None)
            return False
        self.client.on_state(self._on_client_state)
        if self._set_files_access is not None:
            self._set_files_access(websocket_url(server_config.files_url), api_key or None)
        self._set_connection("connected")
        self._serving = asyncio.ensure_future(self.worker.serve(self.client))
        return True

    def _refused(self, error: BaseException, by_cookie: bool) -> None:
        """Tell the page why there is no connection, and whether a key would help."""
        needs_key = isinstance(error, AuthError) or (by_cookie and "cookie" in str(error))
        message = str(error)
        if needs_key and by_cookie and "api_key cookie" not in message:
            message = "this browser has no API key for the project (no api_key cookie)"
        self._set_connection("disconnected", message)
        self.post({"type": "error", "phase": "connect", "message": message, "needsKey": needs_key})

    async def disconnect(self) -> None:
        if self._serving is not None:
            self._serving.cancel()
            await asyncio.gather(self._serving, return_exceptions=True)
            self._serving = None
        client, self.client = self.client, None
        if client is not None:
            await client.close()
        self._set_connection("disconnected", "disconnected from this page")

    def _on_client_state(self, state: str, detail: str) -> None:
        if state == "reconnecting" and self.connection["state"] == "connected":
            self.worker.record_error(f"connection lost: {detail}")  # once per outage
        if state == "stopped":
            client, self.client = self.client, None
            if client is None:
                return  # disconnect() closed it
            # refused for good (a revoked key): let go, so that the page can connect again
            if self._serving is not None:
                self._serving.cancel()
                self._serving = None
            self._refused(client.error or ConnectionError(detail), by_cookie=False)
            return
        self._set_connection(state, detail)

    def _set_connection(self, state: str, detail: str = "") -> None:
        self.connection = {"state": state, "detail": detail}
        self.changed()

    # --- the page ------------------------------------------------------------------------

    def page_message(self, data: Any) -> None:
        message = data.to_py()
        op = message.get("op")
        if op == "connect":
            self._spawn(self.connect(message.get("apiKey") or None))
        elif op == "disconnect":
            self._spawn(self.disconnect())
        elif op == "control":
            self._spawn(self._control(message))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _control(self, message: dict[str, Any]) -> None:
        answer: dict[str, Any] = {"type": "control", "id": message.get("id")}
        action = message.get("action")
        try:
            if action not in CONTROL_ACTIONS:
                raise ValueError(f"unknown action {action!r}: one of {', '.join(CONTROL_ACTIONS)}")
            answer["result"] = await self.worker.control(
                str(message.get("path")), {"action": action}
            )
        except Exception as error:
            answer["error"] = str(error)
            self.worker.record_error(f"{action} failed: {error}", message.get("path"))
        self.post(answer)

    def post(self, message: dict[str, Any]) -> None:
        import js
        from pyodide.ffi import to_js

        self._post(to_js(message, dict_converter=js.Object.fromEntries))

    def changed(self) -> None:
        """Something the page shows may have changed: post the status soon (at once
        when that makes the worker ready: the page's start time is measured by it)."""
        if not self._ready_sent and self._is_ready():
            if self._status_due is not None:
                self._status_due.cancel()
            self._post_status()
        elif self._status_due is None:
            loop = asyncio.get_event_loop()
            self._status_due = loop.call_later(STATUS_INTERVAL, self._post_status)

    def _is_ready(self) -> bool:
        """Connected, with a kernel up."""
        kernels = [k.state for k in self.pool.spares]
        kernels += [s.kernel_state for s in self.worker.services.values()]
        up = "ready" in kernels or "idle" in kernels or "busy" in kernels
        return self.connection["state"] == "connected" and up

    def _post_status(self) -> None:
        self._status_due = None
        status = self.status()
        self.post({"type": "status", "status": status})
        if not self._ready_sent and self._is_ready():
            self._ready_sent = True
            self.post(
                {
                    "type": "ready",
                    "ms": (time.perf_counter() - self._started) * 1000,
                    "kernel": self.kernel_report(),
                    "worker_heap_bytes": heap_bytes(),
                    "worker_snapshot": self.snapshot,
                    "crossOriginIsolated": self.isolated,
                }
            )

    def kernel_report(self) -> dict[str, Any]:
        reports = [k.report for k in self.pool.spares if k.state == "ready"]
        reports += [
            service.kernel.report
            for service in self.worker.services.values()
            if service.kernel.report
        ]
        return reports[0] if reports else {}

    def status(self) -> dict[str, Any]:
        return {
            "project": self.config["projectId"],
            "server": self.config["server"],
            "client_id": self.client_id,
            "connection": self.connection,
            "features": features(self.isolated, self.kernel_report().get("gpu")),
            "spare_kernels": self.pool.status(),
            **self.worker.status(),
        }


async def start(
    config: Any,
    api_key: str | None,
    post: Any,
    spawn: Spawn,
    kernel_spawned_at: float,
    snapshot: Any | None = None,
    set_files_access: Any | None = None,
) -> BrowserCompute:
    """Boot the compute worker's Python and try to connect (see ``BrowserCompute.connect``).
    `snapshot` is how pyodide-boot.js booted it ({url, used, error}; None without one);
    `set_files_access(url, api_key)` tells the kernels' file links where to connect."""
    compute = BrowserCompute(
        config.to_py(),
        post,
        spawn,
        config,
        kernel_spawned_at,
        snapshot.to_py() if snapshot is not None else None,
        set_files_access,
    )
    await compute.connect(api_key)
    return compute
