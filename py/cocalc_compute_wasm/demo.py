"""The main job (`cocalc-compute demo`): an embedded default project, end to end.

A project server on a fresh project holding a sample notebook; a native compute worker
joins it; a collaborator runs every cell and prints the outputs as they arrive; then
headless Chromium opens the compute page and reports what its Pyodide worker booted.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from . import __version__
from .client import connect
from .client.run_all import run_notebook
from .notebook import dumps_ipynb, records_to_ipynb
from .server import BrowserDist, make_app
from .server.background import start_site
from .server.project import Project
from .worker.native import NativeWorker

SAMPLE_NOTEBOOK = "welcome.ipynb"
SAMPLE_CELLS = [
    ("markdown", "# Welcome\nThese cells run on the project's compute worker."),
    (
        "code",
        "import platform, sys\nprint('Python', sys.version.split()[0], 'on', platform.system())",
    ),
    ("code", "import time\nfor step in range(3):\n    print('step', step)\n    time.sleep(0.1)"),
    ("code", "squares = [n * n for n in range(10)]\nsum(squares)"),
    ("code", "from IPython.display import HTML\nHTML('<b>rich output</b> works too')"),
    ("code", "import asyncio\nawait asyncio.sleep(0.05)\n'top-level await'"),
]


def write_sample(project_dir: Path) -> None:
    records = [{"type": "settings", "id": "main", "kernel": "python3", "metadata": {}}]
    for index, (cell_type, source) in enumerate(SAMPLE_CELLS):
        records.append(
            {
                "type": "cell",
                "id": f"cell{index}",
                "pos": float(index),
                "cell_type": cell_type,
                "input": source,
            }
        )
    (project_dir / SAMPLE_NOTEBOOK).write_text(dumps_ipynb(records_to_ipynb(records)))


def boot_page(url: str, timeout: float) -> int:
    """Open the compute page in headless Chromium and print what its worker reported."""
    from .headless import launch_chromium
    from .headless.page import wait_for_boot

    with launch_chromium() as driver:
        outcome = wait_for_boot(driver, url, timeout=timeout)
    for phase in outcome.phases:
        took = f"{phase['ms']:.0f} ms" if "ms" in phase else "unfinished"
        print(f"  phase {phase['phase']:<9} {took:>10}  {phase['detail']}")
    print(f"page: {outcome.status_text}")
    if outcome.state != "ready":
        return 1
    result = outcome.result
    print(
        f"browser worker reported cocalc-compute-wasm {result['version']} "
        f"(Python {result['python']}, Pyodide {result['pyodide']}, "
        f"crossOriginIsolated={result['crossOriginIsolated']}, "
        f"page open to ready {result['elapsedMs'] / 1000:.2f} s)"
    )
    warm_up = result["kernel"]["warm_up"]
    print(
        f"browser kernel: IPython {result['kernel']['ipython']}, {warm_up['code']} ->"
        f" {warm_up['outputs'][0]['data']['text/plain']}"
    )
    print(f"installed in the browser kernel: {', '.join(result['installed'])}")
    return 0 if result["version"] == __version__ else 1


async def run_demo(dist_dir: Path | None, seconds: float) -> int:
    dist = BrowserDist.open(dist_dir)
    with tempfile.TemporaryDirectory(prefix="cocalc-compute-demo-") as tmp:
        project_dir = Path(tmp) / "project"
        project_dir.mkdir()
        write_sample(project_dir)
        project = Project.open(project_dir)
        api_key = project.first_start_key()
        site, origin = await start_site(make_app(project, dist), "127.0.0.1", 0)
        print(f"project server: {origin}/ (project {project.project_id})")
        worker = NativeWorker(project_dir)
        compute = await connect(
            origin, project.project_id, api_key, kind="compute", **worker.handlers()
        )
        serving = asyncio.ensure_future(worker.serve(compute))
        try:
            print(f"native compute worker attached; running {SAMPLE_NOTEBOOK}:")
            ran = await run_notebook(SAMPLE_NOTEBOOK, origin, project.project_id, api_key, seconds)
            print(f"{SAMPLE_NOTEBOOK}: {'every cell ran' if ran == 0 else 'FAILED'}")
            print("compute page in headless Chromium:")
            booted = await asyncio.to_thread(boot_page, f"{origin}/", seconds)
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            await compute.close()
            await site.cleanup()
            project.close()
    return ran or booted
