"""Kernel workers (and the compute worker) boot from the build's Pyodide memory
snapshot, each a fresh Python; without it (file missing, corrupt, made for another
Pyodide) the normal way, saying so."""

import hashlib
import json

import pytest
from notebook_cells import notebook_with, text

PROBE = """\
import json, os, random, sys, tempfile
import IPython
print(json.dumps({
    "random": random.random(),
    "temp": next(tempfile._get_candidate_names()),
    "cwd": os.getcwd(),
    "empty_on_path": sys.path.count(""),
    "ipython_file": os.path.exists(IPython.__file__),
    "themes": len(os.listdir(os.path.dirname(IPython.__file__))),
}))
"""


async def probe(client, path: str) -> dict:
    nb, ids = await notebook_with(client, path, PROBE)
    await nb.request_run(ids)
    await nb.wait_done(ids, timeout=30)
    assert nb.cell(ids[0])["exec_count"] == 1  # a fresh kernel's first cell
    return json.loads(text(nb, ids[0]))


async def test_kernels_from_the_snapshot_are_fresh_pythons(compute_page, served_project):
    kernel = compute_page.boot.result["kernel"]
    assert kernel["snapshot"]["used"] is True, kernel["snapshot"]
    assert kernel["snapshot"]["error"] is None
    # the compute worker restores the same snapshot (one download for both)
    worker = compute_page.boot.result["worker_snapshot"]
    assert worker == {**kernel["snapshot"], "used": True}
    assert "snapshot" not in compute_page.boot.status_text
    client = await served_project.client()
    # the first kernel and the spare booted beside it: both from the snapshot
    first = await probe(client, "a.ipynb")
    second = await probe(client, "b.ipynb")
    await client.close()
    assert first["random"] != second["random"]
    assert first["temp"] != second["temp"]
    for seen in (first, second):
        assert seen["cwd"] == "/home/project"
        assert seen["empty_on_path"] == 1
        assert seen["ipython_file"] is True  # the wheels' files are back
        assert seen["themes"] > 5


def corrupt(root):
    (path,) = (root / "snapshots").glob("kernel-*.bin")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(data)


def missing(root):
    (path,) = (root / "snapshots").glob("kernel-*.bin")
    path.unlink()


def another_build(root):
    """A snapshot as another Pyodide build made it: its build id differs (and the
    build info carries its hash, so only Pyodide's own check can refuse it)."""
    (path,) = (root / "snapshots").glob("kernel-*.bin")
    data = bytearray(path.read_bytes())
    data[16:48] = bytes(32)
    path.write_bytes(data)
    info_path = root / "build-info.json"
    info = json.loads(info_path.read_text())
    info["snapshots"]["kernel"]["sha256"] = hashlib.sha256(data).hexdigest()
    info_path.write_text(json.dumps(info))


@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        (missing, "HTTP 404"),
        (corrupt, "does not match its hash"),
        (another_build, "build id mismatch"),
    ],
)
async def test_an_unusable_snapshot_falls_back_to_a_normal_boot(boot_changed_dist, spoil, says):
    outcome = await boot_changed_dist(spoil)
    assert outcome.state == "ready", outcome
    snapshot = outcome.result["kernel"]["snapshot"]
    assert snapshot["used"] is False
    assert says in snapshot["error"]
    assert "/snapshots/kernel-" in snapshot["error"]
    assert "The kernel's snapshot was unusable" in outcome.status_text
    assert "The compute worker's snapshot was unusable" in outcome.status_text
    assert outcome.result["worker_snapshot"]["used"] is False
    (runtime,) = [p for p in outcome.phases if p["phase"] == "runtime"]
    assert "snapshot unusable" in runtime["detail"], runtime
    assert outcome.result["kernel"]["warm_up"]["status"] == "ok"


async def test_a_dist_without_snapshots_boots_as_before(boot_changed_dist):
    def forget_snapshots(root):
        info = json.loads((root / "build-info.json").read_text())
        del info["snapshots"]
        (root / "build-info.json").write_text(json.dumps(info))

    outcome = await boot_changed_dist(forget_snapshots)
    assert outcome.state == "ready", outcome
    assert outcome.result["kernel"]["snapshot"] is None
    assert outcome.result["worker_snapshot"] is None
