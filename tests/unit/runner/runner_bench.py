"""A test bench for the runner: a notebook on an in-memory log, the runner on its own
replica, collaborators on theirs, a fake clock, and the kernel events written by hand."""

from __future__ import annotations

from typing import Any

import nbformat

from cocalc_compute_wasm.client import NotebookDoc
from cocalc_compute_wasm.kernel.events import ExecuteReply, KernelEvent, Output
from cocalc_compute_wasm.notebook import dumps_ipynb, records_to_ipynb
from cocalc_compute_wasm.runner import Action, Execute, Runner
from cocalc_compute_wasm.sync import NOTEBOOK, Accepted, ClientPatch, PatchLog

RUNNER_FIELDS = frozenset({"type", "id", "output", "exec_count", "state", "end"})


def code(cell_id: str, source: str = "", **fields: Any) -> dict:
    """A code cell record; the Bench gives cells their pos in the order given."""
    return {"type": "cell", "id": cell_id, "cell_type": "code", "input": source, **fields}


def stdout(text: str) -> Output:
    return Output({"output_type": "stream", "name": "stdout", "text": text})


def stderr(text: str) -> Output:
    return Output({"output_type": "stream", "name": "stderr", "text": text})


def display(text: str, display_id: str | None = None) -> Output:
    data = {"output_type": "display_data", "data": {"text/plain": text}, "metadata": {}}
    return Output(data, display_id)


def error(name: str = "ZeroDivisionError") -> Output:
    return Output(
        {"output_type": "error", "ename": name, "evalue": "oops", "traceback": [f"{name}: oops"]}
    )


def ok(count: int | None = 1) -> ExecuteReply:
    return ExecuteReply("ok", count)


def failed(count: int | None = 1) -> ExecuteReply:
    return ExecuteReply("error", count)


class Bench:
    """Everyone talks through one PatchLog; ``sync()`` delivers everything to everyone and
    tells the runner which cells changed, as its shell would."""

    def __init__(self, *cells: dict, settings: dict | None = None, **runner_args: Any) -> None:
        self.log = PatchLog(NOTEBOOK)
        self.now = 1_000_000
        seed = NotebookDoc("seed")
        value = {("settings", "main"): {"type": "settings", "id": "main", **(settings or {})}}
        for n, cell in enumerate(cells):
            value[("cell", cell["id"])] = {"pos": float(n), **cell}
        seed.replica.commit(value)
        self._accept(seed.take_outgoing())
        self.doc = NotebookDoc("runner")
        self.runner = Runner(self.doc, **runner_args)
        self.users: dict[str, NotebookDoc] = {}
        self.sent: list[ClientPatch] = []  # every patch the runner sent, in order
        self.sent_at: list[int] = []  # the clock when each was sent
        self.actions: list[Action] = []  # every action the runner asked for, in order
        self.doc.catch_up(self.log.catch_up(0))
        self.runner.doc_changed()
        for name in ("alice", "bob"):
            self.users[name] = user = NotebookDoc(name)
            user.catch_up(self.log.catch_up(0))
        self.sync()

    # --- the notebook -------------------------------------------------------------------

    def _accept(self, patches: list[ClientPatch]) -> None:
        for patch in patches:
            assert isinstance(self.log.accept(patch), Accepted)

    def sync(self) -> None:
        """Everyone sends, everyone receives, until nobody has anything more to send. The
        runner hears of the cells that others' patches touched (its shell's cheap way),
        not of its own writes."""
        docs = (self.doc, *self.users.values())
        for _ in range(10):
            self.actions += self.runner.take_actions()
            sent = self.doc.take_outgoing()
            self.sent += sent
            self.sent_at += [self.now] * len(sent)
            theirs = [patch for user in self.users.values() for patch in user.take_outgoing()]
            if not sent and not theirs:
                return
            self._accept(sent + theirs)
            for doc in docs:
                doc.catch_up(self.log.catch_up(doc.confirmed_seq))
            records = (r for p in theirs for r in (*p.patch.sets, *p.patch.deletes))
            self.runner.doc_changed({r["id"] for r in records if r["type"] == "cell"})
        raise AssertionError("the runner keeps writing in answer to its own writes")

    @property
    def value(self) -> dict:
        return self.log.value

    def cell(self, cell_id: str) -> dict:
        """The cell as the log has it (call ``sync()`` first)."""
        return self.value[("cell", cell_id)]

    def outputs(self, cell_id: str) -> list[dict]:
        output = self.cell(cell_id).get("output", {})
        return [output[key] for key in sorted(output, key=int)]

    def state(self, cell_id: str) -> str | None:
        return self.cell(cell_id).get("state")

    def request(self, user: str, *cell_ids: str, no_halt: bool = False) -> None:
        """A collaborator asks to run cells now (server time) and everyone syncs; time
        moves on by 10 ms."""
        self.users[user].request_run(cell_ids, self.now, no_halt=no_halt)
        self.sync()
        self.now += 10

    def edit(self, user: str, cell_id: str, **fields: Any) -> None:
        """A collaborator sets fields of a cell (None removes one) and everyone syncs."""
        doc = self.users[user]
        record = {k: v for k, v in {**doc.cell(cell_id), **fields}.items() if v is not None}
        doc.replica.commit({**doc.value, ("cell", cell_id): record})
        self.sync()

    def export(self) -> dict:
        """The .ipynb of the log's value, read back and validated as Jupyter would."""
        text = dumps_ipynb(records_to_ipynb(self.value.values()))
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        return nb

    # --- the host -----------------------------------------------------------------------

    def executes(self) -> list[str]:
        """The cells the runner sent to the host so far, in order."""
        return [action.cell_id for action in self.actions if isinstance(action, Execute)]

    def started(self) -> None:
        self.runner.execution_started()
        self.sync()

    def event(self, *events: KernelEvent, dt: int = 0) -> None:
        """Kernel events, each ``dt`` ms after the previous one."""
        for event in events:
            self.now += dt
            self.runner.kernel_event(event, self.now)
        self.sync()

    def finish(self, reply: ExecuteReply | None = None) -> None:
        self.runner.execution_finished(reply or ok(), self.now)
        self.sync()

    def tick(self, dt: int) -> None:
        self.now += dt
        self.runner.tick(self.now)
        self.sync()

    def run_through(self, *events: KernelEvent, reply: ExecuteReply | None = None) -> None:
        """The host executes the current cell: started, events, finished."""
        self.started()
        self.event(*events)
        self.finish(reply)

    def output_writes(self, cell_id: str) -> list[int]:
        """When the runner's patches that wrote outputs of this cell were sent (taking a
        cell, which clears its output, does not count)."""
        return [
            at
            for patch, at in zip(self.sent, self.sent_at, strict=True)
            if any(
                r["id"] == cell_id and isinstance(r.get("output"), dict) for r in patch.patch.sets
            )
        ]
