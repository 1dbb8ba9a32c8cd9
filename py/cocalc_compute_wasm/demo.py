"""The main job (`cocalc-compute demo`): an embedded default project, end to end.

A project server on a fresh project holding a sample notebook; the browser worker joins
it (headless Chromium on the project's compute page, as `worker --headless` runs it, or
the native worker with `--native`); a collaborator runs every cell and prints the outputs
as they arrive; then what the browser worker booted and holds is summarized.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

from .client import connect
from .client.config import ServerConfig, resolve_config
from .client.run_all import run_notebook
from .headless.worker import BrowserWorker, PageError, open_browser_worker
from .notebook import records_to_ipynb_text
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
    (
        "code",
        "import os  # the kernel's working directory is the project's, mounted in a browser\n"
        "print(os.getcwd(), [name for name in sorted(os.listdir()) if name.endswith('.ipynb')])",
    ),
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
    (project_dir / SAMPLE_NOTEBOOK).write_text(records_to_ipynb_text(records))


def mib(size: int | None) -> str:
    return "?" if size is None else f"{size / 2**20:.1f} MiB"


def settled_status(worker: BrowserWorker, seconds: float = 2.0) -> dict:
    """The page's status once no cell runs (the page posts it a moment after a change)."""
    deadline = time.monotonic() + seconds
    while True:
        status = worker.snapshot().status or {}
        busy = any(nb["running"] or nb["kernel"] == "busy" for nb in status.get("notebooks", []))
        if not busy or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def summary(worker: BrowserWorker) -> list[str]:
    """What a person lending a browser wants to know: how long it took, what runs there,
    how much memory it holds, and what it serves now."""
    result = worker.boot.result or {}
    kernel = result.get("kernel", {})
    version = worker.driver.execute_script("return window.cocalcComputeHandle.config.version")
    status = settled_status(worker)
    phases = ", ".join(f"{p['phase']} {p.get('ms', 0) / 1000:.2f} s" for p in worker.boot.phases)
    warm_up = kernel.get("warm_up") or {}
    served = [f"{nb['path']} (kernel {nb['kernel']})" for nb in status.get("notebooks", [])]
    lines = [
        f"page open to ready  {worker.ready_seconds:.2f} s ({phases})",
        f"runs               cocalc-compute-wasm {version}, IPython {kernel.get('ipython')},"
        f" Python {kernel.get('python')}, Pyodide {kernel.get('pyodide')}"
        f" (crossOriginIsolated={result.get('crossOriginIsolated')})",
        f"kernel             IPython started and warmed up in {kernel.get('kernel_ms', 0):.0f} ms"
        f" (warm-up cell {warm_up.get('status')})",
        f"heap               worker {mib(result.get('worker_heap_bytes'))},"
        f" kernel {mib(kernel.get('heap_bytes'))} (at ready)",
        f"serving            {', '.join(served) or 'nothing'}",
    ]
    lines += [
        f"problem            {e.get('path') or ''} {e['message']}" for e in status.get("errors", [])
    ]
    return lines


async def attach_native(stack: AsyncExitStack, project_dir: Path, config: ServerConfig) -> None:
    worker = NativeWorker(project_dir)
    compute = await connect(config=config, kind="compute", **worker.handlers())
    stack.push_async_callback(compute.close)
    serving = asyncio.ensure_future(worker.serve(compute))

    async def stop_serving() -> None:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)

    stack.push_async_callback(stop_serving)
    print("native compute worker attached (kernels in child processes of this CPython)")


async def attach_browser(
    stack: AsyncExitStack, config: ServerConfig, seconds: float
) -> BrowserWorker:
    """Headless Chromium on the compute page; selenium blocks, so it runs in threads."""
    page = open_browser_worker(config, seconds)
    print("browser worker: headless Chromium opens the compute page (key in a cookie)")
    worker = await asyncio.to_thread(page.__enter__)
    stack.push_async_exit(lambda *exc: asyncio.to_thread(page.__exit__, *exc))
    assert worker is not None  # None only when asked to stop while booting
    print(f"browser worker: {worker.boot.status_text}")
    return worker


async def run_demo(dist_dir: Path | None, seconds: float, native: bool = False) -> int:
    dist = BrowserDist.open(dist_dir)
    with tempfile.TemporaryDirectory(prefix="cocalc-compute-demo-") as tmp:
        project_dir = Path(tmp) / "project"
        project_dir.mkdir()
        write_sample(project_dir)
        project = Project.open(project_dir)
        api_key = project.first_start_key()
        site, origin = await start_site(make_app(project, dist), "127.0.0.1", 0)
        config = resolve_config(origin, project.project_id, api_key, "/", environ={})
        print(f"project server: {origin}/ (project {project.project_id})")
        try:
            async with AsyncExitStack() as stack:
                if native:
                    browser = None
                    await attach_native(stack, project_dir, config)
                else:
                    browser = await attach_browser(stack, config, seconds)
                print(f"a collaborator runs {SAMPLE_NOTEBOOK}:")
                ran = await run_notebook(
                    SAMPLE_NOTEBOOK, origin, project.project_id, api_key, seconds
                )
                print(f"{SAMPLE_NOTEBOOK}: {'every cell ran' if ran == 0 else 'FAILED'}")
                if browser is not None:
                    print("browser worker:")
                    for line in await asyncio.to_thread(summary, browser):
                        print(f"  {line}")
        except PageError as error:
            print(f"cocalc-compute demo: {error}", file=sys.stderr)
            return 1
        finally:
            await site.cleanup()
            project.close()
    return ran
