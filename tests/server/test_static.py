"""The skeleton server: isolation headers, MIME types, caching, config and the index."""

import hashlib

import pytest

from cocalc_compute_wasm import __version__
from cocalc_compute_wasm.server import make_app
from cocalc_compute_wasm.server.app import ISOLATION_HEADERS, normalize_base_path
from cocalc_compute_wasm.server.wheel_index import JSON_CONTENT_TYPE

JSON_ACCEPT = {"Accept": "application/vnd.pypi.simple.v1+json, */*;q=0.01"}


@pytest.fixture
async def client(aiohttp_client, project, dist):
    return await aiohttp_client(make_app(project, dist))


def assert_isolated(response):
    for name, value in ISOLATION_HEADERS.items():
        assert response.headers[name] == value, name


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/worker.js", "text/javascript"),
        ("/compute.js", "text/javascript"),
        ("/pyodide/314.0.7/pyodide.mjs", "text/javascript"),
        ("/pyodide/314.0.7/pyodide.asm.mjs", "text/javascript"),
        ("/pyodide/314.0.7/pyodide.asm.wasm", "application/wasm"),
        ("/pyodide/314.0.7/python_stdlib.zip", "application/zip"),
    ],
)
async def test_assets_have_isolation_headers_and_types(client, path, content_type):
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == content_type
    assert_isolated(response)


async def test_pyodide_core_is_immutable_and_the_rest_revalidated(client):
    core = await client.get("/pyodide/314.0.7/pyodide.mjs")
    assert "immutable" in core.headers["Cache-Control"]
    page = await client.get("/worker.js")
    assert page.headers["Cache-Control"] == "no-cache"
    again = await client.get(
        "/worker.js", headers={"If-Modified-Since": page.headers["Last-Modified"]}
    )
    assert again.status == 304


async def test_errors_are_isolated_too(client):
    response = await client.get("/no-such-file.js")
    assert response.status == 404
    assert_isolated(response)


async def test_config_gives_absolute_urls_and_exact_pin(client):
    config = await (await client.get("/config.json")).json()
    origin = str(client.make_url("/")).rstrip("/")
    assert config["requirement"] == f"cocalc-compute-wasm[kernel]=={__version__}"
    assert config["pyodideURL"] == f"{origin}/pyodide/314.0.7/"
    assert config["indexURL"] == f"{origin}/simple"
    assert config["micropipURL"].startswith(f"{origin}/wheels/micropip-0.11.1-")


async def test_index_serves_our_wheel_and_its_dependencies(client):
    root = await client.get("/simple/", headers=JSON_ACCEPT)
    assert root.content_type == JSON_CONTENT_TYPE
    names = {p["name"] for p in (await root.json())["projects"]}
    assert {"cocalc-compute-wasm", "msgpack", "diff-match-patch", "micropip"} <= names

    page = await (await client.get("/simple/cocalc-compute-wasm/", headers=JSON_ACCEPT)).json()
    (entry,) = page["files"]
    assert entry["filename"] == f"cocalc_compute_wasm-{__version__}-py3-none-any.whl"
    wheel = await client.get(entry["url"].replace(str(client.make_url("/")), "/"))
    assert wheel.status == 200
    assert hashlib.sha256(await wheel.read()).hexdigest() == entry["hashes"]["sha256"]


async def test_index_html_and_name_normalisation(client):
    html = await client.get("/simple/msgpack/", headers={"Accept": "text/html"})
    assert html.content_type == "text/html"
    assert "pyemscripten_2026_0_wasm32.whl#sha256=" in await html.text()
    redirect = await client.get("/simple/Diff_Match_Patch/", allow_redirects=False)
    assert redirect.status == 301
    assert redirect.headers["Location"] == "/simple/diff-match-patch/"


async def test_unknown_project_is_a_clear_404(client):
    response = await client.get("/simple/numpy/", headers=JSON_ACCEPT)
    assert response.status == 404
    assert "numpy" in await response.text()


async def test_base_path_prefixes_every_route(aiohttp_client, project, dist):
    client = await aiohttp_client(make_app(project, dist, "/proxy/me"))
    assert (await client.get("/proxy/me/")).status == 200
    assert (await client.get("/")).status == 404
    config = await (await client.get("/proxy/me/config.json")).json()
    assert config["indexURL"].endswith("/proxy/me/simple")
    assert (await client.get("/proxy/me/pyodide/314.0.7/pyodide.mjs")).status == 200


@pytest.mark.parametrize(
    ("given", "normal"), [("/", "/"), ("", "/"), ("a", "/a/"), ("/a/b/", "/a/b/"), ("a/", "/a/")]
)
def test_normalize_base_path(given, normal):
    assert normalize_base_path(given) == normal
