"""Cell ids: nbformat 4.5's rules, fresh ids, and repairing the ids of an imported notebook.

A cell's id is half of its record's key, so every cell needs one that is unique in the
document; nbformat 4.5 also stores it in the file, where it must be 1-64 characters of
``[a-zA-Z0-9-_]``. Fresh ids come from a random source passed in, so tests are
deterministic and the browser needs no extra entropy API.
"""

from __future__ import annotations

import random
import re
from collections.abc import Container, Sequence
from typing import Final

_VALID_ID: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def is_valid_cell_id(value: object) -> bool:
    """Whether nbformat 4.5 accepts ``value`` as a cell id."""
    return isinstance(value, str) and _VALID_ID.fullmatch(value) is not None


def new_cell_id(rng: random.Random, taken: Container[str] = frozenset()) -> str:
    """A fresh valid id (8 hex digits, as nbformat makes them) that is not in ``taken``."""
    while True:
        cell_id = f"{rng.getrandbits(32):08x}"
        if cell_id not in taken:
            return cell_id


def repair_cell_ids(candidates: Sequence[object], rng: random.Random) -> list[str]:
    """One valid, unique id per cell: each valid id is kept where it first occurs.

    Cells of notebooks before 4.5 have no id; a duplicate or invalid id (a hand edit, an
    old tool) is replaced too, as ``nbformat.validate(repair_duplicate_cell_ids=True)``
    does. Fresh ids avoid every kept id, also those of later cells.
    """
    kept: list[str | None] = []
    taken: set[str] = set()
    for candidate in candidates:
        if is_valid_cell_id(candidate) and candidate not in taken:
            taken.add(candidate)
            kept.append(candidate)
        else:
            kept.append(None)
    ids = []
    for cell_id in kept:
        if cell_id is None:
            cell_id = new_cell_id(rng, taken)
            taken.add(cell_id)
        ids.append(cell_id)
    return ids
