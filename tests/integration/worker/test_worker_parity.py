"""Parity of the whole path (collaborator -> server -> native runner -> kernel -> document
-> .ipynb) with Jupyter's own (nbclient driving ipykernel), on the same cells."""

import asyncio

from jupyter_reference import assert_same_as_jupyter, run_through_project, run_with_nbclient

from cocalc_compute_wasm.worker.native import NativeWorker


async def test_outputs_match_ipykernel(served, open_client, tmp_path):
    reference = asyncio.ensure_future(asyncio.to_thread(run_with_nbclient, tmp_path))
    native = NativeWorker(tmp_path)
    compute = await open_client(kind="compute", **native.handlers())
    worker = asyncio.ensure_future(native.serve(compute))
    try:
        ours = await run_through_project(await open_client(), served.project.directory)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert_same_as_jupyter(ours, await reference)
