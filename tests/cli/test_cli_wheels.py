"""`cocalc-compute wheels add|list|remove`: the project's wheelhouse, filled from PyPI
(through pip, with this machine's pip configuration) with wheels that fit the browser
kernel."""

import subprocess
import sys

from cocalc_compute_wasm.wheelhouse.folder import wheelhouse_dir

COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli", "wheels"]


def wheels(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, check=False)


def held(project) -> list[str]:
    return sorted(p.name for p in wheelhouse_dir(project).glob("*.whl"))


def test_add_list_remove(tmp_path):
    added = wheels("add", str(tmp_path), "python-dateutil==2.9.0.post0", "msgpack==1.2.4")
    assert added.returncode == 0, added.stderr
    msgpack, dateutil, six = held(tmp_path)
    assert msgpack == "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl"  # for Pyodide
    assert dateutil == "python_dateutil-2.9.0.post0-py2.py3-none-any.whl"
    assert six.startswith("six-")  # its dependency, the newest that fits
    assert "added six-" in added.stderr
    listing = wheels("list", str(tmp_path))
    assert listing.stdout.splitlines()[0].split() == [
        "msgpack",
        "1.2.4",
        "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
    ]
    removed = wheels("remove", str(tmp_path), "msgpack", "Python_Dateutil")
    assert removed.returncode == 0
    assert [p.split("-")[0] for p in held(tmp_path)] == ["six"]
    again = wheels("remove", str(tmp_path), "msgpack")
    assert again.returncode == 2
    assert "no wheel of 'msgpack'" in again.stderr


def test_a_requirement_without_a_browser_wheel_is_named_and_nothing_is_added(tmp_path):
    # numpy has no Pyodide wheel on PyPI (a Pyodide distribution has one: serve --pyodide-dist)
    failed = wheels("add", str(tmp_path), "six==1.17.0", "numpy==2.4.6")
    assert failed.returncode == 2
    assert "numpy==2.4.6: no browser-ready wheel (py3-none-any, or cp314/abi3 for" in failed.stderr
    assert held(tmp_path) == []
    bad = wheels("add", str(tmp_path), "six 1.17")
    assert bad.returncode == 2
    assert "'six 1.17' is not a valid requirement" in bad.stderr
