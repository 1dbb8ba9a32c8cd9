"""Fuzzing the WebSocketFS side: the SFTP packet decoder, the session and the file server.

Property of `SftpSession.receive_binary`: any websocket message gives a Reply or a Run, or
raises ProtocolViolation with a close code of the table and a reason that says what was
wrong; nothing else escapes. Inputs: random bytes, and every packet type with garbage in
its fields (lying string lengths, huge counts, unknown attribute flags), wrong length
prefixes, truncated packets and junk after them. Property of `ProjectFiles.handle`: any
request that decodes gets a reply packet that encodes, never an exception, whatever its
handles (unknown, closed, of the other kind), paths (out of the project, NUL, overlong,
not UTF-8), offsets and attributes; and nothing outside the project folder changes.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import pytest
from fuzzing import cases, clear_reason
from hypothesis import given
from hypothesis import strategies as st

from cocalc_compute_wasm.websocketfs import packets as p
from cocalc_compute_wasm.websocketfs.files import EXTENSIONS, ProjectFiles
from cocalc_compute_wasm.websocketfs.session import (
    CloseCode,
    ProtocolViolation,
    Reply,
    Run,
    SftpSession,
)

TYPES = [*range(1, 21), *range(101, 106), 200, 201, 0, 99, 255]  # SFTP v3 and strangers
EXTENSION_NAMES = ["posix-rename@openssh.com", "statvfs@openssh.com", "fsync@openssh.com", ""]

u32s = st.integers(0, 2**32 - 1) | st.sampled_from([0, 1, 3, 0xFFFFFFFF, 0x8000000F])
u64s = st.integers(0, 2**64 - 1) | st.sampled_from([0, 2**63 - 1, 2**63, 2**64 - 1])


@st.composite
def strings(draw: st.DrawFn) -> bytes:
    """An SFTP string whose length prefix may lie (too long, too short, gigabytes)."""
    body = draw(st.binary(max_size=24) | st.sampled_from([e.encode() for e in EXTENSION_NAMES]))
    length = draw(st.just(len(body)) | st.integers(0, len(body) + 8) | st.sampled_from([2**32 - 1]))
    return struct.pack(">I", length) + body


fields = st.one_of(
    u32s.map(lambda v: struct.pack(">I", v)),
    u64s.map(lambda v: struct.pack(">Q", v)),
    strings(),
    st.binary(max_size=8),
)


@st.composite
def garbage_packets(draw: st.DrawFn) -> bytes:
    """A packet of any type whose fields are drawn at random, framed right or wrong."""
    type_ = draw(st.sampled_from(TYPES))
    body = bytes([type_]) + b"".join(draw(st.lists(fields, max_size=7)))
    length = draw(st.just(len(body)) | st.just(len(body)) | u32s)
    data = struct.pack(">I", length) + body
    cut = draw(st.integers(0, 2))
    if cut == 1:
        return data[: draw(st.integers(0, len(data)))]
    if cut == 2:
        return data + draw(st.binary(min_size=1, max_size=4))
    return data


messages = st.binary(max_size=300) | garbage_packets()


def check_violation(violation: ProtocolViolation) -> None:
    assert violation.code in set(CloseCode)
    assert clear_reason(violation.reason), violation.reason


@cases(2000)
@given(data=messages, opened=st.booleans())
def test_session_gives_a_reply_a_request_or_a_violation(data, opened):
    session = SftpSession(EXTENSIONS)
    if opened:
        session.receive_binary(p.encode_packet(p.Init(3)))
    try:
        event = session.receive_binary(data)
    except ProtocolViolation as violation:
        check_violation(violation)
        return
    assert isinstance(event, Reply | Run)
    if isinstance(event, Run):
        assert opened
        assert isinstance(event.request, p.Request)


# --- the file server ------------------------------------------------------------------

handles = st.sampled_from([b"f1", b"d2", b"f3", b"", b"f1\0", b"\xff" * 300]) | st.binary(
    max_size=6
)
paths = st.lists(
    st.sampled_from(["a", "d", "..", ".", "", ".cocalc-compute", "x\0y", "\udcff", "n" * 300]),
    max_size=4,
).map("/".join) | st.sampled_from(["/", "/a", "../..", "/etc/passwd", "d/../../a"])
attrs = st.builds(
    p.Attrs,
    size=st.none() | st.sampled_from([0, 5, 2**63 - 1, 2**63, 2**64 - 1]),
    owner=st.none() | st.tuples(u32s, u32s),
    permissions=st.none() | u32s,
    times=st.none() | st.tuples(u32s, u32s),
)
ids = st.integers(0, 2**32 - 1)
requests = st.one_of(
    st.builds(p.Open, ids, paths, u32s, attrs),
    st.builds(p.Close, ids, handles),
    st.builds(p.Read, ids, handles, u64s, u32s),
    st.builds(p.Write, ids, handles, u64s, st.binary(max_size=16)),
    st.builds(p.Fstat, ids, handles),
    st.builds(p.Fsetstat, ids, handles, attrs),
    st.builds(p.Readdir, ids, handles),
    *(st.builds(cls, ids, paths) for cls in (p.Lstat, p.Stat, p.Opendir, p.Remove, p.Rmdir)),
    *(st.builds(cls, ids, paths) for cls in (p.Realpath, p.Readlink, p.Statvfs)),
    st.builds(p.Setstat, ids, paths, attrs),
    st.builds(p.Mkdir, ids, paths, attrs),
    *(st.builds(cls, ids, paths, paths) for cls in (p.Rename, p.PosixRename, p.Symlink)),
    st.builds(p.Extended, ids, st.sampled_from(EXTENSION_NAMES), st.binary(max_size=8)),
)


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A folder whose projects live inside it, with a file next to them: the fuzzed
    requests must never reach it."""
    folder = tmp_path_factory.mktemp("sftp-fuzz")
    (folder / "outside").write_text("not yours")
    return folder


@cases(1000)
@given(batch=st.lists(requests, min_size=1, max_size=6))
def test_file_server_answers_every_request_with_a_packet(outside, batch):
    with tempfile.TemporaryDirectory(dir=outside) as folder:
        root = Path(folder)
        (root / "a").write_bytes(b"hello")
        (root / "d").mkdir()
        files = ProjectFiles(root)
        # a file handle f1, a directory handle d2, and f3 already closed
        for setup in (p.Open(0, "a", p.OpenFlags.READ, p.Attrs()), p.Opendir(0, "/")):
            assert isinstance(files.handle(setup), p.Handle)
        files.handle(p.Close(0, files.handle(p.Open(0, "a", p.OpenFlags.READ, p.Attrs())).handle))
        try:
            for request in batch:
                reply = files.handle(request)
                assert isinstance(reply, p.Packet)
                assert getattr(reply, "request_id", request.request_id) == request.request_id
                p.decode_packet(p.encode_packet(reply))
                if isinstance(reply, p.Status) and reply.code != p.StatusCode.OK:
                    assert reply.message, reply
        finally:
            files.close()
    assert sorted(path.name for path in outside.iterdir()) == ["outside"]
    assert (outside / "outside").read_text() == "not yours"


@pytest.mark.parametrize(
    "request_",
    [
        p.Read(1, b"f1", 2**64 - 1, 10),
        p.Write(1, b"f1", 2**63, b"x"),
        p.Setstat(1, "a", p.Attrs(size=2**64 - 1)),
        p.Symlink(1, "to\0nowhere", "link"),
    ],
)
def test_values_the_os_cannot_take_are_bad_messages(tmp_path, request_):
    """Found by fuzzing: offsets and sizes past 2**63 raised OverflowError from os.pread,
    os.pwrite and os.truncate, and a NUL in a symlink's target ValueError from os.symlink;
    the shell answered 'server error' and logged a traceback as if it were our bug."""
    (tmp_path / "a").write_bytes(b"hello")
    files = ProjectFiles(tmp_path)
    assert (
        files.handle(p.Open(0, "a", p.OpenFlags.READ | p.OpenFlags.WRITE, p.Attrs())).handle
        == b"f1"
    )
    reply = files.handle(request_)
    assert isinstance(reply, p.Status)
    assert reply.code == p.StatusCode.BAD_MESSAGE
    assert reply.message
    files.close()


def test_a_symlink_loop_is_an_error_status(tmp_path):
    """Found by fuzzing: a symlink to itself made Path.resolve() raise RuntimeError (Python
    3.11), which escaped as 'server error' from every request naming a path through it."""
    files = ProjectFiles(tmp_path)
    assert files.handle(p.Symlink(1, "loop", "loop")).code == p.StatusCode.OK
    for request in (p.Stat(2, "loop"), p.Lstat(3, "loop/a"), p.Opendir(4, "loop")):
        reply = files.handle(request)
        assert isinstance(reply, p.Status)
        assert reply.code in (p.StatusCode.PERMISSION_DENIED, p.StatusCode.NO_SUCH_FILE)
        assert "symbolic links" in reply.message
    files.close()
