"""RemoteFiles, the caching SFTP client, against the real server code in process: what
it asks the server (round trips, requests), what it caches and forgets, and that its
errors are those of a local disk."""

from __future__ import annotations

import errno
import os
import stat

import pytest
from sftp_loopback import FakeClock, Loopback

from cocalc_compute_wasm.websocketfs import packets as p
from cocalc_compute_wasm.websocketfs.errors import errno_of, status_error
from cocalc_compute_wasm.websocketfs.remote import MAX_IN_FLIGHT, RemoteFiles
from cocalc_compute_wasm.websocketfs.writeback import WriteBuffer

KiB, MiB = 1024, 1024 * 1024


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def link(root):
    return Loopback(root)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fs(link, clock):
    return RemoteFiles(link, clock=clock)


def put(fs: RemoteFiles, path: str, data: bytes) -> None:
    handle = fs.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    fs.write(handle, 0, data)
    fs.close(handle)


def get(fs: RemoteFiles, path: str, chunk: int = 64 * KiB) -> bytes:
    handle = fs.open(path, os.O_RDONLY)
    parts = []
    while piece := fs.read(handle, sum(map(len, parts)), chunk):
        parts.append(piece)
    fs.close(handle)
    return b"".join(parts)


def test_init_rides_with_the_first_request(fs, link):
    assert fs.listdir("") == []
    first = link.exchanges[0]
    assert isinstance(first[0], p.Init)
    assert isinstance(first[1], p.Opendir)
    assert fs.extensions["posix-rename@openssh.com"] == b"1"
    assert sum(isinstance(r, p.Init) for r in link.requests()) == 1


def test_round_trip_of_files_and_folders(fs, root):
    fs.mkdir("d")
    put(fs, "d/a.txt", b"hello")
    put(fs, "/d/b.bin", bytes(range(256)) * 5000)
    assert (root / "d" / "a.txt").read_bytes() == b"hello"
    assert get(fs, "d/b.bin") == bytes(range(256)) * 5000
    assert fs.listdir("d") == ["a.txt", "b.bin"]
    attrs = fs.stat("d/a.txt")
    assert stat.S_ISREG(attrs.mode)
    assert attrs.size == 5
    assert attrs.mtime == int(os.stat(root / "d" / "a.txt").st_mtime)
    assert stat.S_ISDIR(fs.stat("").mode)
    assert stat.S_ISDIR(fs.stat("/").mode)
    fs.rename("d/a.txt", "e.txt")
    assert fs.listdir("") == ["d", "e.txt"]
    fs.symlink("e.txt", "link")
    assert fs.readlink("link") == "e.txt"
    assert stat.S_ISLNK(fs.lstat("link").mode)
    assert stat.S_ISREG(fs.stat("link").mode)
    fs.chmod("e.txt", 0o600)
    assert stat.S_IMODE(fs.stat("e.txt").mode) == 0o600
    fs.utime("e.txt", 1_000_000, 2_000_000)
    assert fs.stat("e.txt").mtime == 2_000_000
    assert os.stat(root / "e.txt").st_mtime == 2_000_000
    fs.truncate("e.txt", 2)
    assert get(fs, "e.txt") == b"he"
    fs.remove("e.txt")
    fs.remove("link")
    fs.remove("d/b.bin")
    fs.rmdir("d")
    assert fs.listdir("") == []
    assert fs.statvfs("").namemax > 0


def test_attributes_are_cached_until_they_expire(fs, link, clock, root):
    (root / "f").write_bytes(b"1")
    assert fs.stat("f").size == 1
    (root / "f").write_bytes(b"22")  # another collaborator
    link.reset()
    assert fs.stat("f").size == 1
    assert link.exchanges == []
    clock.advance(1.0)
    assert fs.stat("f").size == 2
    assert len(link.exchanges) == 1


def test_expiry_zero_caches_nothing(link, clock, root):
    fs = RemoteFiles(link, clock=clock, expiry=0)
    (root / "f").write_bytes(b"1")
    for _ in range(3):
        fs.stat("f")
        fs.listdir("")
    assert len(link.requests(p.Stat)) == 3
    assert len(link.requests(p.Opendir)) == 3


def test_listing_fills_the_attribute_cache(fs, link, clock, root):
    for name in ("a", "b", "c"):
        (root / name).write_bytes(name.encode())
    (root / "sub").mkdir()
    (root / "ln").symlink_to("a")
    assert fs.listdir("") == ["a", "b", "c", "ln", "sub"]
    link.reset()
    assert [fs.lstat(name).size for name in "abc"] == [1, 1, 1]
    assert stat.S_ISDIR(fs.stat("sub").mode)
    with pytest.raises(FileNotFoundError) as missing:
        fs.stat("nope")  # not in the fresh listing: no need to ask
    assert missing.value.filename == "nope"
    assert fs.listdir("") == ["a", "b", "c", "ln", "sub"]
    assert link.exchanges == []
    assert stat.S_ISREG(fs.stat("ln").mode)  # a symlink's target is asked for
    assert link.requests(p.Stat) == [p.Stat(link.requests()[-1].request_id, "ln")]
    clock.advance(5)
    (root / "nope").write_bytes(b"")
    assert fs.lstat("nope").size == 0


def test_missing_files_are_cached_too(fs, link, clock, root):
    for _ in range(3):
        with pytest.raises(FileNotFoundError):
            fs.stat("gone/x")
    assert len(link.requests(p.Stat)) == 1
    (root / "gone").mkdir()
    (root / "gone" / "x").write_bytes(b"")
    clock.advance(1)
    assert fs.stat("gone/x").size == 0


def test_a_big_folder_is_read_in_few_round_trips(fs, link, root):
    for index in range(1000):
        (root / f"f{index:04}").write_bytes(b"")
    assert len(fs.listdir("")) == 1000
    # OPENDIR; READDIR x2, x4, x8 (1000 names in batches of 128, then EOF); CLOSE
    assert len(link.exchanges) == 5
    assert len(link.requests(p.Readdir)) == 14


def test_own_changes_are_seen_at_once(fs, link, clock, root):
    fs.mkdir("d")
    put(fs, "d/f", b"one")
    assert fs.listdir("d") == ["f"]
    assert fs.stat("d/f").size == 3
    parent = fs.stat("d")
    put(fs, "d/g", b"")  # a new entry: the listing and the folder's attributes change
    assert fs.listdir("d") == ["f", "g"]
    assert fs.stat("d").mtime >= parent.mtime
    handle = fs.open("d/f", os.O_WRONLY | os.O_APPEND)
    fs.write(handle, 0, b"+two")
    assert fs.stat("d/f").size == 7  # stat sends the buffered writes first
    fs.close(handle)
    fs.mkdir("e")
    put(fs, "e/inner", b"x")
    assert fs.listdir("e") == ["inner"]
    fs.rename("d", "e/d")  # everything under both names is forgotten
    assert fs.listdir("") == ["e"]
    assert fs.listdir("e") == ["d", "inner"]
    assert fs.stat("e/d/f").size == 7
    with pytest.raises(FileNotFoundError):
        fs.stat("d/f")
    fs.rename("e/inner", "e/d/f")  # replaces, as os.replace
    assert get(fs, "e/d/f") == b"x"
    for name in ("e/d/f", "e/d/g"):
        fs.remove(name)
    fs.rmdir("e/d")
    with pytest.raises(FileNotFoundError):
        fs.stat("e/d/g")
    assert fs.listdir("e") == []
    assert clock.now == 1000.0  # no expiry was needed for any of it


def test_a_collaborators_file_is_seen_after_the_expiry(fs, clock, root):
    (root / "shared.txt").write_bytes(b"version 1")
    assert get(fs, "shared.txt") == b"version 1"
    assert fs.listdir("") == ["shared.txt"]
    (root / "shared.txt").write_bytes(b"version two")
    (root / "new.txt").write_bytes(b"")
    assert fs.listdir("") == ["shared.txt"]
    clock.advance(1.0)
    assert fs.listdir("") == ["new.txt", "shared.txt"]
    assert get(fs, "shared.txt") == b"version two"


def test_blocks_are_kept_while_the_file_is_unchanged(fs, link, clock, root):
    data = os.urandom(3 * MiB)
    (root / "big").write_bytes(data)
    assert get(fs, "big") == data
    link.reset()
    clock.advance(60)
    assert get(fs, "big") == data
    assert link.requests(p.Read) == []  # OPEN + STAT said the file is as it was
    # the same size, another mtime: the blocks are dropped
    changed = os.urandom(3 * MiB)
    (root / "big").write_bytes(changed)
    os.utime(root / "big", (0, 12345))
    assert get(fs, "big") == changed


def test_an_open_handle_rechecks_the_file_after_the_expiry(fs, link, clock, root):
    (root / "log").write_bytes(b"a" * 100)
    handle = fs.open("log", os.O_RDONLY)
    assert fs.read(handle, 0, 1000) == b"a" * 100
    with open(root / "log", "ab") as out:
        out.write(b"b" * 100)
    assert fs.read(handle, 0, 1000) == b"a" * 100  # cached, and fresh
    clock.advance(1.0)
    link.reset()
    assert fs.read(handle, 0, 1000) == b"a" * 100 + b"b" * 100
    assert isinstance(link.exchanges[0][0], p.Fstat)
    fs.close(handle)


def test_sequential_reads_read_ahead_in_one_exchange(link, clock, root):
    fs = RemoteFiles(link, clock=clock, block_size=256 * KiB, read_ahead=4)
    data = os.urandom(4 * MiB)
    (root / "big").write_bytes(data)
    handle = fs.open("big", os.O_RDONLY)
    link.reset()
    got = b"".join(fs.read(handle, offset, 64 * KiB) for offset in range(0, 4 * MiB, 64 * KiB))
    assert got == data
    # 64 reads of 64 KiB, 16 blocks: the first exchange asks for the block needed and 4
    # ahead, the next for 1 + 8, the last for what is left (the size is known from the
    # open): each block once, in READs of at most 1 MiB, none past the end
    assert len(link.exchanges) == 3
    reads = link.requests(p.Read)
    assert all(read.length <= p.MAX_DATA for read in reads)
    assert sum(read.length for read in reads) == 4 * MiB
    first, second, third = link.exchanges
    assert [(r.offset, r.length) for r in first] == [(0, MiB), (MiB, 256 * KiB)]
    assert [(r.offset, r.length) for r in second] == [
        (1280 * KiB, MiB),
        (2304 * KiB, MiB),
        (3328 * KiB, 256 * KiB),
    ]
    assert [(r.offset, r.length) for r in third] == [(3584 * KiB, 512 * KiB)]
    assert fs.read(handle, 4 * MiB, 10) == b""
    fs.close(handle)


def test_random_reads_do_not_read_ahead(link, clock, root):
    fs = RemoteFiles(link, clock=clock, block_size=64 * KiB, read_ahead=4)
    data = os.urandom(2 * MiB)
    (root / "big").write_bytes(data)
    handle = fs.open("big", os.O_RDONLY)
    link.reset()
    assert fs.read(handle, MiB + 10, 100) == data[MiB + 10 : MiB + 110]
    assert fs.read(handle, 5, 70 * KiB) == data[5 : 5 + 70 * KiB]  # spans two blocks
    assert [(r.offset, r.length) for r in link.requests(p.Read)] == [
        (MiB, 64 * KiB),
        (0, 128 * KiB),
    ]
    fs.close(handle)


def test_a_read_bigger_than_the_cache(link, clock, root):
    fs = RemoteFiles(link, clock=clock, cache_size=MiB)
    data = os.urandom(5 * MiB + 7)
    (root / "big").write_bytes(data)
    handle = fs.open("big", os.O_RDONLY)
    assert fs.read(handle, 0, 6 * MiB) == data
    assert fs._blocks.size <= MiB
    fs.close(handle)


def test_writes_are_buffered_and_coalesced(fs, link, root):
    handle = fs.open("out", os.O_WRONLY | os.O_CREAT)
    link.reset()
    chunk = os.urandom(4 * KiB)
    for index in range(1024):  # 4 MiB in 4 KiB writes
        assert fs.write(handle, index * 4 * KiB, chunk) == 4 * KiB
    assert link.exchanges == []
    assert (root / "out").read_bytes() == b""
    fs.close(handle)
    [closing] = link.exchanges  # four 1 MiB WRITEs and the CLOSE, in one exchange
    assert [type(r).__name__ for r in closing] == ["Write"] * 4 + ["Close"]
    assert (root / "out").read_bytes() == chunk * 1024


def test_the_write_buffer_stays_bounded(link, clock, root):
    fs = RemoteFiles(link, clock=clock, write_buffer=2 * MiB)
    handle = fs.open("out", os.O_WRONLY | os.O_CREAT)
    data = os.urandom(10 * MiB)
    for offset in range(0, len(data), 100 * KiB):
        fs.write(handle, offset, data[offset : offset + 100 * KiB])
        assert fs._handles[handle].pending.size <= 2 * MiB + 100 * KiB
    assert len(link.exchanges) >= 4
    fs.close(handle)
    assert (root / "out").read_bytes() == data


def test_buffered_writes_are_seen_by_reads_fstat_and_other_handles(fs, link, root):
    handle = fs.open("f", os.O_RDWR | os.O_CREAT)
    fs.write(handle, 0, b"hello world")
    fs.write(handle, 6, b"WORLD!")  # overwrites and extends the last extent
    fs.write(handle, 100, b"far")  # a hole
    assert fs.fstat(handle).size == 103
    fs.write(handle, 0, b"H")
    other = fs.open("f", os.O_RDONLY)
    assert fs.read(other, 0, 12) == b"Hello WORLD!"
    fs.write(handle, 1, b"E")
    assert fs.read(handle, 0, 3) == b"HEl"
    fs.fsync(handle)
    assert (root / "f").read_bytes()[:12] == b"HEllo WORLD!"
    fs.write(handle, 0, b"h")
    fs.ftruncate(handle, 5)
    assert (root / "f").read_bytes() == b"hEllo"
    fs.close(other)
    fs.close(handle)


def test_appends_land_at_the_end(fs, root):
    (root / "log").write_bytes(b"start;")
    handle = fs.open("log", os.O_WRONLY | os.O_APPEND)
    for word in (b"one;", b"two;"):
        fs.write(handle, 0, word)
    fs.close(handle)
    assert (root / "log").read_bytes() == b"start;one;two;"


def test_a_failed_write_is_raised_on_close(fs, root, link):
    handle = fs.open("f", os.O_WRONLY | os.O_CREAT)
    fs.write(handle, 0, b"data")
    # the server loses the handle (as if it was closed under us)
    link.files.close()
    with pytest.raises(OSError, match="Bad file descriptor") as failed:
        fs.close(handle)
    assert failed.value.errno == errno.EBADF
    with pytest.raises(OSError, match="no open handle") as closed:
        fs.close(handle)
    assert closed.value.errno == errno.EBADF


def test_a_lost_link_loses_handles_and_caches(fs, link, clock, root):
    (root / "f").write_bytes(b"abc")
    handle = fs.open("f", os.O_RDONLY)
    assert fs.stat("f").size == 3
    link.broken = True
    with pytest.raises(ConnectionError):
        fs.listdir("")
    link.reconnect()
    (root / "f").write_bytes(b"abcd")
    assert fs.stat("f").size == 4  # the cache went with the link
    with pytest.raises(OSError, match="link to the project was lost") as lost:
        fs.read(handle, 0, 10)
    assert lost.value.errno == errno.EIO
    fs.close(handle)  # forgotten: the server closed it with the link
    assert sum(isinstance(r, p.Init) for r in link.requests()) == 2
    assert get(fs, "f") == b"abcd"


def test_exchanges_stay_within_the_servers_limits(fs, link, root):
    data = os.urandom(100 * MiB // 10)
    handle = fs.open("f", os.O_WRONLY | os.O_CREAT)
    for offset in range(0, len(data), 8 * KiB):
        fs.write(handle, offset, data[offset : offset + 8 * KiB])
    fs.close(handle)
    handle = fs.open("f", os.O_RDONLY)
    assert fs.read(handle, 0, len(data)) == data
    fs.close(handle)
    for batch in link.exchanges:
        assert len(batch) <= MAX_IN_FLIGHT + 1
        assert all(len(p.encode_packet(r)) <= p.MAX_PACKET for r in batch)


# --- errors: those of a local disk ----------------------------------------------------


def _local(root, action):
    try:
        action()
    except OSError as error:
        names = (error.filename, error.filename2)
        return type(error), error.errno, [os.path.relpath(n, root) if n else n for n in names]
    return None


def _remote(action):
    try:
        action()
    except OSError as error:
        return type(error), error.errno, [error.filename, error.filename2]
    return None


@pytest.mark.parametrize(
    ("name", "local", "remote"),
    [
        ("stat missing", lambda r: os.stat(r / "missing"), lambda fs: fs.stat("missing")),
        ("stat under a file", lambda r: os.stat(r / "file/x"), lambda fs: fs.stat("file/x")),
        ("lstat missing", lambda r: os.lstat(r / "d/none"), lambda fs: fs.lstat("d/none")),
        ("listdir file", lambda r: os.listdir(r / "file"), lambda fs: fs.listdir("file")),
        ("listdir missing", lambda r: os.listdir(r / "m"), lambda fs: fs.listdir("m")),
        ("mkdir existing", lambda r: os.mkdir(r / "d"), lambda fs: fs.mkdir("d")),
        ("mkdir over file", lambda r: os.mkdir(r / "file"), lambda fs: fs.mkdir("file")),
        ("mkdir no parent", lambda r: os.mkdir(r / "m/x"), lambda fs: fs.mkdir("m/x")),
        ("rmdir non-empty", lambda r: os.rmdir(r / "d"), lambda fs: fs.rmdir("d")),
        ("rmdir file", lambda r: os.rmdir(r / "file"), lambda fs: fs.rmdir("file")),
        ("rmdir missing", lambda r: os.rmdir(r / "m"), lambda fs: fs.rmdir("m")),
        ("remove dir", lambda r: os.remove(r / "d"), lambda fs: fs.remove("d")),
        ("remove missing", lambda r: os.remove(r / "m"), lambda fs: fs.remove("m")),
        (
            "open dir for writing",
            lambda r: os.open(r / "d", os.O_WRONLY),
            lambda fs: fs.open("d", os.O_WRONLY),
        ),
        (
            "open existing exclusively",
            lambda r: os.open(r / "file", os.O_WRONLY | os.O_CREAT | os.O_EXCL),
            lambda fs: fs.open("file", os.O_WRONLY | os.O_CREAT | os.O_EXCL),
        ),
        ("open missing", lambda r: os.open(r / "m", os.O_RDONLY), lambda fs: fs.open("m", 0)),
        (
            "rename onto a non-empty dir",
            lambda r: os.rename(r / "e", r / "d"),
            lambda fs: fs.rename("e", "d"),
        ),
        (
            "rename a dir onto a file",
            lambda r: os.rename(r / "e", r / "file"),
            lambda fs: fs.rename("e", "file"),
        ),
        (
            "rename a file onto a dir",
            lambda r: os.rename(r / "file", r / "e"),
            lambda fs: fs.rename("file", "e"),
        ),
        (
            "rename into itself",
            lambda r: os.rename(r / "d", r / "d/inner/x"),
            lambda fs: fs.rename("d", "d/inner/x"),
        ),
        ("truncate dir", lambda r: os.truncate(r / "d", 0), lambda fs: fs.truncate("d", 0)),
        ("readlink of a file", lambda r: os.readlink(r / "file"), lambda fs: fs.readlink("file")),
        (
            "symlink over a file",
            lambda r: os.symlink(r / "x", r / "file"),
            lambda fs: fs.symlink("x", "file"),
        ),
    ],
)
def test_errors_are_those_of_a_local_disk(fs, root, name, local, remote):
    (root / "d" / "inner").mkdir(parents=True)
    (root / "e").mkdir()
    (root / "file").write_bytes(b"x")
    expected = _local(root, lambda: local(root))
    assert expected is not None, name
    assert _remote(lambda: remote(fs)) == expected, name


def test_handle_errors_are_those_of_a_local_disk(fs, root):
    (root / "d").mkdir()
    (root / "file").write_bytes(b"x")
    local = os.open(root / "file", os.O_WRONLY)
    remote = fs.open("file", os.O_WRONLY)
    with pytest.raises(OSError, match="Bad file descriptor") as local_error:
        os.pread(local, 1, 0)
    with pytest.raises(OSError, match="Bad file descriptor") as remote_error:
        fs.read(remote, 0, 1)
    assert remote_error.value.errno == local_error.value.errno == errno.EBADF
    os.close(local)
    fs.close(remote)
    remote = fs.open("file", os.O_RDONLY)
    with pytest.raises(OSError, match="Bad file descriptor") as write_error:
        fs.write(remote, 0, b"x")
    assert write_error.value.errno == errno.EBADF
    fs.close(remote)
    remote = fs.open("d", os.O_RDONLY)  # as os.open: opening is fine, reading is not
    with pytest.raises(IsADirectoryError):
        fs.read(remote, 0, 1)
    fs.close(remote)
    with pytest.raises(FileNotFoundError):
        fs.stat("../outside")  # as in POSIX, the root's ".." is the root
    (root / "out").symlink_to("/etc")
    with pytest.raises(PermissionError):
        fs.stat("out")
    with pytest.raises(PermissionError):
        fs.listdir(".cocalc-compute")


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (p.StatusCode.FAILURE, "Directory not empty", errno.ENOTEMPTY),
        (p.StatusCode.FAILURE, "File exists", errno.EEXIST),
        (p.StatusCode.FAILURE, "Is a directory", errno.EISDIR),
        (p.StatusCode.NO_SUCH_FILE, "Not a directory", errno.ENOTDIR),
        (p.StatusCode.NO_SUCH_FILE, "No such file or directory", errno.ENOENT),
        (p.StatusCode.NO_SUCH_FILE, "", errno.ENOENT),
        (p.StatusCode.PERMISSION_DENIED, "Operation not permitted", errno.EPERM),
        (p.StatusCode.PERMISSION_DENIED, "'../x' goes up with '..', out of the project", 13),
        (p.StatusCode.FAILURE, "too many open handles (at most 1024)", errno.EMFILE),
        (p.StatusCode.FAILURE, "something new", errno.EIO),
        (p.StatusCode.OP_UNSUPPORTED, "fsync@openssh.com is not supported", errno.ENOSYS),
        (99, "", errno.EIO),
    ],
)
def test_status_codes_and_messages_map_to_errno(code, message, expected):
    status = p.Status(1, code, message)
    assert errno_of(status) == expected
    error = status_error(status, "a/b")
    assert error.errno == expected
    assert error.filename == "a/b"
    assert type(error) is type(OSError(expected, "x"))


def test_whole_writes_are_sent_without_a_copy():
    buffer = WriteBuffer()
    block = os.urandom(p.MAX_DATA)
    buffer.add(0, block)
    buffer.add(p.MAX_DATA, block)
    buffer.add(3 * p.MAX_DATA, b"ab")  # a hole: a new extent
    buffer.add(3 * p.MAX_DATA + 1, b"XYZ")  # spliced into the last extent
    buffer.add(10, b"late")  # before the last extent: a new one, sent after (so it wins)
    chunks = list(buffer.chunks())
    assert [(offset, len(data)) for offset, data in chunks] == [
        (0, p.MAX_DATA),
        (p.MAX_DATA, p.MAX_DATA),
        (3 * p.MAX_DATA, 4),
        (10, 4),
    ]
    assert chunks[0][1].obj is block
    assert chunks[1][1].obj is block
    assert bytes(chunks[2][1]) == b"aXYZ"
    assert buffer.size == 2 * p.MAX_DATA + 8


def test_read_ahead_grows_while_reads_stay_in_order(link, clock, root):
    fs = RemoteFiles(link, clock=clock, block_size=256 * KiB, read_ahead=4)
    data = os.urandom(40 * MiB)
    (root / "big").write_bytes(data)
    handle = fs.open("big", os.O_RDONLY)
    link.reset()
    got = b"".join(fs.read(handle, offset, 128 * KiB) for offset in range(0, len(data), 128 * KiB))
    assert got == data
    asked = [sum(r.length for r in batch) for batch in link.exchanges]
    assert asked[:5] == [n * 256 * KiB for n in (5, 9, 17, 33, 49)]
    assert max(asked) == 49 * 256 * KiB  # 12 MiB ahead at most
    assert sum(asked) == len(data)
    link.reset()
    fs.read(handle, 3 * MiB, 10)  # out of order: back to the blocks needed
    fs.invalidate()
    fs.read(handle, 5 * MiB, 10)
    assert [r.length for r in link.requests(p.Read)] == [256 * KiB]
    fs.close(handle)
