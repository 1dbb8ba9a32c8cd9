"""Load: many collaborators on one notebook, and many notebooks on one browser worker.

- Collaborators: a project server (``cocalc-compute serve``, a process of its own) and a
  native worker (``cocalc-compute worker --native``, another); ``--clients`` collaborator
  clients in this process each own one cell. For ``--seconds`` every client edits its
  cell's input every ``--edit-interval`` s (jittered); every fifth one also runs its cell,
  which prints ten lines, flushing each (streaming output), again and again: run latency
  is from ``request_run`` until the client's replica shows the cell done.
- Notebooks: a project served with headless Chromium on its compute page (the browser
  worker, one kernel worker per notebook); ``--notebooks`` notebooks, each with a client
  running its one streaming cell again and again, and a second client that only watches.
  Their kernels start one at a time first (all at once, on 2 cores, some took over a
  minute); how long that took is reported apart.

Baseline for each, in the same run: the same load with one client (one notebook) first.
Sampled every second: the server process's (or all Chromium processes') RSS and CPU, and
for the collaborators the native worker's (with its kernel) and this process's too.
At the end, once quiet, checked: every replica of a notebook holds the same document,
each cell holds its client's last edit, every requested run ended done, and each run's
output is exactly what it printed, once. Each problem found is listed in the result.

    .venv/bin/python bench/load.py [--seconds 30] [--clients 50] [--notebooks 20]
        [--edit-interval 0.5] [--skip collaborators|notebooks] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from browser_cells import BOOT_TIMEOUT, served_compute_page
from cocalc_compute_wasm.client import connect
from run_latency import TIMEOUT, CellWatch, ms, percentile, run_cell
from websocketfs_files import COMMAND, serve

RUN_EVERY = 5  # every fifth collaborator runs its cell
LINES = 10
QUIET_TIMEOUT = 60.0
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cell_source(owner: str, edit: int) -> str:
    return f"print({owner!r}, {edit})\nfor i in range({LINES}):\n    print(i, flush=True)"


def printed(owner: str, edit: int) -> str:
    return f"{owner} {edit}\n" + "".join(f"{i}\n" for i in range(LINES))


def stream_text(cell: dict) -> str:
    outputs = cell.get("output") or {}
    return "".join(
        outputs[k].get("text", "")
        for k in sorted(outputs, key=int)
        if outputs[k].get("output_type") == "stream"
    )


# --- resources -----------------------------------------------------------------------------


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def usage(pids: list[int]) -> tuple[float, float]:
    """CPU seconds (user + system) and RSS bytes of these processes, summed."""
    cpu = rss = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICK
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return cpu, rss


class Sampler:
    """RSS and CPU of a process (with its children when ``tree``), every second."""

    def __init__(self, pid: int, what: str, tree: bool = False) -> None:
        self.pid, self.what, self.tree = pid, what, tree
        self.rss: list[float] = []
        self.start = self._take()
        self._task: asyncio.Task | None = None

    def _take(self) -> tuple[float, float, float]:
        cpu, rss = usage(descendants(self.pid) if self.tree else [self.pid])
        return time.perf_counter(), cpu, rss

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.rss.append((await asyncio.to_thread(self._take))[2])

    def __enter__(self) -> Sampler:
        self.start = self._take()
        self._task = asyncio.ensure_future(self._loop())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.end = self._take()

    def result(self) -> dict:
        (t0, cpu0, rss0), (t1, cpu1, rss1) = self.start, self.end
        return {
            "what": self.what,
            "rss_start_mib": round(rss0 / 2**20, 1),
            "rss_peak_mib": round(max([rss0, rss1, *self.rss]) / 2**20, 1),
            "rss_end_mib": round(rss1 / 2**20, 1),
            "cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
        }


def latency(samples: list[float]) -> dict:
    if len(samples) < 2:
        raise SystemExit(f"only {len(samples)} runs finished: too few for percentiles")
    return {
        "runs": len(samples),
        "p50": ms(statistics.median(samples)),
        "p99": ms(percentile(samples, 99)),
        "max": ms(max(samples)),
    }


# --- one client's work -------------------------------------------------------------------


class Worker:
    """A client that edits its cell, and runs it if ``runs``; notes what it did."""

    def __init__(self, notebook, cell_id: str, owner: str, runs: bool) -> None:
        self.notebook, self.cell_id, self.owner, self.runs = notebook, cell_id, owner, runs
        self.edit = 0
        self.latencies: list[float] = []
        self.problems: list[str] = []
        self.watch = CellWatch(notebook, cell_id)
        notebook.set_input(cell_id, cell_source(owner, self.edit))

    async def until(self, deadline: float, interval: float) -> None:
        rng = random.Random(self.owner)
        while time.perf_counter() < deadline:
            self.edit += 1
            self.notebook.set_input(self.cell_id, cell_source(self.owner, self.edit))
            if self.runs and not await self.run():
                return
            await asyncio.sleep(rng.uniform(0.5, 1.5) * interval)

    async def start_kernel(self) -> float:
        """Seconds of the first run, which starts the notebook's kernel (not a figure)."""
        started = time.perf_counter()
        await self.notebook.request_run([self.cell_id])
        await self.notebook.wait_done([self.cell_id], timeout=BOOT_TIMEOUT)
        self.check_output()
        return time.perf_counter() - started

    async def run(self) -> bool:
        """Runs the cell as it is now; False if it did not end within TIMEOUT."""
        try:
            self.latencies.append(await run_cell(self.notebook, self.watch, lambda cell: True))
        except TimeoutError:
            self.problems.append(f"{self.owner} run {self.edit}: not done within {TIMEOUT:g} s")
            return False
        self.check_output()
        return True

    def check_output(self) -> None:
        """The cell's output is what its input printed, once."""
        got = stream_text(self.notebook.cell(self.cell_id))
        if got != printed(self.owner, self.edit):
            self.problems.append(f"{self.owner} run {self.edit}: printed {got!r}")

    def final_problems(self) -> list[str]:
        """What went wrong: in its runs, and in its cell once all is quiet (its last edit,
        its last run done, with that run's output once: nothing came late)."""
        cell = self.notebook.cell(self.cell_id)
        if self.runs:
            self.check_output()
        problems = list(self.problems)
        if cell["input"] != cell_source(self.owner, self.edit):
            problems.append(f"{self.owner}: last edit {self.edit} missing: {cell['input']!r}")
        if self.runs and cell.get("state") != "done":
            problems.append(f"{self.owner}: cell left {cell.get('state')!r}")
        return problems


async def quiet(notebooks: list) -> list[str]:
    """Wait until every replica has sent its edits and all hold the same document."""
    for notebook in notebooks:
        await notebook.synced(QUIET_TIMEOUT)
    deadline = time.perf_counter() + QUIET_TIMEOUT
    while time.perf_counter() < deadline:
        first = notebooks[0].doc.value
        if all(notebook.doc.value == first for notebook in notebooks[1:]):
            return []
        await asyncio.sleep(0.2)
    values = [notebook.doc.value for notebook in notebooks]
    differ = sum(1 for value in values if value != values[0])
    return [f"{differ} of {len(values)} replicas differ from the first after {QUIET_TIMEOUT} s"]


async def load(workers: list[Worker], seconds: float, interval: float) -> None:
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(worker.until(deadline, interval) for worker in workers))


# --- collaborators on one notebook --------------------------------------------------------


async def collaborate(env: dict, clients: int, seconds: float, interval: float) -> dict:
    """``clients`` collaborators on a notebook of their own (the server and runner stay)."""
    path = f"load-{clients}.ipynb"
    connections = [
        await connect(env["API_SERVER"], env["PROJECT_ID"], env["API_KEY"]) for _ in range(clients)
    ]
    try:
        first = await connections[0].open_notebook(path)
        (cell,) = first.cell_ids()
        cells = [cell] + [first.insert_cell(input="") for _ in range(clients - 1)]
        await first.synced(TIMEOUT)
        notebooks = [first] + [await c.open_notebook(path) for c in connections[1:]]
        workers = [
            Worker(notebook, cell_id, f"c{n}", runs=n % RUN_EVERY == 0)
            for n, (notebook, cell_id) in enumerate(zip(notebooks, cells, strict=True))
        ]
        await workers[0].start_kernel()
        await load(workers, seconds, interval)
        problems = await quiet(notebooks)
        problems += [p for worker in workers for p in worker.final_problems()]
        return {
            "latency_ms": latency([s for worker in workers for s in worker.latencies]),
            "edits": sum(worker.edit for worker in workers),
            "problems": problems,
        }
    finally:
        for connection in connections:
            await connection.close()


def collaborators(clients: int, seconds: float, interval: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        server, env = serve(Path(tmp))
        options = ["--server", env["API_SERVER"], "--project", env["PROJECT_ID"]]
        runner = subprocess.Popen(
            [*COMMAND, "worker", "--native", *options, "--cwd", tmp],
            env={**os.environ, "API_KEY": env["API_KEY"]},
            stderr=subprocess.DEVNULL,
        )

        async def measure() -> tuple[dict, dict, list[dict]]:
            one = await collaborate(env, 1, seconds, interval)
            samplers = [
                Sampler(server.pid, "server"),
                Sampler(runner.pid, "native worker and its kernel", tree=True),
                Sampler(os.getpid(), "this process (every client)"),
            ]
            with contextlib.ExitStack() as stack:
                for sampler in samplers:
                    stack.enter_context(sampler)
                many = await collaborate(env, clients, seconds, interval)
            return one, many, [sampler.result() for sampler in samplers]

        try:
            one, many, (resources, *others) = asyncio.run(measure())
        finally:
            for process in (runner, server):
                process.terminate()
                process.wait(10)
    return {
        "label": f"{clients} collaborators, 1 notebook",
        "unit": "client",
        "clients": clients,
        "seconds": seconds,
        **many,
        "resources": resources,
        "others": others,
        "baseline_one": {**one, "clients": 1},
    }


# --- notebooks on one browser worker --------------------------------------------------------


async def serve_notebooks(page, first: int, count: int, seconds: float) -> dict:
    """Notebooks ``first`` .. ``first + count - 1``, each with a client that runs its cell
    and one that watches, for ``seconds`` (after each kernel has started)."""
    connections = []
    try:
        workers, replicas = [], []
        for n in range(first, first + count):
            runner, watcher = [
                await connect(page.origin, page.project.project_id, page.api_key) for _ in range(2)
            ]
            connections += [runner, watcher]
            notebook = await runner.open_notebook(f"nb{n}.ipynb")
            (cell,) = notebook.cell_ids()
            workers.append(Worker(notebook, cell, f"nb{n}", runs=True))
            replicas.append([notebook, await watcher.open_notebook(f"nb{n}.ipynb")])
        starts = [await worker.start_kernel() for worker in workers]  # one at a time
        await load(workers, seconds, 0.0)
        problems = [p for pair in replicas for p in await quiet(pair)]
        problems += [p for worker in workers for p in worker.final_problems()]
        return {
            "latency_ms": latency([s for worker in workers for s in worker.latencies]),
            "kernel_start_s": {"median": statistics.median(starts), "max": max(starts)},
            "problems": problems,
        }
    finally:
        for connection in connections:
            await connection.close()


def notebooks(count: int, seconds: float) -> dict:
    with served_compute_page() as page:
        chromedriver = page.driver.service.process.pid

        async def measure() -> tuple[dict, dict, dict]:
            one = await serve_notebooks(page, 0, 1, seconds)
            with Sampler(chromedriver, "Chromium", tree=True) as sampler:
                many = await serve_notebooks(page, 1, count, seconds)
            return one, many, sampler.result()

        one, many, resources = asyncio.run(measure())
    return {
        "label": f"{count} notebooks, 1 browser worker",
        "unit": "notebook",
        "notebooks": count,
        "seconds": seconds,
        **many,
        "resources": resources,
        "baseline_one": {**one, "notebooks": 1},
    }


def report(result: dict) -> str:
    lines = []
    for part in result.values():
        used, one = part["resources"], part["baseline_one"]["latency_ms"]
        lat = part["latency_ms"]
        lines += [
            f"{part['label']}, {part['seconds']:g} s:",
            f"  run latency p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms ({lat['runs']} runs);"
            f" 1 {part['unit']}: p50 {one['p50']:.1f} ms, p99 {one['p99']:.1f} ms"
            f" ({one['runs']} runs); ratio p50 x{lat['p50'] / one['p50']:.2f}",
            f"  {used['what']}: RSS {used['rss_start_mib']:.0f} MiB at start, peak"
            f" {used['rss_peak_mib']:.0f} MiB; CPU {used['cpu_percent']:.0f}% of a core",
            f"  checks: {'all passed' if not part['problems'] else part['problems']}",
        ]
        lines += [
            f"  {other['what']}: RSS peak {other['rss_peak_mib']:.0f} MiB; CPU"
            f" {other['cpu_percent']:.0f}% of a core"
            for other in part.get("others", ())
        ]
        if "kernel_start_s" in part:
            starts = part["kernel_start_s"]
            lines.append(
                f"  kernel start (first run), one notebook at a time: median"
                f" {starts['median']:.1f} s, max {starts['max']:.1f} s"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="load time of each phase")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--notebooks", type=int, default=20)
    parser.add_argument("--edit-interval", type=float, default=0.5, help="seconds, per client")
    parser.add_argument("--skip", choices=("collaborators", "notebooks"))
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    if args.clients < RUN_EVERY or args.notebooks < 1 or args.seconds <= 0:
        parser.error(f"need --clients >= {RUN_EVERY}, --notebooks >= 1 and --seconds > 0")
    result = {}
    if args.skip != "collaborators":
        result["collaborators"] = collaborators(args.clients, args.seconds, args.edit_interval)
    if args.skip != "notebooks":
        result["notebooks"] = notebooks(args.notebooks, args.seconds)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if any(part["problems"] for part in result.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
