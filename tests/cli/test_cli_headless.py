"""`cocalc-compute worker --headless`, as a person runs it: headless Chromium on the
compute page serves a collaborator's notebook, logs what it serves, and stops cleanly."""

import asyncio
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cocalc_compute_wasm.client import connect
from cocalc_compute_wasm.client.config import resolve_config
from cocalc_compute_wasm.headless.worker import page_url, status_changes
from cocalc_compute_wasm.server import keys, make_app
from cocalc_compute_wasm.server.background import serve_in_thread

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]


class Worker:
    """`worker --headless` in a subprocess; its stderr lines are collected as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, "worker", "--headless", *args],
            env={**os.environ, **(env or {})},
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        """The first stderr line holding `text`; fails on exit or timeout."""
        deadline = time.monotonic() + timeout
        for line in self.lines:
            if text in line:
                return line
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"the worker exited before {text!r}:\n{self.stderr}")
            self.lines.append(line)
            if text in line:
                return line
        pytest.fail(f"no {text!r} in {timeout} s:\n{self.stderr}")

    def finish(self, timeout: float = 60) -> int:
        code = self.process.wait(timeout)
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        return code

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


def process_tree(pid: int) -> dict[tuple[int, str], str]:
    """Every descendant of `pid`: (pid, start time) -> command name, from /proc."""
    parents: dict[int, int] = {}
    info: dict[int, tuple[str, str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            head, rest = stat.read_text().rsplit(")", 1)
            fields = rest.split()
            child = int(stat.parent.name)
            parents[child] = int(fields[1])
            info[child] = (head.split("(", 1)[1], fields[19])  # comm, starttime
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent:
                found[(child, info[child][1])] = info[child][0]
                frontier.append(child)
    return found


def still_running(tree: dict[tuple[int, str], str]) -> list[str]:
    """The processes of `tree` still alive. Zombies are dead: Chromium's helpers outlive
    the browser process by a moment, so they are reaped by PID 1, which a container's
    init may never do."""
    left = []
    for (pid, started), name in tree.items():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if fields[19] == started and fields[0] != "Z":
                left.append(f"{pid} {name} ({fields[0]})")
    return left


async def line_with(worker: Worker, text: str) -> str:
    """Worker.wait_for off the event loop (the collaborator's client lives there)."""
    return await asyncio.to_thread(worker.wait_for, text)


@pytest.fixture
def served(project, dist):
    """The project server on a thread; yields (origin, project_id, api_key)."""
    api_key, _ = keys.create_key(project.db)
    with serve_in_thread(make_app(project, dist, save_delay=0.2)) as origin:
        yield origin, project.project_id, api_key


@pytest.mark.browser
async def test_headless_worker_serves_a_collaborator_and_stops_on_sigterm(served):
    origin, project_id, api_key = served
    worker = Worker(env={"API_SERVER": origin, "PROJECT_ID": project_id, "API_KEY": api_key})
    try:
        ready = await line_with(worker, "ready in")
        assert f"{origin}/{project_id}/compute/" in ready
        assert "IPython" in ready
        assert "Pyodide" in ready
        # WebGPU is on: here without a GPU driver, Chromium's software adapter
        assert "GPU: google swiftshader, a software (fallback) adapter" in ready
        await line_with(worker, "connection connected")

        async with await connect(origin, project_id, api_key) as client:
            nb = await client.open_notebook("lent.ipynb")
            (cell,) = nb.cell_ids()
            nb.set_input(cell, "import platform\nprint(platform.system(), 6 * 7)")
            second = nb.insert_cell(after=cell, input="sum(range(10))")
            await nb.request_run([cell, second])
            await nb.wait_done([cell, second], timeout=60)
            assert nb.cell(cell)["output"] == {
                "0": {"output_type": "stream", "name": "stdout", "text": "Emscripten 42\n"}
            }
            assert nb.cell(second)["output"]["0"]["data"] == {"text/plain": "45"}
            await line_with(worker, "lent.ipynb: assigned")

        tree = process_tree(worker.process.pid)
        assert {"chromedriver", "chromium"} <= set(tree.values()), tree
        worker.process.send_signal(signal.SIGTERM)
        assert worker.finish() == 0, worker.stderr
    finally:
        if worker.process.poll() is None:
            worker.process.kill()
    assert "stopping: quitting Chromium" in worker.stderr
    assert api_key not in worker.stderr
    await asyncio.sleep(0.5)
    assert still_running(tree) == [], "processes left behind"


@pytest.mark.browser
def test_a_wrong_key_is_the_pages_clear_error(project, dist):
    keys.create_key(project.db)
    with serve_in_thread(make_app(project, dist, "/lab/")) as origin:
        worker = Worker(
            "--server", origin, "--project", project.project_id, "--base-path", "lab",
            env={"API_KEY": "sk-not-a-key"},
        )  # fmt: skip
        code = worker.finish(timeout=120)
    assert code == 1, worker.stderr
    (line,) = [line for line in worker.lines if line.startswith("cocalc-compute worker:")]
    assert "the compute page reported an error" in line
    assert f"This page needs an API key of project {project.project_id}" in line
    assert "refused the API key" in line
    assert "sk-not-a-key" not in worker.stderr


def test_missing_chromium_is_a_clear_error(tmp_path):
    worker = Worker(
        "--server", "http://127.0.0.1:9", "--project", "p", "--api-key", "sk-x",
        env={"PATH": str(tmp_path)},
    )  # fmt: skip
    assert worker.finish() == 1
    assert worker.stderr.startswith("cocalc-compute worker: chromium not found: install Debian's")
    assert "apt-get install chromium chromium-driver" in worker.stderr


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        ([], "one of the arguments --native --headless is required"),
        (["--native", "--headless"], "argument --headless: not allowed with argument --native"),
    ],
)
def test_worker_wants_exactly_one_of_native_and_headless(flags, complaint):
    result = subprocess.run([*COMMAND, "worker", *flags], capture_output=True, text=True)
    assert result.returncode == 2
    assert f"cocalc-compute worker: error: {complaint}" in result.stderr


def test_page_url_never_carries_the_key():
    config = resolve_config("ws://h:1", "p1", "sk-secret", "a/b", environ={})
    assert page_url(config) == "http://h:1/a/b/p1/compute/"


def test_status_changes_are_one_line_each():
    connected = {"state": "connected", "detail": ""}
    before = {
        "connection": connected,
        "notebooks": [{"path": "a.ipynb", "kernel": "idle"}, {"path": "b.ipynb", "kernel": "busy"}],
        "errors": [],
    }
    after = {
        "connection": {"state": "reconnecting", "detail": "server gone"},
        "notebooks": [
            {"path": "a.ipynb", "kernel": "busy"},
            {"path": "c.ipynb", "kernel": "opening"},
        ],
        "errors": [{"time": 1, "path": None, "message": "connection lost: server gone"}],
    }
    assert status_changes(None, before) == [
        "connection connected",
        "a.ipynb: assigned (kernel idle)",
        "b.ipynb: assigned (kernel busy)",
    ]
    assert status_changes(before, after) == [
        "connection reconnecting (server gone)",
        "a.ipynb: kernel idle -> busy",
        "c.ipynb: assigned (kernel opening)",
        "b.ipynb: released",
        "problem: connection lost: server gone",
    ]
    assert status_changes(after, after) == []
    assert status_changes(after, None) == []
