"""`cocalc-compute worker --native` and `cocalc-compute run`, as a person runs them."""

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cocalc_compute_wasm import __version__

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]


def notebook(*sources: str) -> str:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(sources)
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def project(dist, tmp_path):
    """A served project; yields (project_dir, env with API_SERVER, PROJECT_ID, API_KEY)."""
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "ok.ipynb").write_text(notebook("print('hello')", "6 * 7"))
    (project_dir / "bad.ipynb").write_text(notebook("1 / 0", "print('not reached')"))
    (project_dir / "forever.ipynb").write_text(notebook("while True:\n    pass"))
    server = subprocess.Popen(
        [*COMMAND, "serve", str(project_dir), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    ready = json.loads(server.stdout.readline())
    env = {
        **os.environ,
        "API_SERVER": ready["url"].rstrip("/"),
        "PROJECT_ID": ready["project_id"],
        "API_KEY": ready["api_key"],
    }
    yield project_dir, env
    server.terminate()
    server.wait(10)


def run(env, *args, timeout: str = "60") -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, "run", *args, "--timeout", timeout], env=env, capture_output=True, text=True
    )


def children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def test_run_without_a_worker_says_so(project):
    _, env = project
    result = run(env, "ok.ipynb")
    assert result.returncode == 3
    assert "no compute worker is attached" in result.stderr


def test_run_with_a_native_worker(project):
    project_dir, env = project
    worker = subprocess.Popen(
        [*COMMAND, "worker", "--native", "--cwd", str(project_dir)],
        env=env,
        text=True,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while (result := run(env, "ok.ipynb")).returncode == 3 and time.monotonic() < deadline:
            time.sleep(0.2)  # the worker is still connecting
        assert result.returncode == 0, result.stderr
        assert result.stdout == "hello\n42\n"

        failing = run(env, "bad.ipynb")
        assert failing.returncode == 1
        assert "ZeroDivisionError" in failing.stdout
        assert "cells with errors: c0" in failing.stderr

        late = run(env, "forever.ipynb", timeout="2")
        assert late.returncode == 1
        assert "did not finish in 2 s" in late.stderr
        kernels = children(worker.pid)
        assert len(kernels) == 3  # one kernel per notebook; one of them busy for ever
    finally:
        worker.terminate()
        worker.wait(10)
    time.sleep(0.5)
    assert not any(Path(f"/proc/{pid}").exists() for pid in kernels), "kernels left behind"


@pytest.mark.browser
def test_demo_runs_the_sample_notebook_on_the_browser_worker(dist):
    result = subprocess.run([*COMMAND, "demo"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Python 3.14" in result.stdout
    assert "on Emscripten\nstep 0\nstep 1\nstep 2\n285\n" in result.stdout
    assert "/home/project ['welcome.ipynb']" in result.stdout  # the project's files, mounted
    assert "welcome.ipynb: every cell ran" in result.stdout
    assert f"runs               cocalc-compute-wasm {__version__}, IPython" in result.stdout
    assert "page open to ready" in result.stdout
    assert "serving            welcome.ipynb (kernel idle)" in result.stdout


def test_demo_native_runs_the_sample_notebook_in_cpython(dist):
    result = subprocess.run(
        [*COMMAND, "demo", "--native"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Python {sys.version.split()[0]} on Linux" in result.stdout
    assert "welcome.ipynb: every cell ran" in result.stdout
    assert "browser worker" not in result.stdout
