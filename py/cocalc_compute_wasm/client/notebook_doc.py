"""A notebook as a collaborator (or runner) edits it: a Replica plus notebook verbs (sans-IO).

Every edit builds the next value and commits it through the replica, which applies it at
once and queues a numbered ClientPatch for the log (an ``input`` change travels as a text
patch, so concurrent typing merges). The IO shell drains ``take_outgoing()`` into ``patch``
requests, feeds the server's records and catch-ups to ``receive()``/``catch_up()``, asks
for a catch-up while ``behind``, and reports ``take_changes()`` to whoever watches.

Choices:

- A cell goes after/before a neighbour, or at the end. Its ``pos`` lies between the
  neighbours'; where no float is left between them (ties, or positions halved to death),
  all cells are spread out to 0, 1, 2, ... in the same patch, which keeps their order.
- ``request_run`` only queues code cells (markdown and raw cells have nothing to run, as in
  Jupyter), and ``is_done`` is true for them. Its ``start`` values increase strictly in the
  order given, also across calls within the same millisecond, so the runner's queue (ordered
  by ``start``) keeps the order the user asked for.
- Changing a cell away from code drops its output and exec_count (Jupyter does the same;
  otherwise turning it back into code would resurrect stale outputs).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from ..notebook import (
    CELL,
    CELL_TYPE,
    CELL_TYPES,
    EXEC_COUNT,
    ID,
    INPUT,
    NO_HALT,
    OUTPUT,
    POS,
    SETTINGS,
    SETTINGS_ID,
    START,
    STATE,
    TYPE,
    CellState,
    CellType,
    cell_order_key,
    new_cell_id,
    pos_between,
    sorted_cells,
)
from ..sync import (
    NOTEBOOK,
    CatchUp,
    ClientPatch,
    Key,
    LogRecord,
    NeedResync,
    Outcome,
    Record,
    Replica,
    Value,
)
from ..sync.data import same

SETTINGS_KEY: Key = (SETTINGS, SETTINGS_ID)


def cell_key(cell_id: str) -> Key:
    return (CELL, cell_id)


@dataclass(frozen=True)
class Changes:
    """What a watcher should redraw: the records whose value changed, and whether the
    transient notebook state (presence, save error) changed."""

    keys: frozenset[Key] = frozenset()
    presence: bool = False
    save_error: bool = False

    @property
    def cell_ids(self) -> frozenset[str]:
        return frozenset(str(key[1]) for key in self.keys if key[0] == CELL)

    @property
    def settings(self) -> bool:
        return SETTINGS_KEY in self.keys

    def __bool__(self) -> bool:
        return bool(self.keys) or self.presence or self.save_error


def changed_keys(before: Value, after: Value) -> frozenset[Key]:
    """Keys whose record differs (added, removed or changed) between two values.

    Unchanged records are mostly the very same objects (patches share them), so this is
    an identity check per record in the common case.
    """
    changed = {key for key in before if key not in after}
    for key, record in after.items():
        old = before.get(key)
        if old is not record and (old is None or not same(old, record)):
            changed.add(key)
    return frozenset(changed)


class NotebookDoc:
    """One notebook document: queries, edits, and the log's records coming in."""

    def __init__(self, client_id: str, rng: random.Random | None = None) -> None:
        self.replica = Replica(NOTEBOOK, client_id)
        self._rng = rng if rng is not None else random.Random()
        self._sent_upto = 0  # local number of the last patch handed to take_outgoing()
        self._reported: Value = {}  # the value take_changes() last compared against
        self._wanted_seq = 0  # the highest seq the server has shown us
        self._last_start = 0  # the last ``start`` this replica asked for

    # --- queries ---------------------------------------------------------------------

    @property
    def value(self) -> Value:
        return self.replica.value

    @property
    def settings(self) -> Record:
        """The settings record (kernel, metadata, ...); empty before the first catch-up."""
        return self.value.get(SETTINGS_KEY, {})

    def cells(self) -> list[Record]:
        """The cell records in notebook order. Do not mutate them: they are shared."""
        return sorted_cells(self.value.values())  # type: ignore[return-value]

    def cell_ids(self) -> list[str]:
        return [cell[ID] for cell in self.cells()]

    def cell(self, cell_id: str) -> Record | None:
        return self.value.get(cell_key(cell_id))

    def is_done(self, cell_id: str) -> bool:
        """Whether the cell has nothing (more) to run: it finished, or is not code."""
        cell = self._existing(cell_id)
        return not _is_code(cell) or cell.get(STATE) == CellState.DONE

    # --- edits: each applies at once and queues a patch (None: nothing changed) ---------

    def set_input(self, cell_id: str, text: str) -> ClientPatch | None:
        if not isinstance(text, str):
            raise TypeError(f"input must be a str, not {type(text).__name__}")
        return self._update({cell_id: {INPUT: text}})

    def insert_cell(
        self,
        *,
        after: str | None = None,
        before: str | None = None,
        cell_type: str = CellType.CODE,
        input: str = "",
    ) -> str:
        """Add a cell after or before a neighbour (at the end when neither is given);
        returns its new id."""
        _check_cell_type(cell_type)
        value = dict(self.value)
        pos = self._place(value, after, before, moving=None)
        cell_id = new_cell_id(self._rng, {str(key[1]) for key in value if key[0] == CELL})
        value[cell_key(cell_id)] = {
            TYPE: CELL,
            ID: cell_id,
            POS: pos,
            CELL_TYPE: str(cell_type),
            INPUT: input,
        }
        self.replica.commit(value)
        return cell_id

    def delete_cell(self, cell_id: str) -> ClientPatch | None:
        self._existing(cell_id)
        value = dict(self.value)
        del value[cell_key(cell_id)]
        return self.replica.commit(value)

    def move_cell(
        self, cell_id: str, *, after: str | None = None, before: str | None = None
    ) -> ClientPatch | None:
        """Put a cell right after or before another one (at the end when neither is given)."""
        self._existing(cell_id)
        value = dict(self.value)
        pos = self._place(value, after, before, moving=cell_id)
        value[cell_key(cell_id)] = {**value[cell_key(cell_id)], POS: pos}
        return self.replica.commit(value)

    def set_cell_type(self, cell_id: str, cell_type: str) -> ClientPatch | None:
        _check_cell_type(cell_type)
        drop = (OUTPUT, EXEC_COUNT) if cell_type != CellType.CODE else ()
        return self._update({cell_id: {CELL_TYPE: str(cell_type)}}, drop)

    def clear_outputs(self, cell_ids: Iterable[str] | None = None) -> ClientPatch | None:
        """Remove outputs and execution counts (of all cells when no ids are given)."""
        ids = self.cell_ids() if cell_ids is None else list(cell_ids)
        return self._update({cell_id: {} for cell_id in ids}, (OUTPUT, EXEC_COUNT))

    def request_run(
        self, cell_ids: Iterable[str], server_time_ms: float, *, no_halt: bool = False
    ) -> ClientPatch | None:
        """Queue code cells for the runner: ``state: start`` and ``start`` in server time,
        increasing in the order given. ``no_halt``: an error in them does not halt the
        rest of the queue."""
        changes: dict[str, Record] = {}
        for cell_id in cell_ids:
            cell = self._existing(cell_id)
            if cell_id in changes or not _is_code(cell):
                continue
            self._last_start = max(int(server_time_ms), self._last_start + 1)
            changes[cell_id] = {
                STATE: str(CellState.START),
                START: self._last_start,
                NO_HALT: True if no_halt else None,
            }
        return self._update(changes)

    # --- the log's side ----------------------------------------------------------------

    def receive(self, record: LogRecord) -> None:
        """Take a record the server pushed (anyone's, this replica's own included)."""
        self._note(self.replica.receive(record))

    def catch_up(self, catch_up: CatchUp) -> None:
        """Take the answer to ``open`` or ``catch_up``."""
        for outcome in self.replica.catch_up(catch_up):
            self._note(outcome)

    @property
    def confirmed_seq(self) -> int:
        return self.replica.confirmed_seq

    @property
    def behind(self) -> bool:
        """Records were missed: ask the server for ``catch_up(confirmed_seq)``."""
        return self.replica.confirmed_seq < self._wanted_seq

    def take_outgoing(self) -> list[ClientPatch]:
        """The pending patches not handed out yet, oldest first; they count as sent now."""
        out = [p for p in self.replica.pending if p.local_number > self._sent_upto]
        if out:
            self._sent_upto = out[-1].local_number
        return out

    def rewind_outgoing(self) -> None:
        """The connection is gone: every pending patch must go out again on the next one
        (the server recognises the ones it already has)."""
        self._sent_upto = 0

    def take_changes(self) -> Changes:
        """What changed in the value since the last call."""
        value = self.value
        keys = changed_keys(self._reported, value)
        self._reported = value
        return Changes(keys)

    # --- helpers -----------------------------------------------------------------------

    def _note(self, outcome: Outcome) -> None:
        if isinstance(outcome, NeedResync):
            self._wanted_seq = max(self._wanted_seq, outcome.received_seq)

    def _existing(self, cell_id: str) -> Record:
        cell = self.cell(cell_id)
        if cell is None:
            raise KeyError(f"no cell {cell_id!r} in this notebook")
        return cell

    def _update(self, changes: dict[str, Record], drop: tuple[str, ...] = ()) -> ClientPatch | None:
        """Set fields (None removes one) and remove ``drop`` fields of existing cells."""
        value = dict(self.value)
        for cell_id, fields in changes.items():
            record = {k: v for k, v in self._existing(cell_id).items() if k not in drop}
            record.update(fields)
            value[cell_key(cell_id)] = {k: v for k, v in record.items() if v is not None}
        return self.replica.commit(value)

    def _place(
        self, value: Value, after: str | None, before: str | None, moving: str | None
    ) -> float:
        """A pos for a cell going after/before a neighbour; spreads the other cells out in
        ``value`` when no float is left between the neighbours."""
        if after is not None and before is not None:
            raise ValueError("give after= or before=, not both")
        anchor = after if after is not None else before
        if anchor is not None and anchor == moving:
            raise ValueError("a cell cannot move next to itself")
        for _ in range(2):
            order = [c for c in sorted_cells(value.values()) if c[ID] != moving]
            index = len(order)
            if anchor is not None:
                ids = [c[ID] for c in order]
                if anchor not in ids:
                    raise KeyError(f"no cell {anchor!r} in this notebook")
                index = ids.index(anchor) + (after is not None)
            try:
                return pos_between(_pos_at(order, index - 1), _pos_at(order, index))
            except ValueError:
                for i, cell in enumerate(order):
                    value[cell_key(cell[ID])] = {**cell, POS: float(i)}
        raise AssertionError("spread-out cells always leave room")  # pragma: no cover


def _pos_at(order: list, index: int) -> float | None:
    if 0 <= index < len(order):
        return cell_order_key(order[index])[0]
    return None


def _is_code(cell: Record) -> bool:
    return cell.get(CELL_TYPE, CellType.CODE) == CellType.CODE


def _check_cell_type(cell_type: str) -> None:
    if cell_type not in CELL_TYPES:
        names = ", ".join(CELL_TYPES)
        raise ValueError(f"cell_type must be one of {names}, not {cell_type!r}")
