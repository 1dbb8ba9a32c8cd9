"""The compute page's module API from other origins: a web app that embeds it by
importing compute.js from the project server, and the page's files served elsewhere
(standalone) against the project server's URL. The key goes in the first frame."""

import asyncio

from aiohttp import web
from compute_page import in_browser
from notebook_cells import notebook_with, outputs

from cocalc_compute_wasm.headless.page import wait_for_boot
from cocalc_compute_wasm.server.app import ISOLATION_HEADERS

HOST_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>an app that lends its compute</title>
<script type="module">
  window.started = (async () => {
    const { startCompute } = await import(new URL("compute.js", window.computeBase));
    const compute = await startCompute(window.computeOptions);
    window.events = [];
    for (const type of ["ready", "error"]) {
      compute.events.addEventListener(type, ({ detail }) => window.events.push({ type, detail }));
    }
    window.compute = compute;
  })();
</script>
"""


async def serve_host(aiohttp_server, dist=None):
    """Another origin: a page of its own (and, with ``dist``, a copy of the page's files)."""

    async def host(request):
        return web.Response(text=HOST_PAGE, content_type="text/html", headers=ISOLATION_HEADERS)

    app = web.Application()
    app.router.add_get("/", host)
    if dist is not None:

        async def isolate(request, response):
            response.headers.update(ISOLATION_HEADERS)

        app.on_response_prepare.append(isolate)
        app.router.add_static("/app/", dist.app_dir)
    server = await aiohttp_server(app, host="localhost")
    return str(server.make_url("")).rstrip("/")


async def wait_for(driver, script: str, timeout: float = 90):
    async with asyncio.timeout(timeout):
        while not (value := await in_browser(driver.execute_script, script)):
            await asyncio.sleep(0.1)
    return value


async def test_another_app_embeds_the_compute_worker(aiohttp_server, served_project, chromium):
    host = await serve_host(aiohttp_server)
    assert host.split(":")[1] != served_project.origin.split(":")[1]  # localhost vs 127.0.0.1
    await in_browser(chromium.get, f"{host}/")
    base = served_project.page_url()
    options = {
        "server": f"{served_project.origin}/",
        "projectId": served_project.project_id,
        "apiKey": served_project.api_key,
    }
    await in_browser(
        chromium.execute_script,
        "window.computeBase = arguments[0]; window.computeOptions = arguments[1];"
        "document.querySelectorAll('script').forEach(s => { const t = document.createElement("
        "'script'); t.type = 'module'; t.textContent = s.textContent; document.body.append(t); });",
        base,
        options,
    )
    events = await wait_for(chromium, "return window.events?.length ? window.events : null")
    assert events[0]["type"] == "ready", events
    assert events[0]["detail"]["crossOriginIsolated"] is True
    client = await served_project.client()
    nb, ids = await notebook_with(client, "embedded.ipynb", "import sys\nsys.platform")
    await nb.request_run(ids)
    await nb.wait_done(ids, timeout=60)
    assert outputs(nb, ids[0])[0]["data"] == {"text/plain": "'emscripten'"}
    await client.close()


async def test_the_page_served_elsewhere_takes_a_typed_key(
    aiohttp_server, served_project, chromium, dist
):
    host = await serve_host(aiohttp_server, dist)
    page = (
        f"{host}/app/index.html?server={served_project.origin}/&project={served_project.project_id}"
    )
    outcome = await in_browser(wait_for_boot, chromium, page)
    assert outcome.state == "error"
    assert outcome.error["needsKey"] is True  # no cookie reaches another origin

    def type_the_key():
        chromium.find_element("id", "api-key").send_keys(served_project.api_key)
        chromium.find_element("id", "key-form").submit()
        return wait_for_boot(chromium, None)

    outcome = await in_browser(type_the_key)
    assert outcome.state == "ready", outcome
    assert served_project.api_key not in await in_browser(
        chromium.execute_script, "return location.href"
    )
