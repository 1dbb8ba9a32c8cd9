"""A collaborator whose client joins a notebook and then never reads again, while a cell
streams lots of output: the server keeps at most a bounded backlog for it and then
disconnects it with a reason; the other collaborator and the runner do not notice, and
the cell finishes."""

import asyncio

import aiohttp
from notebook_cells import notebook_with, text, until

from cocalc_compute_wasm.client import Backoff, connect
from cocalc_compute_wasm.protocol import ClientConnection, CloseCode, HelloAccepted, Response
from cocalc_compute_wasm.server import keys, make_app
from cocalc_compute_wasm.server.ws import HUB_KEY
from cocalc_compute_wasm.worker.native import NativeWorker

BACKLOG = 2 << 20  # the server's bound on what waits for one client, small for the test
FRAMES = 200
FRAME = 200_000  # characters: each frame of the cell replaces the last one
ANIMATION = (
    "import time\n"
    "from IPython.display import clear_output\n"
    f"for i in range({FRAMES}):\n"
    "    clear_output(wait=True)\n"
    f"    print('frame', i, 'x' * {FRAME})\n"
    "    time.sleep(0.03)\n"
    "print('finished')"
)


async def join_and_stop_reading(http, url: str, api_key: str, path: str):
    """A client that opens ``path`` and reads nothing after the answer."""
    ws = await http.ws_connect(url, headers={"Authorization": f"Bearer {api_key}"})
    connection = ClientConnection("collaborator", "never-reads")
    for frame in connection.start():
        await ws.send_bytes(frame)
    assert isinstance(connection.receive_frame((await ws.receive()).data), HelloAccepted)
    request = connection.new_request("open", {"path": path})
    await ws.send_bytes(connection.send(request))
    while not (
        isinstance(event := connection.receive_frame((await ws.receive()).data), Response)
        and event.request_id == request.request_id
    ):
        pass
    return ws


async def test_a_client_that_never_reads_is_cut_off_and_nobody_else_notices(
    aiohttp_server, project, dist, tmp_path
):
    api_key, _ = keys.create_key(project.db)
    app = make_app(project, dist, save_delay=0.05, max_outbox_bytes=BACKLOG)
    server = await aiohttp_server(app)
    hub = app[HUB_KEY]
    origin = str(server.make_url("")).rstrip("/")
    worker = NativeWorker(tmp_path)
    compute = await connect_client(origin, project, api_key, kind="compute", **worker.handlers())
    serving = asyncio.ensure_future(worker.serve(compute))
    alice = await connect_client(origin, project, api_key)
    states = []
    for client in (compute, alice):
        client.on_state(lambda state, detail: states.append((state, detail)))
    try:
        nb, (cell,) = await notebook_with(alice, "slow.ipynb", ANIMATION)
        await until(lambda: nb.presence.get("kernel") == "idle", timeout=30)
        async with aiohttp.ClientSession() as http:
            url = f"{origin}/{project.project_id}/raw/.smc/ws"
            slow = await join_and_stop_reading(http, url, api_key, "slow.ipynb")
            (peer,) = (p for p in hub.peers.values() if p.client_id == "never-reads")
            largest = 0

            def watch_backlog() -> bool:
                nonlocal largest
                largest = max(largest, peer.backlog)
                return peer.id not in hub.peers

            await nb.request_run([cell])
            await until(watch_backlog, timeout=45)  # it is let go before the cell ends
            assert not nb.is_done(cell)
            assert 0 < largest <= BACKLOG
            await nb.wait_done([cell], timeout=60)
            assert text(nb, cell) == f"frame {FRAMES - 1} {'x' * FRAME}\nfinished\n"
            assert states == [], "the collaborator and the runner kept their connections"
            names = [p["client_id"] for p in nb.presence["participants"]]
            assert "never-reads" not in names

            # when it reads at last, it finds out why it was let go
            async with asyncio.timeout(30):
                while (message := await slow.receive()).type == aiohttp.WSMsgType.BINARY:
                    pass
            assert message.type == aiohttp.WSMsgType.CLOSE, message
            assert message.data == CloseCode.POLICY_VIOLATION
            assert "not reading" in message.extra
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await compute.close()
        await alice.close()


async def connect_client(origin, project, api_key, **options):
    backoff = Backoff(initial=0.05, maximum=0.5)
    return await connect(origin, project.project_id, api_key, backoff=backoff, **options)
