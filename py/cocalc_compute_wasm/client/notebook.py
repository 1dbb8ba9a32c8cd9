"""A live notebook: the pure NotebookDoc wired to the client's current connection.

Edits apply locally at once and go out as ``patch`` requests when a connection is there
(else when it is back). The server's pushes update the document in frame order; watchers
hear about them through ``on_change``. Waiting (``synced``, ``wait_done``) survives
reconnects: it ends when the condition holds, the timeout passes, or the notebook fails.

Timeouts are parameters (ruff's ASYNC109 prefers ``asyncio.timeout`` around the call)
because each has a sensible default that callers should not have to know.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..sync import NOTEBOOK, CatchUp, LogRecord, Record, SyncError
from .errors import ClientClosed, ClientError, ConnectionLost
from .notebook_doc import Changes, NotebookDoc

if TYPE_CHECKING:
    from .api import Client
    from .connection import Link

log = logging.getLogger(__name__)

ChangeCallback = Callable[[Changes], None]


class Notebook:
    """One open notebook of a Client; get it from ``await client.open_notebook(path)``."""

    def __init__(self, client: Client, path: str, doc: NotebookDoc) -> None:
        self.path = path
        """The path relative to the project, as the server spells it."""
        self.doc = doc
        self.presence: dict[str, Any] = {}
        """``{participants: [{client_id, kind}], runner, kernel, computes}``."""
        self.save_error: str | None = None
        """Why the server cannot write (or read) the ``.ipynb``; None when all is well."""
        self._client = client
        self._link: Link | None = None
        self._channel: int | None = None
        self._callbacks: list[ChangeCallback] = []
        self._pulse = asyncio.Event()
        self._error: BaseException | None = None
        self._closed = False
        self._resyncing = False

    def __repr__(self) -> str:
        return f"<Notebook {self.path!r} at seq {self.doc.confirmed_seq}>"

    # --- queries (the local value: confirmed state plus this client's pending edits) ---

    def cells(self) -> list[Record]:
        return self.doc.cells()

    def cell_ids(self) -> list[str]:
        return self.doc.cell_ids()

    def cell(self, cell_id: str) -> Record | None:
        return self.doc.cell(cell_id)

    @property
    def settings(self) -> Record:
        return self.doc.settings

    @property
    def attached(self) -> bool:
        """Whether the server has this notebook open on the current connection (False
        while it is re-opened after a reconnect)."""
        return self._link is not None

    def is_done(self, cell_id: str) -> bool:
        return self.doc.is_done(cell_id)

    def on_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback(changes)`` after every change, local or remote; returns a
        function that unsubscribes it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    # --- edits ---------------------------------------------------------------------

    def set_input(self, cell_id: str, text: str) -> None:
        self._edit(self.doc.set_input, cell_id, text)

    def insert_cell(
        self,
        *,
        after: str | None = None,
        before: str | None = None,
        cell_type: str = "code",
        input: str = "",
    ) -> str:
        """Add a cell after or before another (at the end by default); returns its id."""
        return self._edit(
            partial(self.doc.insert_cell, after=after, before=before, cell_type=cell_type),
            input=input,
        )

    def delete_cell(self, cell_id: str) -> None:
        self._edit(self.doc.delete_cell, cell_id)

    def move_cell(
        self, cell_id: str, *, after: str | None = None, before: str | None = None
    ) -> None:
        self._edit(partial(self.doc.move_cell, after=after, before=before), cell_id)

    def set_cell_type(self, cell_id: str, cell_type: str) -> None:
        self._edit(self.doc.set_cell_type, cell_id, cell_type)

    def clear_outputs(self, cell_ids: Iterable[str] | None = None) -> None:
        self._edit(self.doc.clear_outputs, cell_ids)

    async def request_run(
        self,
        cell_ids: Iterable[str],
        *,
        no_halt: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        """Queue code cells for the runner, in this order, and wait until the server has
        the request (durable). On a timeout the request still goes out when it can.
        ``timeout`` defaults to the client's request timeout."""
        server_time = self._client.server_time_ms()
        patch = self._edit(partial(self.doc.request_run, no_halt=no_halt), cell_ids, server_time)
        if patch is not None:
            number = patch.local_number
            async with asyncio.timeout(
                self._client.request_timeout if timeout is None else timeout
            ):
                await self._until(
                    lambda: all(p.local_number > number for p in self.doc.replica.pending)
                )

    # --- waiting ---------------------------------------------------------------------

    async def synced(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until the server has every edit made so far (each one is durable)."""
        async with asyncio.timeout(timeout):
            await self._until(lambda: not self.doc.replica.pending)

    async def wait_done(
        self,
        cell_ids: Iterable[str],
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        """Wait until each cell's state is ``done`` (non-code cells count as done).
        KeyError if one of them is deleted meanwhile."""
        ids = list(cell_ids)
        async with asyncio.timeout(timeout):
            await self._until(lambda: all(self.doc.is_done(cell_id) for cell_id in ids))

    # --- for a runner ------------------------------------------------------------------

    def flush(self) -> None:
        """Send the edits made straight on ``doc`` (a runner's) and tell watchers."""
        self._edit(lambda: None)

    async def report_kernel(self, state: str, gpu: dict[str, Any] | None = None) -> None:
        """Publish this runner's kernel state and what its kernel says about its GPU
        (presence, never in the document)."""
        async with asyncio.timeout(self._client.request_timeout):
            await self._until(lambda: self._link is not None)
            link = self._link
            assert link is not None
            args = {"channel": self._channel, "state": state, "gpu": gpu}
            await link.send_request("kernel", args)

    async def more_output(self, cell_id: str) -> list[dict[str, Any]]:
        """The outputs of a cell kept back beyond max_output_length, from its runner."""
        return (await self._control("more_output", cell_id=cell_id))["outputs"]

    # --- control of the runner (routed by the server to the runner's connection) -----

    async def interrupt(self) -> dict[str, Any]:
        return await self._control("interrupt")

    async def restart(self) -> dict[str, Any]:
        return await self._control("restart")

    async def send_stdin(self, cell_id: str, value: str) -> dict[str, Any]:
        """Answer the ``input()`` prompt of a running cell."""
        return await self._control("stdin", cell_id=cell_id, value=value)

    # --- closing ---------------------------------------------------------------------

    async def close(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until the server has every edit, then leave the document. On a timeout the
        notebook stays open (nothing is dropped); a failed notebook closes at once."""
        if self._closed:
            return
        if self._error is None and self._client.error is None:
            await self.synced(self._client.request_timeout if timeout is None else timeout)
        link, channel = self._link, self._channel
        self._shut(ClientClosed(f"notebook {self.path} was closed"))
        if link is not None and channel is not None and not link.closed:
            try:
                async with asyncio.timeout(self._client.request_timeout):
                    await link.send_request("close", {"channel": channel})
            except (ClientError, TimeoutError) as error:
                log.debug("close of %s not confirmed: %s", self.path, error)

    # --- the connection's side (called by the Client) ----------------------------------

    def _attach(self, link: Link, result: dict[str, Any]) -> Notebook:
        """Take the answer to ``open`` (on the first open and after each reconnect): catch
        up, then send every pending edit. Runs in the reader, before later frames."""
        channel = result.get("channel")
        if type(channel) is not int:
            raise ClientError(f"open {self.path}: the server sent no channel id: {result!r}")
        catch_up = CatchUp.from_wire(NOTEBOOK, result.get("catch_up"))
        if self._closed:  # closed while the re-open was under way
            link.send_request("close", {"channel": channel}).add_done_callback(_quietly)
            return self
        self._link, self._channel = link, channel
        self._client._channels[channel] = self
        self.presence = result.get("presence") or {}
        self.save_error = result.get("save_error")
        self.doc.catch_up(catch_up)
        self._flush()
        self._updated(Changes(presence=True, save_error=True))
        return self

    def _reattach(self, link: Link) -> None:
        """Re-open on a new connection from where this replica stands."""
        args = {"path": self.path, "since": self.doc.confirmed_seq}
        future = link.send_request("open", args, partial(self._attach, link))
        future.add_done_callback(self._check_answer)

    def _detach(self) -> None:
        """The connection is gone: whatever was sent must be sent again on the next one."""
        self._link, self._channel = None, None
        self._resyncing = False
        self.doc.rewind_outgoing()

    def _receive(self, body: dict[str, Any]) -> None:
        """A push on this notebook's channel: a record, presence or a save error."""
        try:
            if "record" in body:
                self.doc.receive(LogRecord.from_wire(NOTEBOOK, body["record"]))
        except SyncError as error:  # a broken log or a client id used twice: cannot go on
            self._fail(error)
            return
        if "presence" in body:
            self.presence = body["presence"] or {}
        if "save_error" in body:
            self.save_error = body["save_error"]
        self._updated(Changes(presence="presence" in body, save_error="save_error" in body))

    def _shut(self, error: BaseException) -> None:
        """Stop for good: closed by the user or the client, or the client failed."""
        self._closed = True
        self._error = self._error or error
        self._client._forget(self)
        self._detach()
        self._notify()

    # --- inside ----------------------------------------------------------------------

    def _edit(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._closed:
            raise ClientClosed(f"notebook {self.path} is closed")
        result = operation(*args, **kwargs)
        self._flush()
        self._updated(Changes())
        return result

    def _flush(self) -> None:
        if self._link is None or self._channel is None:
            return  # sent when the connection is back
        for patch in self.doc.take_outgoing():
            args = {"channel": self._channel, "patch": patch.to_wire()}
            self._link.send_request("patch", args).add_done_callback(self._check_answer)

    def _updated(self, extra: Changes) -> None:
        """Tell watchers and waiters what changed; catch up if records were missed."""
        changes = self.doc.take_changes()
        changes = Changes(changes.keys, extra.presence, extra.save_error)
        if changes:
            for callback in list(self._callbacks):
                try:
                    callback(changes)
                except Exception:
                    log.exception("on_change callback of %s failed", self.path)
        self._notify()
        if self.doc.behind and not self._resyncing and self._link is not None:
            self._resyncing = True
            args = {"channel": self._channel, "since": self.doc.confirmed_seq}
            future = self._link.send_request("catch_up", args, self._caught_up)
            future.add_done_callback(self._check_answer)

    def _caught_up(self, result: dict[str, Any]) -> None:
        self._resyncing = False
        self.doc.catch_up(CatchUp.from_wire(NOTEBOOK, result.get("catch_up")))
        self._updated(Changes())

    def _check_answer(self, future: asyncio.Future) -> None:
        """For requests nobody awaits: a lost connection is healed by the reconnect, any
        other failure means this notebook cannot sync any more."""
        if future.cancelled():
            return
        error = future.exception()
        if error is not None and not isinstance(error, ConnectionLost):
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        log.error("notebook %s cannot sync any more: %s", self.path, error)
        self._error = self._error or error
        self._notify()

    def _notify(self) -> None:
        """Wake every waiter; each re-checks its own condition."""
        self._pulse.set()
        self._pulse = asyncio.Event()

    def _check_alive(self) -> None:
        if self._error is not None:
            raise self._error
        if self._client.error is not None:
            raise self._client.error

    async def _until(self, done: Callable[[], bool]) -> None:
        """Wait for ``done()``, re-checked after every change; bound it with a timeout."""
        while not done():
            self._check_alive()
            await self._pulse.wait()

    async def _control(self, action: str, **args: Any) -> dict[str, Any]:
        """A control request for this notebook's runner; waits for a connection first,
        but never sends twice (an interrupt must not hit two cells)."""
        async with asyncio.timeout(self._client.request_timeout):
            await self._until(lambda: self._link is not None)
            link, request = self._link, {"channel": self._channel, "action": action, **args}
            assert link is not None  # set together with the channel, by _attach
            return await link.send_request("control", request)


def _quietly(future: asyncio.Future) -> None:
    """For a request whose failure does not matter (marks its exception as seen)."""
    if not future.cancelled():
        future.exception()
