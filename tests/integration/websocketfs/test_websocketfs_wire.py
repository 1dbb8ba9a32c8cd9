"""The WebSocketFS endpoint at the websocket level: auth, framing and its limits."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest

from cocalc_compute_wasm.websocketfs.packets import (
    MAX_PACKET,
    Attrs,
    Data,
    Handle,
    Init,
    Open,
    OpenFlags,
    Read,
    Stat,
    Version,
    decode_packet,
    encode_packet,
)


async def opened(served, fs_url, bearer):
    ws = await served.http.ws_connect(fs_url, headers=bearer)
    await ws.send_bytes(encode_packet(Init(3)))
    version = decode_packet((await ws.receive(5)).data)
    assert isinstance(version, Version)
    assert version.version == 3
    assert dict(version.extensions).keys() >= {"posix-rename@openssh.com", "statvfs@openssh.com"}
    return ws


async def closed_with(ws) -> tuple[int, str]:
    message = await ws.receive(5)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    return ws.close_code, message.extra or ""


@pytest.mark.parametrize("key", [None, "wrong-key"])
async def test_auth_refused(served, fs_url, key):
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.http.ws_connect(fs_url, headers=headers)
    assert refused.value.status == 401


async def test_wrong_cookie_refused_and_good_cookie_accepted(served, fs_url):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.http.ws_connect(fs_url, headers={"Cookie": "api_key=nope"})
    assert refused.value.status == 401
    ws = await opened(served, fs_url, {"Cookie": f"api_key={served.api_key}"})
    await ws.close()


def key_protocol(key: str) -> str:
    return "cocalc-api-key." + base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


async def test_key_in_a_subprotocol_as_browsers_send_it(served, fs_url):
    protocol = key_protocol(served.api_key)
    ws = await served.http.ws_connect(fs_url, protocols=("other", protocol))
    assert ws.protocol == protocol  # echoed, or a browser would fail the connection
    await ws.send_bytes(encode_packet(Init(3)))
    assert isinstance(decode_packet((await ws.receive(5)).data), Version)
    await ws.close()


@pytest.mark.parametrize("protocol", [key_protocol("wrong-key"), "cocalc-api-key.%%%"])
async def test_bad_subprotocol_key_refused(served, fs_url, protocol):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.http.ws_connect(fs_url, protocols=(protocol,))
    assert refused.value.status == 401


async def test_wrong_project_is_404(served, bearer):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.http.ws_connect(f"{served.url}nope/raw/.smc/websocketfs", headers=bearer)
    assert refused.value.status == 404


async def test_text_message_closes(served, fs_url, bearer):
    ws = await opened(served, fs_url, bearer)
    await ws.send_str("hello")
    code, reason = await closed_with(ws)
    assert code == 1003
    assert "binary" in reason


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x00\x00", "at least 5 bytes"),
        (b"\x00\x00\x00\x09\x11", "length prefix"),
        (b"\x00\x00\x00\x01\x63", "unknown packet type"),
        (b"\x00\x00\x00\x09\x11\x00\x00\x00\x01\x00\x00\x00\x09", "truncated"),
    ],
)
async def test_malformed_packet_closes(served, fs_url, bearer, data, words):
    ws = await opened(served, fs_url, bearer)
    await ws.send_bytes(data)
    code, reason = await closed_with(ws)
    assert code == 1002
    assert words in reason


async def test_request_before_init_closes(served, fs_url, bearer):
    ws = await served.http.ws_connect(fs_url, headers=bearer)
    await ws.send_bytes(encode_packet(Stat(1, "/")))
    code, reason = await closed_with(ws)
    assert (code, "INIT" in reason) == (1002, True)


async def test_oversized_packet_closes(served, fs_url, bearer):
    ws = await opened(served, fs_url, bearer)
    await ws.send_bytes(b"\x00" * (MAX_PACKET + 1))
    code, _ = await closed_with(ws)
    assert code == 1009


async def test_reads_are_capped_and_pipelined(served, fs_url, bearer):
    data = bytes(range(256)) * (9 * 1024)  # 2.25 MiB
    (served.project.directory / "big").write_bytes(data)
    ws = await opened(served, fs_url, bearer)
    await ws.send_bytes(encode_packet(Open(1, "/big", OpenFlags.READ, Attrs())))
    handle = decode_packet((await ws.receive(5)).data)
    assert isinstance(handle, Handle)
    # many requests in flight at once: all sent before any answer is read
    reads = [Read(10 + i, handle.handle, i * 1024 * 1024, 4 * 1024 * 1024) for i in range(3)]
    for read in reads:
        await ws.send_bytes(encode_packet(read))
    replies = [decode_packet((await ws.receive(5)).data) for _ in reads]
    assert [reply.request_id for reply in replies] == [10, 11, 12]
    assert all(isinstance(reply, Data) for reply in replies)
    assert [len(reply.data) for reply in replies] == [1 << 20, 1 << 20, len(data) - (2 << 20)]
    assert b"".join(reply.data for reply in replies) == data
    await ws.close()


async def test_connections_are_independent(served, fs_url, bearer):
    first, second = await asyncio.gather(*(opened(served, fs_url, bearer) for _ in range(2)))
    await first.send_str("bad")
    assert (await closed_with(first))[0] == 1003
    await second.send_bytes(encode_packet(Stat(5, "/")))
    assert decode_packet((await second.receive(5)).data).request_id == 5
    await second.close()
