"""The native worker serving a notebook: collaborators run cells, interrupt, answer
input(), restart, and the runner's outputs land in the shared document."""

import asyncio

import pytest
from notebook_cells import notebook_with, outputs, text

from cocalc_compute_wasm.sync import NOTEBOOK, Patch
from cocalc_compute_wasm.worker.native import NativeWorker


@pytest.fixture
async def worker(open_client, tmp_path):
    """A native compute worker attached to the served project."""
    native = NativeWorker(tmp_path)
    client = await open_client(kind="compute", **native.handlers())
    task = asyncio.ensure_future(native.serve(client))
    yield native
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_cells_run_in_order_with_jupyter_outputs(worker, open_client):
    nb, ids = await notebook_with(
        await open_client(),
        "a.ipynb",
        "x = 6 * 7\nprint('x is', x)",
        "x + 1",
        "raise ValueError('no')",
    )
    await nb.request_run(ids)
    await nb.wait_done(ids, timeout=30)
    first, second, third = (nb.cell(i) for i in ids)
    assert text(nb, ids[0]) == "x is 42\n"
    assert first["exec_count"] == 1
    assert outputs(nb, ids[1]) == [
        {
            "output_type": "execute_result",
            "execution_count": 2,
            "data": {"text/plain": "43"},
            "metadata": {},
        }
    ]
    (error,) = outputs(nb, ids[2])
    assert (error["ename"], error["evalue"]) == ("ValueError", "no")
    assert all(c["state"] == "done" and c["end"] >= c["start"] for c in (first, second, third))


async def test_an_error_halts_the_queue_unless_no_halt(worker, open_client):
    nb, ids = await notebook_with(await open_client(), "h.ipynb", "1/0", "print('after')")
    await nb.request_run(ids)
    await nb.wait_done(ids, timeout=30)
    assert outputs(nb, ids[1]) == []
    await nb.request_run(ids, no_halt=True)
    await nb.wait_done(ids, timeout=30)
    assert text(nb, ids[1]) == "after\n"


@pytest.mark.parametrize("busy", ["while True:\n    pass", "import time\ntime.sleep(100)"])
async def test_interrupt_stops_the_cell_and_clears_the_queue(worker, open_client, until, busy):
    nb, ids = await notebook_with(await open_client(), "i.ipynb", busy, "print('never')")
    await nb.request_run(ids)
    await until(lambda: nb.cell(ids[0]).get("state") == "busy", timeout=30)
    await nb.interrupt()
    await nb.wait_done(ids, timeout=30)
    assert outputs(nb, ids[0])[-1]["ename"] == "KeyboardInterrupt"
    assert outputs(nb, ids[1]) == []


async def test_input_is_answered_by_the_collaborator(worker, open_client, until):
    nb, ids = await notebook_with(
        await open_client(),
        "s.ipynb",
        "name = input('name? ')\n"
        "secret = __import__('getpass').getpass('pw? ')\n"
        "print(name, len(secret))",
    )
    await nb.request_run(ids)
    await until(lambda: "name? " in text(nb, ids[0]), timeout=30)
    await nb.send_stdin(ids[0], "Ada")
    await until(lambda: "pw? " in text(nb, ids[0]), timeout=30)
    await nb.send_stdin(ids[0], "hunter2")
    await nb.wait_done(ids, timeout=30)
    shown = text(nb, ids[0])
    assert "name? Ada\n" in shown
    assert "hunter2" not in shown
    assert shown.endswith("Ada 7\n")


async def test_restart_gives_a_fresh_namespace(worker, open_client):
    nb, ids = await notebook_with(await open_client(), "r.ipynb", "y = 1", "y")
    await nb.request_run(ids[:1])
    await nb.wait_done(ids[:1], timeout=30)
    await nb.restart()
    await nb.request_run(ids[1:])
    await nb.wait_done(ids[1:], timeout=30)
    assert outputs(nb, ids[1])[-1]["ename"] == "NameError"
    assert nb.cell(ids[1])["exec_count"] == 1


async def test_two_collaborators_share_one_kernel_first_come_first_served(
    worker, open_client, until
):
    alice_nb, ids = await notebook_with(
        await open_client(),
        "f.ipynb",
        "import time\ntime.sleep(0.3)\nlog = ['a']",
        "log.append('b')\nlog",
    )
    bob = await open_client()
    bob_nb = await bob.open_notebook("f.ipynb")
    await alice_nb.synced()
    await alice_nb.request_run(ids[:1])
    await until(lambda: bob_nb.cell(ids[0]).get("state") in ("start", "run", "busy"))
    # Runs are ordered by `start`, each client's server time: requests closer together
    # than the clocks agree are concurrent, so let this one be clearly later.
    await asyncio.sleep(0.05)
    await bob_nb.request_run(ids[1:])
    await bob_nb.wait_done(ids, timeout=30)
    assert outputs(bob_nb, ids[1])[0]["data"] == {"text/plain": "['a', 'b']"}


async def test_long_output_is_cut_at_max_output_length_and_the_rest_is_kept(worker, open_client):
    nb, ids = await notebook_with(await open_client(), "m.ipynb", "print('x' * 5000)")
    settings = nb.settings
    nb.doc.replica.change(
        Patch(
            NOTEBOOK, sets=[{"type": "settings", "id": settings["id"], "max_output_length": 1000}]
        )
    )
    nb.flush()
    await nb.request_run(ids)
    await nb.wait_done(ids, timeout=30)
    shown = outputs(nb, ids[0])
    assert any(o.get("more_output") for o in shown)
    rest = await nb.more_output(ids[0])
    assert len(text(nb, ids[0])) + sum(len(o.get("text", "")) for o in rest) == 5001


async def test_dropped_connections_mid_cell_lose_and_duplicate_nothing(
    open_client, proxy, until, tmp_path
):
    native = NativeWorker(tmp_path)
    compute = await open_client(via=proxy, kind="compute", **native.handlers())
    task = asyncio.ensure_future(native.serve(compute))
    try:
        nb, ids = await notebook_with(
            await open_client(),
            "drops.ipynb",
            "import time\nfor i in range(40):\n    print('line', i)\n    time.sleep(0.02)",
        )
        await nb.request_run(ids)
        await until(lambda: "line 1\n" in text(nb, ids[0]), timeout=30)
        for pause in (0.05, 0.17, 0.11):
            proxy.drop()
            await asyncio.sleep(pause)
        await nb.wait_done(ids, timeout=30)
        assert text(nb, ids[0]) == "".join(f"line {i}\n" for i in range(40))
        assert nb.cell(ids[0])["exec_count"] == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_stale_running_cells_are_reconciled_when_a_runner_starts(
    open_client, until, tmp_path
):
    nb, ids = await notebook_with(await open_client(), "stale.ipynb", "1", "2")
    nb.doc.replica.change(
        Patch(
            NOTEBOOK,
            sets=[
                {"type": "cell", "id": ids[0], "state": "busy", "start": 1},
                {"type": "cell", "id": ids[1], "state": "run", "start": 2},
            ],
        )
    )
    nb.flush()
    await nb.synced()
    native = NativeWorker(tmp_path)
    compute = await open_client(kind="compute", **native.handlers())
    task = asyncio.ensure_future(native.serve(compute))
    try:
        await until(lambda: all(nb.cell(i).get("state") == "done" for i in ids), timeout=30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_runner_that_drops_out_hands_over_and_lets_go_when_back(
    open_client, proxy, until, tmp_path
):
    first, second = NativeWorker(tmp_path), NativeWorker(tmp_path)
    first_client = await open_client(via=proxy, kind="compute", **first.handlers())
    tasks = [asyncio.ensure_future(first.serve(first_client))]
    try:
        nb, ids = await notebook_with(await open_client(), "handover.ipynb", "n = 1\nn")
        await until(lambda: nb.presence.get("runner") == first_client.client_id, timeout=30)
        await until(lambda: nb.presence.get("kernel") == "idle", timeout=30)
        first_kernel = first.services["handover.ipynb"].kernel
        second_client = await open_client(kind="compute", **second.handlers())
        tasks.append(asyncio.ensure_future(second.serve(second_client)))

        proxy.refuse = True
        proxy.drop()
        await until(lambda: nb.presence.get("runner") == second_client.client_id, timeout=30)
        proxy.refuse = False
        await until(lambda: first_client.connected and not first.services, timeout=30)
        await until(lambda: not first_kernel.running, timeout=30)  # no kernel left behind

        await nb.request_run(ids)
        await nb.wait_done(ids, timeout=30)
        assert outputs(nb, ids[0]) == [
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "data": {"text/plain": "1"},
                "metadata": {},
            }
        ], repr(dict(nb.cell(ids[0])))
        assert list(second.services) == ["handover.ipynb"]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
