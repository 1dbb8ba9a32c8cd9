"""Every WebSocketFS module can be the first one a script imports (the file server side
uses the project server's paths, which once made a circular import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = ["files", "confine", "session", "packets", "remote", "fsspec_fs"]


@pytest.mark.parametrize("module", MODULES)
def test_imported_first_in_a_fresh_interpreter(module):
    name = f"cocalc_compute_wasm.websocketfs.{module}"
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
