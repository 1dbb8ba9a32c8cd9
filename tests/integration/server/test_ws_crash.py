"""The server killed with SIGKILL in the middle of a burst of edits, then restarted:
every acknowledged patch is there, and the .ipynb on disk is a valid notebook."""

import json
import os
import signal
import subprocess
import sys

import aiohttp
import nbformat

from cocalc_compute_wasm.protocol import ClientConnection, ErrorResponse, HelloAccepted, Response
from cocalc_compute_wasm.sync import NOTEBOOK, CatchUp, Patch, Replica

BURST = 3000
KILL_AFTER = 50  # acknowledgements: far fewer than the burst, so the kill lands inside it


def start_server(project_dir) -> tuple[subprocess.Popen, dict]:
    server = subprocess.Popen(
        [sys.executable, "-m", "cocalc_compute_wasm.cli", "serve", str(project_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    return server, json.loads(server.stdout.readline())


async def open_notebook(http, ready, api_key, client_id):
    ws = await http.ws_connect(
        f"{ready['url']}{ready['project_id']}/raw/.smc/ws",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    connection = ClientConnection("collaborator", client_id)
    for frame in connection.start():
        await ws.send_bytes(frame)
    assert isinstance(connection.receive_frame((await ws.receive()).data), HelloAccepted)
    request = connection.new_request("open", {"path": "burst.ipynb"})
    await ws.send_bytes(connection.send(request))
    while True:
        event = connection.receive_frame((await ws.receive()).data)
        if isinstance(event, Response) and event.request_id == request.request_id:
            break
    replica = Replica(NOTEBOOK, client_id)
    replica.catch_up(CatchUp.from_wire(NOTEBOOK, event.result["catch_up"]))
    return ws, connection, event.result["channel"], replica


async def test_sigkill_mid_burst_loses_nothing_acknowledged(dist, tmp_path):
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    server, ready = start_server(project_dir)
    api_key = ready["api_key"]
    acknowledged: set[str] = set()
    async with aiohttp.ClientSession() as http:
        ws, connection, channel, replica = await open_notebook(http, ready, api_key, "burster")
        requests = {}
        for n in range(BURST):  # pipelined: all sent before any answer is awaited
            cell = {"type": "cell", "id": f"c{n}", "pos": float(n + 10), "input": f"x = {n}"}
            patch = replica.change(Patch(NOTEBOOK, sets=[cell]))
            args = {"channel": channel, "patch": patch.to_wire()}
            request = connection.new_request("patch", args)
            requests[request.request_id] = cell["id"]
            await ws.send_bytes(connection.send(request))
        try:
            while True:
                message = await ws.receive(timeout=10)
                if message.type != aiohttp.WSMsgType.BINARY:
                    break
                event = connection.receive_frame(message.data)
                if isinstance(event, Response):
                    acknowledged.add(requests[event.request_id])
                    if len(acknowledged) == KILL_AFTER:
                        os.kill(server.pid, signal.SIGKILL)
                assert not isinstance(event, ErrorResponse), event
        except (TimeoutError, aiohttp.ClientError, ConnectionError):
            pass  # the server died under us, as intended
        server.wait(10)
        server.stdout.close()
        assert KILL_AFTER <= len(acknowledged) < BURST, "the kill should land mid-burst"

        nbformat.validate(nbformat.read(project_dir / "burst.ipynb", as_version=4))

        server, again = start_server(project_dir)
        try:
            ws, _, _, reopened = await open_notebook(http, again, api_key, "checker")
            await ws.close()
        finally:
            server.terminate()
            server.wait(10)
            server.stdout.close()
    ids = {key[1] for key in reopened.value if key[0] == "cell"}
    assert acknowledged <= ids
    saved = nbformat.read(project_dir / "burst.ipynb", as_version=4)
    nbformat.validate(saved)
    assert acknowledged <= {cell.id for cell in saved.cells}
