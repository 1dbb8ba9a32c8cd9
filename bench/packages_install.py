"""Installing a notebook's packages in the browser kernel: the first `%pip install`
(fresh browser profile: every wheel downloaded) against the same install after a
kernel restart (a fresh kernel, wheels from the browser's HTTP cache: the index serves
them under their hash as immutable), with a `1+1` cell as the round trip's floor, all
in the same run.

    .venv/bin/python bench/packages_install.py [--restarts 3] [--json PATH]

Needs PyPI for `wheels add` (python-dateutil, requests and their dependencies).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from cocalc_compute_wasm.client import connect
from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.headless.page import set_key_cookie, wait_for_boot
from cocalc_compute_wasm.server import BrowserDist, make_app
from cocalc_compute_wasm.server.background import serve_in_thread
from cocalc_compute_wasm.server.keys import create_key
from cocalc_compute_wasm.server.project import Project
from cocalc_compute_wasm.wheelhouse.download import add_wheels
from cocalc_compute_wasm.wheelhouse.folder import Wheelhouse

REQUIREMENTS = ["python-dateutil==2.9.0.post0", "requests==2.34.2"]
INSTALL = "%pip install -q python-dateutil requests msgpack"


class Requests:
    """What the server was asked for: wheels (files/) and index pages (simple/)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def on_prepare(self, request, response) -> None:
        self.paths.append(request.path)

    def take(self) -> dict:
        paths, self.paths = self.paths, []
        return {
            "wheels": sum("/files/" in p for p in paths),
            "index_pages": sum("/simple/" in p for p in paths),
        }


async def timed_run(nb, cell: str) -> float:
    started = time.perf_counter()
    await nb.request_run([cell])
    await nb.wait_done([cell], timeout=120)
    took = (time.perf_counter() - started) * 1000
    errors = [o for o in nb.cell(cell).get("output", {}).values() if o["output_type"] == "error"]
    if errors:
        raise SystemExit(f"the cell failed: {errors}")
    return took


async def spare_ready(driver) -> None:
    script = "return window.cocalcCompute.status.spare_kernels.map((k) => k.state)"
    while "ready" not in await asyncio.to_thread(driver.execute_script, script):  # noqa: ASYNC110
        await asyncio.sleep(0.2)


async def measure(
    driver, origin: str, project_id: str, api_key: str, restarts: int, requests: Requests
) -> dict:
    client = await connect(origin, project_id, api_key)
    nb = await client.open_notebook("bench.ipynb")
    (install,) = nb.cell_ids()
    nb.set_input(install, INSTALL)
    floor = nb.insert_cell(after=install, input="1 + 1")
    requests.take()
    first = await timed_run(nb, install)
    first_requests = requests.take()
    floors = [await timed_run(nb, floor) for _ in range(5)]
    again = []
    for _ in range(restarts):
        await spare_ready(driver)
        await nb.restart()
        requests.take()
        again.append(await timed_run(nb, install))
        again_requests = requests.take()
    await client.close()
    return {
        "first_ms": first,
        "first_requests": first_requests,
        "after_restart_ms": again,
        "after_restart_requests": again_requests,
        "floor_ms": statistics.median(floors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    dist = BrowserDist.open()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "project").mkdir()
        project = Project.open(Path(tmp) / "project")
        add_wheels(Wheelhouse(project.directory), REQUIREMENTS)
        api_key, _ = create_key(project.db)
        requests = Requests()
        app = make_app(project, dist)
        app.on_response_prepare.append(requests.on_prepare)
        try:
            with serve_in_thread(app) as origin, launch_chromium() as driver:
                page = f"{origin}/{project.project_id}/compute/"
                set_key_cookie(driver, page, api_key)
                boot = wait_for_boot(driver, page)
                if boot.state != "ready":
                    raise SystemExit(f"the compute page did not boot: {boot}")
                result = asyncio.run(
                    measure(driver, origin, project.project_id, api_key, args.restarts, requests)
                )
        finally:
            project.close()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    again = statistics.median(result["after_restart_ms"])
    print("%pip install python-dateutil requests msgpack (8 wheels) in the browser kernel:")
    print(
        f"  first install (fresh profile)   {result['first_ms']:7.0f} ms"
        f"   server asked for {result['first_requests']}"
    )
    runs = ", ".join(f"{ms:.0f}" for ms in result["after_restart_ms"])
    print(
        f"  after a restart (HTTP cache)    {again:7.0f} ms median  ({runs})"
        f"   server asked for {result['after_restart_requests']} (the last)"
    )
    print(f"  ratio after restart / first     {again / result['first_ms']:7.2f}")
    print(f"  floor: a 1+1 cell round trip    {result['floor_ms']:7.1f} ms")


if __name__ == "__main__":
    main()
