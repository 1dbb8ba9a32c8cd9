"""The `cocalc-compute` console script."""

import json
import subprocess
import sys
import time
import urllib.request

from cocalc_compute_wasm import __version__

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]


def test_version():
    result = subprocess.run([*COMMAND, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"cocalc-compute {__version__}"


def test_serve_prints_and_writes_ready_json(dist, tmp_path):
    ready_file = tmp_path / "ready.json"
    server = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", "--base-path", "x", "--ready-file", str(ready_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = json.loads(server.stdout.readline())
        assert ready["url"].startswith("http://127.0.0.1:")
        assert ready["url"].endswith("/x/")
        deadline = time.monotonic() + 10
        while not ready_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert json.loads(ready_file.read_text()) == ready
        with urllib.request.urlopen(ready["url"] + "config.json") as response:
            assert json.load(response)["version"] == __version__
    finally:
        server.terminate()
        server.wait(10)


def test_serve_refuses_a_missing_build(tmp_path):
    result = subprocess.run(
        [*COMMAND, "serve", "--dist", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "no complete browser build" in result.stderr
    assert "python build.py" in result.stderr
