"""The connection's state machine and the file operations, without any websocket."""

from __future__ import annotations

import pytest

from cocalc_compute_wasm.websocketfs import packets as p
from cocalc_compute_wasm.websocketfs.files import EXTENSIONS, ProjectFiles
from cocalc_compute_wasm.websocketfs.session import (
    CloseCode,
    ProtocolViolation,
    Reply,
    Run,
    SftpSession,
    State,
)

Code = p.StatusCode


def test_init_first_then_requests():
    session = SftpSession(EXTENSIONS)
    with pytest.raises(ProtocolViolation) as early:
        SftpSession().receive_binary(p.encode_packet(p.Stat(1, "/")))
    assert early.value.code == CloseCode.PROTOCOL_ERROR
    reply = session.receive_binary(p.encode_packet(p.Init(3)))
    assert isinstance(reply, Reply)
    assert p.decode_packet(reply.data) == p.Version(3, EXTENSIONS)
    assert session.state is State.OPEN
    assert session.receive_binary(p.encode_packet(p.Stat(1, "/"))) == Run(p.Stat(1, "/"))
    for bad, code in [
        (p.encode_packet(p.Init(3)), CloseCode.PROTOCOL_ERROR),
        (p.encode_packet(p.Status(1, 0)), CloseCode.PROTOCOL_ERROR),
        (b"\x00", CloseCode.PROTOCOL_ERROR),
        (b"\x00" * (p.MAX_PACKET + 1), CloseCode.MESSAGE_TOO_BIG),
    ]:
        with pytest.raises(ProtocolViolation) as violation:
            session.receive_binary(bad)
        assert violation.value.code == code
    with pytest.raises(ProtocolViolation) as text:
        session.receive_text()
    assert text.value.code == CloseCode.UNSUPPORTED_DATA


@pytest.fixture
def files(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    return ProjectFiles(root)


def status(reply) -> int:
    assert isinstance(reply, p.Status), reply
    return reply.code


def test_errors_are_statuses(files):
    assert status(files.handle(p.Stat(1, "nope"))) == Code.NO_SUCH_FILE
    assert status(files.handle(p.Stat(1, "../x"))) == Code.PERMISSION_DENIED
    assert status(files.handle(p.Extended(1, "fsync@openssh.com"))) == Code.OP_UNSUPPORTED
    assert status(files.handle(p.Read(1, b"f99", 0, 10))) == Code.FAILURE
    assert status(files.handle(p.Mkdir(1, "d"))) == Code.OK
    assert status(files.handle(p.Mkdir(1, "d"))) == Code.FAILURE  # exists
    assert status(files.handle(p.Rmdir(1, "/"))) != Code.OK


def test_read_write_eof_and_handles(files):
    opened = files.handle(p.Open(1, "f", p.OpenFlags.WRITE | p.OpenFlags.CREAT, p.Attrs()))
    write = p.Write(2, opened.handle, 3, b"abc")
    assert status(files.handle(write)) == Code.OK
    assert status(files.handle(p.Close(3, opened.handle))) == Code.OK
    assert status(files.handle(p.Close(3, opened.handle))) == Code.FAILURE
    opened = files.handle(p.Open(4, "f", p.OpenFlags.READ, p.Attrs()))
    assert files.handle(p.Read(5, opened.handle, 0, 10)).data == b"\0\0\0abc"
    assert status(files.handle(p.Read(6, opened.handle, 6, 10))) == Code.EOF
    assert files.handle(p.Fstat(7, opened.handle)).attrs.size == 6
    listing = files.handle(p.Opendir(8, "/"))
    assert status(files.handle(p.Read(9, listing.handle, 0, 1))) == Code.FAILURE
    assert [e.filename for e in files.handle(p.Readdir(10, listing.handle)).entries] == ["f"]
    assert status(files.handle(p.Readdir(11, listing.handle))) == Code.EOF
    files.close()
    assert status(files.handle(p.Read(12, opened.handle, 0, 1))) == Code.FAILURE
