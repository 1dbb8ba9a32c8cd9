"""The compute page in headless Chromium: cold start, a cell's round trip, the WASM heap.

- Cold start, fresh profile: ``--runs`` times, a new Chromium on a fresh profile opens the
  compute page (its key in the HttpOnly cookie). The time is the page's own clock: from
  navigation start (``performance.timeOrigin``) until ``<body data-state>`` turns
  ``ready`` (connected, and a kernel worker booted and warmed up). A MutationObserver that
  the DevTools protocol installs before the page's own scripts notes it, and the moments
  the page shows each boot phase start and end (the compute worker's runtime, packages
  and connect, and its first kernel worker's boot as "kernel"), and when its line on that
  kernel worker changes (which tells when the kernel worker's own Pyodide runtime is up,
  within the 100 ms that status messages are throttled to).
- Warm HTTP cache: the same browser goes to ``about:blank`` and opens the page again,
  ``--warm-runs`` times (the Pyodide core is ``immutable``; everything else, wheels
  included, is revalidated: 304). The server counts the requests and bytes of each load.
- Baseline for both, in the same run: a naive page (served by this bench beside the
  compute page) whose single module worker loads Pyodide, installs IPython's wheels
  from the same server, imports IPython and runs ``1+1`` in an ``InteractiveShell``;
  each in a browser of its own, interleaved with ours.
- ``1+1`` round trip, p50 and p90 of ``--rt-runs`` (after a few warm-up runs), from a
  collaborator's ``request_run`` until its replica shows the result: through the browser
  runner (a compute page in Chromium serves the notebook), the native runner and
  ipykernel (jupyter_client), the latter two as bench/run_latency.py measures them.
- The WASM heap once ready: the kernel worker's and the compute worker's.

Targets: ready within 2.5 s fresh and 1.2 s warm, round trip p50 within 3x ipykernel's,
each worker's heap under 64 MiB.

    .venv/bin/python bench/browser_compute.py [--runs 3] [--warm-runs 2] [--rt-runs 200]
        [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
from pathlib import Path

from aiohttp import web

from browser_cells import verdict
from cocalc_compute_wasm.client import connect
from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.headless.page import set_key_cookie, wait_for_boot
from cocalc_compute_wasm.server import BrowserDist, make_app
from cocalc_compute_wasm.server.background import serve_in_thread
from cocalc_compute_wasm.server.keys import create_key
from cocalc_compute_wasm.server.project import Project
from run_latency import (
    ADD,
    TIMEOUT,
    install_kernelspec,
    measure_ipykernel,
    measure_ours,
    summary,
    time_adds,
    wait_kernel_idle,
)

TARGET_FRESH_MS = 2500
TARGET_WARM_MS = 1200
TARGET_RATIO = 3.0
TARGET_HEAP_MIB = 64
MIB = 1 << 20
BOOT_TIMEOUT = 180.0

# In every document of the browser, before its own scripts: the moments (performance.now(),
# the page's clock from navigation start) the page turns ready, shows a boot phase start
# or end, and changes its line on the spare kernel worker.
PROBE = """
(() => {
  const marks = (window.benchMarks = { ready: null, phases: {}, spare: [] });
  new MutationObserver(() => {
    const now = performance.now();
    if (marks.ready === null && document.body?.dataset.state === "ready") marks.ready = now;
    for (const item of document.querySelectorAll("li[data-phase]")) {
      marks.phases[`${item.dataset.phase} ${item.dataset.status}`] ??= now;
    }
    const spare = document.getElementById("spare")?.textContent;
    if (spare && spare !== marks.spare.at(-1)?.text) marks.spare.push({ text: spare, at: now });
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();
"""

# The baseline: Pyodide and IPython, booted the plain way in one module worker. It takes
# the wheels the compute page's kernel workers install, less the compute worker's (our
# package and its own dependencies), from the project's config.
NAIVE_PAGE = """<!doctype html>
<meta charset="utf-8"><title>naive Pyodide + IPython</title><link rel="icon" href="data:,">
<body data-state="booting"><script type="module">
  const state = (window.cocalcCompute = { state: "booting", phases: [], result: null });
  const project = new URLSearchParams(location.search).get("project");
  const config = await (await fetch(`/${project}/compute/config.json`)).json();
  const ours = new Set(config.wheels.worker);
  const worker = new Worker("worker.js", { type: "module" });
  worker.onmessage = ({ data }) => {
    Object.assign(state, data);
    document.body.dataset.state = data.state;
  };
  worker.postMessage({
    pyodideURL: config.pyodideURL,
    wheels: config.wheels.kernel.filter((w) => !ours.has(w)),
  });
</script>
"""
NAIVE_WORKER = """
self.onmessage = async ({ data: { pyodideURL, wheels } }) => {
  const phases = [];
  const timed = async (phase, work) => {
    const started = performance.now();
    const result = await work();
    phases.push({ phase, ms: performance.now() - started });
    return result;
  };
  try {
    const pyodide = await timed("runtime", async () => {
      const { loadPyodide } = await import(new URL("pyodide.mjs", pyodideURL));
      return loadPyodide({ indexURL: pyodideURL });
    });
    await timed("packages", () => pyodide.loadPackage(wheels, { messageCallback() {} }));
    await timed("ipython", () => pyodide.runPythonAsync(
      "from IPython.core.interactiveshell import InteractiveShell\\n" +
      "assert InteractiveShell.instance().run_cell('1+1').result == 2"));
    const heap_bytes = pyodide._module.HEAPU8.length;
    self.postMessage({ state: "ready", phases, result: { heap_bytes } });
  } catch (error) {
    self.postMessage({ state: "error", phases, error: { message: String(error) } });
  }
};
"""


# --- the server ------------------------------------------------------------------------


class Traffic:
    """What the server answered since the last ``take``: requests, 304s, bytes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[tuple[int, int]] = []

    async def on_prepare(self, _request: web.Request, response: web.StreamResponse) -> None:
        with self._lock:
            self._seen.append((response.status, response.content_length or 0))

    def take(self) -> dict:
        with self._lock:
            seen, self._seen = self._seen, []
        return {
            "requests": len(seen),
            "not_modified": sum(1 for status, _ in seen if status == 304),
            "bytes": sum(size for _, size in seen),
        }


def bench_app(project: Project, dist: BrowserDist, traffic: Traffic) -> web.Application:
    """The project server, plus the naive baseline page under /bench/naive/."""
    app = make_app(project, dist)

    def text(body: str, content_type: str):
        async def serve(_request: web.Request) -> web.Response:
            return web.Response(text=body, content_type=content_type)

        return serve

    app.router.add_get("/bench/naive/", text(NAIVE_PAGE, "text/html"))
    app.router.add_get("/bench/naive/worker.js", text(NAIVE_WORKER, "text/javascript"))
    app.on_response_prepare.append(traffic.on_prepare)
    return app


# --- cold start ------------------------------------------------------------------------


def load(driver, url: str, traffic: Traffic) -> dict:
    """Open ``url`` (from about:blank) until the page says ready; its own times."""
    driver.get("about:blank")
    traffic.take()
    outcome = wait_for_boot(driver, url, BOOT_TIMEOUT)
    if outcome.state != "ready":
        raise SystemExit(f"{url} did not boot ({outcome.state}): {outcome.error or outcome}")
    marks = driver.execute_script("return window.benchMarks")
    return {
        "ready_ms": marks["ready"],
        # a phase still going at ready (a later kernel's, say) has no time yet
        "phases_ms": {p["phase"]: p["ms"] for p in outcome.phases if "ms" in p},
        "marks": marks,
        "result": outcome.result,
        "traffic": traffic.take(),
    }


def browser_loads(url: str, warm_runs: int, traffic: Traffic, prepare=None) -> list[dict]:
    """A fresh Chromium opens ``url`` once, then ``warm_runs`` more times (warm cache)."""
    with launch_chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        if prepare:
            prepare(driver)
        return [load(driver, url, traffic) for _ in range(1 + warm_runs)]


def timeline(run: dict) -> dict:
    """When, in the page's clock (ms from navigation start), the page showed each boot
    phase start and end (the compute worker's, and its first kernel worker's as "kernel"),
    and, within 100 ms (status messages are throttled to that), when that kernel worker's
    own Pyodide runtime was up (its status line turns to "booting (packages)")."""
    marks = run["marks"]
    events = {name.replace(" ", "_"): at for name, at in marks["phases"].items()}
    for mark in marks["spare"]:
        if mark["text"].startswith("Next kernel: booting (packages)"):
            events["kernel_runtime_done~"] = mark["at"]
            break
    events["ready"] = marks["ready"]
    return dict(sorted(events.items(), key=lambda item: item[1]))


def kernel_boot(run: dict) -> dict:
    """The first kernel worker's boot. The compute worker spawns it in its connect phase
    (after importing its own modules there): counted from that phase's start."""
    t = timeline(run)
    spawn = t.get("connect_start")

    def since_spawn(event: str) -> float | None:
        return t[event] - spawn if spawn is not None and event in t else None

    return {
        "spawned_after_ms": spawn,
        "runtime_ms": since_spawn("kernel_runtime_done~"),
        "ready_ms": since_spawn("kernel_done"),
        "kernel_ms": run["result"]["kernel"]["kernel_ms"],
    }


# --- round trip ------------------------------------------------------------------------


async def browser_adds(
    driver, origin: str, project_id: str, api_key: str, runs: int
) -> list[float]:
    """``1+1`` round trips through the compute page (open and ready), in its steady
    state: once the spare kernel that replaces the one the notebook took has booted."""
    client = await connect(origin, project_id, api_key)
    try:
        notebook = await client.open_notebook("bench.ipynb")
        await wait_kernel_idle(notebook)
        spare_ready = "return window.cocalcCompute.status?.spare_kernels[0]?.state === 'ready'"
        async with asyncio.timeout(BOOT_TIMEOUT):
            while not await asyncio.to_thread(driver.execute_script, spare_ready):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        (cell,) = notebook.cell_ids()
        notebook.set_input(cell, ADD)
        notebook.flush()
        await notebook.synced(TIMEOUT)
        return await time_adds(notebook, cell, runs)
    finally:
        await client.close()


async def native_and_ipykernel(runs: int, dist: BrowserDist, folder: Path) -> dict:
    """``1+1`` round trips as bench/run_latency.py measures them (no kernel starts)."""
    install_kernelspec(folder / "spec")
    for name in ("ipykernel", "native"):
        (folder / name).mkdir()
    theirs = await measure_ipykernel(runs, 0, folder / "ipykernel", kernel_starts=0)
    native = await measure_ours(runs, 0, dist, folder / "native", kernel_starts=0)
    return {"native": native["adds"], "ipykernel": theirs["adds"]}


# --- the whole -------------------------------------------------------------------------


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def load_summary(loads: list[dict]) -> dict | None:
    if not loads:
        return None
    phases = dict.fromkeys(name for run in loads for name in run["phases_ms"])  # in order
    return {
        "ready_ms": median(r["ready_ms"] for r in loads),
        "ready_runs_ms": [round(r["ready_ms"]) for r in loads],
        "phases_ms": {p: median(r["phases_ms"].get(p) for r in loads) for p in phases},
        "requests": median(r["traffic"]["requests"] for r in loads),
        "not_modified": median(r["traffic"]["not_modified"] for r in loads),
        "mib_sent": median(r["traffic"]["bytes"] / MIB for r in loads),
    }


def ratio(ours: dict | None, baseline: dict | None, key: str) -> float | None:
    return round(ours[key] / baseline[key], 3) if ours and baseline else None


def cold_summary(ours: list[list[dict]], naive: list[list[dict]]) -> dict:
    fresh, warm = [r[0] for r in ours], [w for r in ours for w in r[1:]]
    naive_fresh, naive_warm = [r[0] for r in naive], [w for r in naive for w in r[1:]]
    loads = {
        "fresh": load_summary(fresh),
        "warm": load_summary(warm),
        "baseline_naive_fresh": load_summary(naive_fresh),
        "baseline_naive_warm": load_summary(naive_warm),
    }
    kernels = {
        label: {
            key: median(kernel_boot(r)[key] for r in runs)
            for key in ("spawned_after_ms", "runtime_ms", "ready_ms", "kernel_ms")
        }
        for label, runs in (("fresh", fresh), ("warm", warm))
        if runs
    }
    return {
        **loads,
        "ratio_fresh_vs_naive": ratio(loads["fresh"], loads["baseline_naive_fresh"], "ready_ms"),
        "ratio_warm_vs_naive": ratio(loads["warm"], loads["baseline_naive_warm"], "ready_ms"),
        "kernel_worker": kernels,
        "fresh_timelines_ms": [
            {k: None if v is None else round(v) for k, v in timeline(r).items()} for r in fresh
        ],
        "target_fresh_ms": TARGET_FRESH_MS,
        "target_warm_ms": TARGET_WARM_MS,
    }


def measure(runs: int, warm_runs: int, rt_runs: int) -> dict:
    dist = BrowserDist.open()
    traffic = Traffic()
    ours, naive = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # before any Chromium runs, as bench/run_latency.py would run them
        adds = asyncio.run(native_and_ipykernel(rt_runs, dist, folder))
        (folder / "project").mkdir()
        project = Project.open(folder / "project")
        api_key, _ = create_key(project.db)
        try:
            with serve_in_thread(bench_app(project, dist, traffic)) as origin:
                page = f"{origin}/{project.project_id}/compute/"
                naive_page = f"{origin}/bench/naive/?project={project.project_id}"

                def login(driver) -> None:
                    set_key_cookie(driver, page, api_key)

                for _ in range(runs):  # interleaved, so that both see the same noise
                    ours.append(browser_loads(page, warm_runs, traffic, login))
                    naive.append(browser_loads(naive_page, warm_runs, traffic))
                with launch_chromium() as driver:
                    login(driver)
                    boot = wait_for_boot(driver, page, BOOT_TIMEOUT)
                    if boot.state != "ready":
                        raise SystemExit(f"the compute page did not boot: {boot}")
                    adds["browser"] = asyncio.run(
                        browser_adds(driver, origin, project.project_id, api_key, rt_runs)
                    )
        finally:
            project.close()

    trips = {name: summary(adds[name]) for name in ("browser", "native", "ipykernel")}
    loads = [load for browser in ours for load in browser]
    kernel_heap = max(r["result"]["kernel"]["heap_bytes"] for r in loads)
    worker_heap = max(r["result"]["worker_heap_bytes"] for r in loads)
    naive_heap = max(r["result"]["heap_bytes"] for browser in naive for r in browser)
    return {
        "runs": runs,
        "warm_runs": warm_runs,
        "cold_start": cold_summary(ours, naive),
        "round_trip_1plus1": {
            "runs": rt_runs,
            **trips,
            "ratio_browser_vs_ipykernel_p50": ratio(trips["browser"], trips["ipykernel"], "p50_ms"),
            "ratio_browser_vs_ipykernel_p90": ratio(trips["browser"], trips["ipykernel"], "p90_ms"),
            "ratio_native_vs_ipykernel_p50": ratio(trips["native"], trips["ipykernel"], "p50_ms"),
            "target_ratio_p50": TARGET_RATIO,
        },
        "heap_mib": {
            "kernel_worker": round(kernel_heap / MIB, 1),
            "compute_worker": round(worker_heap / MIB, 1),
            "page_total": round((kernel_heap + worker_heap) / MIB, 1),
            "baseline_naive": round(naive_heap / MIB, 1),
            "target_per_worker": TARGET_HEAP_MIB,
        },
    }


# --- the report ------------------------------------------------------------------------


def number(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def phases_text(summary: dict) -> str:
    return ", ".join(f"{name} {ms:.0f}" for name, ms in summary["phases_ms"].items())


def report(result: dict) -> str:
    cold, trips, heap = result["cold_start"], result["round_trip_1plus1"], result["heap_mib"]
    rows = [
        ("fresh profile", cold["fresh"], cold["baseline_naive_fresh"], TARGET_FRESH_MS),
        ("warm HTTP cache", cold["warm"], cold["baseline_naive_warm"], TARGET_WARM_MS),
    ]
    rows = [row for row in rows if row[1]]
    lines = [
        f"Cold start: page open to ready, in the page's clock (median of {result['runs']}"
        f" fresh profiles, {result['runs'] * result['warm_runs']} warm loads)",
        f"  {'':18}{'ours':>9}{'naive':>9}{'ratio':>7}{'target':>9}",
    ]
    for label, ours, naive, target in rows:
        lines.append(
            f"  {label:18}{ours['ready_ms']:>7.0f}ms{naive['ready_ms']:>7.0f}ms"
            f"{ours['ready_ms'] / naive['ready_ms']:>7.2f}{target:>7}ms"
            f"  {verdict(ours['ready_ms'] <= target)}"
        )
    for label, ours, naive, _ in rows:
        kernel = cold["kernel_worker"][label.split()[0]]
        lines += [
            f"  {label}: runs ours {ours['ready_runs_ms']}, naive {naive['ready_runs_ms']}",
            f"    page phases (ms): {phases_text(ours)}",
            f"    the kernel worker, spawned once the compute worker is up (connect phase, from"
            f" {number(kernel['spawned_after_ms'])} ms), is ready {number(kernel['ready_ms'])} ms"
            f" later: its Pyodide runtime ~{number(kernel['runtime_ms'])} ms, its kernel start and"
            f" warm-up {number(kernel['kernel_ms'])} ms",
            f"    naive phases (ms): {phases_text(naive)}",
            f"    served: ours {ours['requests']:.0f} requests ({ours['not_modified']:.0f} x 304)"
            f" {ours['mib_sent']:.1f} MiB; naive {naive['requests']:.0f}"
            f" ({naive['not_modified']:.0f} x 304) {naive['mib_sent']:.1f} MiB",
        ]
    lines.append("  fresh timelines (ms from navigation start; ~: within 100 ms):")
    lines += [
        "    " + ", ".join(f"{k} {number(v)}" for k, v in t.items())
        for t in cold["fresh_timelines_ms"]
    ]
    p50 = trips["ratio_browser_vs_ipykernel_p50"]
    lines += [
        f"1+1 round trip, request_run to result seen ({trips['runs']} runs)",
        f"  {'':22}{'p50':>9}{'p90':>9}",
        *(
            f"  {label:22}{trips[key]['p50_ms']:>7.2f}ms{trips[key]['p90_ms']:>7.2f}ms"
            for label, key in (
                ("browser runner", "browser"),
                ("native runner", "native"),
                ("ipykernel (baseline)", "ipykernel"),
            )
        ),
        f"  browser/ipykernel x{p50:.2f} p50, x{trips['ratio_browser_vs_ipykernel_p90']:.2f} p90"
        f" (target x{TARGET_RATIO:g} p50: {verdict(p50 <= TARGET_RATIO)});"
        f" native/ipykernel x{trips['ratio_native_vs_ipykernel_p50']:.2f} p50",
        "WASM heap once ready",
        f"  kernel worker {heap['kernel_worker']:.1f} MiB, compute worker"
        f" {heap['compute_worker']:.1f} MiB (target under {TARGET_HEAP_MIB} MiB each:"
        f" {verdict(max(heap['kernel_worker'], heap['compute_worker']) < TARGET_HEAP_MIB)});"
        f" both {heap['page_total']:.1f} MiB; naive Pyodide + IPython {heap['baseline_naive']:.1f}"
        " MiB",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh browsers, each side")
    parser.add_argument("--warm-runs", type=int, default=2, help="warm loads per browser")
    parser.add_argument("--rt-runs", type=int, default=200, help="1+1 round trips per runner")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    result = measure(args.runs, args.warm_runs, args.rt_runs)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))


if __name__ == "__main__":
    main()
