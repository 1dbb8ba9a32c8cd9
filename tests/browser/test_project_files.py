"""The project's files inside the browser kernel: WebSocketFS mounted at /home/project
through the Emscripten file system of project-fs.js, judged against a local disk."""

from __future__ import annotations

import asyncio
import inspect
import json
import os

import file_ops
from notebook_cells import notebook_with, outputs, text, until

from cocalc_compute_wasm.client.config import resolve_config
from cocalc_compute_wasm.client.files_link import FilesLink
from cocalc_compute_wasm.websocketfs.remote import RemoteFiles

MOUNT = "/home/project"


def write_as_collaborator(served, path: str, data: bytes) -> None:
    """Write a file through a collaborator's own WebSocketFS client."""
    config = resolve_config(served.origin, served.project_id, served.api_key, environ={})
    link = FilesLink(config)
    try:
        files = RemoteFiles(link)
        handle = files.open(path, os.O_WRONLY | os.O_TRUNC)
        files.write(handle, 0, data)
        files.close(handle)
    finally:
        link.close()


async def run_cells(client, path: str, *sources: str, timeout: float = 60) -> tuple:
    nb, ids = await notebook_with(client, path, *sources)
    await nb.request_run(ids)
    await nb.wait_done(ids, timeout=timeout)
    return nb, ids


async def test_file_operations_behave_as_on_a_local_disk(compute_page, served_project, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    expected = file_ops.run_file_ops(str(local))
    (served_project.project.directory / "ops").mkdir()
    client = await served_project.client()
    source = inspect.getsource(file_ops)
    nb, ids = await run_cells(
        client,
        "ops.ipynb",
        source + f"\nimport json\nprint(json.dumps(run_file_ops({MOUNT + '/ops'!r})))",
    )
    assert [o.get("ename") for o in outputs(nb, ids[0])] == [None]
    transcript = json.loads(text(nb, ids[0]))
    assert len(transcript) == len(expected)
    for ours, theirs in zip(transcript, expected, strict=True):
        assert ours == theirs
    await client.close()


async def test_the_kernel_starts_in_the_project(compute_page, served_project):
    directory = served_project.project.directory
    (directory / "data.csv").write_text("a,b\n1,2\n")
    client = await served_project.client()
    nb, ids = await run_cells(
        client,
        "cwd.ipynb",
        "import os\nprint(os.getcwd(), sorted(os.listdir()))",
        "print(open('data.csv').read(), end='')",
    )
    cwd, listing = text(nb, ids[0]).split(" ", 1)
    assert cwd == MOUNT
    assert "'data.csv'" in listing
    assert "'cwd.ipynb'" in listing
    assert text(nb, ids[1]) == "a,b\n1,2\n"
    await client.close()


async def test_writes_are_seen_by_the_server_at_once_and_others_after_the_expiry(
    compute_page, served_project
):
    directory = served_project.project.directory
    (directory / "shared.txt").write_text("v1")
    client = await served_project.client()
    nb, ids = await run_cells(
        client,
        "rw.ipynb",
        "print(open('shared.txt').read())",
        "with open('from_kernel.txt', 'w') as f:\n    f.write('written in the browser')",
    )
    assert text(nb, ids[0]) == "v1\n"
    # closed in the cell: on the server's disk before the cell is reported done
    assert (directory / "from_kernel.txt").read_text() == "written in the browser"
    await asyncio.to_thread(
        write_as_collaborator, served_project, "shared.txt", b"v2, by a collaborator"
    )
    assert (directory / "shared.txt").read_text() == "v2, by a collaborator"
    await asyncio.sleep(1.1)  # the kernel's attribute cache's expiry
    nb.set_input(ids[0], "print(open('shared.txt').read())")
    await nb.request_run([ids[0]])
    await nb.wait_done([ids[0]], timeout=30)
    assert text(nb, ids[0]) == "v2, by a collaborator\n"
    await client.close()


async def test_mount_project_mounts_again_elsewhere(compute_page, served_project):
    (served_project.project.directory / "x.txt").write_text("x")
    client = await served_project.client()
    nb, ids = await run_cells(
        client,
        "m.ipynb",
        "from cocalc_compute_wasm import mount_project\n"
        "print(mount_project(path='/tmp/project'))\n"
        "print(open('/tmp/project/x.txt').read())",
        "mount_project(path='/tmp/project')",
    )
    assert text(nb, ids[0]) == "/tmp/project\nx\n"
    (error,) = outputs(nb, ids[1])
    assert error["ename"] == "FileExistsError"
    await client.close()


async def test_an_interrupt_stops_a_cell_that_reads_files(compute_page, served_project):
    (served_project.project.directory / "big.bin").write_bytes(bytes(3 << 20))
    client = await served_project.client()
    nb, ids = await notebook_with(
        client,
        "loop.ipynb",
        "while True:\n    with open('big.bin', 'rb') as f:\n        f.read()",
        "len(open('big.bin', 'rb').read())",
    )
    for _ in range(3):  # where the interrupt lands differs each time
        await nb.request_run(ids[:1])
        await until(lambda: nb.cell(ids[0]).get("state") == "busy")
        await asyncio.sleep(0.5)
        assert (await nb.interrupt())["interrupted"] is True
        await nb.wait_done(ids[:1], timeout=20)
        error = outputs(nb, ids[0])[-1]
        assert error["ename"] == "KeyboardInterrupt", [
            o for o in outputs(nb, ids[0]) if o.get("name") == "stderr"
        ] or error["traceback"][-6:]
    await nb.request_run(ids[1:])
    await nb.wait_done(ids[1:], timeout=20)
    assert outputs(nb, ids[1])[0]["data"] == {"text/plain": str(3 << 20)}
    await client.close()
