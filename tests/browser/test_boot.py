"""The compute page boots in a real browser: Pyodide in module workers, our wheels from
our server, connected to the project, with a kernel ready."""

from compute_page import in_browser, open_compute_page
from netproxy import Proxy

from cocalc_compute_wasm import __version__
from cocalc_compute_wasm.headless.page import set_key_cookie, wait_for_boot
from cocalc_compute_wasm.server import keys, make_app


async def test_page_boots_connects_and_readies_a_kernel(compute_page, served_project, dist):
    boot = compute_page.boot
    assert boot.result["crossOriginIsolated"] is True
    kernel = boot.result["kernel"]
    assert kernel["python"].startswith("3.14.")
    assert kernel["pyodide"] == dist.pyodide_version
    assert kernel["warm_up"]["status"] == "ok"
    assert kernel["warm_up"]["outputs"][0]["data"] == {"text/plain": "2"}
    # the first kernel worker boots beside the compute worker
    assert [p["phase"] for p in boot.phases] == ["kernel", "runtime", "packages", "connect"]
    assert all(p["ms"] > 0 for p in boot.phases)
    assert "IPython" in boot.status_text
    status = await compute_page.status()
    assert status["connection"]["state"] == "connected"
    assert status["project"] == served_project.project_id
    # not yet: the project's files; and no GPU in a Chromium without WebGPU (test_gpu.py)
    assert all(f["on"] for name, f in status["features"].items() if name not in ("files", "gpu"))
    script = compute_page.driver.execute_script
    assert await in_browser(script, "return window.cocalcComputeHandle.config.version") == (
        __version__
    )
    # the key was a cookie the page's scripts cannot read
    assert await in_browser(script, "return document.cookie") == ""


async def test_page_under_a_base_path(aiohttp_server, project, dist, chromium):
    api_key, _ = keys.create_key(project.db)
    server = await aiohttp_server(make_app(project, dist, "/lab/compute/"))
    page = str(server.make_url(f"/lab/compute/{project.project_id}/compute/"))
    await in_browser(set_key_cookie, chromium, page, api_key, "/lab/compute/")
    outcome = await in_browser(wait_for_boot, chromium, page)
    assert outcome.state == "ready", outcome


async def test_without_a_key_the_page_asks_for_one(served_project, chromium):
    outcome = await in_browser(wait_for_boot, chromium, served_project.page_url())
    assert outcome.state == "error"
    assert outcome.error["needsKey"] is True
    assert "needs an API key" in outcome.status_text

    def type_the_key():
        form = chromium.find_element("id", "key-form")
        assert form.is_displayed()
        chromium.find_element("id", "api-key").send_keys(served_project.api_key)
        form.submit()
        outcome = wait_for_boot(chromium, None)
        assert not form.is_displayed()
        return outcome

    outcome = await in_browser(type_the_key)
    assert outcome.state == "ready", outcome


async def test_missing_wheel_is_a_clear_error(boot_changed_dist):
    def remove_a_wheel(root):
        for wheel in (root / "wheels").glob("diff_match_patch-*.whl"):
            wheel.unlink()

    outcome = await boot_changed_dist(remove_a_wheel)
    assert outcome.state == "error"
    assert outcome.error["phase"] == "packages"
    assert "diff_match_patch" in outcome.error["message"]
    assert 'Failed in phase "packages"' in outcome.status_text


async def test_a_key_revoked_while_connected_brings_back_the_key_form(served_project, chromium):
    proxy = Proxy("127.0.0.1", int(served_project.origin.rsplit(":", 1)[1]))
    via = await proxy.start()
    try:
        page = await open_compute_page(
            chromium, served_project.page_url(via), served_project.api_key
        )
        (key,) = keys.list_keys(served_project.project.db)
        keys.revoke_key(served_project.project.db, key.key_id)
        proxy.drop()  # the reconnect presents the revoked cookie
        status = await page.wait_status(lambda s: s["connection"]["state"] == "disconnected")
        assert "revoked" in status["connection"]["detail"]
        outcome = await in_browser(wait_for_boot, chromium, None)
        assert outcome.error["needsKey"] is True
        shown = await in_browser(chromium.find_element("id", "key-form").is_displayed)
        assert shown
    finally:
        await proxy.stop()
