"""The project folder as an SFTP file system: one request in, one reply out.

`ProjectFiles.handle` runs plain os calls and may block, so the shell runs it in worker
threads, many requests at once: the handle table is guarded by a lock, and a handle in
use by a READ is closed only once that READ is done (a CLOSE waits for its users), so
a file descriptor is never reused under a request still running on it.
"""

from __future__ import annotations

import errno
import itertools
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..server.store import STATE_DIR
from .confine import Confined, PathRefused
from .packets import (
    MAX_DATA,
    Attrs,
    AttrsReply,
    Close,
    Data,
    Extended,
    Fsetstat,
    Fstat,
    Handle,
    Lstat,
    Mkdir,
    Name,
    NameEntry,
    Open,
    Opendir,
    OpenFlags,
    Packet,
    PosixRename,
    Read,
    Readdir,
    Readlink,
    Realpath,
    Remove,
    Rename,
    Request,
    Rmdir,
    Setstat,
    Stat,
    Status,
    StatusCode,
    Statvfs,
    StatvfsReply,
    Symlink,
    Write,
)

MAX_HANDLES = 1024
MAX_OFFSET = 2**63 - 1  # SFTP's offsets and sizes are uint64; the OS takes a signed off_t
READDIR_BATCH = 128
EXTENSIONS: tuple[tuple[str, bytes], ...] = (
    ("posix-rename@openssh.com", b"1"),
    ("statvfs@openssh.com", b"2"),
)

# as OpenSSH's sftp-server maps errno to the few SFTP v3 status codes
_STATUS_OF_ERRNO = {
    errno.ENOENT: StatusCode.NO_SUCH_FILE,
    errno.ENOTDIR: StatusCode.NO_SUCH_FILE,
    errno.EBADF: StatusCode.NO_SUCH_FILE,
    errno.ELOOP: StatusCode.NO_SUCH_FILE,
    errno.EPERM: StatusCode.PERMISSION_DENIED,
    errno.EACCES: StatusCode.PERMISSION_DENIED,
    errno.EFAULT: StatusCode.PERMISSION_DENIED,
    errno.ENAMETOOLONG: StatusCode.BAD_MESSAGE,
    errno.EINVAL: StatusCode.BAD_MESSAGE,
    errno.ENOSYS: StatusCode.OP_UNSUPPORTED,
}


class Failed(Exception):
    """A request that fails with an SFTP status."""

    def __init__(self, code: StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def attrs_of(st: os.stat_result) -> Attrs:
    return Attrs(
        size=st.st_size,
        owner=(st.st_uid, st.st_gid),
        permissions=st.st_mode,
        times=(int(st.st_atime) & 0xFFFFFFFF, int(st.st_mtime) & 0xFFFFFFFF),
    )


def longname(name: str, st: os.stat_result) -> str:
    """An `ls -l` line, which SFTP v3 clients show as is."""
    when = time.strftime("%b %d %H:%M", time.localtime(st.st_mtime))
    return (
        f"{stat.filemode(st.st_mode)} {st.st_nlink:>3} {st.st_uid:<8} {st.st_gid:<8} "
        f"{st.st_size:>8} {when} {name}"
    )


@dataclass
class _Open:
    """An open handle: a file descriptor or a directory listing, and who is using it."""

    path: Path
    fd: int | None = None
    entries: Iterator[os.DirEntry] | None = None
    scandir: object = None
    users: int = 0
    closing: bool = False
    done: threading.Condition = field(default_factory=threading.Condition)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
        if self.scandir is not None:
            self.scandir.close()


class ProjectFiles:
    """The SFTP operations on one connection, rooted at a project folder."""

    def __init__(self, root: Path) -> None:
        self.paths = Confined(root)
        self._handles: dict[bytes, _Open] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._ops: dict[type, Callable[[Request], Packet]] = {
            Open: self._open,
            Close: self._close,
            Read: self._read,
            Write: self._write,
            Lstat: lambda r: AttrsReply(
                r.request_id, attrs_of(os.lstat(self.paths.locate(r.path)))
            ),
            Stat: lambda r: AttrsReply(r.request_id, attrs_of(os.stat(self.paths.follow(r.path)))),
            Fstat: self._fstat,
            Setstat: self._setstat,
            Fsetstat: self._fsetstat,
            Opendir: self._opendir,
            Readdir: self._readdir,
            Remove: self._ok(lambda r: os.unlink(self.paths.locate(r.path))),
            Mkdir: self._ok(lambda r: os.mkdir(self.paths.locate(r.path), _mode(r.attrs, 0o777))),
            Rmdir: self._ok(lambda r: os.rmdir(self.paths.locate(r.path))),
            Realpath: self._realpath,
            Rename: self._ok(self._rename),
            PosixRename: self._ok(
                lambda r: os.rename(self.paths.locate(r.old), self.paths.locate(r.new))
            ),
            Readlink: self._readlink,
            Symlink: self._ok(self._symlink),
            Statvfs: self._statvfs,
        }

    @staticmethod
    def _attrs(request: Request, st: os.stat_result) -> Packet:
        return AttrsReply(request.request_id, attrs_of(st))

    def handle(self, request: Request) -> Packet:
        """The reply to one request; errors become STATUS replies, never exceptions."""
        op = self._ops.get(type(request))
        try:
            if op is None:
                name = request.name if isinstance(request, Extended) else type(request).__name__
                raise Failed(StatusCode.OP_UNSUPPORTED, f"{name} is not supported")
            return op(request)
        except Failed as failure:
            return Status(request.request_id, failure.code, failure.message)
        except PathRefused as refusal:
            return Status(request.request_id, StatusCode.PERMISSION_DENIED, str(refusal))
        except OSError as error:
            code = _STATUS_OF_ERRNO.get(error.errno or 0, StatusCode.FAILURE)
            return Status(request.request_id, code, error.strerror or str(error))

    def close(self) -> None:
        """Close every handle left open (the connection ended)."""
        with self._lock:
            handles, self._handles = list(self._handles.values()), {}
        for handle in handles:
            self._wait_and_release(handle)

    # --- handles --------------------------------------------------------------------

    def _new_handle(self, opened: _Open, prefix: bytes) -> bytes:
        with self._lock:
            if len(self._handles) >= MAX_HANDLES:
                opened.release()
                raise Failed(StatusCode.FAILURE, f"too many open handles (at most {MAX_HANDLES})")
            key = prefix + str(next(self._ids)).encode()
            self._handles[key] = opened
        return key

    def _use(self, key: bytes, kind: str) -> _Open:
        with self._lock:
            opened = self._handles.get(key)
            if opened is None or opened.closing:
                raise Failed(StatusCode.FAILURE, f"no open handle {key!r}")
            if (kind == "file") != (opened.fd is not None):
                raise Failed(StatusCode.FAILURE, f"handle {key!r} is not a {kind} handle")
            opened.users += 1
            return opened

    def _done(self, opened: _Open) -> None:
        with opened.done:
            opened.users -= 1
            opened.done.notify_all()

    def _with(self, key: bytes, kind: str, action: Callable[[_Open], Packet]) -> Packet:
        opened = self._use(key, kind)
        try:
            return action(opened)
        finally:
            self._done(opened)

    def _wait_and_release(self, opened: _Open) -> None:
        with opened.done:
            opened.closing = True
            opened.done.wait_for(lambda: opened.users == 0)
        opened.release()

    # --- operations -----------------------------------------------------------------

    @staticmethod
    def _ok(action: Callable[[Request], object]) -> Callable[[Request], Packet]:
        def run(request: Request) -> Packet:
            action(request)
            return Status(request.request_id, StatusCode.OK, "OK")

        return run

    def _open(self, request: Open) -> Packet:
        flags = request.pflags
        readable, writable = bool(flags & OpenFlags.READ), bool(flags & OpenFlags.WRITE)
        mode = os.O_RDWR if readable and writable else os.O_WRONLY if writable else os.O_RDONLY
        if flags & OpenFlags.APPEND:
            mode |= os.O_APPEND
        if flags & OpenFlags.CREAT:
            mode |= os.O_CREAT
            if flags & OpenFlags.EXCL:
                mode |= os.O_EXCL
        if flags & OpenFlags.TRUNC:
            mode |= os.O_TRUNC
        path = self.paths.follow(request.path)
        fd = os.open(path, mode | getattr(os, "O_CLOEXEC", 0), _mode(request.attrs, 0o666))
        return Handle(request.request_id, self._new_handle(_Open(path, fd=fd), b"f"))

    def _close(self, request: Close) -> Packet:
        with self._lock:
            opened = self._handles.pop(request.handle, None)
        if opened is None:
            raise Failed(StatusCode.FAILURE, f"no open handle {request.handle!r}")
        self._wait_and_release(opened)
        return Status(request.request_id, StatusCode.OK, "OK")

    def _read(self, request: Read) -> Packet:
        def read(opened: _Open) -> Packet:
            data = os.pread(opened.fd, min(request.length, MAX_DATA), _offset(request.offset))
            if not data and request.length:
                return Status(request.request_id, StatusCode.EOF, "end of file")
            return Data(request.request_id, data)

        return self._with(request.handle, "file", read)

    def _write(self, request: Write) -> Packet:
        def write(opened: _Open) -> Packet:
            view, offset = memoryview(request.data), _offset(request.offset)
            while view:
                written = os.pwrite(opened.fd, view, offset)
                view, offset = view[written:], offset + written
            return Status(request.request_id, StatusCode.OK, "OK")

        return self._with(request.handle, "file", write)

    def _fstat(self, request: Fstat) -> Packet:
        return self._with(
            request.handle,
            "file",
            lambda opened: AttrsReply(request.request_id, attrs_of(os.fstat(opened.fd))),
        )

    def _setstat(self, request: Setstat) -> Packet:
        _apply(self.paths.follow(request.path), request.attrs)
        return Status(request.request_id, StatusCode.OK, "OK")

    def _fsetstat(self, request: Fsetstat) -> Packet:
        def apply(opened: _Open) -> Packet:
            _apply(opened.fd, request.attrs)
            return Status(request.request_id, StatusCode.OK, "OK")

        return self._with(request.handle, "file", apply)

    def _opendir(self, request: Opendir) -> Packet:
        path = self.paths.follow(request.path)
        listing = os.scandir(path)
        opened = _Open(path, entries=iter(listing), scandir=listing)
        return Handle(request.request_id, self._new_handle(opened, b"d"))

    def _readdir(self, request: Readdir) -> Packet:
        hidden = self.paths.root / STATE_DIR

        def batch(opened: _Open) -> Packet:
            entries = []
            for entry in opened.entries:
                path = Path(entry.path)
                if path == hidden:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone since the listing began
                entries.append(NameEntry(entry.name, longname(entry.name, st), attrs_of(st)))
                if len(entries) >= READDIR_BATCH:
                    break
            if not entries:
                return Status(request.request_id, StatusCode.EOF, "no more entries")
            return Name(request.request_id, tuple(entries))

        return self._with(request.handle, "directory", batch)

    def _realpath(self, request: Realpath) -> Packet:
        name = self.paths.canonical(self.paths.follow(request.path))
        return Name(request.request_id, (NameEntry(name, name, Attrs()),))

    def _rename(self, request: Rename) -> None:
        old, new = self.paths.locate(request.old), self.paths.locate(request.new)
        if os.path.lexists(new):  # SFTP v3's RENAME does not replace; posix-rename does
            raise Failed(StatusCode.FAILURE, f"{request.new!r} already exists")
        os.rename(old, new)

    def _symlink(self, request: Symlink) -> None:
        if "\0" in request.target:  # the link's own path is checked by locate()
            raise Failed(StatusCode.BAD_MESSAGE, f"symlink target {request.target!r} has a NUL")
        os.symlink(request.target, self.paths.locate(request.link))

    def _readlink(self, request: Readlink) -> Packet:
        target = os.readlink(self.paths.locate(request.path))
        return Name(request.request_id, (NameEntry(target, target, Attrs()),))

    def _statvfs(self, request: Statvfs) -> Packet:
        st = os.statvfs(self.paths.follow(request.path))
        return StatvfsReply(
            st.f_bsize,
            st.f_frsize,
            st.f_blocks,
            st.f_bfree,
            st.f_bavail,
            st.f_files,
            st.f_ffree,
            st.f_favail,
            st.f_fsid,
            st.f_flag,
            st.f_namemax,
        ).reply(request.request_id)


def _mode(attrs: Attrs, default: int) -> int:
    return stat.S_IMODE(attrs.permissions) if attrs.permissions is not None else default


def _offset(value: int, what: str = "offset") -> int:
    """An offset or size the OS can take; past it the request is malformed, not our bug."""
    if value > MAX_OFFSET:
        raise Failed(StatusCode.BAD_MESSAGE, f"{what} {value} is past the largest ({MAX_OFFSET})")
    return value


def _apply(target: Path | int, attrs: Attrs) -> None:
    """SETSTAT/FSETSTAT: size, owner, permissions, times, in that order (as OpenSSH)."""
    if attrs.size is not None:
        os.truncate(target, _offset(attrs.size, "size"))
    if attrs.owner is not None:
        os.chown(target, *attrs.owner)
    if attrs.permissions is not None:
        os.chmod(target, stat.S_IMODE(attrs.permissions))
    if attrs.times is not None:
        os.utime(target, attrs.times)
