"""The walking skeleton in a real browser: our wheel, served by our server, installed by
Pyodide in a module worker, in headless Chromium."""

import shutil

from cocalc_compute_wasm import __version__
from cocalc_compute_wasm.headless.page import wait_for_boot
from cocalc_compute_wasm.server import BrowserDist, make_app
from cocalc_compute_wasm.server.background import serve_in_thread


def test_page_boots_our_exact_version_cross_origin_isolated(project, dist, chromium):
    with serve_in_thread(make_app(project, dist)) as origin:
        outcome = wait_for_boot(chromium, f"{origin}/")
    assert outcome.state == "ready", outcome
    assert outcome.result["version"] == __version__
    assert outcome.result["crossOriginIsolated"] is True
    assert outcome.result["python"].startswith("3.14.")
    assert outcome.result["pyodide"] == dist.pyodide_version
    assert f"cocalc-compute-wasm=={__version__}" in outcome.result["installed"]
    assert [p["phase"] for p in outcome.phases] == ["runtime", "packages", "import", "kernel"]
    kernel = outcome.result["kernel"]
    assert kernel["warm_up"]["status"] == "ok"
    assert kernel["warm_up"]["outputs"] == [
        {
            "output_type": "execute_result",
            "execution_count": 1,
            "data": {"text/plain": "2"},
            "metadata": {},
        }
    ]
    assert "IPython" in outcome.status_text
    assert "(1 + 1 = 2)" in outcome.status_text
    assert chromium.execute_script("return window.crossOriginIsolated") is True
    assert f"cocalc-compute-wasm {__version__}" in outcome.status_text


def test_page_under_a_base_path(project, dist, chromium):
    with serve_in_thread(make_app(project, dist, "/lab/compute/")) as origin:
        outcome = wait_for_boot(chromium, f"{origin}/lab/compute/")
    assert outcome.state == "ready", outcome


def test_missing_wheel_is_a_clear_error(project, dist, chromium, tmp_path):
    broken = tmp_path / "web"
    shutil.copytree(dist.root, broken)
    for wheel in (broken / "wheels").glob("cocalc_compute_wasm-*.whl"):
        wheel.unlink()
    with serve_in_thread(make_app(project, BrowserDist.open(broken))) as origin:
        outcome = wait_for_boot(chromium, f"{origin}/")
    assert outcome.state == "error"
    assert outcome.error["phase"] == "packages"
    assert "cocalc-compute-wasm" in outcome.error["message"]
    assert "installing packages" in outcome.status_text
    assert "cocalc-compute-wasm" in outcome.status_text
    assert f"cannot install cocalc-compute-wasm[kernel]=={__version__}" in outcome.error["message"]
