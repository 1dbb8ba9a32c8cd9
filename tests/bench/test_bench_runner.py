"""``python -m bench``: the table and JSON it assembles from the benches' results (canned
results of a real ``--quick`` run, so no benchmark runs here), and one real smoke run of
the fastest bench."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANNED = Path(__file__).with_name("canned_results.json")


@pytest.fixture
def bench(monkeypatch):
    """The bench package (bench/ at the repository root is not installed)."""
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.__main__ as runner
    import bench.report as report

    return runner, report


def test_every_bench_has_canned_results_and_rows(bench) -> None:
    runner, report = bench
    canned = json.loads(CANNED.read_text())
    assert list(canned["benches"]) == list(runner.BENCHES)
    for name, outcome in canned["benches"].items():
        rows = report.ROWS[name](outcome["result"])
        assert rows, name
        for row in rows:
            assert isinstance(row.ours, int | float), (name, row)
            assert row.baseline is None or row.baseline > 0, (name, row)


def test_markdown_table_from_canned_results(bench) -> None:
    _, report = bench
    canned = json.loads(CANNED.read_text())
    table = report.markdown(canned)
    lines = table.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| bench")]
    expected = sum(len(report.ROWS[n](o["result"])) for n, o in canned["benches"].items())
    assert len(rows) == expected
    assert all(line.count(" | ") == 6 for line in rows)
    run_latency = next(line for line in rows if "| 1+1 round trip p50 |" in line)
    add = canned["benches"]["run_latency"]["result"]["round_trip_1plus1"]
    ratio = add["ours"]["p50_ms"] / add["baseline_ipykernel"]["p50_ms"]
    assert f"x{ratio:.2f}" in run_latency
    assert ("| met |" if ratio <= 2 else "| **missed** |") in run_latency
    assert "(ipykernel)" in run_latency
    assert f"{canned['machine']['cpus']} CPUs" in table


def test_a_failed_bench_is_a_row_with_its_error(bench) -> None:
    _, report = bench
    canned = json.loads(CANNED.read_text())
    canned["benches"]["gpu_matmul"] = {"error": "exit status 1: no | adapter\nat all"}
    table = report.markdown(canned)
    assert "| gpu_matmul | **failed**: exit status 1: no \\| adapter at all |" in table
    assert "| notebook_sync | open, 100 cells |" in table


def test_targets_on_figures_and_ratios(bench) -> None:
    _, report = bench
    Row, at_most, at_least = report.Row, report.at_most, report.at_least
    assert Row("a", 3.0, "ms", 2.0, "b", at_most(2.0, "ratio")).met is True
    assert Row("a", 5.0, "ms", 2.0, "b", at_most(2.0, "ratio")).met is False
    assert Row("a", 1.0, "MiB/s", 4.0, "raw", at_least(0.5, "ratio")).met is False
    assert Row("a", 30.0, "us", target=at_most(20)).met is False
    assert Row("a", 30.0, "us").met is None
    assert Row("a", 30.0, "us", target=at_most(20, "ratio")).met is None  # no baseline
    assert at_least(0.5, "ratio").text("MiB/s") == "ratio >= 0.5"
    assert at_most(20).text("us") == "<= 20 us"


def test_a_bench_that_fails_is_reported_not_raised(bench) -> None:
    runner, _ = bench
    outcome = runner.run_bench("notebook_sync", ["--sizes", "many"], timeout=120)
    assert outcome["error"].startswith("exit status 1")
    assert "invalid literal for int()" in outcome["error"]


def run_module(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=cwd, capture_output=True, text=True
    )


def test_an_unknown_bench_is_refused() -> None:
    done = run_module("--only", "notebook_sync,warp_drive")
    assert done.returncode == 2
    assert "unknown bench warp_drive; known: notebook_sync," in done.stderr


def test_quick_smoke_run_of_one_bench(tmp_path) -> None:
    done = run_module("--quick", "--only", "notebook_sync", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["quick"] is True
    sizes = results["benches"]["notebook_sync"]["result"]["sizes"]
    assert [size["cells"] for size in sizes] == [100, 1000]
    assert all(size["open_ms"] > 0 for size in sizes)
    table = (tmp_path / "results.md").read_text()
    assert "| notebook_sync | edit round trip, 1,000 cells |" in table
    assert table in done.stdout
