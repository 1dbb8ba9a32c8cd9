"""What the browser benchmarks share: a project served in this process with headless
Chromium on its compute page (booted and connected, as ``worker --headless`` runs it),
and one cell run there by a collaborator, whose last printed line is its JSON result."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cocalc_compute_wasm.client import connect
from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.headless.page import set_key_cookie, wait_for_boot
from cocalc_compute_wasm.server import BrowserDist, make_app
from cocalc_compute_wasm.server.background import serve_in_thread
from cocalc_compute_wasm.server.keys import create_key
from cocalc_compute_wasm.server.project import Project

BOOT_TIMEOUT = 180.0
CELL_TIMEOUT = 900.0


@dataclass
class ServedPage:
    origin: str
    project: Project
    api_key: str
    driver: Any

    async def run_cell(self, source: str, notebook: str = "bench.ipynb") -> Any:
        """Run `source` as the notebook's one cell; its last printed line, as JSON."""
        client = await connect(self.origin, self.project.project_id, self.api_key)
        try:
            nb = await client.open_notebook(notebook)
            (cell,) = nb.cell_ids()
            nb.set_input(cell, source)
            await nb.request_run([cell])
            await nb.wait_done([cell], timeout=CELL_TIMEOUT)
            outputs = [nb.cell(cell)["output"][k] for k in sorted(nb.cell(cell)["output"], key=int)]
        finally:
            await client.close()
        for output in outputs:
            if output["output_type"] == "error":
                raise SystemExit(f"the cell failed: {output['ename']}: {output['evalue']}")
        printed = "".join(o.get("text", "") for o in outputs)

        return json.loads(printed.strip().splitlines()[-1])


@contextmanager
def served_compute_page(
    prepare: Callable[[Path], None] = lambda directory: None, *, webgpu: bool = False
) -> Iterator[ServedPage]:
    """A fresh project (`prepare(directory)` fills it first), served, with Chromium on its
    compute page."""
    dist = BrowserDist.open()
    with tempfile.TemporaryDirectory() as tmp:
        prepare(Path(tmp))
        project = Project.open(Path(tmp))
        api_key, _ = create_key(project.db)
        try:
            with serve_in_thread(make_app(project, dist)) as origin:
                page = f"{origin}/{project.project_id}/compute/"
                with launch_chromium(webgpu=webgpu) as driver:
                    set_key_cookie(driver, page, api_key)
                    boot = wait_for_boot(driver, page, BOOT_TIMEOUT)
                    if boot.state != "ready":
                        raise SystemExit(f"the compute page did not boot: {boot}")
                    yield ServedPage(origin, project, api_key, driver)
        finally:
            project.close()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
