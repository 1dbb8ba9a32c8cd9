"""A handle's writes not yet sent, sans-IO.

Extents are kept in the order written and sent in that order, so a later write wins
over an earlier one it overlaps, as on a disk. A write that continues the last extent
joins it without a copy (its bytes are kept as given, and joined into WRITEs of up to
`MAX_DATA` bytes only when sent); one that starts inside the last extent is spliced into
it. So a stream of sequential writes becomes a few WRITE requests of 1 MiB each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .packets import MAX_DATA

__all__ = ["WriteBuffer"]


@dataclass
class _Extent:
    start: int
    parts: list[bytes | bytearray] = field(default_factory=list)
    length: int = 0

    def splice(self, at: int, data: bytes) -> int:
        """Write `data` at `at` (inside or at the end); returns how much it grew."""
        whole = bytearray().join(self.parts) if len(self.parts) != 1 else self.parts[0]
        if not isinstance(whole, bytearray):
            whole = bytearray(whole)
        whole[at : at + len(data)] = data
        grown = len(whole) - self.length
        self.parts, self.length = [whole], len(whole)
        return grown


class WriteBuffer:
    def __init__(self) -> None:
        self._extents: list[_Extent] = []
        self.size = 0  # bytes held

    def __bool__(self) -> bool:
        return bool(self._extents)

    def add(self, offset: int, data: bytes, *, append: bool = False) -> None:
        """Buffer `data` at `offset` (with `append`, after what came before, as O_APPEND
        writes land at the end whatever the offset)."""
        if not data:
            return
        last = self._extents[-1] if self._extents else None
        if last is not None and (append or offset == last.start + last.length):
            last.parts.append(data)
            last.length += len(data)
            self.size += len(data)
        elif last is not None and last.start <= offset < last.start + last.length:
            self.size += last.splice(offset - last.start, data)
        else:
            self._extents.append(_Extent(offset, [data], len(data)))
            self.size += len(data)

    def chunks(self) -> Iterator[tuple[int, bytes | memoryview]]:
        """(offset, data) pieces of at most MAX_DATA bytes, in the order to write them;
        a part that is a whole piece is handed over as is, without a copy."""
        for extent in self._extents:
            offset, pending, size = extent.start, [], 0
            for part in extent.parts:
                view = memoryview(part)
                while view:
                    take = view[: MAX_DATA - size]
                    view = view[len(take) :]
                    pending.append(take)
                    size += len(take)
                    if size == MAX_DATA:
                        yield offset, _joined(pending)
                        offset, pending, size = offset + size, [], 0
            if pending:
                yield offset, _joined(pending)

    def clear(self) -> None:
        self._extents.clear()
        self.size = 0


def _joined(views: list[memoryview]) -> bytes | memoryview:
    return views[0] if len(views) == 1 else b"".join(views)
