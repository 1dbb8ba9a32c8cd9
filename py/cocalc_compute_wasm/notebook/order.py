"""Cell order: cells sort by ``pos`` (a float), ties broken by id.

Order is a field of each cell rather than a list, so that moving or inserting a cell is a
one-field patch that cannot conflict with concurrent edits elsewhere; equal positions
(two collaborators inserting at the same place) still sort the same on every replica.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidNotebook
from .schema import CELL, ID, POS, TYPE


def cell_order_key(cell: Mapping[str, Any]) -> tuple[float, str]:
    """Sort key of a cell record; a missing ``pos`` counts as 0."""
    pos = cell.get(POS)
    if pos is None:
        pos = 0.0
    elif isinstance(pos, bool) or not isinstance(pos, int | float) or not math.isfinite(pos):
        raise InvalidNotebook(f"cell {cell.get(ID)!r}: pos must be a finite number, got {pos!r}")
    return (pos, str(cell.get(ID)))


def sorted_cells(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The cell records among ``records``, in notebook order."""
    return sorted((r for r in records if r.get(TYPE) == CELL), key=cell_order_key)


def pos_between(before: float | None, after: float | None) -> float:
    """A ``pos`` strictly between two neighbours' (None: no neighbour on that side).

    The midpoint, or 1 beyond a single neighbour; where repeated halving has used up float
    precision, the nearest float. Raises ValueError only when no float lies between
    (``before >= after``, or adjacent floats); the caller then spreads the cells out again.
    """
    if before is None:
        pos = 0.0 if after is None else after - 1.0
    elif after is None:
        pos = before + 1.0
    else:
        pos = before / 2 + after / 2
    if not _between(before, pos, after):
        pos = (
            math.nextafter(after, -math.inf) if before is None else math.nextafter(before, math.inf)
        )
        if not _between(before, pos, after):
            raise ValueError(f"no float between {before!r} and {after!r}")
    return pos


def _between(before: float | None, pos: float, after: float | None) -> bool:
    return (before is None or before < pos) and (after is None or pos < after)
