"""The project's files in the browser kernel: WebSocketFS mounted as an Emscripten file
system, so that ``open("data.csv")`` in a cell reads the project's file.

A kernel worker cannot wait on a websocket while Python runs, so its SFTP packets go to
the compute worker, which carries them (files-relay.js) and writes the replies into
shared memory that the kernel blocks on (project-fs.js's ``filesExchange``). The SFTP
client and its caches are `RemoteFiles`, the same as the FUSE mount's; `MountedProject`
is what project-fs.js's node and stream operations call, with JavaScript values in and
out and every failure given back as an errno.
"""

from __future__ import annotations

import array
import errno
import functools
import os
import stat
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..websocketfs.packets import (
    Fstat,
    Init,
    Lstat,
    Opendir,
    Read,
    Readdir,
    Readlink,
    Realpath,
    Stat,
)
from ..websocketfs.remote import FileAttributes, RemoteFiles

DEFAULT_MOUNT = "/home/project"
"""The notebooks' working directory."""
ABANDONABLE = frozenset(
    kind.TYPE for kind in (Init, Read, Lstat, Fstat, Opendir, Readdir, Realpath, Stat, Readlink)
)
"""Requests that change nothing: an interrupt may give up waiting for them. One that
changes something (a write, a close) is waited for, or the kernel would not know what
the server did."""
UMASK = 0o022
"""Emscripten has no umask; files created on the mount get what a local disk gives."""


class ProjectLink:
    """A kernel's link to the project's files, and where it is mounted."""

    def __init__(self, js_exchange: Any, js_mount: Callable[[Any, str], Any]) -> None:
        self.files = RemoteFiles(self._exchange_with(js_exchange))
        self.mounts: dict[str, MountedProject] = {}
        self._js_mount = js_mount
        self._in_call = _InCall()  # one client: its mounts share one re-entry guard

    @staticmethod
    def _exchange_with(js_exchange: Any) -> Callable[[Sequence[bytes]], list[bytes]]:
        from pyodide.ffi import to_js

        def exchange(packets: Sequence[bytes]) -> list[bytes]:
            replies: list[bytes] = []

            def receive(view: Any) -> None:  # a view of the files slot, good for this call
                replies.append(view.to_bytes())

            interruptible = all(packet[4] in ABANDONABLE for packet in packets)
            failure = js_exchange(to_js(list(packets)), receive, interruptible)
            if failure == "interrupted":
                raise InterruptedError(errno.EINTR, "interrupted while waiting for the project")
            if failure is not None:
                raise ConnectionError(failure)
            return replies

        return exchange

    def mount(self, path: str) -> str:
        path = os.path.abspath(path)
        if path in self.mounts:
            raise FileExistsError(errno.EEXIST, "the project is already mounted there", path)
        os.makedirs(path, exist_ok=True)
        if os.listdir(path):
            raise OSError(errno.ENOTEMPTY, "cannot mount the project over files", path)
        from pyodide.ffi import create_proxy

        ops = MountedProject(self.files, self._in_call)
        self._js_mount(create_proxy(ops), path)  # kept for as long as the mount is
        self.mounts[path] = ops
        return path


_link: ProjectLink | None = None
_unavailable = "the project's files are mounted only inside a browser kernel"


def attach(link: ProjectLink | None, why_not: str = "") -> None:
    """Called once by the kernel worker at start: the link, or why there is none."""
    global _link, _unavailable
    _link = link
    if why_not:
        _unavailable = why_not


def mount_project(path: str = DEFAULT_MOUNT) -> str:
    """Mount the project's files at `path` (the seed's ``mountProject``); the kernel
    mounts them at /home/project itself. Returns the absolute path."""
    if _link is None:
        raise RuntimeError(f"cannot mount the project's files: {_unavailable}")
    return _link.mount(path)


class _InCall:
    """Whether a file call is running now, on any mount of one `RemoteFiles`."""

    busy = False


def _operation(method: Callable) -> Callable:
    """An operation for project-fs.js: its result (0 for none), or None when it failed,
    with the errno kept for ``take_errno`` (an exception would reach the cell's output
    on its way through JavaScript; a KeyboardInterrupt does go, and project-fs.js hands
    it back to the cell). It refuses to re-enter the client: Python that runs inside an
    operation (an import, say) must not touch the mount."""

    @functools.wraps(method)
    def operation(self: MountedProject, *args: Any) -> Any:
        if self._in_call.busy:
            self._errno = errno.EDEADLK
            return None
        self._in_call.busy = True
        try:
            result = method(self, *args)
        except Exception as error:
            self._errno = error.errno if isinstance(error, OSError) and error.errno else errno.EIO
            if not isinstance(error, OSError):
                print(f"project files: {error!r}", file=sys.stderr)
            return None
        finally:
            self._in_call.busy = False
        return 0 if result is None else result

    return operation


class MountedProject:
    """The operations of project-fs.js, on root-relative paths ("" is the root)."""

    def __init__(self, files: RemoteFiles, in_call: _InCall) -> None:
        self._files = files
        self._errno = errno.EIO
        self._in_call = in_call
        self._packed = array.array("d", bytes(6 * 8))
        self._shared: Any = None

    def share_fields(self, fields: Any) -> None:
        """project-fs.js's Float64Array that `getattr` fills: [mode, size, uid, gid, atime
        and mtime in ms], cheaper for a stat than a JavaScript array made each time."""
        self._shared = fields

    def _fill(self, attributes: FileAttributes) -> None:
        packed = self._packed
        packed[0], packed[1] = attributes.mode, attributes.size
        packed[2], packed[3] = attributes.uid, attributes.gid
        packed[4], packed[5] = attributes.atime * 1000, attributes.mtime * 1000
        self._shared.assign(packed)

    def take_errno(self) -> int:
        found, self._errno = self._errno, errno.EIO
        return found

    @_operation
    def lookup(self, path: str) -> int:
        """The mode, 0 when there is no such file."""
        try:
            return self._files.lstat(path).mode
        except FileNotFoundError:
            return 0

    @_operation
    def getattr(self, path: str) -> None:
        self._fill(self._files.lstat(path))

    @_operation
    def fgetattr(self, handle: int) -> None:
        self._fill(self._files.fstat(handle))

    @_operation
    def setattr(
        self,
        path: str,
        mode: int | None,
        atime: float | None,
        mtime: float | None,
        size: int | None,
        created: bool,
    ) -> int:
        """The new mode (0 if unchanged); `created`: FS.open giving the file it just
        made the mode asked for, which the umask cuts as on a local disk."""
        new_mode = 0
        if mode is not None:
            permissions = mode & 0o7777 & ~(UMASK if created else 0)
            self._files.chmod(path, permissions)
            new_mode = stat.S_IFMT(mode) | permissions
        if atime is not None or mtime is not None:
            now = self._files.lstat(path)
            self._files.utime(
                path,
                now.atime if atime is None else atime / 1000,
                now.mtime if mtime is None else mtime / 1000,
            )
        if size is not None:
            self._files.truncate(path, size)
        return new_mode

    @_operation
    def ftruncate(self, handle: int, size: int) -> None:
        self._files.ftruncate(handle, size)

    @_operation
    def mknod(self, path: str, mode: int) -> int:
        """Make a file or directory; its mode, the umask applied."""
        permissions = mode & 0o7777 & ~UMASK
        if stat.S_ISDIR(mode):
            self._files.mkdir(path, permissions)
        else:
            handle = self._files.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, permissions)
            self._files.close(handle)
        return stat.S_IFMT(mode) | permissions

    @_operation
    def rename(self, old: str, new: str) -> None:
        self._files.rename(old, new)

    @_operation
    def remove(self, path: str) -> None:
        self._files.remove(path)

    @_operation
    def rmdir(self, path: str) -> None:
        self._files.rmdir(path)

    @_operation
    def listdir(self, path: str) -> Any:
        from pyodide.ffi import to_js

        return to_js(self._files.listdir(path))

    @_operation
    def symlink(self, target: str, path: str) -> None:
        self._files.symlink(target, path)

    @_operation
    def readlink(self, path: str) -> str:
        return self._files.readlink(path)

    @_operation
    def open(self, path: str, flags: int) -> int:
        return self._files.open(path, flags)

    @_operation
    def close(self, handle: int) -> None:
        self._files.close(handle)

    @_operation
    def fsync(self, handle: int) -> None:
        self._files.fsync(handle)

    @_operation
    def read(self, handle: int, position: int, length: int) -> bytes:
        return self._files.read(handle, position, length)

    @_operation
    def write(self, handle: int, position: int, data: Any) -> int:
        return self._files.write(handle, position, data.to_bytes())
