"""What a client remembers about the project's files, sans-IO: facts about paths that
expire (attributes, listings) and file contents in blocks (kept while the file's size
and mtime stay as they were). Paths are normalised root-relative names: "" is the root.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["MISSING", "BlockCache", "Expiring", "under"]

V = TypeVar("V")
MISSING = object()


def under(path: str, top: str) -> bool:
    """`path` is `top` or inside it."""
    return not top or path == top or path.startswith(top + "/")


class Expiring(Generic[V]):
    """Facts about paths, each good for `expiry` seconds after it was learnt. Stale
    entries are swept when the table passes `limit`, so it stays bounded."""

    def __init__(self, expiry: float, clock: Callable[[], float], limit: int = 100_000) -> None:
        self.expiry, self.clock, self.limit = expiry, clock, limit
        self._entries: dict[str, tuple[float, V]] = {}

    def get(self, path: str) -> V | object:
        """The fact, or MISSING when unknown or stale."""
        entry = self._entries.get(path)
        if entry is None:
            return MISSING
        if self.clock() - entry[0] >= self.expiry:
            del self._entries[path]
            return MISSING
        return entry[1]

    def put(self, path: str, value: V) -> None:
        if self.expiry <= 0:
            return
        if len(self._entries) >= self.limit:
            self._sweep()
        self._entries[path] = (self.clock(), value)

    def drop(self, path: str) -> None:
        self._entries.pop(path, None)

    def drop_tree(self, top: str) -> None:
        for path in [path for path in self._entries if under(path, top)]:
            del self._entries[path]

    def clear(self) -> None:
        self._entries.clear()

    def _sweep(self) -> None:
        now = self.clock()
        self._entries = {
            path: entry for path, entry in self._entries.items() if now - entry[0] < self.expiry
        }
        while len(self._entries) >= self.limit:  # all fresh: forget the oldest
            del self._entries[next(iter(self._entries))]


@dataclass
class _File:
    """One file's cached blocks and what they were read from."""

    fingerprint: Hashable
    checked: float
    end: int | None = None  # where the file ends, once a read has met the end
    blocks: set[int] = field(default_factory=set)


class BlockCache:
    """File contents in `block_size` blocks, least recently used dropped past `capacity`
    bytes. A file's blocks are kept only while its fingerprint (size, mtime) is the one
    they were read under."""

    def __init__(self, block_size: int, capacity: int) -> None:
        self.block_size, self.capacity = block_size, capacity
        self._blocks: OrderedDict[tuple[str, int], bytes | memoryview] = OrderedDict()
        self._files: dict[str, _File] = {}
        self.size = 0

    def check(self, path: str, fingerprint: Hashable, now: float, size: int) -> None:
        """The file is now known to have `fingerprint` (its size among it): drop its
        blocks if it changed."""
        known = self._files.get(path)
        if known is not None and known.fingerprint != fingerprint:
            self.drop(path)
            known = None
        if known is None:
            self._files[path] = _File(fingerprint, now, end=size)
        else:
            known.checked = now

    def checked(self, path: str) -> float | None:
        """When the file's fingerprint was last confirmed (None: nothing cached)."""
        known = self._files.get(path)
        return None if known is None else known.checked

    def end(self, path: str) -> int | None:
        known = self._files.get(path)
        return None if known is None else known.end

    def get(self, path: str, index: int) -> bytes | memoryview | None:
        data = self._blocks.get((path, index))
        if data is not None:
            self._blocks.move_to_end((path, index))
        return data

    def put(self, path: str, index: int, data: bytes | memoryview) -> None:
        """A block as read; one shorter than a block (or empty) marks the file's end."""
        known = self._files.get(path)
        if known is None:
            return  # read before its fingerprint was known, or dropped meanwhile
        if len(data) < self.block_size:
            end = index * self.block_size + len(data)
            known.end = end if known.end is None else min(known.end, end)
        if not data:
            return
        old = self._blocks.pop((path, index), None)
        self.size += len(data) - (len(old) if old is not None else 0)
        self._blocks[(path, index)] = data
        known.blocks.add(index)
        while self.size > self.capacity:
            (old_path, old_index), evicted = self._blocks.popitem(last=False)
            self.size -= len(evicted)
            self._files[old_path].blocks.discard(old_index)

    def drop(self, path: str) -> None:
        known = self._files.pop(path, None)
        if known is None:
            return
        for index in known.blocks:
            self.size -= len(self._blocks.pop((path, index)))

    def drop_tree(self, top: str) -> None:
        for path in [path for path in self._files if under(path, top)]:
            self.drop(path)

    def clear(self) -> None:
        self._blocks.clear()
        self._files.clear()
        self.size = 0
