"""The project server SIGKILLed and restarted (same port, same folder) while a native
worker runs a cell and a collaborator keeps typing: everyone reconnects by themselves,
no acknowledged edit is lost (in the document and in the .ipynb), no output line is
duplicated, and the cell ends in a clear state.

Who reaches the restarted server first matters (it knows nothing of who ran what), so
both orders are tried: each side reaches the server through a proxy that holds it off
until the other is back."""

import asyncio

import nbformat
import pytest
from fault_checks import COUNTER_CELL, Typist, assert_no_duplicates, counted_lines
from notebook_cells import notebook_with, outputs, text, until

LINES = 80


@pytest.mark.parametrize("first", ["collaborator", "worker"])
async def test_server_killed_and_restarted_mid_cell(
    server, native_worker, collaborator, proxy, first
):
    worker_way, collaborator_way = await proxy(), await proxy()
    native_worker(worker_way.url)
    client = await collaborator(collaborator_way.url)
    nb, (typed, counter) = await notebook_with(
        client, "crash.ipynb", "", COUNTER_CELL.format(n=LINES, pause=0.05)
    )
    await until(lambda: nb.presence.get("kernel") == "idle", timeout=30)
    await nb.request_run([counter])
    await until(lambda: "line 5\n" in text(nb, counter), timeout=30)
    typist = Typist(nb, typed, "alice")
    typist.start()
    await until(lambda: len(typist.acknowledged()) >= 10, timeout=30)

    acknowledged = typist.acknowledged()
    later = collaborator_way if first == "worker" else worker_way
    later.refuse = True
    server.kill()
    await asyncio.sleep(0.5)  # the server stays down a moment; edits and outputs go on
    await asyncio.to_thread(server.start)
    if first == "worker":  # the worker is back when it serves a notebook opened now
        watch = await (await collaborator()).open_notebook("watch.ipynb")
        await until(lambda: watch.presence.get("runner") is not None, timeout=30)
    else:
        await until(lambda: nb.attached, timeout=30)
    later.refuse = False

    await until(lambda: nb.attached, timeout=30)
    await nb.wait_done([counter], timeout=45)
    await typist.stop()
    await nb.synced(timeout=30)

    # the kernel lived through it (the worker kept its notebook), every line once
    numbers = counted_lines(text(nb, counter))
    assert_no_duplicates(numbers)
    assert numbers == list(range(LINES)), outputs(nb, counter)
    assert nb.cell(counter)["exec_count"] == 1

    # the document, as a fresh collaborator opens it, and the file on disk
    reader = await (await collaborator()).open_notebook("crash.ipynb")
    assert typist.missing(reader.cell(typed)["input"], acknowledged) == []
    assert typist.missing(reader.cell(typed)["input"], typist.acknowledged()) == []

    def saved_input() -> str:
        saved = nbformat.read(server.project_dir / "crash.ipynb", as_version=4)
        return next(cell.source for cell in saved.cells if cell.id == typed)

    await until(lambda: typist.missing(saved_input(), typist.acknowledged()) == [], timeout=30)

    # and it serves again: a new cell runs in the same kernel
    again = nb.insert_cell(after=counter, input="i")
    await nb.request_run([again])
    await nb.wait_done([again], timeout=30)
    assert outputs(nb, again)[0]["data"] == {"text/plain": str(LINES - 1)}
