"""A project served by `cocalc-compute serve` in a process of its own, for clients that
are synchronous (fsspec) or live in other processes (the FUSE mount, a native worker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]


@dataclass
class ServedProject:
    directory: Path
    server: str
    project_id: str
    api_key: str

    @property
    def env(self) -> dict[str, str]:
        """The environment a client of this project reads its settings from."""
        return {
            **os.environ,
            "API_SERVER": self.server,
            "PROJECT_ID": self.project_id,
            "API_KEY": self.api_key,
        }


@pytest.fixture
def served_project(dist, tmp_path):
    directory = tmp_path / "project"
    directory.mkdir()
    server = subprocess.Popen(
        [*COMMAND, "serve", str(directory), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        ready = json.loads(server.stdout.readline())
        yield ServedProject(
            directory, ready["url"].rstrip("/"), ready["project_id"], ready["api_key"]
        )
    finally:
        server.terminate()
        server.wait(10)
