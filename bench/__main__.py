"""Run every benchmark and gather their figures: ``.venv/bin/python -m bench``.

Each bench runs as a subprocess of its own (``bench/NAME.py ... --json FILE``), so one
that fails or hangs is reported with its error and the others still run. Writes
``bench/results.json`` (the machine, the date, each bench's JSON or error) and
``bench/results.md`` (one table: each figure beside its baseline from the same run, the
ratio, the target and whether it was met).

    .venv/bin/python -m bench [--quick] [--only NAME,...] [--out DIR] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .report import ROWS, markdown

HERE = Path(__file__).resolve().parent

# name: (arguments for the full run, arguments for --quick)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "notebook_sync": ([], ["--sizes", "100,1000"]),
    "run_latency": ([], ["--runs", "30", "--print-runs", "1"]),
    "websocketfs_files": ([], ["--no-mount"]),
    "browser_compute": ([], ["--runs", "1", "--warm-runs", "1", "--rt-runs", "30"]),
    "browser_files": ([], ["--mib", "8", "--pairs", "2"]),
    "gpu_matmul": ([], ["--size", "128", "--repeats", "3"]),
    "packages_install": ([], ["--restarts", "1"]),
    "load": ([], ["--seconds", "8", "--clients", "10", "--notebooks", "3"]),
}
assert BENCHES.keys() == ROWS.keys()


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_before": round(os.getloadavg()[0], 2),
    }


def run_bench(name: str, arguments: list[str], timeout: float) -> dict:
    """``{"result": its JSON, "seconds": ...}``, or ``{"error": ...}`` with the end of
    what it wrote to stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(HERE / f"{name}.py"), *arguments, "--json", str(out)]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"no result within {timeout:g} s", "command": command[1:]}
        seconds = round(time.perf_counter() - started, 1)
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip()[-2000:]
            return {"error": f"exit status {done.returncode}: {tail}", "seconds": seconds}
        return {"result": json.loads(out.read_text()), "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", help=f"comma-separated, among {', '.join(BENCHES)}")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.json/.md go")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per bench")
    args = parser.parse_args()
    names = list(BENCHES) if args.only is None else args.only.split(",")
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; known: {', '.join(BENCHES)}")

    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": args.quick,
        "machine": machine(),
        "benches": {},
    }
    for name in names:
        print(f"{name} ...", file=sys.stderr, flush=True)
        outcome = run_bench(name, BENCHES[name][args.quick], args.timeout)
        results["benches"][name] = outcome
        print(f"{name}: {'failed' if 'error' in outcome else 'done'}", file=sys.stderr)
    results["machine"]["load_after"] = round(os.getloadavg()[0], 2)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (args.out / "results.md").write_text(table)
    print(table)
    return 1 if any("error" in outcome for outcome in results["benches"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
