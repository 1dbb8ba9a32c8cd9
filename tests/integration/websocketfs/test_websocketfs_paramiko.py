"""The WebSocketFS server judged by a real SFTP client: paramiko's SFTPClient."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time

import pytest


def tree(served):
    return served.project.directory


async def test_listdir_stat_read_write(served, sftp):
    root = tree(served)
    (root / "hello.txt").write_text("hello\n")
    (root / "sub").mkdir()
    assert sorted(await sftp.call("listdir", ".")) == ["hello.txt", "sub"]
    assert sorted(await sftp.call("listdir", "/")) == ["hello.txt", "sub"]
    attrs = await sftp.call("stat", "hello.txt")
    assert attrs.st_size == 6
    assert stat.S_ISREG(attrs.st_mode)
    assert stat.S_ISDIR((await sftp.call("stat", "/sub")).st_mode)
    async with sftp.open("sub/new.txt", "w") as remote:
        await sftp.call_on(remote, "write", b"written over websocketfs")
    assert (root / "sub" / "new.txt").read_bytes() == b"written over websocketfs"
    async with sftp.open("hello.txt", "r") as remote:
        assert await sftp.call_on(remote, "read") == b"hello\n"
    async with sftp.open("hello.txt", "a") as remote:
        await sftp.call_on(remote, "write", b"again\n")
    assert (root / "hello.txt").read_text() == "hello\nagain\n"
    assert await sftp.call("normalize", ".") == "/"
    assert await sftp.call("normalize", "sub/../sub/") == "/sub"


async def test_setstat_and_fstat(served, sftp):
    root = tree(served)
    (root / "f").write_bytes(b"0123456789")
    await sftp.call("truncate", "f", 4)
    await sftp.call("chmod", "f", 0o600)
    await sftp.call("utime", "f", (1_000_000, 2_000_000))
    st = os.stat(root / "f")
    assert (st.st_size, stat.S_IMODE(st.st_mode), int(st.st_mtime)) == (4, 0o600, 2_000_000)
    async with sftp.open("f", "r+") as remote:
        assert (await sftp.call_on(remote, "stat")).st_size == 4
        await sftp.call_on(remote, "truncate", 2)
    assert (root / "f").read_bytes() == b"01"


async def test_rename_mkdir_rmdir_remove(served, sftp):
    root = tree(served)
    (root / "a").write_text("a")
    (root / "b").write_text("b")
    await sftp.call("mkdir", "dir", 0o755)
    assert (root / "dir").is_dir()
    await sftp.call("rename", "a", "dir/a")
    assert (root / "dir" / "a").read_text() == "a"
    with pytest.raises(OSError, match="exists"):  # v3 RENAME does not replace
        await sftp.call("rename", "b", "dir/a")
    await sftp.call("posix_rename", "b", "dir/a")  # posix-rename@openssh.com does
    assert (root / "dir" / "a").read_text() == "b"
    assert not (root / "b").exists()
    with pytest.raises(OSError, match="not empty"):
        await sftp.call("rmdir", "dir")
    await sftp.call("remove", "dir/a")
    await sftp.call("rmdir", "dir")
    assert not (root / "dir").exists()
    with pytest.raises(FileNotFoundError):
        await sftp.call("remove", "dir/a")
    with pytest.raises(FileNotFoundError):
        await sftp.call("stat", "nothing/here")


async def test_symlink_readlink_lstat(served, sftp):
    root = tree(served)
    (root / "target.txt").write_text("t")
    await sftp.call("symlink", "target.txt", "link")
    assert os.readlink(root / "link") == "target.txt"
    assert await sftp.call("readlink", "link") == "target.txt"
    assert stat.S_ISLNK((await sftp.call("lstat", "link")).st_mode)
    assert stat.S_ISREG((await sftp.call("stat", "link")).st_mode)
    await sftp.call("remove", "link")  # removes the link, not its target
    assert not (root / "link").exists()
    assert (root / "target.txt").exists()


async def test_traversal_refused(served, sftp, tmp_path):
    root = tree(served)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    (root / "out").symlink_to(outside)
    for path in ("..", "../outside/secret", "a/../../x", "out", "out/secret"):
        with pytest.raises(PermissionError):
            await sftp.call("stat", path)
    with pytest.raises(PermissionError):
        await sftp.call("open", "out/secret", "r")
    with pytest.raises(PermissionError):
        await sftp.call("open", "out/new", "w")
    with pytest.raises(PermissionError):
        await sftp.call("listdir", "out")
    assert not (outside / "new").exists()
    # the link itself is inside the project: it can be seen and removed
    assert stat.S_ISLNK((await sftp.call("lstat", "out")).st_mode)
    # absolute paths are project-root-relative: this is <project>/etc/passwd
    with pytest.raises(FileNotFoundError):
        await sftp.call("stat", "/etc/passwd")
    # the server's state folder is neither listed nor reachable
    assert ".cocalc-compute" not in await sftp.call("listdir", "/")
    with pytest.raises(PermissionError):
        await sftp.call("listdir", ".cocalc-compute")
    with pytest.raises(PermissionError):
        await sftp.call("rename", "out", ".cocalc-compute/x")


async def test_statvfs(sftp):
    assert await sftp.call("statvfs_ok") is True


async def test_many_in_flight_and_large_listing(served, sftp):
    root = tree(served)
    for index in range(300):  # more than one READDIR batch
        (root / f"f{index:03}").write_bytes(b"x")
    names = await sftp.call("listdir", "/")
    assert len(names) == 300
    data = os.urandom(3 * 1024 * 1024 + 17)
    (root / "prefetch.bin").write_bytes(data)
    async with sftp.open("prefetch.bin", "r") as remote:
        await sftp.call_on(remote, "prefetch")  # paramiko sends all its READs at once
        assert await sftp.call_on(remote, "read") == data


async def test_100_mb_round_trip(served, sftp, tmp_path):
    size = 100 * 1024 * 1024
    local = tmp_path / "big.bin"
    with local.open("wb") as out:
        for _ in range(size // (4 * 1024 * 1024)):
            out.write(os.urandom(4 * 1024 * 1024))
    digest = hashlib.sha256(local.read_bytes()).hexdigest()
    started = time.perf_counter()
    await sftp.call("put", str(local), "big.bin")
    uploaded = time.perf_counter()
    back = io.BytesIO()
    await sftp.call("getfo", "big.bin", back)
    downloaded = time.perf_counter()
    assert hashlib.sha256((tree(served) / "big.bin").read_bytes()).hexdigest() == digest
    assert hashlib.sha256(back.getvalue()).hexdigest() == digest
    print(
        f"\n{size >> 20} MiB over websocketfs: up {size / 1e6 / (uploaded - started):.0f} MB/s, "
        f"down {size / 1e6 / (downloaded - uploaded):.0f} MB/s"
    )
