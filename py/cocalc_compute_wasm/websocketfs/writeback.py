"""A handle's writes not yet sent, sans-IO.

Extents are kept in the order written and sent in that order, so a later write wins
over an earlier one it overlaps, as on a disk. A write that starts inside or right at
the end of the last extent is spliced into it, so a stream of small sequential writes
becomes a few WRITE requests of up to `MAX_DATA` bytes each.
"""

from __future__ import annotations

from collections.abc import Iterator

from .packets import MAX_DATA

__all__ = ["WriteBuffer"]


class WriteBuffer:
    def __init__(self) -> None:
        self._extents: list[tuple[int, bytearray]] = []
        self.size = 0  # bytes held

    def __bool__(self) -> bool:
        return bool(self._extents)

    def add(self, offset: int, data: bytes, *, append: bool = False) -> None:
        """Buffer `data` at `offset` (with `append`, after what came before, as O_APPEND
        writes land at the end whatever the offset)."""
        if not data:
            return
        if self._extents:
            start, last = self._extents[-1]
            if append or start <= offset <= start + len(last):
                at = len(last) if append else offset - start
                grown = max(0, at + len(data) - len(last))
                last[at : at + len(data)] = data
                self.size += grown
                return
        self._extents.append((offset, bytearray(data)))
        self.size += len(data)

    def chunks(self) -> Iterator[tuple[int, bytes]]:
        """(offset, data) pieces of at most MAX_DATA bytes, in the order to write them."""
        for start, extent in self._extents:
            for at in range(0, len(extent), MAX_DATA):
                yield start + at, bytes(extent[at : at + MAX_DATA])

    def clear(self) -> None:
        self._extents.clear()
        self.size = 0
