"""Running a cell through the whole path, against ipykernel driven by jupyter_client.

Ours: the project server, a native compute worker (``NativeWorker.serve``) and a collaborator
client, all in this process and event loop, on localhost; only the kernel is a child
process. The collaborator sets a cell's input, calls ``request_run`` and waits (an
``on_change`` callback and an asyncio.Event) until its own replica shows the cell ``done``
with the expected output: the request is a patch through the server (SQLite commit), the
runner's edits come back through the server too.

Baseline, in the same run: ipykernel (the ``python3`` kernelspec, installed into a temp
folder so nothing outside is touched) through ``AsyncKernelManager`` and its client, in
the same event loop; a cell is finished when a front end would show it finished.

- ``1+1`` round trip, p50 and p90 over ``--runs`` runs after a few warm-up runs. Ipykernel:
  ``execute("1+1")`` until the ``execute_reply`` and the ``execute_result`` on iopub.
- printing 100,000 lines (``for i in range(100000): print(i)``), median of
  ``--print-runs``. Ours: until the collaborator sees the cell done and its stream holds all
  588,890 characters (``max_output_length`` raised for it); ipykernel: until the
  ``execute_reply`` and the ``idle`` status (every stream message has come), the same text.
- kernel start, for information: ``KernelProcess.start()`` (until the kernel process says
  ready) against ``start_kernel`` + ``wait_for_ready``; and ours from a collaborator's
  first ``open`` until the runner reports the kernel ``idle`` (assignment included).

    .venv/bin/python bench/run_latency.py [--runs 200] [--print-runs 3] [--profile] [--json PATH]

``--profile`` runs our side under cProfile (this process only, not the kernel) and prints
the top functions by cumulative and by own time to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cocalc_compute_wasm.client import connect
from cocalc_compute_wasm.server import BrowserDist, make_app
from cocalc_compute_wasm.server.background import start_site
from cocalc_compute_wasm.server.keys import create_key
from cocalc_compute_wasm.server.project import Project
from cocalc_compute_wasm.sync import NOTEBOOK, Patch
from cocalc_compute_wasm.worker.kernel_host import KernelProcess
from cocalc_compute_wasm.worker.native import NativeWorker

ADD = "1+1"
PRINTS = "for i in range(100000):\n    print(i)"
PRINTED = sum(len(f"{i}\n") for i in range(100_000))  # 588,890 characters
WARMUP = 5
KERNEL_STARTS = 3
TIMEOUT = 60.0


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank-interpolated percentile (statistics.quantiles, 'inclusive')."""
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def summary(samples: list[float]) -> dict:
    return {
        "p50_ms": ms(statistics.median(samples)),
        "p90_ms": ms(percentile(samples, 90)),
        "min_ms": ms(min(samples)),
        "max_ms": ms(max(samples)),
    }


def stream_length(cell: dict) -> int:
    outputs = cell.get("output") or {}
    return sum(len(o.get("text", "")) for o in outputs.values() if o.get("output_type") == "stream")


def result_text(cell: dict) -> str | None:
    for output in (cell.get("output") or {}).values():
        if output.get("output_type") == "execute_result":
            return output.get("data", {}).get("text/plain")
    return None


# --- ours ----------------------------------------------------------------------------


class CellWatch:
    """Sets an Event, and notes the time, the moment the collaborator's replica shows
    the cell in a wanted state (checked in the on_change callback, no polling)."""

    def __init__(self, notebook, cell_id: str) -> None:
        self.notebook = notebook
        self.cell_id = cell_id
        self._condition: Callable[[dict], bool] | None = None
        self._event = asyncio.Event()
        self._at = 0.0
        notebook.on_change(self._changed)

    def expect(self, condition: Callable[[dict], bool]) -> None:
        self._condition = condition
        self._event = asyncio.Event()

    async def wait(self) -> float:
        async with asyncio.timeout(TIMEOUT):
            await self._event.wait()
        return self._at

    def _changed(self, changes) -> None:
        if self._condition is None or self.cell_id not in changes.cell_ids:
            return
        cell = self.notebook.cell(self.cell_id)
        if cell is not None and self._condition(cell):
            self._at = time.perf_counter()
            self._condition = None
            self._event.set()


async def run_cell(notebook, watch: CellWatch, condition: Callable[[dict], bool]) -> float:
    """Seconds from request_run until the collaborator sees the cell done as wanted."""
    before = notebook.cell(watch.cell_id).get("exec_count") or 0

    def finished(cell: dict) -> bool:
        count = cell.get("exec_count")
        return (
            cell.get("state") == "done"
            and isinstance(count, int)
            and count > before
            and condition(cell)
        )

    watch.expect(finished)
    started = time.perf_counter()
    await notebook.request_run([watch.cell_id])
    return await watch.wait() - started


async def time_adds(notebook, cell_id: str, runs: int) -> list[float]:
    """Seconds of each of ``runs`` round trips of ``cell_id`` (holding ``1+1``), after
    WARMUP unmeasured ones."""
    watch = CellWatch(notebook, cell_id)
    two = lambda cell: result_text(cell) == "2"  # noqa: E731
    for _ in range(WARMUP):
        await run_cell(notebook, watch, two)
    return [await run_cell(notebook, watch, two) for _ in range(runs)]


async def wait_kernel_idle(notebook) -> None:
    idle = asyncio.Event()

    def check(_changes=None) -> None:
        if notebook.presence.get("kernel") == "idle":
            idle.set()

    unsubscribe = notebook.on_change(check)
    check()
    try:
        async with asyncio.timeout(TIMEOUT):
            await idle.wait()
    finally:
        unsubscribe()


async def measure_ours(
    runs: int,
    print_runs: int,
    dist: BrowserDist,
    workdir: Path,
    kernel_starts: int = KERNEL_STARTS,
) -> dict:
    project_dir = workdir / "project"
    project_dir.mkdir()
    project = Project.open(project_dir)
    key, _ = create_key(project.db)
    site, origin = await start_site(make_app(project, dist), "127.0.0.1", 0)
    compute = collaborator = worker_task = native = None
    try:
        native = NativeWorker(project_dir)
        compute = await connect(
            origin, project.project_id, key, kind="compute", **native.handlers()
        )
        worker_task = asyncio.ensure_future(native.serve(compute))
        collaborator = await connect(origin, project.project_id, key)

        opened = time.perf_counter()
        notebook = await collaborator.open_notebook("bench.ipynb")
        await wait_kernel_idle(notebook)
        open_to_idle = time.perf_counter() - opened

        (add_cell,) = notebook.cell_ids()
        notebook.set_input(add_cell, ADD)
        print_cell = notebook.insert_cell(after=add_cell, input=PRINTS)
        settings = notebook.settings
        notebook.doc.replica.change(
            Patch(
                NOTEBOOK,
                sets=[{"type": "settings", "id": settings["id"], "max_output_length": 10**7}],
            )
        )
        notebook.flush()
        await notebook.synced(TIMEOUT)

        adds = await time_adds(notebook, add_cell, runs)

        print_watch = CellWatch(notebook, print_cell)
        complete = lambda cell: stream_length(cell) == PRINTED  # noqa: E731
        prints = [await run_cell(notebook, print_watch, complete) for _ in range(print_runs)]
        await notebook.synced(TIMEOUT)
    finally:
        if worker_task is not None:
            worker_task.cancel()
            await asyncio.gather(worker_task, return_exceptions=True)
        if native is not None:  # services still starting are not stopped by the worker
            for task in native._starting.values():
                if task.done() and not task.cancelled() and task.exception() is None:
                    await task.result().stop()
                else:
                    task.cancel()
        for client in (collaborator, compute):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()
        await site.cleanup()
        project.close()

    starts = []
    for _ in range(kernel_starts):
        kernel = KernelProcess(workdir)
        try:
            started = time.perf_counter()
            await kernel.start()
            starts.append(time.perf_counter() - started)
        finally:
            await kernel.stop()
    return {"adds": adds, "prints": prints, "starts": starts, "open_to_idle": open_to_idle}


# --- ipykernel -----------------------------------------------------------------------


def install_kernelspec(folder: Path) -> None:
    """The python3 kernelspec of this interpreter in ``folder``, found first (offline)."""
    from ipykernel.kernelspec import install

    install(prefix=str(folder))
    jupyter_path = [str(folder / "share" / "jupyter"), os.environ.get("JUPYTER_PATH", "")]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in jupyter_path if p)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(folder / "runtime")


async def ipykernel_run(client, code: str, *, until_idle: bool) -> tuple[float, int]:
    """Seconds until the execute_reply and the execute_result (or the idle status) of
    ``code`` have arrived, and the stream text's length."""
    started = time.perf_counter()
    msg_id = client.execute(code)
    text = 0
    while True:
        message = await client.get_iopub_msg(timeout=TIMEOUT)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            text += len(content["text"])
        elif kind == "execute_result" and not until_idle:
            assert content["data"]["text/plain"] == "2", content
            break
        elif kind == "status" and content["execution_state"] == "idle" and until_idle:
            break
    while True:
        reply = await client.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            assert reply["content"]["status"] == "ok", reply["content"]
            break
    return time.perf_counter() - started, text


async def start_ipykernel(workdir: Path):
    from jupyter_client import AsyncKernelManager

    manager = AsyncKernelManager(kernel_name="python3")
    # stderr: only ipykernel's warning about TCP without encryption; a kernel that fails
    # to start is still seen by wait_for_ready.
    await manager.start_kernel(cwd=str(workdir), stderr=subprocess.DEVNULL)
    client = manager.client()
    try:
        client.start_channels()
        await client.wait_for_ready(timeout=TIMEOUT)
    except BaseException:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
        raise
    return manager, client


async def stop_ipykernel(manager, client) -> None:
    client.stop_channels()
    await manager.shutdown_kernel(now=True)


async def measure_ipykernel(
    runs: int, print_runs: int, workdir: Path, kernel_starts: int = KERNEL_STARTS
) -> dict:
    starts = []
    for _ in range(kernel_starts):
        started = time.perf_counter()
        manager, client = await start_ipykernel(workdir)
        starts.append(time.perf_counter() - started)
        await stop_ipykernel(manager, client)

    manager, client = await start_ipykernel(workdir)
    try:
        for _ in range(WARMUP):
            await ipykernel_run(client, ADD, until_idle=False)
        adds = [(await ipykernel_run(client, ADD, until_idle=False))[0] for _ in range(runs)]
        prints = []
        for _ in range(print_runs):
            seconds, text = await ipykernel_run(client, PRINTS, until_idle=True)
            assert text == PRINTED, text
            prints.append(seconds)
    finally:
        await stop_ipykernel(manager, client)
    return {"adds": adds, "prints": prints, "starts": starts}


# --- main ----------------------------------------------------------------------------


def print_profile(profile: cProfile.Profile) -> None:
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(40)
        print(f"--- our side, by {order} ---\n{out.getvalue()}", file=sys.stderr)


async def measure(runs: int, print_runs: int, profile: bool) -> dict:
    dist = BrowserDist.open()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        install_kernelspec(folder / "spec")
        work = folder / "work"
        work.mkdir()
        theirs = await measure_ipykernel(runs, print_runs, work)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        try:
            ours = await measure_ours(runs, print_runs, dist, work)
        finally:
            if profiler:
                profiler.disable()
                print_profile(profiler)

    add_ours, add_theirs = summary(ours["adds"]), summary(theirs["adds"])
    print_ours, print_theirs = (statistics.median(r["prints"]) for r in (ours, theirs))
    start_ours, start_theirs = (statistics.median(r["starts"]) for r in (ours, theirs))
    return {
        "runs": runs,
        "print_runs": print_runs,
        "round_trip_1plus1": {
            "ours": add_ours,
            "baseline_ipykernel": add_theirs,
            "ratio_p50": round(add_ours["p50_ms"] / add_theirs["p50_ms"], 3),
            "ratio_p90": round(add_ours["p90_ms"] / add_theirs["p90_ms"], 3),
            "target_ratio_p50": 2.0,
        },
        "print_100k_lines": {
            "ours_median_ms": ms(print_ours),
            "ours_runs_ms": [ms(s) for s in ours["prints"]],
            "baseline_ipykernel_median_ms": ms(print_theirs),
            "baseline_ipykernel_runs_ms": [ms(s) for s in theirs["prints"]],
            "ratio": round(print_ours / print_theirs, 3),
            "target_ratio": 1.5,
            "characters": PRINTED,
        },
        "kernel_start": {
            "ours_kernel_process_start_ms": ms(start_ours),
            "ours_open_to_kernel_idle_ms": ms(ours["open_to_idle"]),
            "baseline_ipykernel_start_and_ready_ms": ms(start_theirs),
            "ratio": round(start_ours / start_theirs, 3),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--print-runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile our side (stderr)")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    result = asyncio.run(measure(args.runs, args.print_runs, args.profile))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    add, prints, start = (
        result["round_trip_1plus1"],
        result["print_100k_lines"],
        result["kernel_start"],
    )
    print(
        f"1+1 round trip: ours p50 {add['ours']['p50_ms']:.2f} ms / p90"
        f" {add['ours']['p90_ms']:.2f} ms, ipykernel p50 {add['baseline_ipykernel']['p50_ms']:.2f}"
        f" ms / p90 {add['baseline_ipykernel']['p90_ms']:.2f} ms (x{add['ratio_p50']:.2f} p50,"
        f" target x2)"
    )
    print(
        f"100,000 printed lines: ours {prints['ours_median_ms']:.0f} ms, ipykernel"
        f" {prints['baseline_ipykernel_median_ms']:.0f} ms (x{prints['ratio']:.2f}, target x1.5)"
    )
    print(
        f"kernel start: ours {start['ours_kernel_process_start_ms']:.0f} ms (open to idle"
        f" {start['ours_open_to_kernel_idle_ms']:.0f} ms), ipykernel"
        f" {start['baseline_ipykernel_start_and_ready_ms']:.0f} ms (x{start['ratio']:.2f})"
    )


if __name__ == "__main__":
    main()
