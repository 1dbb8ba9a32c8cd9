"""SFTP's wire primitives (RFC draft-ietf-secsh-filexfer-02): big-endian integers and
length-prefixed strings, read with bounds checks so that malformed input is a PacketError
and never an IndexError or a struct.error."""

from __future__ import annotations

import struct

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


class PacketError(Exception):
    """Bytes that are not a well-formed SFTP v3 packet."""


class Reader:
    """Reads fields off one packet body, front to back."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._at = 0

    def _take(self, size: int, what: str) -> memoryview:
        end = self._at + size
        if end > len(self._data):
            raise PacketError(
                f"truncated {what}: needs {size} bytes, {len(self._data) - self._at} left"
            )
        chunk = self._data[self._at : end]
        self._at = end
        return chunk

    def byte(self, what: str = "byte") -> int:
        return self._take(1, what)[0]

    def u32(self, what: str = "uint32") -> int:
        return _U32.unpack(self._take(4, what))[0]

    def u64(self, what: str = "uint64") -> int:
        return _U64.unpack(self._take(8, what))[0]

    def bytes(self, what: str = "string") -> bytes:
        return bytes(self._take(self.u32(f"length of {what}"), what))

    def view(self, what: str = "string") -> memoryview:
        """A string field as a view of the packet, not a copy (READ and WRITE data)."""
        return self._take(self.u32(f"length of {what}"), what).toreadonly()

    def text(self, what: str = "string") -> str:
        # names are bytes on the wire; surrogateescape keeps non-UTF-8 names round-tripping
        return self.bytes(what).decode("utf-8", "surrogateescape")

    def rest(self) -> bytes:
        return bytes(self._take(len(self._data) - self._at, "rest"))

    @property
    def remaining(self) -> int:
        return len(self._data) - self._at

    def done(self, what: str) -> None:
        if self.remaining:
            raise PacketError(f"{self.remaining} bytes left over after {what}")


class Writer:
    """Builds one packet body; `packet()` adds the length prefix."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def byte(self, value: int) -> Writer:
        self._parts.append(bytes((value,)))
        return self

    def u32(self, value: int) -> Writer:
        self._parts.append(_U32.pack(value))
        return self

    def u64(self, value: int) -> Writer:
        self._parts.append(_U64.pack(value))
        return self

    def bytes(self, value: bytes) -> Writer:
        self._parts.append(_U32.pack(len(value)))
        self._parts.append(value)
        return self

    def text(self, value: str) -> Writer:
        return self.bytes(value.encode("utf-8", "surrogateescape"))

    def raw(self, value: bytes) -> Writer:
        self._parts.append(value)
        return self

    def packet(self) -> bytes:
        # one join, prefix included: a 1 MiB WRITE or DATA is copied once, not twice
        size = sum(len(part) for part in self._parts)
        return b"".join([_U32.pack(size), *self._parts])
