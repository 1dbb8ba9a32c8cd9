"""Who may talk to the project websocket, and what happens to those who may not."""

import aiohttp
import msgpack
import pytest

from cocalc_compute_wasm.protocol import FrameLimits, HelloAccepted
from cocalc_compute_wasm.server import keys, make_app
from cocalc_compute_wasm.server.project import Project


async def refused_upgrade(served, headers) -> tuple[int, str]:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.http.ws_connect(served.ws_url, headers=headers)
    async with served.http.get(served.ws_url, headers=headers) as response:
        return refused.value.status, await response.text()


async def test_header_cookie_and_auth_frame_are_accepted(bare_client):
    for how in ("header", "cookie", "frame"):
        client = await bare_client(by=how)
        assert (await client.call("ping"))["server_time"] > 0


async def test_hello_answer_names_the_project(served, bare_client):
    client = await bare_client(hello=False)
    for frame in client.connection.start():
        await client.ws.send_bytes(frame)
    answer = await client.receive()
    assert isinstance(answer, HelloAccepted)
    assert answer.info["project_id"] == served.project_id


async def test_wrong_key_in_header_is_refused_before_upgrade(served):
    status, text = await refused_upgrade(served, {"Authorization": "Bearer sk-nope"})
    assert status == 401
    assert "not valid for this project" in text


async def test_revoked_key_is_refused_with_that_reason(served):
    key, info = keys.create_key(served.project.db)
    keys.revoke_key(served.project.db, info.key_id)
    status, text = await refused_upgrade(served, {"Authorization": f"Bearer {key}"})
    assert status == 401
    assert "revoked" in text


async def test_a_wrong_cookie_is_a_connection_without_a_key(served):
    """A browser cannot read a refused upgrade: the socket opens, and the protocol says
    what is missing; a right key in the auth frame still gets in."""
    key, info = keys.create_key(served.project.db)
    keys.revoke_key(served.project.db, info.key_id)
    ws = await served.http.ws_connect(served.ws_url, headers={"Cookie": f"api_key={key}"})
    await ws.send_bytes(msgpack.packb({"id": 1, "cmd": "hello", "args": {}}))
    closing = await ws.receive()
    assert closing.data == 4401
    assert closing.extra == "the API key has been revoked (the api_key cookie)"
    ws = await served.http.ws_connect(served.ws_url, headers={"Cookie": "api_key=sk-nope"})
    await ws.send_bytes(msgpack.packb({"cmd": "auth", "api_key": served.api_key}))
    await ws.send_bytes(msgpack.packb({"id": 1, "cmd": "ping"}))
    closing = await ws.receive()
    assert closing.data == 1002  # got in: the ping before hello is the only fault
    await ws.close()


async def test_key_of_another_project_is_refused(served, tmp_path):
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = Project.open(other_dir)
    other_key, _ = keys.create_key(other.db)
    other.close()
    status, text = await refused_upgrade(served, {"Authorization": f"Bearer {other_key}"})
    assert status == 401
    assert "not valid for this project" in text


async def test_wrong_project_id_is_not_found(served):
    url = served.ws_url.replace(served.project_id, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.http.ws_connect(url, headers={"Authorization": f"Bearer {served.api_key}"})
    assert refused.value.status == 404


async def test_no_key_then_a_request_is_closed_unauthorized(served):
    ws = await served.http.ws_connect(served.ws_url)
    await ws.send_bytes(msgpack.packb({"id": 1, "cmd": "ping"}))
    closing = await ws.receive()
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 4401


async def test_wrong_key_in_auth_frame_is_closed_with_reason(served):
    ws = await served.http.ws_connect(served.ws_url)
    await ws.send_bytes(msgpack.packb({"cmd": "auth", "api_key": "sk-wrong"}))
    closing = await ws.receive()
    assert closing.data == 4401
    assert "not valid for this project" in closing.extra


async def test_malformed_and_oversized_frames_close_only_that_connection(served, bare_client):
    bystander = await bare_client()
    bad = await bare_client()
    await bad.ws.send_bytes(b"\xc1 not msgpack")
    closing = await bad.ws.receive()
    assert closing.data == 1002
    assert "msgpack" in closing.extra

    text = await bare_client()
    await text.ws.send_str("hello")
    assert (await text.ws.receive()).data == 1003

    assert (await bystander.call("ping"))["server_time"] > 0


async def test_oversized_frame_is_closed_too_big(aiohttp_server, project, dist):
    key, _ = keys.create_key(project.db)
    limits = FrameLimits(max_frame_size=64 * 1024)
    server = await aiohttp_server(make_app(project, dist, limits=limits))
    url = str(server.make_url(f"/{project.project_id}/raw/.smc/ws"))
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, headers={"Authorization": f"Bearer {key}"})
        await ws.send_bytes(msgpack.packb({"id": 1, "cmd": "ping", "pad": "x" * 70_000}))
        closing = await ws.receive()
        assert closing.data == 1009


async def test_unknown_command_is_an_error_answer_not_a_close(bare_client):
    client = await bare_client()
    failure = await client.fails("launch_rockets")
    assert failure.code == "unknown_command"
    assert "unknown command 'launch_rockets'" in failure.message
    assert (await client.call("ping"))["server_time"] > 0
