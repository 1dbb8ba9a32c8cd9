"""The browser worker's compute page reloaded while a cell runs: the kernel went with the
page, so the cell ends done with an error that says so; the reloaded page serves the
notebook again, and no output line was written twice."""

import pytest
from compute_page import in_browser, open_compute_page
from fault_checks import COUNTER_CELL, assert_no_duplicates, counted_lines
from notebook_cells import notebook_with, outputs, text, until

from cocalc_compute_wasm.client import Backoff, connect
from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.server import keys, make_app


@pytest.mark.browser
async def test_compute_page_reloaded_mid_cell(aiohttp_server, project, dist):
    api_key, _ = keys.create_key(project.db)
    server = await aiohttp_server(make_app(project, dist, save_delay=0.1))
    origin = str(server.make_url("")).rstrip("/")
    client = await connect(
        origin, project.project_id, api_key, backoff=Backoff(initial=0.05, maximum=0.5)
    )
    try:
        with launch_chromium() as driver:
            await open_compute_page(driver, f"{origin}/{project.project_id}/compute/", api_key)
            nb, (counter, after) = await notebook_with(
                client, "reload.ipynb", COUNTER_CELL.format(n=400, pause=0.05), "6 * 7"
            )
            await until(lambda: nb.presence.get("kernel") == "idle", timeout=60)
            first_runner = nb.presence["runner"]
            await nb.request_run([counter])
            await until(lambda: "line 3\n" in text(nb, counter), timeout=60)

            await in_browser(driver.refresh)

            await nb.wait_done([counter], timeout=60)
            *printed, error = outputs(nb, counter)
            assert error["output_type"] == "error", error
            assert error["ename"] == "KernelLost"
            assert "page was reloaded" in error["evalue"]
            assert all(o["output_type"] == "stream" for o in printed)
            numbers = counted_lines(text(nb, counter))
            assert_no_duplicates(numbers)
            assert numbers == list(range(len(numbers)))
            assert 3 < len(numbers) < 400

            # the reloaded page is another compute worker, and it runs cells again
            await until(lambda: nb.presence.get("runner") not in (None, first_runner), 60)
            await nb.request_run([after])
            await nb.wait_done([after], timeout=60)
            assert outputs(nb, after)[0]["data"] == {"text/plain": "42"}
            assert outputs(nb, counter)[-1] == error  # nothing more came for the lost cell
    finally:
        await client.close()
