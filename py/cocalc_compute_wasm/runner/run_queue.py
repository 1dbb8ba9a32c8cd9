"""The cells waiting to run, in the order of their ``start``."""

from __future__ import annotations

import heapq
import math

_Key = tuple[float, str]


def _order(cell_id: str, start: object) -> _Key:
    """By ``start`` (server ms), ties by id; a missing or malformed start goes last."""
    valid = isinstance(start, int | float) and not isinstance(start, bool)
    return (float(start) if valid else math.inf, cell_id)  # type: ignore[arg-type]


class RunQueue:
    """A heap with lazy deletion: collaborators re-request and un-queue cells at any time,
    and a notebook's "run all" may queue thousands, so both take O(log n), not a re-sort."""

    def __init__(self) -> None:
        self._heap: list[_Key] = []
        self._keys: dict[str, _Key] = {}  # the live entry of each queued cell

    def __contains__(self, cell_id: object) -> bool:
        return cell_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def put(self, cell_id: str, start: object) -> None:
        """Queue a cell, or move it to its new ``start``."""
        key = _order(cell_id, start)
        if self._keys.get(cell_id) != key:
            self._keys[cell_id] = key
            heapq.heappush(self._heap, key)
            if len(self._heap) > 2 * len(self._keys) + 64:  # mostly dead entries: rebuild
                self._heap = list(self._keys.values())
                heapq.heapify(self._heap)

    def remove(self, cell_id: str) -> None:
        self._keys.pop(cell_id, None)

    def pop(self) -> str | None:
        """The first cell, taken off the queue; None when empty."""
        while self._heap:
            key = heapq.heappop(self._heap)
            if self._keys.get(key[1]) == key:
                del self._keys[key[1]]
                return key[1]
        return None

    def clear(self) -> list[str]:
        """Empty the queue; the cells that were in it."""
        cell_ids = list(self._keys)
        self._keys.clear()
        self._heap.clear()
        return cell_ids

    def ids(self) -> list[str]:
        """The queued cells in order."""
        return [key[1] for key in sorted(self._keys.values())]
