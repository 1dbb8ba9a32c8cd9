"""What the notebook page shows, made from the live notebook (sans-IO).

The page's main thread only renders and forwards what a person does; everything it
shows comes from here as small plain messages, so that the notebook's logic stays in
the one Python client. ``PageView`` turns the document's changes into ``cells``
messages (changed cells, the order when it changed, removed cells) and keeps the page's
editors consistent with concurrent edits: each edit of the page carries a number per
cell, and a message says (``acks``) up to which number the page's edits are in the
texts it carries. A page ignores texts that do not contain all of its own edits yet (a
later message will), so its editors never step back under a person's typing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..notebook import CELL_TYPE, EXEC_COUNT, ID, INPUT, OUTPUT, STATE, CellType
from ..sync.text import apply_text_patch, make_text_patch
from ..worker.service import worker_flavour


def cell_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """One cell as the page draws it: outputs as a list in their order."""
    outputs = record.get(OUTPUT) or {}
    return {
        "id": record[ID],
        "cell_type": record.get(CELL_TYPE, CellType.CODE),
        "input": record.get(INPUT, ""),
        "outputs": [outputs[key] for key in sorted(outputs, key=int)],
        "exec_count": record.get(EXEC_COUNT),
        "state": record.get(STATE),
    }


def presence_view(presence: Mapping[str, Any], own_id: str) -> dict[str, Any]:
    """Who is here (this page marked ``you``) and the worker serving the notebook."""
    runner = presence.get("runner")
    return {
        "participants": [
            {
                "client_id": p["client_id"],
                "kind": p["kind"],
                "you": p["client_id"] == own_id,
                "flavour": worker_flavour(p["client_id"]) if p["kind"] == "compute" else None,
            }
            for p in presence.get("participants") or []
        ],
        "runner": {"client_id": runner, "flavour": worker_flavour(runner)} if runner else None,
        "kernel": presence.get("kernel"),
        "computes": presence.get("computes", 0),
    }


def merged_input(current: str, before: str, after: str) -> str:
    """The cell's text once a page's edit (``before`` -> ``after`` in its editor) meets
    the text now in the document, which may hold edits the page had not seen: the edit
    is applied as a fuzzy text patch, as the sync core merges concurrent typing."""
    if current == before:
        return after
    patch = make_text_patch(before, after)
    return after if patch is None else apply_text_patch(patch, current)


def neighbour(order: list[str], cell_id: str, step: int) -> tuple[str, str] | None:
    """Where a cell moving one place up (step -1) or down (+1) goes: ("before", id) or
    ("after", id); None at the edge."""
    if cell_id not in order:
        raise KeyError(f"no cell {cell_id!r} in this notebook")
    if step not in (-1, 1):
        raise ValueError(f"a cell moves by one place (-1 or 1), not {step!r}")
    index = order.index(cell_id) + step
    if not 0 <= index < len(order):
        return None
    return ("before" if step < 0 else "after", order[index])


class PageView:
    """The page's picture of one notebook: what was posted, and the page's edit numbers
    taken into the document (``acks``)."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.acks: dict[str, int] = {}
        self._acks_sent: dict[str, int] = {}

    def ack(self, cell_id: str, number: int) -> None:
        """The page's edit ``number`` of ``cell_id`` is in the document's text now."""
        self.acks[cell_id] = max(number, self.acks.get(cell_id, 0))

    def full(self, cells: list[Mapping[str, Any]]) -> dict[str, Any]:
        """A message with every cell (``cells`` in notebook order)."""
        self.order = [c[ID] for c in cells]
        self._acks_sent = dict(self.acks)
        return {
            "type": "cells",
            "full": True,
            "order": self.order,
            "cells": {c[ID]: cell_view(c) for c in cells},
            "removed": [],
            "acks": dict(self.acks),
        }

    def changes(
        self, cells: list[Mapping[str, Any]], changed: Iterable[str]
    ) -> dict[str, Any] | None:
        """A message for what changed among ``cells`` (in notebook order); None when
        nothing the page shows did."""
        by_id = {c[ID]: c for c in cells}
        order = [c[ID] for c in cells]
        changed = set(changed)
        acks = {k: v for k, v in self.acks.items() if self._acks_sent.get(k) != v}
        if not changed and not acks and order == self.order:
            return None
        message = {
            "type": "cells",
            "full": False,
            "order": order if order != self.order else None,
            "cells": {i: cell_view(by_id[i]) for i in sorted(changed) if i in by_id},
            "removed": sorted(i for i in changed if i not in by_id),
            "acks": acks,
        }
        self.order = order
        self._acks_sent.update(acks)
        for removed in message["removed"]:
            self.acks.pop(removed, None)
            self._acks_sent.pop(removed, None)
        return message
