"""The static side of the server: the compute page, isolation headers, MIME types,
caching, config, the login cookie and the index."""

import base64
import hashlib

import pytest

from cocalc_compute_wasm import __version__
from cocalc_compute_wasm.server import keys, make_app
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
        ("/PID/compute/", "text/html"),
        ("/PID/compute/index.html", "text/html"),
        ("/PID/compute/worker.js", "text/javascript"),
        ("/PID/compute/kernel.js", "text/javascript"),
        ("/PID/compute/compute.js", "text/javascript"),
        ("/pyodide/314.0.7/pyodide.mjs", "text/javascript"),
        ("/pyodide/314.0.7/pyodide.asm.mjs", "text/javascript"),
        ("/pyodide/314.0.7/pyodide.asm.wasm", "application/wasm"),
        ("/pyodide/314.0.7/python_stdlib.zip", "application/zip"),
    ],
)
async def test_assets_have_isolation_headers_and_types(client, project, path, content_type):
    response = await client.get(path.replace("PID", project.project_id))
    assert response.status == 200
    assert response.content_type == content_type
    assert_isolated(response)


async def test_pyodide_core_is_immutable_and_the_rest_revalidated(client, project):
    core = await client.get("/pyodide/314.0.7/pyodide.mjs")
    assert "immutable" in core.headers["Cache-Control"]
    worker = f"/{project.project_id}/compute/worker.js"
    page = await client.get(worker)
    assert page.headers["Cache-Control"] == "no-cache"
    again = await client.get(worker, headers={"If-Modified-Since": page.headers["Last-Modified"]})
    assert again.status == 304


async def test_errors_are_isolated_too(client, project):
    response = await client.get(f"/{project.project_id}/compute/no-such-file.js")
    assert response.status == 404
    assert_isolated(response)


async def test_the_root_and_the_bare_page_lead_to_the_compute_page(client, project):
    for path in ("/", f"/{project.project_id}/compute"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 302
        assert response.headers["Location"] == f"/{project.project_id}/compute/"


async def test_another_project_id_is_not_found(client):
    response = await client.get("/00000000-0000-0000-0000-000000000000/compute/")
    assert response.status == 404
    assert "no project 00000000" in await response.text()


async def test_config_gives_absolute_urls_and_the_boot_wheels(client, project):
    config = await (await client.get(f"/{project.project_id}/compute/config.json")).json()
    origin = str(client.make_url("/")).rstrip("/")
    assert config["version"] == __version__
    assert config["projectId"] == project.project_id
    assert (config["server"], config["basePath"]) == (origin, "/")
    assert config["pyodideURL"] == f"{origin}/pyodide/314.0.7/"
    assert config["indexURL"] == f"{origin}/simple"
    own = f"{origin}/wheels/cocalc_compute_wasm-{__version__}-py3-none-any.whl"
    assert config["wheels"]["worker"][0] == own
    assert config["wheels"]["kernel"][0] == own
    assert any("/ipython-" in url for url in config["wheels"]["kernel"])
    assert not any("/ipython-" in url for url in config["wheels"]["worker"])
    for url in config["wheels"]["kernel"]:
        assert (await client.head(url.removeprefix(origin))).status == 200


async def test_login_keeps_a_checked_key_in_an_http_only_cookie(client, project):
    login = f"/{project.project_id}/login"
    refused = await client.post(login, data={"api_key": "sk-wrong"})
    assert refused.status == 401
    assert "not valid for this project" in await refused.text()
    assert (await client.post(login, data={})).status == 400
    key, _ = keys.create_key(project.db)
    accepted = await client.post(login, data={"api_key": key})
    assert accepted.status == 204
    cookie = accepted.cookies["api_key"]
    assert cookie.value == key
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    logout = await client.post(f"/{project.project_id}/logout")
    assert logout.cookies["api_key"].value == ""


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
    page = f"/proxy/me/{project.project_id}/compute/"
    assert (await client.get(page)).status == 200
    assert (await client.get(f"/{project.project_id}/compute/")).status == 404
    assert (await client.get("/proxy/me/", allow_redirects=False)).headers["Location"] == page
    config = await (await client.get(f"{page}config.json")).json()
    assert config["basePath"] == "/proxy/me/"
    assert config["indexURL"].endswith("/proxy/me/simple")
    assert (await client.get("/proxy/me/pyodide/314.0.7/pyodide.mjs")).status == 200


@pytest.mark.parametrize(
    ("given", "normal"), [("/", "/"), ("", "/"), ("a", "/a/"), ("/a/b/", "/a/b/"), ("a/", "/a/")]
)
def test_normalize_base_path(given, normal):
    assert normalize_base_path(given) == normal


async def test_the_kernel_snapshot_is_served_immutable_with_its_hash(client, project, dist):
    config = await (await client.get(f"/{project.project_id}/compute/config.json")).json()
    origin = str(client.make_url("/")).rstrip("/")
    snapshot = config["snapshots"]["kernel"]
    assert snapshot["url"] == f"{origin}/{dist.snapshots['kernel'].file}"
    response = await client.get(snapshot["url"].removeprefix(origin))
    assert response.status == 200
    assert response.content_type == "application/octet-stream"
    assert "immutable" in response.headers["Cache-Control"]
    assert_isolated(response)
    digest = hashlib.sha256(await response.read()).digest()
    assert snapshot["integrity"] == "sha256-" + base64.b64encode(digest).decode()
