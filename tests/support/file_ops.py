"""One sequence of everyday file operations, whose transcript must be the same on any
file system that claims to behave like a local disk: a local folder, the FUSE mount of a
project, the browser kernel's WebSocketFS backend.

`run_file_ops(root)` works inside `root` (which must be empty) and returns a JSON-able
list of [step, outcome]: results (paths relative to `root`, no times) or the error's
class and errno name (names, not numbers: Pyodide's errno numbers are not Linux's). It
uses the standard library only, so its source can be sent into a Pyodide kernel as is.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat


def run_file_ops(root: str) -> list:
    transcript: list = []

    def path(*parts: str) -> str:
        return os.path.join(root, *parts)

    def rel(value):
        if isinstance(value, str) and value.startswith(root):
            return os.path.relpath(value, root)
        if isinstance(value, list | tuple):
            return [rel(item) for item in value]
        return value

    def step(name: str, action) -> None:
        try:
            outcome = {"ok": rel(action())}
        except OSError as error:
            code = errno.errorcode.get(error.errno, str(error.errno))
            outcome = {"error": type(error).__name__, "errno": code}
        except ValueError as error:
            outcome = {"error": type(error).__name__}
        transcript.append([name, outcome])

    def kind(name: str) -> str:
        mode = os.lstat(path(name)).st_mode
        for test, label in ((stat.S_ISDIR, "dir"), (stat.S_ISREG, "file"), (stat.S_ISLNK, "link")):
            if test(mode):
                return label
        return "other"

    def describe(name: str) -> list:
        info = os.stat(path(name))
        size = info.st_size if stat.S_ISREG(info.st_mode) else None
        return [kind(name), stat.S_IMODE(info.st_mode), size]

    def write(name: str, mode: str, data) -> int:
        with open(path(name), mode) as handle:
            return handle.write(data)

    def read(name: str, mode: str = "r"):
        with open(path(name), mode) as handle:
            return handle.read()

    def seek_tell_truncate() -> list:
        with open(path("seek.bin"), "w+b") as handle:
            handle.write(b"0123456789")
            positions = [handle.tell(), handle.seek(3), handle.read(4), handle.tell()]
            handle.seek(-2, os.SEEK_END)
            positions += [handle.read(), handle.seek(20), handle.write(b"!"), handle.tell()]
            positions += [handle.truncate(5), handle.tell()]
            handle.seek(0)
            positions.append(handle.read())
        return [p.hex() if isinstance(p, bytes) else p for p in positions]

    def read_plus_write() -> list:
        with open(path("rplus.txt"), "r+") as handle:
            first = handle.read(3)
            handle.seek(0)
            handle.write("XY")
            handle.seek(0)
            return [first, handle.read()]

    def write_plus_read() -> list:
        with open(path("wplus.txt"), "w+") as handle:
            handle.write("fresh")
            handle.seek(1)
            return [handle.read(), handle.tell()]

    def append_plus() -> list:
        with open(path("log.txt"), "a+") as handle:
            handle.write("third\n")
            handle.seek(0)
            return handle.read().splitlines()

    def big_file() -> list:
        block = bytes(range(256)) * 4096  # 1 MiB
        with open(path("big.bin"), "wb") as handle:
            for _ in range(3):
                handle.write(block)
            handle.write(b"tail")
        with open(path("big.bin"), "rb") as handle:
            handle.seek(2 * len(block) - 2)
            middle = handle.read(6)
            handle.seek(0)
            whole = handle.read()
        return [len(whole), whole == block * 3 + b"tail", middle.hex()]

    def walk() -> list:
        return [
            [rel(top), sorted(dirs), sorted(files)]
            for top, dirs, files in sorted(os.walk(root), key=lambda entry: entry[0])
        ]

    def scandir(name: str) -> list:
        with os.scandir(path(name)) as entries:
            return sorted([e.name, e.is_dir(), e.is_file(), e.is_symlink()] for e in entries)

    def many_files() -> list:
        os.mkdir(path("many"))
        for index in range(200):
            with open(path("many", f"f{index:03}.txt"), "w") as handle:
                handle.write(str(index))
        names = sorted(os.listdir(path("many")))
        return [len(names), names[0], names[-1], read(os.path.join("many", "f123.txt"))]

    step("listdir empty", lambda: sorted(os.listdir(root)))
    step("write w", lambda: write("a.txt", "w", "hello\n"))
    step("read r", lambda: read("a.txt"))
    step("read rb", lambda: read("a.txt", "rb").hex())
    step("write wb", lambda: write("b.bin", "wb", bytes(range(256))))
    step("read b.bin", lambda: read("b.bin", "rb") == bytes(range(256)))
    step("write a", lambda: write("log.txt", "a", "first\n"))
    step("write a again", lambda: write("log.txt", "a", "second\n"))
    step("read log", lambda: read("log.txt"))
    step("append plus", append_plus)
    step("write x", lambda: write("new.txt", "x", "exclusive"))
    step("write x existing", lambda: write("new.txt", "x", "again"))
    step("read plus", lambda: [write("rplus.txt", "w", "abcdef"), read_plus_write()])
    step("write plus", write_plus_read)
    step("seek tell truncate", seek_tell_truncate)
    step("stat file", lambda: describe("a.txt"))
    step("stat root", lambda: describe("")[0])
    step("stat missing", lambda: os.stat(path("missing.txt")))
    step("read missing", lambda: read("missing.txt"))
    step("open missing for r+", lambda: read("missing.txt", "r+"))
    step("mkdir", lambda: os.mkdir(path("d")))
    step("mkdir existing", lambda: os.mkdir(path("d")))
    step("mkdir over file", lambda: os.mkdir(path("a.txt")))
    step("mkdir no parent", lambda: os.mkdir(path("no", "such")))
    step("makedirs", lambda: os.makedirs(path("d", "e", "f")))
    step("makedirs existing", lambda: os.makedirs(path("d", "e", "f")))
    step("makedirs exist_ok", lambda: os.makedirs(path("d", "e", "f"), exist_ok=True))
    step("stat dir", lambda: describe("d"))
    step("open dir", lambda: read("d"))
    step("open dir for writing", lambda: write("d", "w", "x"))
    step("listdir file", lambda: os.listdir(path("a.txt")))
    step("stat under a file", lambda: os.stat(path("a.txt", "x")))
    step("copy", lambda: shutil.copy(path("b.bin"), path("d", "copy.bin")))
    step("copy is equal", lambda: read(os.path.join("d", "copy.bin"), "rb") == bytes(range(256)))
    step("copy into dir", lambda: shutil.copy(path("a.txt"), path("d", "e")))
    step("rename", lambda: os.rename(path("new.txt"), path("d", "moved.txt")))
    step("rename missing", lambda: os.rename(path("new.txt"), path("x.txt")))
    step(
        "rename over file",
        lambda: [write("c.txt", "w", "c"), os.rename(path("c.txt"), path("a.txt"))],
    )
    step("read renamed over", lambda: read("a.txt"))
    step("replace", lambda: os.replace(path("log.txt"), path("d", "moved.txt")))
    step("read replaced", lambda: read(os.path.join("d", "moved.txt")).splitlines())
    step("rename dir onto non-empty dir", lambda: os.rename(path("d", "e"), path("d")))
    step("rename dir into itself", lambda: os.rename(path("d"), path("d", "e", "inside")))
    step("rename file onto dir", lambda: os.rename(path("a.txt"), path("d")))
    step("remove", lambda: os.remove(path("wplus.txt")))
    step("remove missing", lambda: os.remove(path("wplus.txt")))
    step("remove dir", lambda: os.remove(path("d")))
    step("rmdir non-empty", lambda: os.rmdir(path("d")))
    step("rmdir file", lambda: os.rmdir(path("a.txt")))
    step("rmdir missing", lambda: os.rmdir(path("gone")))
    step("rmdir", lambda: os.rmdir(path("d", "e", "f")))
    step("truncate", lambda: [os.truncate(path("b.bin"), 10), describe("b.bin")])
    step(
        "truncate grows", lambda: [os.truncate(path("b.bin"), 300), read("b.bin", "rb")[-3:].hex()]
    )
    step("symlink", lambda: os.symlink("a.txt", path("link")))
    step("readlink", lambda: os.readlink(path("link")))
    step("read through symlink", lambda: read("link"))
    step("lstat symlink", lambda: kind("link"))
    step("chmod", lambda: [os.chmod(path("a.txt"), 0o600), describe("a.txt")])
    step(
        "utime",
        lambda: [
            os.utime(path("a.txt"), (1_000_000, 2_000_000)),
            int(os.stat(path("a.txt")).st_mtime),
        ],
    )
    step("big file", big_file)
    step("many files", many_files)
    step("scandir", lambda: scandir(""))
    step("walk", walk)
    step("rmtree", lambda: shutil.rmtree(path("d")))
    step("rmtree many", lambda: shutil.rmtree(path("many")))
    step("rmtree missing", lambda: shutil.rmtree(path("d")))
    step("listdir at the end", lambda: sorted(os.listdir(root)))
    return transcript
