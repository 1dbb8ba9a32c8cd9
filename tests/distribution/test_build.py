"""build.py: idempotent, verified, and never half-built-looking."""

import json
import os
import shutil
from dataclasses import replace

import pytest

from cocalc_compute_wasm import __version__


def snapshot(folder):
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_second_run_does_no_work(build_module, dist, capsys):
    before = snapshot(dist.root)
    build_module.build()
    assert "is up to date" in capsys.readouterr().out
    assert snapshot(dist.root) == before


def test_build_info_describes_what_is_there(build_module, dist):
    info = json.loads((dist.root / "build-info.json").read_text())
    assert info["package"] == {
        "name": "cocalc-compute-wasm",
        "version": __version__,
        "wheel": f"cocalc_compute_wasm-{__version__}-py3-none-any.whl",
        "extras": ["kernel"],
    }
    for wheel in info["wheels"]:
        assert build_module.sha256_of(dist.wheels_dir / wheel["file"]) == wheel["sha256"]
    lock = json.loads((dist.pyodide_dir / "pyodide-lock.json").read_text())
    assert lock["packages"] == {}
    assert lock["info"]["python"].startswith("3.14")


def names(wheels) -> set[str]:
    return {getattr(w, "name", w).split("-")[0] for w in wheels}


def test_pins_close_over_our_dependencies(build_module, dist):
    wheels = sorted(dist.wheels_dir.glob("*.whl"))
    core = build_module.closure(wheels, "cocalc-compute-wasm", "3.14.2")
    assert names(core) == {"cocalc_compute_wasm", "msgpack", "diff_match_patch"}
    assert core[0].name.startswith("cocalc_compute_wasm-")
    without_msgpack = [w for w in wheels if not w.name.startswith("msgpack-")]
    with pytest.raises(build_module.BuildError, match="no wheel for msgpack is pinned"):
        build_module.closure(without_msgpack, "cocalc-compute-wasm", "3.14.2")
    # the kernel extra pulls IPython and its dependencies, down to wcwidth
    kernel = build_module.closure(wheels, "cocalc-compute-wasm", "3.14.2", ("kernel",))
    assert {"ipython", "jedi", "wcwidth", "msgpack"} <= names(kernel)
    assert "micropip" not in names(kernel)
    without_wcwidth = [w for w in wheels if not w.name.startswith("wcwidth-")]
    build_module.closure(without_wcwidth, "cocalc-compute-wasm", "3.14.2")
    with pytest.raises(build_module.BuildError, match="prompt-toolkit requires wcwidth"):
        build_module.closure(without_wcwidth, "cocalc-compute-wasm", "3.14.2", ("kernel",))


def test_boot_sets_leave_the_kernel_out_of_the_compute_worker(dist):
    info = json.loads((dist.root / "build-info.json").read_text())
    worker, kernel = set(info["boot"]["worker"]), set(info["boot"]["kernel"])
    assert names(worker) == {"cocalc_compute_wasm", "msgpack", "diff_match_patch"}
    assert {"ipython", "traitlets", "pygments"} <= {n.lower() for n in names(kernel)}
    # micropip installs a notebook's packages (%pip); completion's dependencies and
    # msgpack (the kernel does not use it) are served by the index but not loaded at boot
    assert "micropip" in names(kernel)
    assert not {"jedi", "parso", "msgpack"} & names(kernel)
    assert names(worker) - {"msgpack"} < names(kernel)
    served = {w["file"] for w in info["wheels"]}
    assert kernel <= served
    assert any(f.startswith("jedi-") for f in served)


def failing_build(build_module, tmp_path, pin):
    config = build_module.BuildConfig.from_pyproject(build_module.ROOT / "pyproject.toml")
    out = tmp_path / "web"
    with pytest.raises(build_module.BuildError) as failure:
        build_module.build(out, replace(config, wheels=(*config.wheels, pin)))
    assert not (out / "build-info.json").exists()
    assert not list(out.glob(".staging-*"))
    return str(failure.value)


def test_download_failure_names_the_package(build_module, tmp_path):
    pin = build_module.PinnedWheel("six-0.0.99-py3-none-any.whl", "0" * 64)
    message = failing_build(build_module, tmp_path, pin)
    assert "downloading six 0.0.99 (six-0.0.99-py3-none-any.whl) failed" in message


def test_hash_mismatch_is_refused(build_module, tmp_path):
    pin = build_module.PinnedWheel("six-1.16.0-py2.py3-none-any.whl", "0" * 64)
    message = failing_build(build_module, tmp_path, pin)
    assert "six 1.16.0" in message
    assert "does not match the pin" in message


def test_an_interrupted_build_does_not_look_complete(build_module, dist, tmp_path):
    out = tmp_path / "web"
    build_module.build(out)
    os.remove(out / "build-info.json")  # as a build killed mid-way leaves it
    from cocalc_compute_wasm.server import BrowserDist, DistError

    with pytest.raises(DistError, match="no complete browser build"):
        BrowserDist.open(out)


def test_the_build_records_the_kernel_snapshot(build_module, dist):
    info = json.loads((dist.root / "build-info.json").read_text())
    snapshot = info["snapshots"]["kernel"]
    path = dist.root / snapshot["file"]
    digest = build_module.sha256_of(path)
    assert snapshot["sha256"] == digest
    # named by its content, so that it can be cached as immutable; the only one there
    assert path.name == f"kernel-{digest[:16]}.bin"
    assert [p.name for p in (dist.root / "snapshots").iterdir()] == [path.name]
    assert path.stat().st_size > 10 * 2**20  # a wasm memory with IPython imported
    assert dist.snapshots["kernel"].file == snapshot["file"]
    assert info["snapshots"]["worker"] == snapshot  # the compute worker restores it too


def test_snapshot_failure_is_a_build_error(build_module, dist, tmp_path, monkeypatch):
    out = tmp_path / "web"
    shutil.copytree(dist.root, out)
    info = json.loads((out / "build-info.json").read_text())
    previous = {**info, "snapshots": {}}  # as if never made: Node must run
    kernel = [out / "wheels" / name for name in info["boot"]["kernel"]]
    # without our own wheel, the imports the snapshot is made of fail
    with pytest.raises(build_module.BuildError, match="making the kernel snapshot with Node"):
        build_module.build_kernel_snapshot(out, info["pyodide"], kernel[1:], previous)
    monkeypatch.setattr(build_module.shutil, "which", lambda name: None)
    with pytest.raises(build_module.BuildError, match=r"Node\.js"):
        build_module.build_kernel_snapshot(out, info["pyodide"], kernel, previous)
