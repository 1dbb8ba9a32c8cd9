"""Bad clients on WebSocketFS, next to a good one (paramiko), against the real server.

Each connection that breaks the framing is closed with its close code and a reason that
says what was wrong; a well-formed request with a bad handle or an impossible offset is
answered with a STATUS and the connection goes on. Meanwhile paramiko's reads return the
right bytes, and the files of the project stay as they were.
"""

from __future__ import annotations

import asyncio
import random

import aiohttp

from cocalc_compute_wasm.websocketfs.packets import (
    Attrs,
    Init,
    Read,
    Setstat,
    Stat,
    Status,
    StatusCode,
    Symlink,
    Version,
    Write,
    decode_packet,
    encode_packet,
)

CONTENT = bytes(range(256)) * 4096  # 1 MiB

#: What each bad client sends (after INIT or not), with the close code and words of the reason.
#: An oversized message is left to test_websocketfs_wire: aiohttp refuses it before reading
#: it all, so a client still writing it may see the connection reset instead (1006).
BAD = [
    (True, random.Random(4).randbytes(300), 1002, "malformed packet"),
    (True, "a text message", 1003, "binary messages (SFTP packets) only"),
    (True, b"\x00\x00\x00\x09\x11\x00\x00\x00\x01", 1002, "length prefix"),
    (True, b"\x00\x00\x00\x05\x63\x00\x00\x00\x01", 1002, "unknown packet type 99"),
    (True, b"\x00\x00\x00\x09\x11\x00\x00\x00\x01\xff\xff\xff\xff", 1002, "truncated path"),
    (True, encode_packet(Stat(1, "/"))[:-1] + b"/x", 1002, "length prefix"),
    (True, encode_packet(Version(3)), 1002, "Version is not a request"),
    (True, encode_packet(Init(3)), 1002, "Init is not a request"),
    (False, encode_packet(Stat(1, "/")), 1002, "expected INIT first"),
]

#: Well-formed requests with bad values: answered, not closed.
ANSWERED = [
    (Read(1, b"f404", 0, 10), StatusCode.FAILURE, "no open handle"),
    (Write(2, b"\xff" * 64, 0, b"x"), StatusCode.FAILURE, "no open handle"),
    (Setstat(3, "data", Attrs(size=2**64 - 1)), StatusCode.BAD_MESSAGE, "past the largest"),
    (Symlink(4, "a\0b", "link"), StatusCode.BAD_MESSAGE, "has a NUL"),
    (Stat(5, "../../etc/passwd"), StatusCode.PERMISSION_DENIED, "out of the project"),
]


async def connect(served, fs_url, bearer, init: bool) -> aiohttp.ClientWebSocketResponse:
    ws = await served.http.ws_connect(fs_url, headers=bearer)
    if init:
        await ws.send_bytes(encode_packet(Init(3)))
        assert isinstance(decode_packet((await ws.receive(5)).data), Version)
    return ws


async def send(ws: aiohttp.ClientWebSocketResponse, data: bytes | str) -> None:
    await (ws.send_str(data) if isinstance(data, str) else ws.send_bytes(data))


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
    message = await ws.receive(10)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
    return ws.close_code, message.extra or ""


async def test_bad_sftp_clients_are_closed_while_a_good_one_reads(served, fs_url, bearer, sftp):
    project = served.project.directory
    (project / "data").write_bytes(CONTENT)
    listing = sorted(p.name for p in project.iterdir())
    bad = await asyncio.gather(*(connect(served, fs_url, bearer, init) for init, *_ in BAD))
    for ws, (_, data, _, _) in zip(bad, BAD, strict=True):
        await send(ws, data)

    async with sftp.open("/data", "rb") as remote:  # while the bad ones are being closed
        read = await sftp.call_on(remote, "read", len(CONTENT))
    assert read == CONTENT

    closes = await asyncio.gather(*(closed_with(ws) for ws in bad))
    for (code, reason), (_, data, want_code, words) in zip(closes, BAD, strict=True):
        assert code == want_code, (data[:40], reason)
        assert words in reason, (data[:40], reason)
    assert (await sftp.call("stat", "/data")).st_size == len(CONTENT)
    assert sorted(p.name for p in project.iterdir()) == listing
    assert (project / "data").read_bytes() == CONTENT


async def test_bad_values_in_good_packets_are_answered(served, fs_url, bearer):
    (served.project.directory / "data").write_bytes(CONTENT)
    ws = await connect(served, fs_url, bearer, True)
    for request, code, words in ANSWERED:
        await ws.send_bytes(encode_packet(request))
        reply = decode_packet((await ws.receive(5)).data)
        assert isinstance(reply, Status), reply
        assert (reply.request_id, reply.code) == (request.request_id, code), reply
        assert words in reply.message, reply
    await ws.send_bytes(encode_packet(Stat(9, "/data")))
    assert decode_packet((await ws.receive(5)).data).attrs.size == len(CONTENT)
    assert (served.project.directory / "data").read_bytes() == CONTENT
    assert not (served.project.directory / "link").exists()
    await ws.close()
