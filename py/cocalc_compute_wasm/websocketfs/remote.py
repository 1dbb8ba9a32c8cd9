"""The project's files through one SFTP link, as a synchronous, caching client.

`RemoteFiles` is pure Python with no IO of its own: it hands whole SFTP packets to an
`Exchange` (a websocket shell in CPython, a SharedArrayBuffer bridge in the browser)
and gets their replies back, and reads time from `clock`. The caching rules (issue 6):

- reads go by blocks of `block_size`: a read that continues where the handle's last
  one ended also asks for `read_ahead` further blocks, all in one exchange (twice as
  many each time the reads go on in order, up to MAX_READ_AHEAD bytes); blocks are
  cached (LRU, `cache_size` bytes) while the file's size and mtime stay the same;
- writes are buffered per handle and sent (in WRITEs of up to 1 MiB, pipelined) on
  close and fsync, before a read, stat or truncate of the same file, and whenever a
  handle holds more than `write_buffer` bytes;
- attributes and listings are cached for `expiry` seconds; what this client changes
  (a write, create, rename, remove, mkdir ...) is forgotten at once: the path, its
  parent's listing and attributes, and for renames and rmdirs all below.

Not thread-safe: the FUSE and fsspec shells serialize calls.
"""

from __future__ import annotations

import errno
import itertools
import os
import posixpath
import stat as stat_module
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .cache import MISSING, BlockCache, Expiring, under
from .errors import RemoteError, status_error
from .packets import (
    MAX_DATA,
    SFTP_VERSION,
    Attrs,
    AttrsReply,
    Close,
    Data,
    ExtendedReply,
    Fsetstat,
    Fstat,
    Handle,
    Init,
    Lstat,
    Mkdir,
    Name,
    Open,
    Opendir,
    OpenFlags,
    Packet,
    PosixRename,
    Read,
    Readdir,
    Readlink,
    Remove,
    Request,
    Rmdir,
    Setstat,
    Stat,
    Status,
    StatusCode,
    Statvfs,
    StatvfsReply,
    Symlink,
    Version,
    Write,
    decode_packet,
    encode_packet,
)
from .writeback import WriteBuffer

__all__ = ["Exchange", "FileAttributes", "RemoteFiles", "StatvfsReply"]

Exchange = Callable[[Sequence[bytes]], list[bytes]]
"""Sends whole SFTP packets (length prefix included), returns each one's reply packet, in order.
Raises ConnectionError when the link is gone."""

MAX_IN_FLIGHT = 64  # requests in one exchange: what the server runs at once
MAX_BATCH_BYTES = 16 * 1024 * 1024  # data in one exchange, either way
MAX_READ_AHEAD = 12 * 1024 * 1024  # how far a long sequential read reads ahead, at most:
# an exchange drains the link, so the fewer the better (the browser's bridge most of all),
# and one window with its block stays within MAX_BATCH_BYTES
_ABSENT = (FileNotFoundError, NotADirectoryError)  # cached like attributes


@dataclass(frozen=True)
class FileAttributes:
    mode: int  # st_mode, file type bits included (stat.S_IFREG | 0o644 ...)
    size: int
    uid: int
    gid: int
    atime: float
    mtime: float

    @classmethod
    def of(cls, attrs: Attrs) -> FileAttributes:
        uid, gid = attrs.owner or (0, 0)
        atime, mtime = attrs.times or (0, 0)
        return cls(attrs.permissions or 0, attrs.size or 0, uid, gid, float(atime), float(mtime))

    @property
    def fingerprint(self) -> tuple[int, float]:
        """What tells that a file's contents changed: size and mtime."""
        return self.size, self.mtime


@dataclass
class _Handle:
    """An open file: the server's handle and what this client keeps for it."""

    path: str
    remote: bytes
    flags: int
    generation: int  # the link it was opened on; a lost link loses its handles
    pending: WriteBuffer = field(default_factory=WriteBuffer)
    next_offset: int = 0  # where a sequential read would go on
    streak: int = 0  # sequential fetches in a row: each reads twice as far ahead

    @property
    def writable(self) -> bool:
        return self.flags & os.O_ACCMODE != os.O_RDONLY

    @property
    def readable(self) -> bool:
        return self.flags & os.O_ACCMODE != os.O_WRONLY

    @property
    def append(self) -> bool:
        return bool(self.flags & os.O_APPEND)


def normalize(path: str) -> str:
    """A root-relative name: "" for the root, "a/b" for "/a/b", "a/./b/" or "a//b"."""
    name = posixpath.normpath("/" + path).lstrip("/")
    return "" if name == "." else name


def parent_of(path: str) -> str:
    return posixpath.dirname(path)


def _pflags(flags: int) -> int:
    access = flags & os.O_ACCMODE
    pflags = {os.O_RDONLY: OpenFlags.READ, os.O_WRONLY: OpenFlags.WRITE}.get(
        access, OpenFlags.READ | OpenFlags.WRITE
    )
    for local, remote in (
        (os.O_APPEND, OpenFlags.APPEND),
        (os.O_CREAT, OpenFlags.CREAT),
        (os.O_EXCL, OpenFlags.EXCL),
        (os.O_TRUNC, OpenFlags.TRUNC),
    ):
        if flags & local:
            pflags |= remote
    return pflags


class RemoteFiles:
    """The project's files through one SFTP link, with the caching rules of issue 6."""

    def __init__(
        self,
        exchange: Exchange,
        *,
        expiry: float = 1.0,
        block_size: int = 256 * 1024,
        read_ahead: int = 4,
        clock: Callable[[], float] = time.monotonic,
        cache_size: int = 64 * 1024 * 1024,
        write_buffer: int = 16 * 1024 * 1024,
    ) -> None:
        if not 0 < block_size <= MAX_DATA:
            raise ValueError(f"block_size must be 1 to {MAX_DATA} bytes, not {block_size}")
        if read_ahead < 0:
            raise ValueError(f"read_ahead is a number of blocks, 0 or more, not {read_ahead}")
        self._send = exchange
        self.expiry, self.block_size, self.read_ahead = expiry, block_size, read_ahead
        self.clock = clock
        self.write_buffer = write_buffer
        self._lstat: Expiring[FileAttributes] = Expiring(expiry, clock)
        self._stat: Expiring[FileAttributes] = Expiring(expiry, clock)
        # names found missing, apart: a name that comes into being forgets all below it
        self._absent: tuple[Expiring[OSError], Expiring[OSError]] = (
            Expiring(expiry, clock),  # lstat
            Expiring(expiry, clock),  # stat
        )
        self._listings: Expiring[frozenset[str]] = Expiring(expiry, clock)
        self._blocks = BlockCache(block_size, cache_size)
        self._handles: dict[int, _Handle] = {}
        self._handle_ids = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._generation = 0  # counts links; 0 until INIT was answered
        self._linked = False
        self.extensions: dict[str, bytes] = {}

    # --- the exchange -----------------------------------------------------------------

    def _request(self, kind: type[Request], *args: object) -> Request:
        return kind(next(self._request_ids) & 0xFFFFFFFF, *args)

    def _exchange(self, requests: Sequence[Request]) -> list[Packet]:
        """Replies to `requests`, in order, in as few round trips as the limits allow."""
        replies: list[Packet] = []
        for batch in _batches(requests):
            packets = [encode_packet(request) for request in batch]
            if not self._linked:
                packets.insert(0, encode_packet(Init(SFTP_VERSION)))
            try:
                raw = self._send(packets)
            except ConnectionError:
                self._lost()
                raise
            if len(raw) != len(packets):
                raise RemoteError(f"{len(packets)} packets sent, {len(raw)} replies")
            decoded = [decode_packet(data) for data in raw]
            if not self._linked:
                self._start(decoded.pop(0))
            for request, reply in zip(batch, decoded, strict=True):
                if getattr(reply, "request_id", None) != request.request_id:
                    raise RemoteError(
                        f"a {type(reply).__name__} does not answer {type(request).__name__}"
                        f" #{request.request_id}"
                    )
            replies += decoded
        return replies

    def _start(self, reply: Packet) -> None:
        if not isinstance(reply, Version):
            raise RemoteError(f"the server answered INIT with {reply!r}")
        self.extensions = dict(reply.extensions)
        self._linked = True
        self._generation += 1

    def _lost(self) -> None:
        """The link is gone: the server forgot our handles, and we what we cached."""
        self._linked = False
        self.invalidate()

    def _one(self, request: Request) -> Packet:
        return self._exchange([request])[0]

    @staticmethod
    def _ok(reply: Packet, path: str, path2: str | None = None) -> None:
        if not isinstance(reply, Status):
            raise RemoteError(f"expected a STATUS, got {reply!r}")
        if reply.code != StatusCode.OK:
            raise status_error(reply, path, path2)

    @staticmethod
    def _expect(reply: Packet, kind: type[Packet], path: str) -> Packet:
        if isinstance(reply, kind):
            return reply
        if isinstance(reply, Status):
            raise status_error(reply, path)
        raise RemoteError(f"expected {kind.__name__}, got {reply!r}")

    # --- attributes and listings --------------------------------------------------------

    def stat(self, path: str) -> FileAttributes:
        """Follows symlinks."""
        return self._attributes(normalize(path), path, follow=True)

    def lstat(self, path: str) -> FileAttributes:
        return self._attributes(normalize(path), path, follow=False)

    def _attributes(self, name: str, path: str, *, follow: bool) -> FileAttributes:
        self._flush_path(name)
        known = self._known(name, follow)
        if known is MISSING:
            request = self._request(Stat if follow else Lstat, name)
            reply = self._one(request)
            if isinstance(reply, AttrsReply):
                known = self._learn(name, FileAttributes.of(reply.attrs), follow=follow)
            elif isinstance(reply, Status):
                known = status_error(reply, name)
                if isinstance(known, _ABSENT):
                    self._absent[follow].put(name, known)
            else:
                raise RemoteError(f"expected ATTRS, got {reply!r}")
        if isinstance(known, OSError):
            raise OSError(known.errno, known.strerror, path)
        return known

    def _known(self, name: str, follow: bool) -> FileAttributes | OSError | object:
        """What the caches say of `name` (MISSING: ask the server)."""
        known = self._lstat.get(name)
        if known is MISSING:
            known = self._absent[False].get(name)
        if follow and (
            known is MISSING
            or (isinstance(known, FileAttributes) and stat_module.S_ISLNK(known.mode))
        ):
            known = self._stat.get(name)
            if known is MISSING:
                known = self._absent[True].get(name)
        if known is MISSING and name:
            listing = self._listings.get(parent_of(name))
            if listing is not MISSING and posixpath.basename(name) not in listing:
                return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
        return known

    def _learn(self, name: str, attrs: FileAttributes, *, follow: bool) -> FileAttributes:
        (self._stat if follow else self._lstat).put(name, attrs)
        if stat_module.S_ISREG(attrs.mode):
            self._blocks.check(name, attrs.fingerprint, self.clock(), attrs.size)
        return attrs

    def listdir(self, path: str) -> list[str]:
        """Names in the directory (no "." and ".."); fills the attribute cache."""
        name = normalize(path)
        listing = self._listings.get(name)
        if listing is not MISSING:
            return sorted(listing)
        opened = self._expect(self._one(self._request(Opendir, name)), Handle, path)
        generation = self._generation
        names: list[str] = []
        try:
            batch = 2  # two READDIRs answer a folder of up to 128 entries in one round trip
            while True:
                requests = [self._request(Readdir, opened.handle) for _ in range(batch)]
                done = False
                for reply in self._exchange(requests):
                    if isinstance(reply, Status) and reply.code == StatusCode.EOF:
                        done = True
                        continue
                    for entry in self._expect(reply, Name, path).entries:
                        if entry.filename in (".", ".."):
                            continue
                        names.append(entry.filename)
                        child = posixpath.join(name, entry.filename)
                        self._learn(child, FileAttributes.of(entry.attrs), follow=False)
                if done:
                    break
                batch = min(batch * 2, MAX_IN_FLIGHT)
        finally:
            if self._linked and self._generation == generation:  # else the server closed it
                self._exchange([self._request(Close, opened.handle)])
        self._listings.put(name, frozenset(names))
        return sorted(names)

    def invalidate(self, path: str | None = None) -> None:
        """Forget what is cached about `path` and all below it (everything if None)."""
        if path is None:
            for cache in self._caches:
                cache.clear()
            return
        self._forget_tree(normalize(path))

    @property
    def _caches(self) -> tuple[Expiring | BlockCache, ...]:
        return (self._lstat, self._stat, *self._absent, self._listings, self._blocks)

    def _forget(self, name: str) -> None:
        """`name` changed (its contents or attributes)."""
        for cache in (self._lstat, self._stat, self._blocks):
            cache.drop(name)

    def _forget_entry(self, name: str) -> None:
        """`name` came or went: its parent folder changed too, and what was missing
        below it may be there now (or missing for another reason)."""
        self._forget(name)
        self._listings.drop(name)
        for absent in self._absent:
            absent.drop_tree(name)
        parent = parent_of(name)
        for cache in (self._listings, self._lstat, self._stat):
            cache.drop(parent)

    def _forget_tree(self, name: str) -> None:
        for cache in self._caches:
            cache.drop_tree(name)
        if name:
            self._forget_entry(name)

    # --- files ------------------------------------------------------------------------

    def open(self, path: str, flags: int, mode: int = 0o666) -> int:
        """os.O_* flags; returns a handle for read/write/close."""
        name = normalize(path)
        opening = self._request(Open, name, _pflags(flags), Attrs(permissions=mode & 0o7777))
        writable = flags & os.O_ACCMODE != os.O_RDONLY
        if flags & (os.O_CREAT | os.O_TRUNC) or writable:
            self._flush_path(name)
            replies = self._exchange([opening])
        else:  # the file's attributes come back in the same round trip: blocks stay valid
            replies = self._exchange([opening, self._request(Stat, name)])
        opened = self._expect(replies[0], Handle, path)
        if flags & os.O_CREAT:
            self._forget_entry(name)
        elif flags & os.O_TRUNC:
            self._forget(name)
        if len(replies) > 1 and isinstance(replies[1], AttrsReply):
            self._learn(name, FileAttributes.of(replies[1].attrs), follow=True)
        handle = next(self._handle_ids)
        self._handles[handle] = _Handle(name, opened.handle, flags, self._generation)
        return handle

    def _handle(self, handle: int) -> _Handle:
        opened = self._handles.get(handle)
        if opened is None:
            raise OSError(errno.EBADF, f"no open handle {handle}")
        if opened.generation != self._generation or not self._linked:
            raise OSError(errno.EIO, f"{opened.path}: the link to the project was lost; reopen")
        return opened

    def read(self, handle: int, offset: int, size: int) -> bytes:
        opened = self._handle(handle)
        if not opened.readable:  # the server may allow it; a local disk does not
            raise OSError(errno.EBADF, os.strerror(errno.EBADF), opened.path)
        if offset < 0 or size < 0:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL), opened.path)
        self._flush_path(opened.path)
        if size == 0:  # nothing to read, but the server still says if reading is allowed
            reply = self._one(self._request(Read, opened.remote, offset, 0))
            if not (isinstance(reply, Status) and reply.code == StatusCode.EOF):
                self._expect(reply, Data, opened.path)
            return b""
        first, last = offset // self.block_size, (offset + size - 1) // self.block_size
        check = not self._fresh(opened.path)
        cached = (self._blocks.get(opened.path, i) is not None for i in range(first, last + 1))
        if check and any(cached):
            self._revalidate(opened)  # they may still be good: ask before reading again
            check = False
        if check or any(self._missing(opened, i) for i in range(first, last + 1)):
            if offset == opened.next_offset:  # sequential: read ahead, more as it goes on
                ahead = self.read_ahead << min(opened.streak, 8)
                last += min(ahead, max(self.read_ahead, MAX_READ_AHEAD // self.block_size))
                opened.streak += 1
            else:
                opened.streak = 0
            wanted = [i for i in range(first, last + 1) if check or self._missing(opened, i)]
            self._fetch(opened, wanted, check=check)
        data = self._assemble(opened, offset, size)
        opened.next_offset = offset + len(data)
        return data

    def _fresh(self, name: str) -> bool:
        """The cached blocks of `name` were checked against its attributes lately."""
        checked = self._blocks.checked(name)
        return checked is not None and self.clock() - checked < self.expiry

    def _missing(self, opened: _Handle, index: int) -> bool:
        if self._blocks.get(opened.path, index) is not None:
            return False
        end = self._blocks.end(opened.path)
        return end is None or index * self.block_size < end

    def _check(self, opened: _Handle, reply: Packet) -> None:
        attrs = FileAttributes.of(self._expect(reply, AttrsReply, opened.path).attrs)
        self._stat.put(opened.path, attrs)
        self._blocks.check(opened.path, attrs.fingerprint, self.clock(), attrs.size)

    def _revalidate(self, opened: _Handle) -> None:
        """Blocks older than `expiry` are checked against the file's attributes (another
        writer may have changed it): one FSTAT on the handle."""
        self._check(opened, self._one(self._request(Fstat, opened.remote)))

    def _fetch(self, opened: _Handle, indexes: list[int], *, check: bool = False) -> None:
        """Read the blocks at `indexes`: contiguous runs in READs of up to MAX_DATA, after
        an FSTAT in the same exchange with `check` (the server keeps a handle's order)."""
        per_read = max(1, MAX_DATA // self.block_size)
        reads: list[tuple[int, int]] = []  # (first block, count)
        for index in indexes:
            if reads and reads[-1][0] + reads[-1][1] == index and reads[-1][1] < per_read:
                reads[-1] = (reads[-1][0], reads[-1][1] + 1)
            else:
                reads.append((index, 1))
        requests = [
            self._request(Read, opened.remote, first * self.block_size, count * self.block_size)
            for first, count in reads
        ]
        if check:
            requests.insert(0, self._request(Fstat, opened.remote))
        replies = self._exchange(requests)
        if check:
            self._check(opened, replies.pop(0))
        for (first, count), reply in zip(reads, replies, strict=True):
            if isinstance(reply, Status) and reply.code == StatusCode.EOF:
                data = b""
            else:
                data = self._expect(reply, Data, opened.path).data
            view = memoryview(data)  # blocks share the reply's bytes: no copy
            for at in range(count):
                piece = view[at * self.block_size : (at + 1) * self.block_size]
                self._blocks.put(opened.path, first + at, piece)
                if len(piece) < self.block_size:
                    break

    def _assemble(self, opened: _Handle, offset: int, size: int) -> bytes:
        parts: list[bytes] = []
        wanted, at = size, offset
        while wanted > 0:
            index, skip = divmod(at, self.block_size)
            if self._missing(opened, index):  # evicted by a read bigger than the cache
                self._fetch(opened, [index])
            block = self._blocks.get(opened.path, index)
            if block is None:  # past the end
                break
            piece = block[skip : skip + wanted]
            if not piece:
                break
            parts.append(piece)
            wanted -= len(piece)
            at += len(piece)
            if len(block) < self.block_size:
                break
        return b"".join(parts)

    def write(self, handle: int, offset: int, data: bytes) -> int:
        opened = self._handle(handle)
        if not opened.writable:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF), opened.path)
        if offset < 0:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL), opened.path)
        opened.pending.add(offset, bytes(data), append=opened.append)
        self._forget(opened.path)
        opened.next_offset = -1
        if opened.pending.size > self.write_buffer:
            self._flush([opened])
        return len(data)

    def _writes(self, opened: _Handle) -> list[Request]:
        requests = [
            self._request(Write, opened.remote, offset, data)
            for offset, data in opened.pending.chunks()
        ]
        opened.pending.clear()
        return requests

    def _flush(self, handles: Iterable[_Handle], then: Request | None = None) -> Packet | None:
        """Send what `handles` buffered (and `then` after it, in the same exchange); the
        first failed write is raised, after `then` ran."""
        requests: list[Request] = []
        owners: list[_Handle] = []
        for opened in handles:
            writes = self._writes(opened)
            requests += writes
            owners += [opened] * len(writes)
            if writes:
                self._forget(opened.path)
        if then is not None:
            requests.append(then)
        if not requests:
            return None
        replies = self._exchange(requests)
        for opened, reply in zip(owners, replies, strict=False):
            self._ok(reply, opened.path)
        return replies[-1] if then is not None else None

    def _flush_path(self, name: str, *, tree: bool = False) -> None:
        """Writes buffered for `name` (with `tree`, below it too) go out before anyone
        looks at it."""
        dirty = [
            h
            for h in self._handles.values()
            if h.pending and (h.path == name or (tree and under(h.path, name)))
        ]
        if dirty:
            self._flush(dirty)

    def fstat(self, handle: int) -> FileAttributes:
        """Sees this handle's own buffered writes: they are sent first."""
        opened = self._handle(handle)
        reply = self._flush([opened], then=self._request(Fstat, opened.remote))
        attrs = FileAttributes.of(self._expect(reply, AttrsReply, opened.path).attrs)
        self._stat.put(opened.path, attrs)
        return attrs

    def fsync(self, handle: int) -> None:
        self._flush([self._handle(handle)])

    def close(self, handle: int) -> None:
        """Sends what is buffered, then closes; a failed write is raised here."""
        opened = self._handles.pop(handle, None)
        if opened is None:
            raise OSError(errno.EBADF, f"no open handle {handle}")
        if opened.generation != self._generation or not self._linked:
            return  # the server closed it with the link
        wrote = bool(opened.pending)
        try:
            reply = self._flush([opened], then=self._request(Close, opened.remote))
            self._ok(reply, opened.path)
        finally:
            if wrote:
                self._forget(opened.path)

    def ftruncate(self, handle: int, length: int) -> None:
        opened = self._handle(handle)
        setting = self._request(Fsetstat, opened.remote, Attrs(size=length))
        self._ok(self._flush([opened], then=setting), opened.path)
        self._forget(opened.path)

    def truncate(self, path: str, length: int) -> None:
        self._setstat(path, Attrs(size=length))

    def chmod(self, path: str, mode: int) -> None:
        self._setstat(path, Attrs(permissions=mode & 0o7777))

    def utime(self, path: str, atime: float, mtime: float) -> None:
        self._setstat(path, Attrs(times=(int(atime), int(mtime))))

    def _setstat(self, path: str, attrs: Attrs) -> None:
        name = normalize(path)
        self._flush_path(name)
        try:
            self._ok(self._one(self._request(Setstat, name, attrs)), path)
        finally:
            self._forget(name)

    # --- names ------------------------------------------------------------------------

    def rename(self, old: str, new: str) -> None:
        """Replaces an existing `new`, as os.replace does (posix-rename@openssh.com)."""
        old_name, new_name = normalize(old), normalize(new)
        self._flush_path(old_name, tree=True)
        self._flush_path(new_name, tree=True)
        try:
            self._ok(self._one(self._request(PosixRename, old_name, new_name)), old, new)
        finally:
            self._forget_tree(old_name)
            self._forget_tree(new_name)
        for opened in self._handles.values():  # open files keep their data under a new name
            if under(opened.path, old_name):
                opened.path = new_name + opened.path[len(old_name) :]

    def remove(self, path: str) -> None:
        self._change_entry(path, Remove)

    def rmdir(self, path: str) -> None:
        name = normalize(path)
        try:
            self._ok(self._one(self._request(Rmdir, name)), path)
        finally:
            self._forget_tree(name)

    def mkdir(self, path: str, mode: int = 0o777) -> None:
        name = normalize(path)
        try:
            self._ok(self._one(self._request(Mkdir, name, Attrs(permissions=mode & 0o7777))), path)
        finally:
            self._forget_entry(name)

    def symlink(self, target: str, path: str) -> None:
        name = normalize(path)
        try:
            self._ok(self._one(self._request(Symlink, target, name)), target, path)
        finally:
            self._forget_entry(name)

    def _change_entry(self, path: str, kind: type[Request]) -> None:
        name = normalize(path)
        self._flush_path(name)
        try:
            self._ok(self._one(self._request(kind, name)), path)
        finally:
            self._forget_entry(name)

    def readlink(self, path: str) -> str:
        reply = self._expect(self._one(self._request(Readlink, normalize(path))), Name, path)
        if len(reply.entries) != 1:
            raise RemoteError(f"READLINK answered {len(reply.entries)} names")
        return reply.entries[0].filename

    def statvfs(self, path: str) -> StatvfsReply:
        reply = self._expect(
            self._one(self._request(Statvfs, normalize(path))), ExtendedReply, path
        )
        return StatvfsReply.parse(reply.data)


def _batches(requests: Sequence[Request]) -> list[Sequence[Request]]:
    """Cut `requests` into exchanges of at most MAX_IN_FLIGHT requests and about
    MAX_BATCH_BYTES of data either way."""
    batches: list[Sequence[Request]] = []
    start, volume = 0, 0
    for index, request in enumerate(requests):
        weight = len(request.data) if isinstance(request, Write) else 0
        weight += request.length if isinstance(request, Read) else 0
        if index > start and (index - start >= MAX_IN_FLIGHT or volume + weight > MAX_BATCH_BYTES):
            batches.append(requests[start:index])
            start, volume = index, 0
        volume += weight
    if start < len(requests):
        batches.append(requests[start:])
    return batches
