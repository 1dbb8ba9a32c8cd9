"""The SFTP v3 packets that websocketfs exchanges, as small frozen dataclasses, and their
codec: `decode_packet(bytes)` and `encode_packet(packet)`. No IO.

Each packet class lists its fields in wire order (`FIELDS`: name and kind), so one
generic encoder and decoder serve them all and a round trip is exact by construction.
`EXTENDED` requests that we implement decode to their own classes (`PosixRename`,
`Statvfs`); any other extension stays an `Extended` with its raw payload.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any, ClassVar

from .wire import PacketError, Reader, Writer

__all__ = [
    "MAX_DATA",
    "MAX_PACKET",
    "SFTP_VERSION",
    "Attrs",
    "AttrsReply",
    "Close",
    "Data",
    "Extended",
    "ExtendedReply",
    "Fsetstat",
    "Fstat",
    "Handle",
    "Init",
    "Lstat",
    "Mkdir",
    "Name",
    "NameEntry",
    "Open",
    "OpenFlags",
    "Opendir",
    "Packet",
    "PacketError",
    "PosixRename",
    "Read",
    "Readdir",
    "Readlink",
    "Realpath",
    "Remove",
    "Rename",
    "Request",
    "Rmdir",
    "Setstat",
    "Stat",
    "Status",
    "StatusCode",
    "Statvfs",
    "StatvfsReply",
    "Symlink",
    "Version",
    "Write",
    "decode_packet",
    "encode_packet",
]

SFTP_VERSION = 3
MAX_DATA = 1024 * 1024  # the most a READ returns or a WRITE carries
MAX_PACKET = MAX_DATA + 1024  # a WRITE of MAX_DATA with its header fits


class StatusCode(IntEnum):
    OK = 0
    EOF = 1
    NO_SUCH_FILE = 2
    PERMISSION_DENIED = 3
    FAILURE = 4
    BAD_MESSAGE = 5
    NO_CONNECTION = 6
    CONNECTION_LOST = 7
    OP_UNSUPPORTED = 8


class OpenFlags:
    READ = 0x01
    WRITE = 0x02
    APPEND = 0x04
    CREAT = 0x08
    TRUNC = 0x10
    EXCL = 0x20


_SIZE, _UIDGID, _PERMISSIONS, _ACMODTIME, _EXTENDED = 0x1, 0x2, 0x4, 0x8, 0x80000000
_KNOWN_FLAGS = _SIZE | _UIDGID | _PERMISSIONS | _ACMODTIME | _EXTENDED


@dataclass(frozen=True)
class Attrs:
    """File attributes; None is "not sent". Owner and times travel in pairs on the wire."""

    size: int | None = None
    owner: tuple[int, int] | None = None  # (uid, gid)
    permissions: int | None = None
    times: tuple[int, int] | None = None  # (atime, mtime), seconds
    extended: tuple[tuple[str, bytes], ...] = ()

    def encode(self, out: Writer) -> None:
        flags = (
            (_SIZE if self.size is not None else 0)
            | (_UIDGID if self.owner is not None else 0)
            | (_PERMISSIONS if self.permissions is not None else 0)
            | (_ACMODTIME if self.times is not None else 0)
            | (_EXTENDED if self.extended else 0)
        )
        out.u32(flags)
        if self.size is not None:
            out.u64(self.size)
        if self.owner is not None:
            out.u32(self.owner[0]).u32(self.owner[1])
        if self.permissions is not None:
            out.u32(self.permissions)
        if self.times is not None:
            out.u32(self.times[0]).u32(self.times[1])
        if self.extended:
            out.u32(len(self.extended))
            for name, value in self.extended:
                out.text(name).bytes(value)

    @classmethod
    def decode(cls, reader: Reader) -> Attrs:
        flags = reader.u32("attribute flags")
        if flags & ~_KNOWN_FLAGS:
            raise PacketError(f"unknown attribute flags {flags & ~_KNOWN_FLAGS:#x}")
        size = reader.u64("size") if flags & _SIZE else None
        owner = (reader.u32("uid"), reader.u32("gid")) if flags & _UIDGID else None
        permissions = reader.u32("permissions") if flags & _PERMISSIONS else None
        times = (reader.u32("atime"), reader.u32("mtime")) if flags & _ACMODTIME else None
        extended: tuple[tuple[str, bytes], ...] = ()
        if flags & _EXTENDED:
            count = reader.u32("extended count")
            if count > reader.remaining // 8:  # each pair takes at least 8 bytes
                raise PacketError(f"{count} extended attributes cannot fit")
            extended = tuple(
                (reader.text("extended name"), reader.bytes("extended data")) for _ in range(count)
            )
        return cls(size, owner, permissions, times, extended)


@dataclass(frozen=True)
class NameEntry:
    """One entry of a NAME reply: the name, an `ls -l` line for humans, its attributes."""

    filename: str
    longname: str = ""
    attrs: Attrs = Attrs()


# --- field kinds: how each is read and written --------------------------------------


def _read_names(reader: Reader) -> tuple[NameEntry, ...]:
    count = reader.u32("name count")
    if count > reader.remaining // 12:  # two empty strings and empty attrs: 12 bytes
        raise PacketError(f"{count} names cannot fit")
    return tuple(
        NameEntry(reader.text("filename"), reader.text("longname"), Attrs.decode(reader))
        for _ in range(count)
    )


def _write_names(out: Writer, entries: tuple[NameEntry, ...]) -> None:
    out.u32(len(entries))
    for entry in entries:
        out.text(entry.filename).text(entry.longname)
        entry.attrs.encode(out)


def _read_pairs(reader: Reader) -> tuple[tuple[str, bytes], ...]:
    pairs = []
    while reader.remaining:
        pairs.append((reader.text("extension name"), reader.bytes("extension data")))
    return tuple(pairs)


def _write_pairs(out: Writer, pairs: tuple[tuple[str, bytes], ...]) -> None:
    for name, value in pairs:
        out.text(name).bytes(value)


_READ = {
    "u32": lambda r, name: r.u32(name),
    "u64": lambda r, name: r.u64(name),
    "text": lambda r, name: r.text(name),
    "bytes": lambda r, name: r.bytes(name),
    "data": lambda r, name: r.view(name),
    "attrs": lambda r, name: Attrs.decode(r),
    "names": lambda r, name: _read_names(r),
    "pairs": lambda r, name: _read_pairs(r),
    "u64s": lambda r, name: tuple(r.u64(name) for _ in range(11)),
    "rest": lambda r, name: r.rest(),
}
_WRITE = {
    "u32": lambda w, v: w.u32(v),
    "u64": lambda w, v: w.u64(v),
    "text": lambda w, v: w.text(v),
    "bytes": lambda w, v: w.bytes(v),
    "data": lambda w, v: w.bytes(v),
    "attrs": lambda w, v: v.encode(w),
    "names": _write_names,
    "pairs": _write_pairs,
    "u64s": lambda w, v: [w.u64(x) for x in v],
    "rest": lambda w, v: w.raw(v),
}


class Packet:
    """A packet: its type byte and its fields, in wire order, as (name, kind)."""

    TYPE: ClassVar[int]
    FIELDS: ClassVar[tuple[tuple[str, str], ...]]
    # for EXTENDED requests and replies with a known layout
    EXTENSION: ClassVar[str | None] = None


class Request(Packet):
    """A client's request; every one but INIT carries a request id."""

    request_id: int


def _packet(type_: int, *spec: tuple[str, str], extension: str | None = None):
    def wrap(cls):
        cls = dataclass(frozen=True)(cls)
        cls.TYPE = type_
        cls.FIELDS = spec
        cls.EXTENSION = extension
        assert [f.name for f in fields(cls)] == [name for name, _ in spec], cls
        return cls

    return wrap


ID = ("request_id", "u32")


@_packet(1, ("version", "u32"), ("extensions", "pairs"))
class Init(Packet):
    version: int
    extensions: tuple[tuple[str, bytes], ...] = ()


@_packet(2, ("version", "u32"), ("extensions", "pairs"))
class Version(Packet):
    version: int
    extensions: tuple[tuple[str, bytes], ...] = ()


@_packet(3, ID, ("path", "text"), ("pflags", "u32"), ("attrs", "attrs"))
class Open(Request):
    request_id: int
    path: str
    pflags: int
    attrs: Attrs = Attrs()


@_packet(4, ID, ("handle", "bytes"))
class Close(Request):
    request_id: int
    handle: bytes


@_packet(5, ID, ("handle", "bytes"), ("offset", "u64"), ("length", "u32"))
class Read(Request):
    request_id: int
    handle: bytes
    offset: int
    length: int


# "data": decoded as a view of the packet (up to 1 MiB that need no copy)
@_packet(6, ID, ("handle", "bytes"), ("offset", "u64"), ("data", "data"))
class Write(Request):
    request_id: int
    handle: bytes
    offset: int
    data: bytes | memoryview


@_packet(7, ID, ("path", "text"))
class Lstat(Request):
    request_id: int
    path: str


@_packet(8, ID, ("handle", "bytes"))
class Fstat(Request):
    request_id: int
    handle: bytes


@_packet(9, ID, ("path", "text"), ("attrs", "attrs"))
class Setstat(Request):
    request_id: int
    path: str
    attrs: Attrs


@_packet(10, ID, ("handle", "bytes"), ("attrs", "attrs"))
class Fsetstat(Request):
    request_id: int
    handle: bytes
    attrs: Attrs


@_packet(11, ID, ("path", "text"))
class Opendir(Request):
    request_id: int
    path: str


@_packet(12, ID, ("handle", "bytes"))
class Readdir(Request):
    request_id: int
    handle: bytes


@_packet(13, ID, ("path", "text"))
class Remove(Request):
    request_id: int
    path: str


@_packet(14, ID, ("path", "text"), ("attrs", "attrs"))
class Mkdir(Request):
    request_id: int
    path: str
    attrs: Attrs = Attrs()


@_packet(15, ID, ("path", "text"))
class Rmdir(Request):
    request_id: int
    path: str


@_packet(16, ID, ("path", "text"))
class Realpath(Request):
    request_id: int
    path: str


@_packet(17, ID, ("path", "text"))
class Stat(Request):
    request_id: int
    path: str


@_packet(18, ID, ("old", "text"), ("new", "text"))
class Rename(Request):
    request_id: int
    old: str
    new: str


@_packet(19, ID, ("path", "text"))
class Readlink(Request):
    request_id: int
    path: str


# OpenSSH's order (target first), which its clients, sshfs and paramiko all send
@_packet(20, ID, ("target", "text"), ("link", "text"))
class Symlink(Request):
    request_id: int
    target: str
    link: str


@_packet(200, ID, ("name", "text"), ("data", "rest"))
class Extended(Request):
    """An extension request we do not know the layout of."""

    request_id: int
    name: str
    data: bytes = b""


@_packet(200, ID, ("old", "text"), ("new", "text"), extension="posix-rename@openssh.com")
class PosixRename(Request):
    """RENAME that replaces an existing target, as rename(2) does."""

    request_id: int
    old: str
    new: str


@_packet(200, ID, ("path", "text"), extension="statvfs@openssh.com")
class Statvfs(Request):
    request_id: int
    path: str


@_packet(101, ID, ("code", "u32"), ("message", "text"), ("lang", "text"))
class Status(Packet):
    request_id: int
    code: int
    message: str = ""
    lang: str = "en"


@_packet(102, ID, ("handle", "bytes"))
class Handle(Packet):
    request_id: int
    handle: bytes


@_packet(103, ID, ("data", "data"))
class Data(Packet):
    request_id: int
    data: bytes | memoryview


@_packet(104, ID, ("entries", "names"))
class Name(Packet):
    request_id: int
    entries: tuple[NameEntry, ...]


@_packet(105, ID, ("attrs", "attrs"))
class AttrsReply(Packet):
    request_id: int
    attrs: Attrs


@_packet(201, ID, ("data", "rest"))
class ExtendedReply(Packet):
    request_id: int
    data: bytes = b""


@dataclass(frozen=True)
class StatvfsReply:
    """The payload of statvfs@openssh.com's EXTENDED_REPLY: eleven uint64s."""

    bsize: int
    frsize: int
    blocks: int
    bfree: int
    bavail: int
    files: int
    ffree: int
    favail: int
    fsid: int
    flag: int
    namemax: int

    def reply(self, request_id: int) -> ExtendedReply:
        out = Writer()
        for value in (getattr(self, f.name) for f in fields(self)):
            out.u64(value)
        return ExtendedReply(request_id, out.packet()[4:])

    @classmethod
    def parse(cls, data: bytes) -> StatvfsReply:
        reader = Reader(data)
        values = [reader.u64(f.name) for f in fields(cls)]
        reader.done("statvfs reply")
        return cls(*values)


_ALL: tuple[type[Packet], ...] = (
    *(Init, Version, Open, Close, Read, Write, Lstat, Fstat, Setstat, Fsetstat, Opendir),
    *(Readdir, Remove, Mkdir, Rmdir, Realpath, Stat, Rename, Readlink, Symlink, Extended),
    *(Status, Handle, Data, Name, AttrsReply, ExtendedReply),
)
_BY_TYPE: dict[int, type[Packet]] = {cls.TYPE: cls for cls in _ALL}
_EXTENSIONS: dict[str, type[Packet]] = {cls.EXTENSION: cls for cls in (PosixRename, Statvfs)}


def _decode_fields(cls: type[Packet], reader: Reader, values: dict[str, Any]) -> Packet:
    for name, kind in cls.FIELDS:
        if name not in values:
            values[name] = _READ[kind](reader, name)
    reader.done(cls.__name__)
    return cls(**values)


def decode_packet(data: bytes) -> Packet:
    """One whole packet, its 4-byte length prefix included; PacketError if malformed."""
    if len(data) < 5:
        raise PacketError(f"a packet needs at least 5 bytes, got {len(data)}")
    reader = Reader(data)
    length = reader.u32("length")
    if length != len(data) - 4:
        raise PacketError(f"the length prefix says {length} bytes, the message has {len(data) - 4}")
    type_ = reader.byte("type")
    cls = _BY_TYPE.get(type_)
    if cls is None:
        raise PacketError(f"unknown packet type {type_}")
    if cls is Extended:
        request_id = reader.u32("request_id")
        name = reader.text("extension name")
        known = _EXTENSIONS.get(name)
        if known is not None:
            return _decode_fields(known, reader, {"request_id": request_id})
        return Extended(request_id, name, reader.rest())
    return _decode_fields(cls, reader, {})


def encode_packet(packet: Packet) -> bytes:
    """The packet's bytes, length prefix included."""
    out = Writer().byte(packet.TYPE)
    for index, (name, kind) in enumerate(packet.FIELDS):
        _WRITE[kind](out, getattr(packet, name))
        if index == 0 and packet.EXTENSION is not None:
            out.text(packet.EXTENSION)
    return out.packet()
