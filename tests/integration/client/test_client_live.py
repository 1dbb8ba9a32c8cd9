"""The Python client against the real project server: collaboration, runs, reconnects."""

from __future__ import annotations

import asyncio

import pytest

from cocalc_compute_wasm.client import (
    AuthError,
    ConfigError,
    ConnectError,
    RequestError,
    connect,
)
from cocalc_compute_wasm.server import keys
from cocalc_compute_wasm.sync import NOTEBOOK, ClientPatch, Patch

# --- two collaborators ------------------------------------------------------------------


async def test_two_clients_see_each_others_edits(open_client, until):
    alice, bob = await open_client(), await open_client()
    nb_a = await alice.open_notebook("shared.ipynb")
    nb_b = await bob.open_notebook("shared.ipynb")
    assert nb_a.path == nb_b.path == "shared.ipynb"
    assert nb_a.settings["kernel"] == "python3"
    (first,) = nb_a.cell_ids()  # a new notebook has one empty cell
    seen = []
    nb_b.on_change(lambda changes: seen.append(changes))

    cell = nb_a.insert_cell(after=first, input="x = 1")
    await until(lambda: nb_b.cell(cell) is not None)
    assert nb_b.cell_ids() == [first, cell]
    assert any(cell in changes.cell_ids for changes in seen)

    nb_b.set_input(cell, "x = 2")
    nb_b.move_cell(cell, before=first)
    await until(lambda: nb_a.cell_ids() == [cell, first])
    assert nb_a.cell(cell)["input"] == "x = 2"

    nb_a.delete_cell(first)
    await until(lambda: nb_b.cell_ids() == [cell])
    await nb_a.synced(5)
    await nb_b.synced(5)
    assert nb_a.doc.value == nb_b.doc.value
    ids = {p["client_id"] for p in nb_a.presence["participants"]}
    assert ids == {alice.client_id, bob.client_id}


async def test_concurrent_edits_of_one_input_merge(open_client, until):
    alice, bob = await open_client(), await open_client()
    nb_a = await alice.open_notebook("merge.ipynb")
    nb_b = await bob.open_notebook("merge.ipynb")
    base = "def f(x):\n    return x\n\n\n\nprint(f(1))\n"
    cell = nb_a.insert_cell(input=base)
    await until(lambda: nb_b.cell(cell) is not None)
    # both type before either hears of the other's edit
    nb_a.set_input(cell, "import math\n" + base)
    nb_b.set_input(cell, base + "print(f(2))\n")
    await asyncio.gather(nb_a.synced(5), nb_b.synced(5))
    merged = "import math\n" + base + "print(f(2))\n"
    await until(lambda: nb_a.cell(cell)["input"] == nb_b.cell(cell)["input"] == merged)


async def test_run_requests_queue_cells_in_order_at_server_time(open_client, until):
    alice, bob = await open_client(), await open_client()
    nb_a = await alice.open_notebook("run.ipynb")
    nb_b = await bob.open_notebook("run.ipynb")
    cells = [nb_a.insert_cell(input=f"print({i})") for i in range(3)]
    markdown = nb_a.insert_cell(cell_type="markdown", input="# notes")
    before = alice.server_time_ms()
    await nb_a.request_run([cells[2], markdown, cells[0], cells[1]])
    # acknowledged means durable and visible to everyone
    await until(lambda: all(nb_b.cell(c) and nb_b.cell(c).get("state") for c in cells))
    starts = [nb_b.cell(c)["start"] for c in (cells[2], cells[0], cells[1])]
    assert starts == sorted(starts)
    assert len(set(starts)) == 3
    assert before - 1000 < starts[0] < before + 5000
    assert {nb_b.cell(c)["state"] for c in cells} == {"start"}
    assert "state" not in nb_b.cell(markdown)
    assert not nb_b.is_done(cells[0])
    assert nb_b.is_done(markdown)


async def test_wait_done_follows_what_a_runner_writes(open_client, bare_client, until):
    alice = await open_client()
    nb = await alice.open_notebook("done.ipynb")
    cell = nb.insert_cell(input="1 + 1")
    await nb.request_run([cell])
    # a stand-in runner, speaking the bare protocol: run, busy, done
    runner = await bare_client("compute")
    opened = await runner.call("open", path="done.ipynb")
    waiting = asyncio.ensure_future(nb.wait_done([cell], timeout=5))
    output = {"0": {"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {}}}
    for number, fields in enumerate(
        [{"state": "run"}, {"state": "busy"}, {"state": "done", "output": output, "exec_count": 1}],
        1,
    ):
        patch = Patch(NOTEBOOK, sets=[{"type": "cell", "id": cell, **fields}])
        wire = ClientPatch(runner.connection.client_id, number, patch).to_wire()
        await runner.call("patch", channel=opened["channel"], patch=wire)
        await asyncio.sleep(0.02)
        assert not waiting.done() or number == 3
    await waiting
    assert nb.cell(cell)["output"] == output
    assert nb.is_done(cell)


async def test_control_without_a_runner_is_a_clear_error(open_client):
    client = await open_client()
    nb = await client.open_notebook("control.ipynb")
    with pytest.raises(RequestError) as error:
        await nb.interrupt()
    assert error.value.code == "not_found"
    assert "no compute client" in str(error.value)


async def test_presence_follows_who_has_the_notebook_open(open_client, until):
    alice, bob = await open_client(), await open_client()
    nb = await alice.open_notebook("presence.ipynb")
    changes = []
    nb.on_change(changes.append)
    other = await bob.open_notebook("presence.ipynb")

    def here():
        return {p["client_id"] for p in nb.presence["participants"]}

    await until(lambda: here() == {alice.client_id, bob.client_id})
    await other.close()
    await until(lambda: here() == {alice.client_id})
    assert any(c.presence for c in changes)


async def test_a_compute_client_answers_control_for_the_notebooks_it_runs(open_client, until):
    alice = await open_client()
    nb = await alice.open_notebook("compute.ipynb")
    compute = await open_client(kind="compute")
    assigned, asked = [], []
    compute.on_message(lambda channel, body: assigned.append((channel, body)))

    async def answer(cmd, args):
        asked.append((cmd, args))
        return {"interrupted": True}

    compute.set_request_handler(answer)
    await until(lambda: nb.presence.get("runner") == compute.client_id)
    assert ("runner", {"assignments": ["compute.ipynb"]}) in assigned
    assert await nb.interrupt() == {"interrupted": True}
    ((cmd, args),) = asked
    assert cmd == "control"
    assert args["action"] == "interrupt"
    assert args["path"] == "compute.ipynb"
    compute.set_request_handler(None)
    with pytest.raises(RequestError) as error:
        await nb.restart()
    assert error.value.code == "unknown_command"


async def test_a_notebook_reopened_in_the_same_session_continues_its_replica(open_client, until):
    alice, bob = await open_client(), await open_client()
    nb = await alice.open_notebook("again.ipynb")
    cell = nb.insert_cell(input="first")
    await nb.close()
    watcher = await bob.open_notebook("again.ipynb")
    watcher.set_input(cell, "changed while alice was away")
    await watcher.synced(5)
    nb = await alice.open_notebook("./again.ipynb")
    assert nb.cell(cell)["input"] == "changed while alice was away"
    nb.set_input(cell, "second")
    await nb.synced(5)
    await until(lambda: watcher.cell(cell)["input"] == "second")
    assert await alice.open_notebook("again.ipynb") is nb


async def test_opening_a_path_outside_the_project_is_refused(open_client):
    client = await open_client()
    with pytest.raises(RequestError) as error:
        await client.open_notebook("../escape.ipynb")
    assert error.value.code == "forbidden"


# --- reconnecting -----------------------------------------------------------------------


async def test_a_dropped_socket_reconnects_and_resends_without_duplicates(
    proxy, open_client, until, stored_log
):
    alice = await open_client(via=proxy)
    bob = await open_client()
    nb = await alice.open_notebook("drop.ipynb")
    watcher = await bob.open_notebook("drop.ipynb")
    cell = nb.insert_cell(input="a")
    nb.set_input(cell, "ab")
    await nb.synced(5)  # acknowledged: must survive whatever follows

    # the server gets these, but its acks never come back: pending on alice's side
    proxy.blackhole = True
    nb.set_input(cell, "abc")
    extra = nb.insert_cell(after=cell, input="sent, ack lost")
    await until(lambda: watcher.cell(extra) is not None)
    assert len(nb.doc.replica.pending) == 2

    proxy.refuse = True
    proxy.drop()
    proxy.blackhole = False
    await until(lambda: not alice.connected)
    nb.set_input(cell, "abcd")  # made while disconnected
    offline = nb.insert_cell(input="made offline")
    await until(lambda: proxy.connections >= 3)  # reconnect attempts fail meanwhile
    proxy.refuse = False
    await nb.synced(10)
    assert alice.connected

    await until(lambda: watcher.doc.value == nb.doc.value)
    assert watcher.cell(cell)["input"] == "abcd"
    assert [watcher.cell(c)["input"] for c in (extra, offline)] == [
        "sent, ack lost",
        "made offline",
    ]
    log = stored_log("drop.ipynb")
    assert log.value == nb.doc.value
    mine = [(r.client_id, r.local_number) for r in log.tail if r.client_id == alice.client_id]
    assert [n for _, n in mine] == list(range(1, len(mine) + 1))  # each patch exactly once


async def test_many_edits_while_unreachable_go_out_in_order_after_the_reconnect(
    proxy, open_client, until
):
    alice = await open_client(via=proxy)
    bob = await open_client()
    nb = await alice.open_notebook("offline.ipynb")
    watcher = await bob.open_notebook("offline.ipynb")
    cell = nb.insert_cell(input="# a cell that both edit\n")
    await nb.synced(5)
    await until(lambda: watcher.cell(cell) is not None)
    for i in range(20):
        nb.set_input(cell, nb.cell(cell)["input"] + str(i % 10))
        if i == 5:
            proxy.refuse = True
            proxy.drop()  # some of these were on the wire, the rest wait
    watcher.set_input(cell, "bob: " + watcher.cell(cell)["input"])  # meanwhile, elsewhere
    await until(lambda: proxy.connections >= 3)
    proxy.refuse = False
    await nb.synced(10)
    await until(lambda: watcher.doc.value == nb.doc.value)
    assert nb.cell(cell)["input"] == "bob: # a cell that both edit\n01234567890123456789"


async def test_a_socket_closed_cleanly_but_not_by_the_client_reconnects(open_client, until):
    alice, bob = await open_client(), await open_client()
    nb = await alice.open_notebook("closed.ipynb")
    watcher = await bob.open_notebook("closed.ipynb")
    await alice._link.socket.close()  # as a server going away would
    cell = nb.insert_cell(input="after the close")
    await nb.synced(10)
    await until(lambda: watcher.cell(cell) is not None)
    assert alice.connected


async def test_requests_wait_for_the_reconnect(proxy, open_client, until):
    client = await open_client(via=proxy)
    nb = await client.open_notebook("wait.ipynb")
    proxy.refuse = True
    proxy.drop()
    await until(lambda: not client.connected)
    opening = asyncio.ensure_future(client.open_notebook("other.ipynb"))
    await until(lambda: proxy.connections >= 3)
    assert not opening.done()
    proxy.refuse = False
    other = await opening
    assert other.cell_ids()
    assert nb.cell_ids()


# --- refusals and settings --------------------------------------------------------------


async def test_a_wrong_api_key_is_a_clear_error_and_not_retried(served, origin, proxy):
    with pytest.raises(AuthError, match=r"refused the API key.*401.*API_KEY"):
        await connect(proxy.url, served.project_id, "sk-wrong")
    await asyncio.sleep(0.2)
    assert proxy.connections == 1


async def test_a_key_revoked_mid_session_stops_the_client(served, proxy, open_client):
    key, info = keys.create_key(served.project.db, "short-lived")
    client = await open_client(via=proxy, api_key=key)
    nb = await client.open_notebook("revoked.ipynb")
    keys.revoke_key(served.project.db, info.key_id)
    proxy.drop()
    nb.insert_cell(input="never acknowledged")
    with pytest.raises(AuthError, match="401"):
        await nb.synced(5)
    assert isinstance(client.error, AuthError)
    attempts = proxy.connections
    await asyncio.sleep(0.3)  # many backoff periods: no further attempt
    assert proxy.connections == attempts
    with pytest.raises(AuthError):
        await client.open_notebook("other.ipynb")


async def test_a_wrong_project_id_is_a_clear_error(served, origin):
    with pytest.raises(ConnectError, match=r"404.*PROJECT_ID"):
        await connect(origin, "no-such-project", served.api_key)


async def test_an_unreachable_server_is_a_clear_error(served, proxy):
    await proxy.stop()
    with pytest.raises(ConnectError, match="cannot connect"):
        await connect(proxy.url, served.project_id, served.api_key)


async def test_settings_come_from_the_environment(served, origin, monkeypatch):
    for name in ("API_SERVER", "PROJECT_ID", "API_KEY", "BASE_PATH", "API_BASE_PATH"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="API_SERVER is not set"):
        await connect()
    monkeypatch.setenv("API_SERVER", origin)
    monkeypatch.setenv("PROJECT_ID", served.project_id)
    with pytest.raises(ConfigError, match="API_KEY is not set"):
        await connect()
    monkeypatch.setenv("API_KEY", served.api_key)
    monkeypatch.setenv("BASE_PATH", "/")
    async with await connect() as client:
        assert client.project_id == served.project_id
        nb = await client.open_notebook("env.ipynb")
        assert nb.cell_ids()
