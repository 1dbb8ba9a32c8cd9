"""The table of ``python -m bench``: each bench's JSON turned into rows (a figure, its
baseline from the same run, their ratio, the target and whether it was met), and the
Markdown of them. Pure functions on the benches' JSON, so they are testable on canned
results without running a benchmark."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

COMPARE = {"<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class Target:
    """``ours`` or ``ratio`` (ours / baseline) ``<=`` or ``>=`` a value."""

    on: str
    op: str
    value: float

    def met(self, ours: float, ratio: float | None) -> bool | None:
        figure = ours if self.on == "ours" else ratio
        return None if figure is None else COMPARE[self.op](figure, self.value)

    def text(self, unit: str) -> str:
        if self.on == "ratio":
            return f"ratio {self.op} {self.value:g}"
        return f"{self.op} {self.value:g} {unit}".rstrip()


@dataclass(frozen=True)
class Row:
    measure: str
    ours: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: Target | None = None
    paired_ratio: float | None = None  # a bench's own: the median of ratios taken in pairs

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        return None if not self.baseline else self.ours / self.baseline

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.ours, self.ratio)


def at_most(value: float, on: str = "ours") -> Target:
    return Target(on, "<=", value)


def at_least(value: float, on: str = "ours") -> Target:
    return Target(on, ">=", value)


# --- each bench's JSON -----------------------------------------------------------------


def notebook_sync_rows(r: dict) -> list[Row]:
    rows = []
    for size in r["sizes"]:
        n = f"{size['cells']:,} cells"
        rows += [
            Row(f"open, {n}", size["open_ms"], "ms"),
            Row(
                f"edit round trip, {n}",
                size["edit_round_trip_ms"],
                "ms",
                size["baseline_ping_round_trip_ms"],
                "ping",
            ),
            Row(f"edit, sync core only, {n}", size["edit_core_only_ms"], "ms"),
        ]
    return rows


def run_latency_rows(r: dict) -> list[Row]:
    add, prints = r["round_trip_1plus1"], r["print_100k_lines"]
    start = r["kernel_start"]
    return [
        Row("1+1 round trip p50", add["ours"]["p50_ms"], "ms",
            add["baseline_ipykernel"]["p50_ms"], "ipykernel", at_most(2.0, "ratio")),
        Row("1+1 round trip p90", add["ours"]["p90_ms"], "ms",
            add["baseline_ipykernel"]["p90_ms"], "ipykernel"),
        Row("print 100,000 lines", prints["ours_median_ms"], "ms",
            prints["baseline_ipykernel_median_ms"], "ipykernel", at_most(1.5, "ratio")),
        Row("kernel start", start["ours_kernel_process_start_ms"], "ms",
            start["baseline_ipykernel_start_and_ready_ms"], "ipykernel"),
    ]  # fmt: skip


def browser_compute_rows(r: dict) -> list[Row]:
    cold, trips, heap = r["cold_start"], r["round_trip_1plus1"], r["heap_mib"]
    rows = [
        Row(f"cold start, {label}", cold[key]["ready_ms"], "ms",
            cold[f"baseline_naive_{key}"]["ready_ms"], "naive page", at_most(target))
        for label, key, target in (
            ("fresh profile", "fresh", cold["target_fresh_ms"]),
            ("warm HTTP cache", "warm", cold["target_warm_ms"]),
        )
        if cold[key]
    ]  # fmt: skip
    rows += [
        Row("1+1 round trip p50, browser runner", trips["browser"]["p50_ms"], "ms",
            trips["ipykernel"]["p50_ms"], "ipykernel", at_most(trips["target_ratio_p50"], "ratio")),
        Row("1+1 round trip p50, native runner", trips["native"]["p50_ms"], "ms",
            trips["ipykernel"]["p50_ms"], "ipykernel"),
        Row("WASM heap, kernel worker", heap["kernel_worker"], "MiB",
            heap["baseline_naive"], "naive Pyodide + IPython", at_most(heap["target_per_worker"])),
        Row("WASM heap, compute worker", heap["compute_worker"], "MiB",
            target=at_most(heap["target_per_worker"])),
    ]  # fmt: skip
    return rows


def websocketfs_files_rows(r: dict) -> list[Row]:
    rows = [
        Row(f"64 MiB {kind}, RemoteFiles", speed["ours_MiB_s"], "MiB/s", speed["raw_MiB_s"],
            "raw websocket", at_least(0.5, "ratio"), speed["ratio"])
        for kind, speed in r["throughput"].items()
    ]  # fmt: skip
    for where, stats in r["stat_us"].items():
        rows += [
            Row(f"stat cached ({where})", stats["cached"], "us", target=at_most(20)),
            Row(f"stat uncached ({where})", stats["uncached"], "us", target=at_most(1000)),
        ]
    if "walk_10000" in r:
        walk = r["walk_10000"]
        rows.append(
            Row("os.walk 10,000 files (mount)", walk["mount_s"], "s", walk["local_s"],
                "local disk", at_most(2))
        )  # fmt: skip
    return rows


def browser_files_rows(r: dict) -> list[Row]:
    return [
        Row(f"{r['mib']} MiB write", r["write_mib_s"], "MiB/s", r["raw_write_mib_s"],
            "raw websocket", at_least(0.5, "ratio"), r["write_ratio"]),
        Row(f"{r['mib']} MiB read", r["read_mib_s"], "MiB/s", r["raw_read_mib_s"],
            "raw websocket", at_least(0.5, "ratio"), r["read_ratio"]),
        Row("os.stat cached", r["stat_cached_us"], "us", target=at_most(20)),
        Row("os.stat uncached", r["stat_uncached_us"], "us", target=at_most(1000)),
        Row(f"os.walk {r['walked']:,} files", r["walk_s"], "s", target=at_most(2)),
    ]  # fmt: skip


def gpu_matmul_rows(r: dict) -> list[Row]:
    n = f"{r['size']}x{r['size']}"
    adapter = "software adapter" if r["adapter"]["fallback"] else "hardware adapter"
    return [
        Row(f"{n} matmul, GPU ({adapter})", r["gpu_gflops"], "GFLOP/s", r["python_gflops"],
            "pure Python"),
        Row(f"{n} matmul, GPU end to end", r["end_to_end_gflops"], "GFLOP/s",
            r["python_gflops"], "pure Python"),
    ]  # fmt: skip


def packages_install_rows(r: dict) -> list[Row]:
    again = sorted(r["after_restart_ms"])[len(r["after_restart_ms"]) // 2]
    return [
        Row("%pip install, after a kernel restart", again, "ms", r["first_ms"],
            "first install, fresh profile"),
        Row("1+1 round trip (floor)", r["floor_ms"], "ms"),
    ]  # fmt: skip


def load_rows(r: dict) -> list[Row]:
    rows = []
    for part in r.values():
        label, one, used = part["label"], part["baseline_one"], part["resources"]
        rows += [
            Row(f"{label}: run latency {q}", part["latency_ms"][q], "ms",
                one["latency_ms"][q], f"1 {part['unit']}")
            for q in ("p50", "p99")
        ]  # fmt: skip
        rows += [
            Row(f"{label}: {used['what']} RSS peak", used["rss_peak_mib"], "MiB",
                used["rss_start_mib"], "at start"),
            Row(f"{label}: {used['what']} CPU", used["cpu_percent"], "% of a core"),
            Row(f"{label}: checks failed", len(part["problems"]), "", target=at_most(0)),
        ]  # fmt: skip
    return rows


ROWS: dict[str, Callable[[dict], list[Row]]] = {
    "notebook_sync": notebook_sync_rows,
    "run_latency": run_latency_rows,
    "browser_compute": browser_compute_rows,
    "websocketfs_files": websocketfs_files_rows,
    "browser_files": browser_files_rows,
    "gpu_matmul": gpu_matmul_rows,
    "packages_install": packages_install_rows,
    "load": load_rows,
}


# --- the Markdown ------------------------------------------------------------------------


def figure(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: ""}[met]


def markdown(results: dict[str, Any]) -> str:
    """``results`` as ``python -m bench`` writes it: machine, date, and per bench either
    ``{"result": ...}`` or ``{"error": ...}``."""
    machine = results["machine"]
    lines = [
        f"# Benchmarks, {results['date']}",
        "",
        f"{machine['cpus']} CPUs, {machine['memory_gib']} GiB, load average"
        f" {machine['load_before']} before and {machine['load_after']} after;"
        f" Python {machine['python']}; {'quick sizes' if results['quick'] else 'full sizes'}."
        " Each baseline is measured in the same run as its figure; ratio = ours / baseline.",
        "",
        "| bench | measure | ours | baseline | ratio | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, outcome in results["benches"].items():
        if "error" in outcome:
            error = " ".join(outcome["error"].split())[-300:].replace("|", "\\|")
            lines.append(f"| {name} | **failed**: {error} | | | | | |")
            continue
        for row in ROWS[name](outcome["result"]):
            baseline = figure(row.baseline, row.unit)
            if baseline:
                baseline += f" ({row.baseline_name})"
            ratio = "" if row.ratio is None else f"x{row.ratio:.2f}"
            lines.append(
                f"| {name} | {row.measure} | {figure(row.ours, row.unit)} | {baseline} | {ratio}"
                f" | {row.target.text(row.unit) if row.target else ''} | {verdict(row.met)} |"
            )
    return "\n".join(lines) + "\n"
