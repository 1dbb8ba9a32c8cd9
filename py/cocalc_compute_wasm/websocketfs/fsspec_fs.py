"""A project's files as an fsspec file system (protocol "cocalc"), for collaborators'
scripts: pandas, dask, xarray ... read and write `cocalc://path/in/project`.

    import fsspec
    fs = fsspec.filesystem("cocalc")  # API_SERVER, PROJECT_ID, API_KEY, BASE_PATH
    with fs.open("data.csv") as f:
        print(f.read())

It is `RemoteFiles` (caching, read-ahead, write-back) over a `FilesLink`; open files are
Python's buffered files around a raw file on a RemoteFiles handle. Calls are serialized
by one lock, so threads may share an instance. Host only (aiohttp).
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import stat
import threading
from datetime import UTC, datetime
from typing import Any

from fsspec import AbstractFileSystem

from ..client.config import resolve_config
from ..client.files_link import FilesLink
from .remote import FileAttributes, RemoteFiles

__all__ = ["CocalcFileSystem"]

_FLAGS = {
    "r": os.O_RDONLY,
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
}


class RemoteRawFile(io.RawIOBase):
    """A raw file on a RemoteFiles handle: positions are kept here, data goes by handle."""

    def __init__(self, fs: CocalcFileSystem, path: str, mode: str) -> None:
        super().__init__()
        kind = mode.replace("b", "").replace("+", "")
        if kind not in _FLAGS or len(kind) != 1:
            raise ValueError(f"invalid mode {mode!r}: one of r, w, a, x, with b and/or +")
        flags = _FLAGS[kind]
        if "+" in mode:
            flags = (flags & ~os.O_ACCMODE) | os.O_RDWR
        self._fs, self.name, self.mode = fs, path, mode
        self._reading = kind == "r" or "+" in mode
        self._writing = kind != "r" or "+" in mode
        self._append = kind == "a"
        with fs.lock:
            self._handle: int | None = fs.files.open(path, flags)
        self._position = 0
        if self._append:
            self._position = self._size()

    def _size(self) -> int:
        with self._fs.lock:
            return self._fs.files.fstat(self._handle).size

    def _open_or_fail(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def readable(self) -> bool:
        return self._reading

    def writable(self) -> bool:
        return self._writing

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._open_or_fail()
        if not self._reading:
            raise io.UnsupportedOperation("not readable")
        view = memoryview(buffer).cast("B")
        with self._fs.lock:
            data = self._fs.files.read(self._handle, self._position, len(view))
        view[: len(data)] = data
        self._position += len(data)
        return len(data)

    def write(self, data: Any) -> int:
        self._open_or_fail()
        if not self._writing:
            raise io.UnsupportedOperation("not writable")
        data = bytes(data)
        with self._fs.lock:
            written = self._fs.files.write(self._handle, self._position, data)
        self._position += written  # appends land at the end: there, if nobody else writes
        return written

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._open_or_fail()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position}.get(whence)
        if base is None:
            base = self._size()
        if base + offset < 0:
            raise OSError(22, f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        self._open_or_fail()
        return self._position

    def truncate(self, size: int | None = None) -> int:
        self._open_or_fail()
        size = self._position if size is None else size
        with self._fs.lock:
            self._fs.files.ftruncate(self._handle, size)
        return size

    def flush(self) -> None:
        """Sends what RemoteFiles buffered: others see it now, as after a local flush."""
        if not self.closed and self._writing and self._handle is not None:
            with self._fs.lock:
                self._fs.files.fsync(self._handle)

    def close(self) -> None:
        if self.closed:
            return
        handle, self._handle = self._handle, None
        try:
            with self._fs.lock:
                self._fs.files.close(handle)
        finally:
            super().close()


class CocalcFileSystem(AbstractFileSystem):
    """cocalc://path: the files of the project named by the arguments or env vars
    (`server`, `project_id`, `api_key`, `base_path`; API_SERVER, PROJECT_ID, API_KEY,
    BASE_PATH). `expiry` is how long attributes and listings are trusted (seconds)."""

    protocol = "cocalc"
    root_marker = ""

    def __init__(
        self,
        server: str | None = None,
        project_id: str | None = None,
        api_key: str | None = None,
        base_path: str | None = None,
        expiry: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = resolve_config(server, project_id, api_key, base_path)
        self.link = FilesLink(self.config)
        self.files = RemoteFiles(self.link, expiry=expiry)
        self.lock = threading.RLock()

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return super()._strip_protocol(path).strip("/")

    # --- what fsspec builds everything else on ------------------------------------------

    def _entry(self, path: str, attrs: FileAttributes) -> dict[str, Any]:
        """fsspec's info dict; a symlink is described by what it points to."""
        islink = stat.S_ISLNK(attrs.mode)
        if islink:
            with contextlib.suppress(FileNotFoundError):  # dangling: stays a link
                attrs = self.files.stat(path)
        kind = (
            "directory"
            if stat.S_ISDIR(attrs.mode)
            else "file"
            if stat.S_ISREG(attrs.mode)
            else "link"
            if stat.S_ISLNK(attrs.mode)
            else "other"
        )
        return {
            "name": path,
            "size": attrs.size,
            "type": kind,
            "mode": attrs.mode,
            "uid": attrs.uid,
            "gid": attrs.gid,
            "mtime": attrs.mtime,
            "islink": islink,
        }

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        with self.lock:
            return self._entry(path, self.files.lstat(path))

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list:
        path = self._strip_protocol(path)
        with self.lock:
            top = self.files.stat(path)
            if not stat.S_ISDIR(top.mode):
                entries = [self._entry(path, self.files.lstat(path))]
            else:
                entries = [
                    self._entry(child, self.files.lstat(child))
                    for child in (posixpath.join(path, n) for n in self.files.listdir(path))
                ]
        return entries if detail else [entry["name"] for entry in entries]

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> io.IOBase:
        raw = RemoteRawFile(self, self._strip_protocol(path), mode)
        if raw.readable() and raw.writable():
            return io.BufferedRandom(raw, buffer_size=256 * 1024)
        if raw.writable():
            return io.BufferedWriter(raw, buffer_size=256 * 1024)
        return io.BufferedReader(raw, buffer_size=256 * 1024)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        if create_parents:
            self.makedirs(path, exist_ok=True)
        else:
            with self.lock:
                self.files.mkdir(path)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        with self.lock:
            parent = posixpath.dirname(path)
            if parent and not self.exists(parent):
                self.makedirs(parent, exist_ok=True)
            try:
                self.files.mkdir(path)
            except FileExistsError:
                if not exist_ok or not self.isdir(path):
                    raise

    def rmdir(self, path: str) -> None:
        with self.lock:
            self.files.rmdir(self._strip_protocol(path))

    def rm_file(self, path: str) -> None:
        path = self._strip_protocol(path)
        with self.lock:
            if stat.S_ISDIR(self.files.lstat(path).mode):
                self.files.rmdir(path)
            else:
                self.files.remove(path)

    def mv(self, path1: str, path2: str, recursive: bool = False, maxdepth=None, **kwargs) -> None:
        """A rename on the server (it replaces a file at `path2`; into a folder at
        `path2`, as `mv` and shutil.move do)."""
        source, target = self._strip_protocol(path1), self._strip_protocol(path2)
        with self.lock:
            if self.isdir(target):
                target = posixpath.join(target, posixpath.basename(source))
            self.files.rename(source, target)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        with self.open(path1, "rb") as source, self.open(path2, "wb") as target:
            while chunk := source.read(1024 * 1024):
                target.write(chunk)

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        if truncate or not self.exists(path):
            with self.open(path, "wb"):
                return
        now = datetime.now(UTC).timestamp()
        with self.lock:
            self.files.utime(path, now, now)

    def modified(self, path: str) -> datetime:
        return datetime.fromtimestamp(self.info(path)["mtime"], UTC)

    def close(self) -> None:
        """Close the link (its thread and websocket); the instance is unusable after."""
        self.link.close()

    def invalidate_cache(self, path: str | None = None) -> None:
        with self.lock:
            self.files.invalidate(None if path is None else self._strip_protocol(path))
        super().invalidate_cache(path)
