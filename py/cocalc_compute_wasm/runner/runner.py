"""The runner: executes the cells collaborators ask to run and writes what happens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Final

from ..client.notebook_doc import NotebookDoc, cell_key
from ..kernel.events import ClearOutput, ExecuteReply, InputRequest, KernelEvent, UpdateDisplay
from ..kernel.events import Output as OutputEvent
from ..notebook import (
    CELL,
    CELL_TYPE,
    DEFAULT_MAX_OUTPUT_LENGTH,
    END,
    EXEC_COUNT,
    ID,
    INPUT,
    MAX_OUTPUT_LENGTH,
    NO_HALT,
    OUTPUT,
    START,
    STATE,
    TYPE,
    CellState,
    CellType,
)
from ..sync import NOTEBOOK, Patch, Record
from ..sync.data import same
from .actions import Action, Execute, SendInput
from .execution import Execution
from .outputs import (
    Output,
    display_id_of,
    runner_lost_error,
    with_display_id,
    with_display_update,
)
from .overflow import DEFAULT_MORE_OUTPUT_LIMIT, Overflow
from .run_queue import RunQueue

OUTPUT_INTERVAL_MS: Final = 50
"""Least time between two output patches of one cell: at most 20 a second, as CoCalc."""

# Plain strings in patches (a StrEnum member is a str subclass; the wire wants str).
_RUN: Final = str(CellState.RUN)
_BUSY: Final = str(CellState.BUSY)
_DONE: Final = str(CellState.DONE)


class RunnerState(StrEnum):
    """IDLE: nothing is executing, so a queued cell is taken at once. EXECUTING: one cell
    went to the host (``Execute``) and ``execution_finished`` has not come yet."""

    IDLE = "idle"
    EXECUTING = "executing"


class Runner:
    """Runs one notebook's queue on one kernel. See the package doc for how to drive it."""

    def __init__(
        self, doc: NotebookDoc, *, more_output_limit: int = DEFAULT_MORE_OUTPUT_LIMIT
    ) -> None:
        self._doc = doc
        self._queue = RunQueue()
        self._run: Execution | None = None
        self._actions: list[Action] = []
        self._overflow = Overflow(more_output_limit)
        # Output patches, per cell: when last written, and when next due (waiting for tick).
        self._written_at: dict[str, float] = {}
        self._due: dict[str, float] = {}
        # Display updates of cells other than the running one, by output key, not written yet.
        self._updates: dict[str, dict[str, Output]] = {}
        # Display id -> cells showing it, and per cell the output map it was read from.
        self._displays: dict[str, set[str]] = {}
        self._indexed: dict[str, tuple[dict, frozenset[str]]] = {}

    # --- queries -----------------------------------------------------------------------

    @property
    def state(self) -> RunnerState:
        return RunnerState.IDLE if self._run is None else RunnerState.EXECUTING

    @property
    def current_cell(self) -> str | None:
        """The cell executing (sent to the host and not finished), if any."""
        return None if self._run is None else self._run.cell_id

    def queued(self) -> list[str]:
        """The cells waiting to run, in the order they will run."""
        return self._queue.ids()

    def take_actions(self) -> list[Action]:
        """What the host must do, oldest first; each is handed out once. (The patches to
        send are the doc's: ``doc.take_outgoing()``.)"""
        actions, self._actions = self._actions, []
        return actions

    def next_deadline(self) -> float | None:
        """When ``tick`` has output to write (the ``now_ms`` clock); None: nothing waits."""
        return min(self._due.values(), default=None)

    def more_output(self, cell_id: str) -> list[Output]:
        """A cell's outputs past max_output_length (the rest its marker stands for)."""
        return self._overflow.outputs(cell_id)

    # --- the notebook ------------------------------------------------------------------

    def doc_changed(self, cell_ids: Iterable[str] | None = None) -> None:
        """The doc's value changed in these cells (None: anything may have; pass None once
        the doc is first caught up, and after every catch-up). Passing cells that did not
        change is harmless, leaving one out is not. Reconciles any run/busy cell that is
        not this runner's to done, with an error output that says why: the runner that
        set it is gone, and the kernel that ran it with it."""
        value = self._doc.value
        if cell_ids is None:
            cell_ids = {str(key[1]) for key in value if key[0] == CELL}
            cell_ids |= set(self._queue.ids()) | set(self._indexed)
        stale: dict[str, Record] = {}
        for cell_id in cell_ids:
            cell = value.get(cell_key(cell_id))
            state = None if cell is None else cell.get(STATE)
            if state == CellState.START:
                self._queue.put(cell_id, cell.get(START))  # type: ignore[union-attr]
            else:
                self._queue.remove(cell_id)
            if state in (CellState.RUN, CellState.BUSY) and cell_id != self.current_cell:
                lost = str(len(self._cell_outputs(cell_id)))
                stale[cell_id] = {STATE: _DONE, OUTPUT: {lost: runner_lost_error()}}
            self._index_displays(cell_id, cell)
            if cell is None:
                self._overflow.drop(cell_id)
        self._write(stale)
        self._advance()

    # --- the host ----------------------------------------------------------------------

    def execution_started(self) -> None:
        """The kernel began executing the cell of the last ``Execute``."""
        run = self._run
        if run is None or run.started:
            return
        run.started = True
        if run.cell_id not in self._queue:  # asked to run again meanwhile: keep "start" shown
            self._write({run.cell_id: {STATE: _BUSY}})

    def kernel_event(self, event: KernelEvent, now_ms: float) -> None:
        """Something the kernel said while executing. Display updates reach any cell; other
        events without an execution are late ones of a kernel that restart() ended."""
        run = self._run
        if isinstance(event, UpdateDisplay):
            self._update_display(event, now_ms)
            return
        if run is None:
            return
        if isinstance(event, ClearOutput) and event.wait:
            run.clear_pending = True
            return
        if run.clear_pending or isinstance(event, ClearOutput):
            self._clear(run)
        if isinstance(event, InputRequest):
            run.request_input(event.prompt, event.password)
            self._flush(run.cell_id, now_ms)  # the kernel waits for the page: show it now
            return
        if isinstance(event, OutputEvent):
            output = with_display_id(event.output, event.display_id)
            for hidden in run.add(output, self._max_output_length()):
                self._overflow.add(run.cell_id, hidden)
        self._changed(run.cell_id, now_ms)

    def input_reply(self, value: str, now_ms: float) -> None:
        """A collaborator answered the prompt: show it answered and ``SendInput`` to the
        kernel. A reply with no prompt waiting (a late or duplicate one) is dropped."""
        run = self._run
        if run is None or not run.answer_input(value):
            return
        self._actions.append(SendInput(value))
        self._flush(run.cell_id, now_ms)

    def execution_finished(self, reply: ExecuteReply, now_ms: float) -> None:
        """The execution ended: write its outputs, exec_count, done and end; an error (or
        abort) halts the queue unless the cell was queued with no_halt."""
        run = self._run
        if run is None:
            return
        self._finish(run, reply.execution_count, now_ms)
        if reply.status != "ok" and not run.no_halt:
            self._halt()
        self._advance()

    def interrupt(self) -> None:
        """The host interrupted the kernel (the running cell gets KeyboardInterrupt and
        finishes as usual); the queued cells go back to done."""
        self._halt()

    def restart(self, now_ms: float) -> None:
        """The host is restarting the kernel: the queue is cleared, the running cell ends
        now, and nothing the host has not taken yet is for the new kernel. The host must
        not report events of the old kernel after this."""
        self._actions.clear()
        self._halt()
        if self._run is not None:
            self._finish(self._run, None, now_ms)

    def tick(self, now_ms: float) -> None:
        """Write the output changes that were held back and are due by ``now_ms``."""
        for cell_id, due in list(self._due.items()):
            if due <= now_ms:
                self._flush(cell_id, now_ms)

    # --- the queue ---------------------------------------------------------------------

    def _advance(self) -> None:
        """While idle, take the next queued cell."""
        while self._run is None and (cell_id := self._queue.pop()) is not None:
            cell = self._doc.cell(cell_id)
            if cell is None or cell.get(STATE) != CellState.START:
                continue  # a change the shell has not reported: run only what is asked for
            if cell.get(CELL_TYPE, CellType.CODE) != CellType.CODE:
                self._write({cell_id: {STATE: _DONE}})  # nothing to run, as in Jupyter
                continue
            self._run = Execution(cell_id, no_halt=cell.get(NO_HALT) is True)
            self._overflow.drop(cell_id)
            self._updates.pop(cell_id, None)
            self._due.pop(cell_id, None)
            self._written_at.pop(cell_id, None)  # its first output goes out at once
            self._write({cell_id: {STATE: _RUN, OUTPUT: None, EXEC_COUNT: None, END: None}})
            self._actions.append(Execute(cell_id, cell.get(INPUT, "")))

    def _finish(self, run: Execution, exec_count: int | None, now_ms: float) -> None:
        run.answer_input(None)
        fields = self._output_fields(run.cell_id, run.outputs.outputs())
        if exec_count is not None:
            fields[EXEC_COUNT] = exec_count
        fields[END] = now_ms
        if run.cell_id not in self._queue:  # asked to run again meanwhile: it stays "start"
            fields[STATE] = _DONE
        self._due.pop(run.cell_id, None)
        self._write({run.cell_id: fields})
        self._written_at[run.cell_id] = now_ms
        self._run = None

    def _halt(self) -> None:
        """Every queued cell goes back to done without running (Jupyter's "aborted")."""
        self._write({cell_id: {STATE: _DONE} for cell_id in self._queue.clear()})

    # --- outputs -----------------------------------------------------------------------

    def _max_output_length(self) -> int:
        limit = self._doc.settings.get(MAX_OUTPUT_LENGTH)
        valid = isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0
        return limit if valid else DEFAULT_MAX_OUTPUT_LENGTH  # type: ignore[return-value]

    def _clear(self, run: Execution) -> None:
        run.clear()
        self._overflow.drop(run.cell_id)

    def _update_display(self, event: UpdateDisplay, now_ms: float) -> None:
        run = self._run
        if run is not None and run.update_display(event.display_id, event.output):
            self._changed(run.cell_id, now_ms)
        self._overflow.update_display(event.display_id, event.output)
        for cell_id in list(self._displays.get(event.display_id, ())):
            if run is not None and cell_id == run.cell_id:
                continue
            updates = self._updates.setdefault(cell_id, {})
            for key, output in self._cell_outputs(cell_id).items():
                if display_id_of(output) == event.display_id:
                    updates[key] = with_display_update(output, event.output)
            self._changed(cell_id, now_ms)

    def _changed(self, cell_id: str, now_ms: float) -> None:
        """A cell's output changed: write it now, unless the cell was written less than
        OUTPUT_INTERVAL_MS ago; then ``tick`` writes it when the interval is over."""
        written = self._written_at.get(cell_id)
        if written is None or now_ms - written >= OUTPUT_INTERVAL_MS:
            self._flush(cell_id, now_ms)
        else:
            self._due[cell_id] = written + OUTPUT_INTERVAL_MS

    def _flush(self, cell_id: str, now_ms: float) -> None:
        self._due.pop(cell_id, None)
        run = self._run
        if run is not None and cell_id == run.cell_id:
            fields = self._output_fields(cell_id, run.outputs.outputs())
        else:
            fields = self._update_fields(cell_id, self._updates.pop(cell_id, {}))
        if self._write({cell_id: fields}):
            self._written_at[cell_id] = now_ms

    def _output_fields(self, cell_id: str, outputs: list[Output]) -> Record:
        """The patch fields that make the cell's output ``outputs``: the changed indexes
        only. Diffed against the doc, not against what was last written, so that a
        collaborator's "clear output" of a running cell leaves no holes."""
        old = self._cell_outputs(cell_id)
        if not outputs:
            return {OUTPUT: None} if old else {}
        keys = [str(index) for index in range(len(outputs))]
        change: dict[str, Output | None] = dict.fromkeys(old.keys() - set(keys))
        for key, output in zip(keys, outputs, strict=True):
            if not same(old.get(key), output):
                change[key] = output
        return {OUTPUT: change} if change else {}

    def _update_fields(self, cell_id: str, updates: Mapping[str, Output]) -> Record:
        """The patch fields for display updates of a finished cell: only where the output
        still shows that display (a collaborator may have cleared it meanwhile)."""
        old = self._cell_outputs(cell_id)
        change = {
            key: output
            for key, output in updates.items()
            if key in old
            and display_id_of(old[key]) == display_id_of(output)
            and not same(old[key], output)
        }
        return {OUTPUT: change} if change else {}

    def _cell_outputs(self, cell_id: str) -> dict[str, Output]:
        cell = self._doc.cell(cell_id)
        outputs = None if cell is None else cell.get(OUTPUT)
        return outputs if isinstance(outputs, dict) else {}

    # --- the document ------------------------------------------------------------------

    def _write(self, changes: Mapping[str, Record]) -> bool:
        """Set fields of existing cells, one patch for all (None removes a field, a map
        merges key by key); whether anything was written. A cell deleted meanwhile is left
        alone: a partial record would bring back a ghost of it."""
        value = self._doc.value
        sets = [
            {TYPE: CELL, ID: cell_id, **fields}
            for cell_id, fields in changes.items()
            if fields and cell_key(cell_id) in value
        ]
        if not sets:
            return False
        self._doc.replica.change(Patch(NOTEBOOK, sets=sets))
        for record in sets:
            if OUTPUT in record:
                self._index_displays(record[ID], self._doc.cell(record[ID]))
        return True

    def _index_displays(self, cell_id: str, cell: Record | None) -> None:
        """Keep the display id index of one cell up to date; a cell whose output map is
        the very object indexed last time is skipped (records share unchanged fields)."""
        outputs = None if cell is None else cell.get(OUTPUT)
        if not isinstance(outputs, dict):
            outputs = None
        seen = self._indexed.get(cell_id)
        if (None if seen is None else seen[0]) is outputs:
            return
        old_ids = frozenset() if seen is None else seen[1]
        new_ids = frozenset(
            display_id
            for output in (outputs or {}).values()
            if (display_id := display_id_of(output)) is not None
        )
        for display_id in old_ids - new_ids:
            cells = self._displays[display_id]
            cells.discard(cell_id)
            if not cells:
                del self._displays[display_id]
        for display_id in new_ids - old_ids:
            self._displays.setdefault(display_id, set()).add(cell_id)
        if outputs is None:
            del self._indexed[cell_id]
        else:
            self._indexed[cell_id] = (outputs, new_ids)
