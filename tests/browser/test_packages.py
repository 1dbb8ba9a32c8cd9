"""Packages in the browser kernel: the project's wheelhouse filled by `wheels add` from
PyPI, `%pip install` in cells from the project's index only, a C extension built for
Pyodide, a missing package, urllib and requests against the project server, and no
request to any other host."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from compute_page import in_browser, open_compute_page
from notebook_cells import notebook_with, outputs, text

from cocalc_compute_wasm.cli import main
from cocalc_compute_wasm.client import connect
from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.server import keys, make_app
from cocalc_compute_wasm.server.pyodide_dist import PyodideDist

# Small, stable, pure, with a dependency (six); requests brings urllib3, idna, certifi
# and charset-normalizer (a C extension built for Pyodide).
DATEUTIL = "python-dateutil==2.9.0.post0"
REQUESTS = "requests==2.34.2"

PIP_DOWNLOAD = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
WORKER_RESOURCES = """
import js
[str(e.name) for e in js.performance.getEntriesByType("resource")]
"""


def requests_made_by(origin_: str, netlog: Path) -> list[str]:
    """The URL of every request that documents or workers of `origin_` made, from
    Chromium's NetLog (``--log-net-log``): the network service's own record, for the
    page and every worker, failed requests included; complete once Chromium has quit.
    (The browser's own requests, such as its autofill service's, have no initiator.)"""
    log = json.loads(netlog.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job and event.get("params", {}).get("initiator") == origin_
    ]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def foreign(urls, server: str) -> list[str]:
    """The URLs that went anywhere but the project server (data: and blob: stay inside)."""
    server_ws = server.replace("http", "ws", 1)
    return [
        u
        for u in urls
        if not u.startswith(("data:", "blob:")) and origin(u) not in (server, server_ws)
    ]


async def run_cells(client, path: str, *sources: str, timeout: float = 120):
    nb, ids = await notebook_with(client, path, *sources)
    await nb.request_run(ids, no_halt=True)
    await nb.wait_done(ids, timeout=timeout)
    return nb, ids


def result(nb, cell_id):
    """The cell's execute_result as Python, or its error output."""
    for output in outputs(nb, cell_id):
        if output["output_type"] == "execute_result":
            return eval(output["data"]["text/plain"])
        if output["output_type"] == "error":
            raise AssertionError(f"{output['ename']}: {output['evalue']}")
    raise AssertionError(f"no result in {outputs(nb, cell_id)}")


async def test_wheels_add_then_pip_install_in_a_cell(served_project, tmp_path):
    project_dir = str(served_project.project.directory)
    assert await asyncio.to_thread(main, ["wheels", "add", project_dir, DATEUTIL, REQUESTS]) == 0
    netlog = tmp_path / "netlog.json"
    with launch_chromium((f"--log-net-log={netlog}",)) as driver:
        page_urls, kernel_urls = await use_packages(served_project, driver)
    # No request left for any host but the project server: Chromium's NetLog saw every
    # request (page and workers); the page's and the kernel's resource entries agree.
    urls = requests_made_by(served_project.origin, netlog)
    assert any("/files/" in u and "python_dateutil" in u for u in urls)
    assert foreign(urls, served_project.origin) == []
    assert any("/files/" in u for u in kernel_urls)
    assert foreign(kernel_urls + page_urls, served_project.origin) == []


async def use_packages(served_project, driver) -> tuple[list[str], list[str]]:
    page = await open_compute_page(driver, served_project.page_url(), served_project.api_key)
    client = await served_project.client()
    server = served_project.origin
    nb, ids = await run_cells(
        client,
        "packages.ipynb",
        "%pip install python-dateutil requests msgpack",
        "from dateutil.relativedelta import relativedelta\nimport datetime, six\n"
        "str(datetime.date(2024, 1, 31) + relativedelta(months=1)), six.__version__",
        "import msgpack, msgpack._cmsgpack\n"
        "msgpack.unpackb(msgpack.packb({'a': [1, 2.5]})), msgpack._cmsgpack.__file__",
        f"import json, urllib.request\nwith urllib.request.urlopen({server + '/simple/'!r}) as r:"
        "\n    body = r.read()\nr.status, 'python-dateutil' in body.decode()",
        "import urllib.error\ntry:\n"
        f"    urllib.request.urlopen({server + '/simple/no-such-project/'!r})\n"
        "except urllib.error.HTTPError as error:\n    caught = error.code\ncaught",
        f"import requests\nreply = requests.get({server + '/simple/six/'!r},"
        " headers={'Accept': 'application/vnd.pypi.simple.v1+json'})\n"
        "reply.status_code, [f['filename'] for f in reply.json()['files']]",
        WORKER_RESOURCES,
    )
    progress = text(nb, ids[0])
    assert "Successfully installed" in progress, progress
    for name in ("python-dateutil", "six", "requests", "urllib3", "charset-normalizer"):
        assert name.replace("-", "_") in progress.replace("-", "_"), (name, progress)
    assert result(nb, ids[1]) == ("2024-02-29", "1.17.0")
    unpacked, extension = result(nb, ids[2])
    assert unpacked == {"a": [1, 2.5]}
    assert extension.endswith(".so")  # the C extension, not msgpack's pure fallback
    assert result(nb, ids[3]) == (200, True)
    assert result(nb, ids[4]) == 404
    assert result(nb, ids[5]) == (200, ["six-1.17.0-py2.py3-none-any.whl"])
    page_urls = await in_browser(
        page.driver.execute_script,
        "return performance.getEntriesByType('resource').map((e) => e.name)",
    )
    await client.close()
    return page_urls, result(nb, ids[6])


async def test_a_missing_package_is_named_and_the_kernel_lives_on(compute_page, served_project):
    client = await served_project.client()
    nb, ids = await run_cells(
        client,
        "missing.ipynb",
        "%pip install no-such-package-here",
        "x = 6 * 7\nx",
    )
    (error,) = outputs(nb, ids[0])
    assert error["ename"] == "PackageNotFoundError"
    assert "'no-such-package-here'" in error["evalue"]
    assert "cocalc-compute wheels add PROJECT_DIR no-such-package-here" in error["evalue"]
    assert result(nb, ids[1]) == 42
    await client.close()


@pytest.fixture
def pyodide_dir(tmp_path, dist) -> Path:
    """A Pyodide distribution's layout for this build's ABI, holding one real wheel
    (six, from PyPI) that neither the build nor the wheelhouse has."""
    root = tmp_path / "pyodide-dist"
    got = subprocess.run(
        [*PIP_DOWNLOAD, "--dest", str(root), "six==1.17.0"],
        capture_output=True,
        text=True,
    )
    assert got.returncode == 0, got.stderr
    (wheel,) = root.glob("*.whl")
    info = json.loads((dist.pyodide_dir / "pyodide-lock.json").read_text())["info"]
    six = {
        "name": "six",
        "version": "1.17.0",
        "file_name": wheel.name,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "depends": [],
        "imports": ["six"],
        "install_dir": "site",
        "package_type": "package",
    }
    (root / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": {"six": six}}))
    return root


async def test_a_pyodide_distribution_installs_by_name(
    project, dist, pyodide_dir, aiohttp_server, chromium
):
    api_key, _ = keys.create_key(project.db)
    app = make_app(project, dist, pyodide_dist=PyodideDist.open(pyodide_dir, dist))
    origin = str((await aiohttp_server(app)).make_url("")).rstrip("/")
    page = await open_compute_page(chromium, f"{origin}/{project.project_id}/compute/", api_key)
    assert page.boot.result["kernel"]["snapshot"]["used"] is True
    client = await connect(origin, project.project_id, api_key)
    nb, ids = await run_cells(
        client,
        "dist.ipynb",
        # Pyodide's own loader, by name: only the distribution's lock knows six
        "import pyodide_js\nawait pyodide_js.loadPackage('six')\nimport six\nsix.__version__",
        "%pip install six",
    )
    assert result(nb, ids[0]) == "1.17.0"
    assert "Requirement already satisfied: six" in text(nb, ids[1])
    await client.close()
