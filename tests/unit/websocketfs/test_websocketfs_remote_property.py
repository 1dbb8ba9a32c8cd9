"""Property: any sequence of file operations through RemoteFiles (over the real server
code, with its caches, a clock that moves or not, write-back and read-ahead) gives the
same results and the same errors as the same operations on a local folder."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sftp_loopback import FakeClock, Loopback

from cocalc_compute_wasm.websocketfs.remote import RemoteFiles

NAMES = st.sampled_from(["a", "b", "d", "d/a", "d/b", "a/b"])  # "d" is a folder at first
DATA = st.binary(max_size=700)
FLAGS = st.sampled_from(
    [
        os.O_RDONLY,
        os.O_WRONLY | os.O_CREAT | os.O_TRUNC,  # "w"
        os.O_WRONLY | os.O_CREAT | os.O_APPEND,  # "a"
        os.O_WRONLY | os.O_CREAT | os.O_EXCL,  # "x"
        os.O_RDWR,  # "r+"
        os.O_RDWR | os.O_CREAT | os.O_TRUNC,  # "w+"
        os.O_RDWR | os.O_CREAT | os.O_APPEND,  # "a+"
    ]
)
SLOT = st.integers(0, 2)  # which open handle
OFFSET = st.integers(0, 1500)

OPS = st.one_of(
    st.tuples(st.just("mkdir"), NAMES),
    st.tuples(st.just("rmdir"), NAMES),
    st.tuples(st.just("remove"), NAMES),
    st.tuples(st.just("rename"), NAMES, NAMES),
    st.tuples(st.just("stat"), NAMES),
    st.tuples(st.just("lstat"), NAMES),
    st.tuples(st.just("listdir"), st.sampled_from(["", "a", "d"])),
    st.tuples(st.just("truncate"), NAMES, st.integers(0, 1200)),
    *[st.tuples(st.just("open"), SLOT, NAMES, FLAGS)] * 3,
    *[st.tuples(st.just("write"), SLOT, OFFSET, DATA)] * 3,
    *[st.tuples(st.just("read"), SLOT, OFFSET, st.integers(0, 1500))] * 3,
    st.tuples(st.just("fstat"), SLOT),
    st.tuples(st.just("ftruncate"), SLOT, st.integers(0, 1200)),
    st.tuples(st.just("fsync"), SLOT),
    st.tuples(st.just("close"), SLOT),
    st.tuples(st.just("tick"), st.sampled_from([0.3, 1.0, 5.0])),
)


def summary(mode: int, size: int) -> tuple[int, int, int]:
    """What must agree: the type, the permissions and, for files, the size."""
    return stat.S_IFMT(mode), stat.S_IMODE(mode), size if stat.S_ISREG(mode) else -1


def local_summary(result: os.stat_result) -> tuple[int, int, int]:
    return summary(result.st_mode, result.st_size)


class Local:
    """The operations on a local folder, with file descriptors as handles."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> str:
        return str(self.root / name) if name else str(self.root)

    def run(self, op: tuple, handles: dict):
        kind, *args = op
        if kind == "mkdir":
            return os.mkdir(self.path(args[0]))
        if kind == "rmdir":
            return os.rmdir(self.path(args[0]))
        if kind == "remove":
            return os.remove(self.path(args[0]))
        if kind == "rename":
            return os.replace(self.path(args[0]), self.path(args[1]))
        if kind == "stat":
            return local_summary(os.stat(self.path(args[0])))
        if kind == "lstat":
            return local_summary(os.lstat(self.path(args[0])))
        if kind == "listdir":
            return sorted(os.listdir(self.path(args[0])))
        if kind == "truncate":
            return os.truncate(self.path(args[0]), args[1])
        if kind == "open":
            handles[args[0]] = os.open(self.path(args[1]), args[2], 0o644)
            return None
        handle = handles[args[0]]
        if kind == "write":
            return os.pwrite(handle, args[2], args[1])
        if kind == "read":
            return os.pread(handle, args[2], args[1])
        if kind == "fstat":
            return local_summary(os.fstat(handle))
        if kind == "ftruncate":
            return os.ftruncate(handle, args[1])
        if kind == "fsync":
            return os.fsync(handle)
        del handles[args[0]]
        return os.close(handle)


class Remote:
    def __init__(self, files: RemoteFiles, clock: FakeClock) -> None:
        self.files, self.clock = files, clock

    def run(self, op: tuple, handles: dict):
        kind, *args = op
        files = self.files
        if kind in ("mkdir", "rmdir", "remove", "truncate", "listdir"):
            result = getattr(files, kind)(*args)
            return sorted(result) if kind == "listdir" else result
        if kind == "rename":
            return files.rename(*args)
        if kind in ("stat", "lstat"):
            attrs = getattr(files, kind)(args[0])
            return summary(attrs.mode, attrs.size)
        if kind == "open":
            handles[args[0]] = files.open(args[1], args[2], 0o644)
            return None
        handle = handles[args[0]]
        if kind == "write":
            return files.write(handle, args[1], args[2])
        if kind == "read":
            return files.read(handle, args[1], args[2])
        if kind == "fstat":
            attrs = files.fstat(handle)
            return summary(attrs.mode, attrs.size)
        if kind == "ftruncate":
            return files.ftruncate(handle, args[1])
        if kind == "fsync":
            return files.fsync(handle)
        del handles[args[0]]
        return files.close(handle)


def outcome(run, op, handles):
    try:
        return ("ok", run(op, handles))
    except OSError as error:
        return ("error", type(error).__name__, error.errno)


@settings(
    max_examples=int(os.environ.get("REMOTE_EXAMPLES", 400)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    ops=st.lists(OPS, max_size=40),
    block_size=st.sampled_from([16, 100, 4096]),
    read_ahead=st.integers(0, 3),
    write_buffer=st.sampled_from([64, 1 << 20]),
)
def test_remote_files_behave_as_a_local_folder(ops, block_size, read_ahead, write_buffer):
    with tempfile.TemporaryDirectory() as scratch:
        local_root, remote_root = Path(scratch, "local"), Path(scratch, "remote")
        for root in (local_root, remote_root):
            (root / "d").mkdir(parents=True)
        clock = FakeClock()
        files = RemoteFiles(
            Loopback(remote_root),
            clock=clock,
            block_size=block_size,
            read_ahead=read_ahead,
            write_buffer=write_buffer,
        )
        local, remote = Local(local_root), Remote(files, clock)
        local_handles: dict[int, int] = {}
        remote_handles: dict[int, int] = {}
        try:
            for step, op in enumerate(ops):
                if op[0] == "tick":
                    clock.advance(op[1])
                    continue
                if op[0] in ("write", "read", "fstat", "ftruncate", "fsync", "close") and (
                    op[1] not in local_handles
                ):
                    continue
                if op[0] == "open" and op[1] in local_handles:
                    continue
                expected = outcome(local.run, op, local_handles)
                got = outcome(remote.run, op, remote_handles)
                assert got == expected, f"step {step}: {op}"
            for slot in list(local_handles):
                assert outcome(remote.run, ("close", slot), remote_handles) == outcome(
                    local.run, ("close", slot), local_handles
                )
            assert tree(remote_root) == tree(local_root)
        finally:
            for handle in local_handles.values():
                os.close(handle)
            shutil.rmtree(scratch, ignore_errors=True)


def tree(root: Path) -> dict[str, bytes | None]:
    """Every entry below `root`: a file's bytes, None for a folder."""
    return {
        str(path.relative_to(root)): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }
