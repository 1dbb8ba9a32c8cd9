"""The aiohttp application: routes, isolation headers and caching rules."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from aiohttp import web
from packaging.utils import canonicalize_name

from .. import __version__
from ..protocol import DEFAULT_LIMITS, FrameLimits
from . import files, wheel_index
from .dist import BrowserDist
from .hub import Hub
from .keys import AuthRefused, check_key
from .peer import MAX_OUTBOX_BYTES
from .project import Project
from .pyodide_dist import LOCK, PyodideDist
from .store import STATE_DIR, WHEELHOUSE
from .websocketfs import websocketfs
from .ws import HUB_KEY, project_websocket

# Browsers refuse module scripts and wasm streaming compilation with the wrong types, and
# aiohttp's own guesses differ from the HTML standard's for these.
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".bin": "application/octet-stream",
}

# SharedArrayBuffer and Atomics.wait (the worker's synchronous calls) need these on the
# page and on every asset it loads. The assets may be loaded by a compute page on another
# origin too (a web app embedding it), so they allow that: nothing here is secret, the
# project's data is behind the websocket's key.
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Access-Control-Allow-Origin": "*",
}
COOKIE = "api_key"
COOKIE_MAX_AGE = 30 * 24 * 3600
# The Pyodide core lives under a versioned path and the snapshots are named by their
# content's hash: neither ever changes. Everything else is revalidated (cheap: aiohttp
# answers If-Modified-Since with 304).
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

DIST_KEY = web.AppKey("dist", BrowserDist)
INDEX_KEY = web.AppKey("index", wheel_index.WheelIndex)
PYODIDE_DIST_KEY = web.AppKey("pyodide_dist", PyodideDist)
PYODIDE_DIST = "pyodide-dist/"
"""Where a Pyodide distribution is served, under the base path."""
BASE_KEY = web.AppKey("base_path", str)


def normalize_base_path(base_path: str) -> str:
    stripped = base_path.strip("/")
    return f"/{stripped}/" if stripped else "/"


@web.middleware
async def isolation_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(ISOLATION_HEADERS)
        error.headers["Cache-Control"] = REVALIDATE
        raise
    response.headers.update(ISOLATION_HEADERS)
    if isinstance(response, web.FileResponse):
        suffix = PurePosixPath(request.path).suffix
        if suffix in CONTENT_TYPES:
            response.content_type = CONTENT_TYPES[suffix]
    if "Cache-Control" not in response.headers:
        base = request.app[BASE_KEY]
        immutable = request.path.startswith((f"{base}pyodide/", f"{base}snapshots/"))
        response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    return response


def base_url(request: web.Request) -> str:
    """The absolute URL of the base path, as this client reached the server."""
    return f"{request.url.origin()}{request.app[BASE_KEY]}"


def project_of(request: web.Request) -> Project:
    """The served project, if the URL names it; a clear 404 otherwise."""
    project = request.app[HUB_KEY].project
    if request.match_info["project_id"] != project.project_id:
        raise web.HTTPNotFound(text=f"no project {request.match_info['project_id']} here")
    return project


async def config(request: web.Request) -> web.Response:
    """What the compute page needs to boot: where everything is, as absolute URLs."""
    project = project_of(request)
    dist = request.app[DIST_KEY]
    base = base_url(request)
    return web.json_response(
        {
            "version": __version__,
            "projectId": project.project_id,
            "server": str(request.url.origin()),
            "basePath": request.app[BASE_KEY],
            "pyodideURL": f"{base}pyodide/{dist.pyodide_version}/",
            # micropip appends "/<name>/" itself
            "indexURL": f"{base}simple",
            # a Pyodide distribution's lock, which kernel workers load (null: none)
            "lockFileURL": f"{base}{PYODIDE_DIST}{LOCK}"
            if PYODIDE_DIST_KEY in request.app
            else None,
            "wheels": {
                kind: [f"{base}wheels/{name}" for name in names]
                for kind, names in dist.boot_wheels.items()
            },
            # a worker boots from its kind's snapshot when it can (and says when not)
            "snapshots": {
                kind: {"url": f"{base}{snapshot.file}", "integrity": snapshot.integrity}
                for kind, snapshot in dist.snapshots.items()
            },
        }
    )


async def login(request: web.Request) -> web.Response:
    """Check a key typed into a page and keep it in an HttpOnly cookie, so that the
    project's pages and websocket authenticate without the key in any URL or script."""
    project = project_of(request)
    form = await request.post()
    api_key = form.get("api_key")
    if not isinstance(api_key, str) or not api_key.strip():
        raise web.HTTPBadRequest(text="send the API key as the form field api_key")
    try:
        check_key(project.db, api_key.strip())
    except AuthRefused as refusal:
        raise web.HTTPUnauthorized(text=str(refusal)) from None
    response = web.Response(status=204)
    response.set_cookie(
        COOKIE,
        api_key.strip(),
        max_age=COOKIE_MAX_AGE,
        path=request.app[BASE_KEY],
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


async def logout(request: web.Request) -> web.Response:
    project_of(request)
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path=request.app[BASE_KEY])
    return response


async def to_compute_page(request: web.Request) -> web.Response:
    project = request.app[HUB_KEY].project
    raise web.HTTPFound(f"{request.app[BASE_KEY]}{project.project_id}/compute/")


async def index_root(request: web.Request) -> web.Response:
    wheels = request.app[INDEX_KEY].wheels()
    if wheel_index.wants_json(request.headers.get("Accept", "")):
        return web.json_response(
            wheel_index.root_json(wheels), content_type=wheel_index.JSON_CONTENT_TYPE
        )
    return web.Response(text=wheel_index.root_html(wheels), content_type="text/html")


async def index_project(request: web.Request) -> web.Response:
    requested = request.match_info["project"]
    project = canonicalize_name(requested)
    if project != requested:  # PEP 503: redirect to the normalised name
        raise web.HTTPMovedPermanently(f"{request.app[BASE_KEY]}simple/{project}/")
    wheels = request.app[INDEX_KEY].wheels()
    if project not in wheel_index.projects(wheels):
        raise web.HTTPNotFound(text=f"no wheels for {project!r} in this project's index")
    base = base_url(request)
    if wheel_index.wants_json(request.headers.get("Accept", "")):
        return web.json_response(
            wheel_index.project_json(project, wheels, base),
            content_type=wheel_index.JSON_CONTENT_TYPE,
        )
    return web.Response(
        text=wheel_index.project_html(project, wheels, base), content_type="text/html"
    )


async def index_file(request: web.Request) -> web.FileResponse:
    """A wheel by its content's hash: cached by the browser for good."""
    wheel = request.app[INDEX_KEY].file(request.match_info["sha256"], request.match_info["name"])
    if wheel is None:
        raise web.HTTPNotFound(text="no such wheel in this project's index (any more)")
    return web.FileResponse(wheel.path, headers={"Cache-Control": IMMUTABLE})


async def pyodide_lock(request: web.Request) -> web.Response:
    return web.json_response(request.app[PYODIDE_DIST_KEY].lock())


def app_file_handler(app_dir: Path, names: frozenset[str]):
    async def serve(request: web.Request) -> web.FileResponse:
        project_of(request)
        name = request.match_info.get("name") or "index.html"
        if name not in names:
            raise web.HTTPNotFound()
        return web.FileResponse(app_dir / name)

    return serve


def make_app(
    project: Project,
    dist: BrowserDist,
    base_path: str = "/",
    save_delay: float = 1.0,
    limits: FrameLimits = DEFAULT_LIMITS,
    pyodide_dist: PyodideDist | None = None,
    max_outbox_bytes: int = MAX_OUTBOX_BYTES,
) -> web.Application:
    """The whole server for one project; `save_delay` debounces .ipynb exports;
    `pyodide_dist` offers a Pyodide distribution's packages to the browser kernel;
    a client that falls `max_outbox_bytes` behind is disconnected."""
    base = normalize_base_path(base_path)
    app = web.Application(middlewares=[isolation_headers])
    hub = app[HUB_KEY] = Hub(project, save_delay, limits, max_outbox_bytes)
    app.on_startup.append(lambda _: hub.start())
    app.on_shutdown.append(lambda _: hub.stop())
    app[DIST_KEY] = dist
    sources = [
        wheel_index.WheelFolder(dist.wheels_dir).wheels,
        wheel_index.WheelFolder(project.directory / STATE_DIR / WHEELHOUSE).wheels,
    ]
    if pyodide_dist is not None:
        app[PYODIDE_DIST_KEY] = pyodide_dist
        sources.append(pyodide_dist.wheels)
    app[INDEX_KEY] = wheel_index.WheelIndex(sources)
    app[BASE_KEY] = base
    app_files = frozenset(p.name for p in dist.app_dir.iterdir() if p.is_file())
    serve_app_file = app_file_handler(dist.app_dir, app_files)
    page = f"{base}{{project_id}}/compute"
    app.router.add_get(f"{base}{{project_id}}/raw/.smc/ws", project_websocket)
    app.router.add_get(f"{base}{{project_id}}/raw/.smc/websocketfs", websocketfs)
    app.router.add_post(f"{base}{{project_id}}/login", login)
    app.router.add_post(f"{base}{{project_id}}/logout", logout)
    app.router.add_get(base, to_compute_page)
    app.router.add_get(page, to_compute_page)
    app.router.add_get(f"{page}/", serve_app_file)
    app.router.add_get(f"{page}/config.json", config)
    app.router.add_get(f"{page}/{{name}}", serve_app_file)
    files.add_routes(app, dist.app_dir, base, project_of)
    app.router.add_get(f"{base}simple/", index_root)
    app.router.add_get(f"{base}simple/{{project}}/", index_project)
    app.router.add_get(f"{base}{wheel_index.FILES}{{sha256}}/{{name}}", index_file)
    if pyodide_dist is not None:
        app.router.add_get(f"{base}{PYODIDE_DIST}{LOCK}", pyodide_lock)
        app.router.add_static(f"{base}{PYODIDE_DIST.rstrip('/')}", pyodide_dist.root)
    app.router.add_static(f"{base}pyodide/{dist.pyodide_version}", dist.pyodide_dir)
    app.router.add_static(f"{base}wheels", dist.wheels_dir)
    if dist.snapshots:
        app.router.add_static(f"{base}snapshots", dist.snapshots_dir)
    return app
