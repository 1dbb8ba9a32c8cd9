"""Cold start of the compute page: page open to ready, fresh Chromium profile each time.

Baseline, measured in the same runs: the "runtime" phase alone (Pyodide's own
loadPyodide). The ratio says what our packages and import add on top of Pyodide.

    .venv/bin/python bench/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.headless.page import wait_for_boot
from cocalc_compute_wasm.server import BrowserDist, make_app
from cocalc_compute_wasm.server.background import serve_in_thread
from cocalc_compute_wasm.server.project import Project


def measure(runs: int) -> dict:
    totals, runtimes, packages = [], [], []
    with (
        tempfile.TemporaryDirectory() as project_dir,
        serve_in_thread(make_app(Project.open(Path(project_dir)), BrowserDist.open())) as origin,
    ):
        for _ in range(runs):
            with launch_chromium() as driver:
                outcome = wait_for_boot(driver, f"{origin}/")
            if outcome.state != "ready":
                raise SystemExit(f"page did not boot: {outcome.status_text}")
            phases = {p["phase"]: p["ms"] for p in outcome.phases}
            totals.append(outcome.result["elapsedMs"])
            runtimes.append(phases["runtime"])
            packages.append(phases["packages"])
    median = statistics.median
    return {
        "runs": runs,
        "page_open_to_ready_ms": median(totals),
        "baseline_pyodide_load_ms": median(runtimes),
        "packages_ms": median(packages),
        "ratio_ready_vs_pyodide": median(totals) / median(runtimes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    result = measure(parser.parse_args().runs)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
