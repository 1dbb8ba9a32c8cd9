"""The notebook page's Python (notebook-worker.js): a collaborator's client of one
notebook, run in Pyodide, with the page's main thread as its screen and keyboard.

The worker posts ``connection`` (state, detail), ``cells`` (``notebook_view.PageView``),
``presence`` (``notebook_view.presence_view``), ``more_output`` (a cell's outputs past
max_output_length, fetched from its runner), ``done`` (op: an action that waited for
the server or the runner succeeded), ``problem`` (an action that failed, said plainly)
and ``error`` (cannot open the notebook; ``needsKey`` when a key would help). The page
sends ``{op, ...}``: ``input`` (id, number, before, after), ``insert`` (after,
cell_type), ``delete`` (id), ``move`` (id, step), ``cell_type`` (id, cell_type),
``run`` (ids), ``run_all``, ``interrupt``, ``restart``, ``stdin`` (id, value) and
``more_output`` (id).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ..client import Client, Notebook, connect
from ..client.config import resolve_config
from ..client.errors import AuthError, ClientError
from ..client.notebook_doc import Changes
from .notebook_view import PageView, merged_input, neighbour, presence_view
from .websocket import connect_browser


class NotebookPage:
    def __init__(self, config: dict[str, Any], path: str, post: Any) -> None:
        self.config = config
        self.path = path
        self._post = post
        self.client_id = f"collaborator-page-{uuid.uuid4().hex}"
        self.client: Client | None = None
        self.notebook: Notebook | None = None
        self.view = PageView()
        self._tasks: set[asyncio.Task] = set()

    async def open(self) -> bool:
        """Connect with the page's cookie and open the notebook; False (an error posted)
        when that fails."""
        self.post({"type": "connection", "state": "connecting", "detail": ""})
        try:
            server = resolve_config(
                self.config["server"],
                self.config["projectId"],
                None,
                self.config["basePath"],
                environ={},
                key_optional=True,
            )
            self.client = await connect(
                client_id=self.client_id, connector=connect_browser, config=server
            )
            self.notebook = await self.client.open_notebook(self.path)
        except (ClientError, TimeoutError) as error:
            needs_key = isinstance(error, AuthError) or "cookie" in str(error)
            self.post({"type": "connection", "state": "stopped", "detail": str(error)})
            self.post({"type": "error", "message": str(error), "needsKey": needs_key})
            return False
        self.client.on_state(self._on_state)
        self.notebook.on_change(self._changed)
        self.post({"type": "connection", "state": "connected", "detail": ""})
        self.post(self.view.full(self.notebook.cells()))
        self._post_presence()
        return True

    # --- from the notebook to the page -------------------------------------------------

    def _on_state(self, state: str, detail: str) -> None:
        self.post({"type": "connection", "state": state, "detail": detail})

    def _changed(self, changes: Changes) -> None:
        assert self.notebook is not None
        message = self.view.changes(self.notebook.cells(), changes.cell_ids)
        if message is not None:
            self.post(message)
        if changes.presence:
            self._post_presence()

    def _post_presence(self) -> None:
        assert self.notebook is not None
        view = presence_view(self.notebook.presence, self.client_id)
        self.post({"type": "presence", **view})

    def post(self, message: dict[str, Any]) -> None:
        import js
        from pyodide.ffi import to_js

        self._post(to_js(message, dict_converter=js.Object.fromEntries))

    # --- from the page to the notebook -------------------------------------------------

    def page_message(self, data: Any) -> None:
        message = data.to_py()
        op = message.get("op")
        try:
            handler = getattr(self, f"_op_{op}", None)
            if handler is None or self.notebook is None:
                raise ValueError(f"unknown action {op!r}" if handler is None else "not open")
            result = handler(message)
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(self._finish(op, result))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except Exception as error:
            self._problem(op, error)

    async def _finish(self, op: str, action: Any) -> None:
        try:
            await action
        except Exception as error:
            self._problem(op, error)
        else:
            self.post({"type": "done", "op": op})

    def _problem(self, op: str, error: BaseException) -> None:
        self.post({"type": "problem", "op": op, "message": str(error) or type(error).__name__})

    def _op_input(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        cell_id = message["id"]
        cell = self.notebook.cell(cell_id)
        if cell is None:
            raise KeyError(f"cell {cell_id} was deleted by someone else")
        # acknowledged first: set_input tells the page at once, with this number
        self.view.ack(cell_id, int(message["number"]))
        text = merged_input(cell.get("input", ""), message["before"], message["after"])
        self.notebook.set_input(cell_id, text)
        self._changed(Changes())  # the ack alone, when the text did not change

    def _op_insert(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        self.notebook.insert_cell(
            after=message.get("after"), cell_type=message.get("cell_type") or "code"
        )

    def _op_delete(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        self.notebook.delete_cell(message["id"])

    def _op_move(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        target = neighbour(self.notebook.cell_ids(), message["id"], int(message["step"]))
        if target is not None:
            where, other = target
            self.notebook.move_cell(message["id"], **{where: other})

    def _op_cell_type(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        self.notebook.set_cell_type(message["id"], message["cell_type"])

    async def _op_run(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        await self.notebook.request_run(message["ids"])

    async def _op_run_all(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        code = [c["id"] for c in self.notebook.cells() if c.get("cell_type") == "code"]
        await self.notebook.request_run(code)

    async def _op_interrupt(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        await self.notebook.interrupt()

    async def _op_restart(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        await self.notebook.restart()

    async def _op_stdin(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        await self.notebook.send_stdin(message["id"], str(message["value"]))

    async def _op_more_output(self, message: dict[str, Any]) -> None:
        assert self.notebook is not None
        outputs = await self.notebook.more_output(message["id"])
        self.post({"type": "more_output", "id": message["id"], "outputs": outputs})


async def start(config: Any, path: str, post: Any) -> NotebookPage:
    """Open ``path`` for the page (see ``NotebookPage.open``)."""
    page = NotebookPage(config.to_py(), path, post)
    await page.open()
    return page
