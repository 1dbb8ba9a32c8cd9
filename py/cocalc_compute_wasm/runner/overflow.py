"""The outputs past max_output_length: kept by the runner, handed out on request."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Final

from .outputs import (
    Output,
    OutputList,
    discarded_note,
    display_id_of,
    output_size,
    with_display_update,
)

DEFAULT_MORE_OUTPUT_LIMIT: Final = 16_000_000
"""Characters (as ``output_size`` counts them) of truncated output the runner keeps, for
all cells together: 64 times the default max_output_length, tens of MB at most."""


@dataclass(slots=True)
class _Kept:
    cell_id: str
    output: Output
    size: int


class Overflow:
    """Every cell's outputs past max_output_length, within one bound for the notebook.

    Kept in arrival order across cells; past the bound the oldest go first (a cell's last
    output, where an error shows, matters most), and ``outputs`` begins by saying how much
    of a cell's output went, so nothing vanishes silently. Stream chunks are kept as they
    came and merged when asked for.
    """

    def __init__(self, limit: int = DEFAULT_MORE_OUTPUT_LIMIT) -> None:
        self.limit = limit
        self._kept: deque[_Kept] = deque()
        self._size = 0
        self._count: Counter[str] = Counter()  # kept outputs per cell
        self._discarded: Counter[str] = Counter()  # characters dropped per cell
        # Display ids ever kept (a superset): updates skip the scan for all other ids.
        self._display_ids: set[str] = set()

    def add(self, cell_id: str, output: Output) -> None:
        self._kept.append(_Kept(cell_id, output, output_size(output)))
        self._size += self._kept[-1].size
        self._count[cell_id] += 1
        display_id = display_id_of(output)
        if display_id is not None:
            self._display_ids.add(display_id)
        self._evict()

    def drop(self, cell_id: str) -> None:
        """Forget a cell's outputs: it runs again, cleared its output, or is gone."""
        self._discarded.pop(cell_id, None)
        if self._count.pop(cell_id, 0):
            self._kept = deque(kept for kept in self._kept if kept.cell_id != cell_id)
            self._size = sum(kept.size for kept in self._kept)

    def outputs(self, cell_id: str) -> list[Output]:
        """A cell's outputs past the limit, streams merged; first a note if some went."""
        merged = OutputList()
        if self._discarded[cell_id]:
            merged.append(discarded_note(self._discarded[cell_id], self.limit))
        for kept in self._kept:
            if kept.cell_id == cell_id:
                merged.append(kept.output)
        return list(merged.outputs())

    def update_display(self, display_id: str, update: Output) -> None:
        if display_id not in self._display_ids:
            return
        for kept in self._kept:
            if display_id_of(kept.output) == display_id:
                kept.output = with_display_update(kept.output, update)
                size = output_size(kept.output)
                self._size += size - kept.size
                kept.size = size
        self._evict()

    def _evict(self) -> None:
        while self._size > self.limit:
            old = self._kept.popleft()
            self._size -= old.size
            self._count[old.cell_id] -= 1
            if not self._count[old.cell_id]:
                del self._count[old.cell_id]
            self._discarded[old.cell_id] += old.size
