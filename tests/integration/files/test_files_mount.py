"""`cocalc-compute mount` and `worker --native --mount`: the project's files through FUSE,
judged by the same file operations on a local folder."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from file_ops import run_file_ops

from cocalc_compute_wasm.mount.mountpoint import is_mounted, unmount

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]

pytestmark = pytest.mark.skipif(
    not os.path.exists("/dev/fuse"), reason="/dev/fuse is missing: no FUSE on this machine"
)


def start_mount(served_project, directory) -> subprocess.Popen:
    process = subprocess.Popen(
        [*COMMAND, "mount", str(directory)],
        env=served_project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline().strip()
    if line != "mounted":
        process.kill()
        raise AssertionError(f"mount failed: {line!r} {process.stderr.read()}")
    return process


@pytest.fixture
def mounted(served_project, tmp_path):
    directory = tmp_path / "mnt"
    directory.mkdir()
    process = start_mount(served_project, directory)
    yield directory, process
    if process.poll() is None:
        process.terminate()
        process.wait(20)
    if is_mounted(directory):
        unmount(directory)


def test_file_operations_are_those_of_a_local_disk(mounted, served_project, tmp_path):
    directory, _ = mounted
    local = tmp_path / "local"
    local.mkdir()
    expected = run_file_ops(str(local))
    got = run_file_ops(str(directory))
    json.dumps(got)
    assert got == expected
    # and they happened in the project, not in some cache
    assert sorted(os.listdir(served_project.directory)) == sorted(
        [*os.listdir(local), ".cocalc-compute"]
    )
    assert (served_project.directory / "a.txt").read_text() == (local / "a.txt").read_text()


def test_a_collaborators_file_shows_up(mounted, served_project):
    directory, _ = mounted
    (served_project.directory / "data.csv").write_text("x,y\n1,2\n")
    deadline = time.monotonic() + 10
    while not (directory / "data.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.2)  # after the attribute expiry (1 s)
    assert (directory / "data.csv").read_text() == "x,y\n1,2\n"


def test_sigterm_and_sigint_unmount(served_project, tmp_path):
    directory = tmp_path / "mnt"
    directory.mkdir()
    for signum in (signal.SIGTERM, signal.SIGINT):
        process = start_mount(served_project, directory)
        assert is_mounted(directory)
        process.send_signal(signum)
        assert process.wait(20) == 0, process.stderr.read()
        assert not is_mounted(directory)
        assert os.listdir(directory) == []


def test_a_stale_mount_is_cleared_by_the_next_start(served_project, tmp_path):
    directory = tmp_path / "mnt"
    directory.mkdir()
    crashed = start_mount(served_project, directory)
    crashed.kill()
    crashed.wait()
    with pytest.raises(OSError, match="not connected") as stale:
        os.stat(directory)
    assert stale.value.errno == errno.ENOTCONN
    process = start_mount(served_project, directory)
    try:
        (served_project.directory / "f.txt").write_text("after the crash")
        assert (directory / "f.txt").read_text() == "after the crash"
    finally:
        process.terminate()
        process.wait(20)
    assert "stale FUSE mount" in process.stderr.read()
    assert not is_mounted(directory)


def test_a_live_mount_point_and_a_wrong_key_are_refused(mounted, served_project):
    directory, _ = mounted
    again = subprocess.run(
        [*COMMAND, "mount", str(directory)], env=served_project.env, capture_output=True, text=True
    )
    assert again.returncode == 2
    assert "already a mount point" in again.stderr
    other = directory.parent / "other"
    other.mkdir()
    refused = subprocess.run(
        [*COMMAND, "mount", str(other)],
        env={**served_project.env, "API_KEY": "sk-wrong"},
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "401" in refused.stderr
    assert not is_mounted(other)


def test_a_native_worker_runs_its_kernels_in_the_mount(served_project, tmp_path):
    (served_project.directory / "data.csv").write_text("a,b\n1,2\n")
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c0",
        "metadata": {},
        "outputs": [],
        "source": "import os\nprint(open('data.csv').read(), os.getcwd().endswith('mnt'))",
    }
    (served_project.directory / "read.ipynb").write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    directory = tmp_path / "mnt"
    directory.mkdir()
    worker = subprocess.Popen(
        [*COMMAND, "worker", "--native", "--mount", str(directory)],
        env=served_project.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            result = subprocess.run(
                [*COMMAND, "run", "read.ipynb", "--timeout", "60"],
                env=served_project.env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 3:
                break
            time.sleep(0.3)  # the worker is still mounting and connecting
        assert result.returncode == 0, result.stderr
        assert result.stdout == "a,b\n1,2\n True\n"
        assert is_mounted(directory)
    finally:
        worker.terminate()
        worker.wait(30)
    assert not is_mounted(directory), worker.stderr.read()
