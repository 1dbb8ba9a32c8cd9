"""The FUSE callbacks (mfusepy's high-level API) as RemoteFiles calls.

libfuse runs them one at a time (single-threaded loop), so RemoteFiles needs no lock.
Errors are OSErrors with the errno a local disk gives, which mfusepy hands to the
kernel; a lost link is EIO (open files are lost with it), and the next call reconnects.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import time
from collections.abc import Callable
from typing import Any

from ..websocketfs.remote import FileAttributes, RemoteFiles

log = logging.getLogger(__name__)

BLOCK = 128 * 1024  # st_blksize: Python's buffered files read and write in these
_UTIME_NOW, _UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
_NS = 1_000_000_000


def _lost_link_is_eio(method: Callable) -> Callable:
    def call(self: Operations, *args: Any) -> Any:
        try:
            return method(self, *args)
        except ConnectionError as error:
            log.warning("websocketfs: %s", error)
            raise OSError(errno.EIO, f"the link to the project was lost: {error}") from None

    call.__name__ = method.__name__
    return call


def stat_dict(attrs: FileAttributes) -> dict[str, int]:
    """A `struct stat` as mfusepy fills it (times in nanoseconds: `use_ns`)."""
    return {
        "st_mode": attrs.mode,
        "st_size": attrs.size,
        "st_uid": attrs.uid,
        "st_gid": attrs.gid,
        "st_nlink": 2 if stat.S_ISDIR(attrs.mode) else 1,
        "st_atime": int(attrs.atime) * _NS,
        "st_mtime": int(attrs.mtime) * _NS,
        "st_ctime": int(attrs.mtime) * _NS,
        "st_blksize": BLOCK,
        "st_blocks": (attrs.size + 511) // 512,
    }


class Operations:
    """What mfusepy's FUSE calls; paths come as "/a/b", which RemoteFiles takes as is."""

    use_ns = True

    def __init__(self, files: RemoteFiles, on_mounted: Callable[[], None] | None = None):
        self.files = files
        self.on_mounted = on_mounted

    def init(self, path: str) -> None:
        if self.on_mounted is not None:
            self.on_mounted()

    @_lost_link_is_eio
    def getattr(self, path: str, fh: int | None = None) -> dict[str, int]:
        return stat_dict(self.files.fstat(fh) if fh is not None else self.files.lstat(path))

    @_lost_link_is_eio
    def readdir(self, path: str, fh: int) -> list:
        names = self.files.listdir(path)
        prefix = path.rstrip("/")
        entries: list = [".", ".."]
        for name in names:
            try:  # from the cache the listing just filled
                mode = self.files.lstat(f"{prefix}/{name}").mode
            except FileNotFoundError:
                continue
            entries.append((name, {"st_mode": mode}, 0))
        return entries

    @_lost_link_is_eio
    def readlink(self, path: str) -> str:
        return self.files.readlink(path)

    @_lost_link_is_eio
    def mkdir(self, path: str, mode: int) -> None:
        self.files.mkdir(path, mode)

    @_lost_link_is_eio
    def rmdir(self, path: str) -> None:
        self.files.rmdir(path)

    @_lost_link_is_eio
    def unlink(self, path: str) -> None:
        self.files.remove(path)

    @_lost_link_is_eio
    def rename(self, old: str, new: str) -> None:
        self.files.rename(old, new)

    @_lost_link_is_eio
    def symlink(self, link: str, target: str) -> None:
        self.files.symlink(target, link)

    @_lost_link_is_eio
    def chmod(self, path: str, mode: int) -> None:
        self.files.chmod(path, mode)

    @_lost_link_is_eio
    def truncate(self, path: str, length: int, fh: int | None = None) -> None:
        if fh is not None:
            self.files.ftruncate(fh, length)
        else:
            self.files.truncate(path, length)

    @_lost_link_is_eio
    def utimens(self, path: str, times: tuple[int, int] | None = None) -> None:
        now = time.time()
        if times is None:
            self.files.utime(path, now, now)
            return
        current = None
        chosen = []
        for value, which in zip(times, ("atime", "mtime"), strict=True):
            if value == _UTIME_NOW:
                chosen.append(now)
            elif value == _UTIME_OMIT:
                current = current or self.files.stat(path)
                chosen.append(getattr(current, which))
            else:
                chosen.append(value / _NS)
        self.files.utime(path, chosen[0], chosen[1])

    @_lost_link_is_eio
    def open(self, path: str, flags: int) -> int:
        return self.files.open(path, flags)

    @_lost_link_is_eio
    def create(self, path: str, mode: int, flags: int) -> int:
        return self.files.open(path, flags | os.O_CREAT, mode)

    @_lost_link_is_eio
    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        return self.files.read(fh, offset, size)

    @_lost_link_is_eio
    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        return self.files.write(fh, offset, data)

    @_lost_link_is_eio
    def flush(self, path: str, fh: int) -> None:
        """Each close(2): what this descriptor wrote goes to the project now (and a
        failed write is the close's error)."""
        self.files.fsync(fh)

    @_lost_link_is_eio
    def fsync(self, path: str, datasync: int, fh: int) -> None:
        self.files.fsync(fh)

    def release(self, path: str, fh: int) -> None:
        try:
            self.files.close(fh)
        except (OSError, ConnectionError) as error:  # close(2) already returned
            log.warning("websocketfs: closing %s: %s", path, error)

    @_lost_link_is_eio
    def statfs(self, path: str) -> dict[str, int]:
        st = self.files.statvfs(path)
        return {
            "f_bsize": st.bsize,
            "f_frsize": st.frsize,
            "f_blocks": st.blocks,
            "f_bfree": st.bfree,
            "f_bavail": st.bavail,
            "f_files": st.files,
            "f_ffree": st.ffree,
            "f_favail": st.favail,
            "f_namemax": st.namemax,
        }
