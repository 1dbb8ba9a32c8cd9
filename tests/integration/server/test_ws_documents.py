"""Notebook documents over the project websocket: open, patch, fan out, persist, save."""

import asyncio
import json

import nbformat
import pytest

from cocalc_compute_wasm.protocol import Request, Response
from cocalc_compute_wasm.sync import NOTEBOOK, CatchUp, LogRecord, Replica


def cell_key(replica: Replica) -> tuple:
    return next(k for k in replica.value if k[0] == "cell")


async def open_replica(client, path: str) -> tuple[int, Replica]:
    opened = await client.call("open", path=path)
    replica = Replica(NOTEBOOK, client.connection.client_id)
    replica.catch_up(CatchUp.from_wire(NOTEBOOK, opened["catch_up"]))
    return opened["channel"], replica


async def edit_input(client, channel, replica, text: str) -> dict:
    key = cell_key(replica)
    value = dict(replica.value)
    value[key] = {**value[key], "input": text}
    patch = replica.commit(value)
    return await client.call("patch", channel=channel, patch=patch.to_wire())


async def next_record(client, channel) -> LogRecord:
    while True:
        body = await client.channel_message(channel)
        if "record" in body:
            return LogRecord.from_wire(NOTEBOOK, body["record"])


def validated(path) -> nbformat.NotebookNode:
    notebook = nbformat.reads(path.read_text(), as_version=4)
    nbformat.validate(notebook)
    return notebook


async def wait_for(condition, timeout=5.0):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_opening_a_missing_notebook_creates_a_valid_empty_one(served, bare_client):
    client = await bare_client()
    _, replica = await open_replica(client, "new.ipynb")
    assert [k[0] for k in replica.value].count("cell") == 1
    notebook = validated(served.project.directory / "new.ipynb")
    assert len(notebook.cells) == 1


async def test_edits_reach_every_subscriber_are_durable_and_saved(served, bare_client):
    alice, bob = await bare_client(), await bare_client()
    ch_a, rep_a = await open_replica(alice, "shared.ipynb")
    ch_b, rep_b = await open_replica(bob, "shared.ipynb")

    answer = await edit_input(alice, ch_a, rep_a, "print('hello')")
    assert answer == {"seq": 2, "duplicate": False}
    for client, channel, replica in ((alice, ch_a, rep_a), (bob, ch_b, rep_b)):
        replica.receive(await next_record(client, channel))
    assert rep_a.value == rep_b.value
    assert rep_b.value[cell_key(rep_b)]["input"] == "print('hello')"
    assert not rep_a.pending

    stored = served.project.db.execute(
        "SELECT seq, client_id FROM patches WHERE path = 'shared.ipynb' ORDER BY seq"
    ).fetchall()
    assert stored[-1] == (2, alice.connection.client_id)

    path = served.project.directory / "shared.ipynb"
    await wait_for(lambda: "hello" in path.read_text())
    assert validated(path).cells[0].source == "print('hello')"


async def test_a_resent_patch_is_not_applied_twice(bare_client):
    client = await bare_client()
    channel, replica = await open_replica(client, "a.ipynb")
    await edit_input(client, channel, replica, "x = 1")
    (pending,) = replica.pending
    again = await client.call("patch", channel=channel, patch=pending.to_wire())
    assert again == {"seq": 2, "duplicate": True}


async def test_patches_are_checked(bare_client):
    client = await bare_client()
    channel, replica = await open_replica(client, "a.ipynb")
    key = cell_key(replica)
    value = dict(replica.value)
    value[key] = {**value[key], "input": "1"}
    patch = replica.commit(value).to_wire()

    failure = await client.fails("patch", channel=channel, patch={**patch, "client_id": "mallory"})
    assert failure.code == "forbidden"
    assert "sent by client" in failure.message
    failure = await client.fails(
        "patch", channel=channel, patch={**patch, "patch": [1, [{"x": 1}]]}
    )
    assert failure.code == "bad_request"
    failure = await client.fails("patch", channel=channel, patch={**patch, "local_number": 5})
    assert failure.code == "conflict"
    assert "the next one expected is 1" in failure.message
    failure = await client.fails("patch", channel=99, patch=patch)
    assert failure.code == "not_found"
    assert "no open document" in failure.message


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("../x.ipynb", "forbidden"),
        ("/etc/x.ipynb", "forbidden"),
        (".cocalc-compute/x.ipynb", "forbidden"),
        ("notes.txt", "bad_request"),
    ],
)
async def test_paths_outside_the_project_or_not_notebooks_are_refused(bare_client, path, code):
    client = await bare_client()
    failure = await client.fails("open", path=path)
    assert failure.code == code


async def test_a_file_that_is_not_a_notebook_is_refused_and_left_alone(served, bare_client):
    path = served.project.directory / "broken.ipynb"
    path.write_text("{ this is not json")
    client = await bare_client()
    failure = await client.fails("open", path="broken.ipynb")
    assert failure.code == "bad_request"
    assert "cannot open broken.ipynb" in failure.message
    assert path.read_text() == "{ this is not json"


async def test_a_file_changed_on_disk_is_imported_and_pushed(served, bare_client, monkeypatch):
    monkeypatch.setattr("cocalc_compute_wasm.server.hub.DISK_POLL_INTERVAL", 0.05)
    client = await bare_client()
    channel, replica = await open_replica(client, "disk.ipynb")
    path = served.project.directory / "disk.ipynb"
    notebook = json.loads(path.read_text())
    notebook["cells"][0]["source"] = ["written by another program\n"]
    path.write_text(json.dumps(notebook))
    replica.receive(await next_record(client, channel))
    assert replica.value[cell_key(replica)]["input"] == "written by another program\n"


async def test_runner_is_assigned_sees_control_and_reports_kernel_state(served, bare_client):
    alice = await bare_client()
    channel, _ = await open_replica(alice, "run.ipynb")
    failure = await alice.fails("control", channel=channel, action="interrupt")
    assert failure.code == "not_found"
    assert "no compute client serves run.ipynb" in failure.message

    compute = await bare_client("compute")
    assert await compute.channel_message("runner") == {"assignments": ["run.ipynb"]}
    runner_channel, _ = await open_replica(compute, "run.ipynb")
    failure = await compute.fails("kernel", channel=runner_channel, state="busy", gpu="yes")
    assert failure.code == "bad_request"
    assert "gpu must be null or a map" in failure.message
    gpu = {"available": True, "vendor": "google", "architecture": "swiftshader"}
    await compute.call("kernel", channel=runner_channel, state="busy", gpu=gpu)
    while True:
        presence = (await alice.channel_message(channel)).get("presence")
        if presence and presence["kernel"] == "busy":
            break
    assert presence["runner"] == compute.connection.client_id
    assert presence["gpu"] == gpu  # collaborators see which GPU the runner's kernel has

    async def runner_answers():
        while not isinstance(event := await compute.receive(), Request):
            pass
        assert event.cmd == "control"
        assert event.args["action"] == "interrupt"
        assert event.args["path"] == "run.ipynb"
        await compute.ws.send_bytes(
            compute.connection.send(Response(event.request_id, {"interrupted": True}))
        )

    answering = asyncio.ensure_future(runner_answers())
    assert await alice.call("control", channel=channel, action="interrupt") == {"interrupted": True}
    await answering

    failure = await alice.fails("kernel", channel=channel, state="idle")
    assert failure.code == "forbidden"


async def test_rich_notebook_round_trips_through_the_server(
    served, bare_client, rich_notebook, jupyter
):
    path = served.project.directory / "rich.ipynb"
    path.write_text(jupyter.writes(rich_notebook))
    client = await bare_client()
    channel, replica = await open_replica(client, "rich.ipynb")
    key = ("cell", "streams")
    value = dict(replica.value)
    value[key] = {**value[key], "input": value[key]["input"] + "# edited\n"}
    await client.call("patch", channel=channel, patch=replica.commit(value).to_wire())
    await wait_for(lambda: "# edited" in path.read_text())

    saved = jupyter.validate(path.read_text())
    expected = jupyter.rejoined(rich_notebook)
    (edited,) = [c for c in expected["cells"] if c["id"] == "streams"]
    edited["source"] += "# edited\n"
    assert jupyter.rejoined(saved) == expected
    assert path.read_text() == jupyter.writes(saved)  # formatted as Jupyter writes it
