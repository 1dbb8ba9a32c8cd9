"""The browser runner: notebooks run in the compute page's Pyodide workers, driven by
collaborators through the project server, judged against Jupyter's own outputs."""

import asyncio
import time

import pytest
from compute_page import in_browser, open_compute_page
from jupyter_reference import assert_same_as_jupyter, run_through_project, run_with_nbclient
from netproxy import Proxy
from notebook_cells import notebook_with, outputs, text, until


async def test_outputs_match_ipykernel(compute_page, served_project, tmp_path):
    reference = asyncio.ensure_future(asyncio.to_thread(run_with_nbclient, tmp_path))
    client = await served_project.client()
    ours = await run_through_project(client, served_project.project.directory)
    await client.close()
    assert_same_as_jupyter(ours, await reference)


@pytest.mark.parametrize("busy", ["while True:\n    pass", "import time\ntime.sleep(100)"])
async def test_interrupt_stops_the_cell_and_clears_the_queue(compute_page, served_project, busy):
    client = await served_project.client()
    nb, ids = await notebook_with(client, "i.ipynb", busy, "print('never')")
    await nb.request_run(ids)
    await until(lambda: nb.cell(ids[0]).get("state") == "busy")
    await asyncio.sleep(0.3)
    assert (await nb.interrupt())["interrupted"] is True
    await nb.wait_done(ids, timeout=10)
    (error,) = outputs(nb, ids[0])
    assert error["ename"] == "KeyboardInterrupt"
    assert outputs(nb, ids[1]) == []
    # the kernel lives on
    nb.set_input(ids[1], "x = 41\nx + 1")
    await nb.request_run([ids[1]])
    await nb.wait_done([ids[1]], timeout=10)
    assert outputs(nb, ids[1])[0]["data"] == {"text/plain": "42"}
    await client.close()


async def test_input_is_answered_by_a_collaborator(compute_page, served_project):
    client = await served_project.client()
    nb, ids = await notebook_with(
        client,
        "in.ipynb",
        "name = input('Name? ')\nprint('hello', name)",
        "import getpass\nsecret = getpass.getpass('Secret: ')\nlen(secret)",
    )
    await nb.request_run(ids)
    await until(lambda: any("input_request" in o for o in outputs(nb, ids[0])))
    await nb.send_stdin(ids[0], "Ada Lovelace")
    await until(lambda: any("input_request" in o for o in outputs(nb, ids[1])))
    await nb.send_stdin(ids[1], "hunter2")
    await nb.wait_done(ids, timeout=10)
    assert text(nb, ids[0]) == "Name? Ada Lovelace\nhello Ada Lovelace\n"
    assert outputs(nb, ids[1])[-1]["data"] == {"text/plain": "7"}
    assert "hunter2" not in str(nb.cell(ids[1]))  # a password is masked in the document
    await client.close()


async def test_restart_gives_a_fresh_kernel_at_once(compute_page, served_project):
    client = await served_project.client()
    nb, ids = await notebook_with(client, "r.ipynb", "x = 1\nx", "x")
    await nb.request_run([ids[0]])
    await nb.wait_done([ids[0]], timeout=10)
    await compute_page.wait_status(lambda s: s["spare_kernels"][0]["state"] == "ready", 60)
    started = time.monotonic()
    assert (await nb.restart())["restarted"] is True
    took = time.monotonic() - started
    await nb.request_run([ids[1]])
    await nb.wait_done([ids[1]], timeout=30)
    (error,) = outputs(nb, ids[1])
    assert error["ename"] == "NameError"
    assert nb.cell(ids[1])["exec_count"] == 1
    assert took < 5  # a spare kernel was booted ahead: no Pyodide boot on the way
    status = await compute_page.wait_status(lambda s: s["notebooks"][0]["kernel"] == "idle")
    assert status["connection"]["state"] == "connected"  # the link stayed up
    await client.close()


async def test_the_socket_dropped_mid_cell_loses_and_duplicates_nothing(served_project, chromium):
    proxy = Proxy("127.0.0.1", int(served_project.origin.rsplit(":", 1)[1]))
    via = await proxy.start()
    try:
        url = served_project.page_url(via)
        page = await open_compute_page(chromium, url, served_project.api_key)
        client = await served_project.client()
        counting = "import time\nfor i in range(40):\n    print(i)\n    time.sleep(0.05)"
        nb, ids = await notebook_with(client, "drop.ipynb", counting)
        await nb.request_run(ids)
        await until(lambda: "5\n" in text(nb, ids[0]))
        proxy.drop()  # the browser's websocket (and nothing else: the client goes direct)
        await page.wait_status(lambda s: s["connection"]["state"] != "connected", 10)
        await nb.wait_done(ids, timeout=60)
        assert text(nb, ids[0]) == "".join(f"{i}\n" for i in range(40))
        status = await page.wait_status(lambda s: s["connection"]["state"] == "connected")
        assert any("connection lost" in e["message"] for e in status["errors"])
        await client.close()
    finally:
        await proxy.stop()


async def test_two_notebooks_run_at_once_in_their_own_kernels(compute_page, served_project):
    client = await served_project.client()
    sleep_then_name = "import time\ntime.sleep(1.5)\nname = {!r}\nname"
    first, first_ids = await notebook_with(client, "one.ipynb", sleep_then_name.format("one"))
    second, second_ids = await notebook_with(client, "two.ipynb", sleep_then_name.format("two"))
    started = time.monotonic()
    await asyncio.gather(first.request_run(first_ids), second.request_run(second_ids))
    await asyncio.gather(
        first.wait_done(first_ids, timeout=60), second.wait_done(second_ids, timeout=60)
    )
    took = time.monotonic() - started
    assert outputs(first, first_ids[0])[0]["data"] == {"text/plain": "'one'"}
    assert outputs(second, second_ids[0])[0]["data"] == {"text/plain": "'two'"}
    status = await compute_page.status()
    assert sorted(n["path"] for n in status["notebooks"]) == ["one.ipynb", "two.ipynb"]
    # the second kernel had to boot (one spare), but neither waited for the other's cell
    assert took < 1.5 * 2 + 30
    await client.close()


async def test_without_isolation_cells_run_and_the_page_says_what_is_off(serve_project, chromium):
    async def strip_isolation(request, response):
        for header in ("Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy"):
            response.headers.pop(header, None)

    served_project = await serve_project(
        lambda app: app.on_response_prepare.append(strip_isolation)
    )
    page = await open_compute_page(chromium, served_project.page_url(), served_project.api_key)
    assert page.boot.result["crossOriginIsolated"] is False
    status = await page.status()
    assert {name for name, f in status["features"].items() if not f["on"]} == {
        "stdin",
        "interrupt",
        "files",
        "gpu",  # this Chromium runs without --enable-unsafe-webgpu
    }
    shown = await in_browser(
        chromium.execute_script, "return document.getElementById('features').textContent"
    )
    assert "Interrupt: off, because the page is not cross-origin isolated" in shown
    client = await served_project.client()
    nb, ids = await notebook_with(client, "plain.ipynb", "print('still runs')\n6 * 7", "input()")
    await nb.request_run(ids, no_halt=True)
    await nb.wait_done(ids, timeout=60)
    assert text(nb, ids[0]) == "still runs\n"
    (error,) = outputs(nb, ids[1])
    assert error["ename"] == "StdinNotImplementedError"
    assert (await nb.interrupt())["interrupted"] is False
    await client.close()


async def test_the_page_buttons_interrupt_restart_and_disconnect(compute_page, served_project):
    driver = compute_page.driver
    client = await served_project.client()
    nb, ids = await notebook_with(client, "b.ipynb", "while True:\n    pass", "y = 2")
    await nb.request_run(ids)
    status = await compute_page.wait_status(
        lambda s: s["notebooks"] and s["notebooks"][0]["running"]
    )
    assert status["notebooks"][0]["running"]["input"] == "while True: …"

    def click(label: str) -> None:
        row = driver.find_element("css selector", 'tr[data-path="b.ipynb"]')
        row.find_element("xpath", f".//button[text()='{label}']").click()

    await in_browser(click, "Interrupt")
    await nb.wait_done(ids, timeout=10)
    assert outputs(nb, ids[0])[0]["ename"] == "KeyboardInterrupt"
    await compute_page.wait_status(lambda s: s["spare_kernels"][0]["state"] == "ready", 60)
    await in_browser(click, "Restart")
    # the restarted kernel is the spare; the next spare boots
    await compute_page.wait_status(lambda s: s["spare_kernels"][0]["state"] == "booting")
    await nb.request_run([ids[1]])
    await nb.wait_done([ids[1]], timeout=30)
    assert nb.cell(ids[1])["exec_count"] == 1  # a fresh kernel counts from 1
    await in_browser(driver.find_element("id", "disconnect").click)
    status = await compute_page.wait_status(lambda s: s["connection"]["state"] == "disconnected")
    assert status["notebooks"] == []
    # nobody runs the notebook now: a run request waits
    await nb.request_run([ids[1]])
    await asyncio.sleep(1)
    assert nb.cell(ids[1])["state"] == "start"
    await in_browser(driver.find_element("id", "reconnect").click)
    await nb.wait_done([ids[1]], timeout=60)
    assert (await compute_page.status())["errors"] == []
    await client.close()
