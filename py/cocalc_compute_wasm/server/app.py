"""The aiohttp application: routes, isolation headers and caching rules."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from aiohttp import web
from packaging.utils import canonicalize_name

from .. import __version__
from ..protocol import DEFAULT_LIMITS, FrameLimits
from . import wheel_index
from .dist import BrowserDist
from .hub import Hub
from .project import Project
from .ws import HUB_KEY, project_websocket

# Browsers refuse module scripts and wasm streaming compilation with the wrong types, and
# aiohttp's own guesses differ from the HTML standard's for these.
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
}

# SharedArrayBuffer and Atomics.wait (the worker's synchronous calls) need these on the
# page and on every asset it loads.
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The Pyodide core lives under a versioned path and never changes; everything else is
# revalidated (cheap: aiohttp answers If-Modified-Since with 304).
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

DIST_KEY = web.AppKey("dist", BrowserDist)
WHEELS_KEY = web.AppKey("wheels", wheel_index.WheelFolder)
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
        immutable = request.path.startswith(f"{request.app[BASE_KEY]}pyodide/")
        response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    return response


def base_url(request: web.Request) -> str:
    """The absolute URL of the base path, as this client reached the server."""
    return f"{request.url.origin()}{request.app[BASE_KEY]}"


async def config(request: web.Request) -> web.Response:
    dist = request.app[DIST_KEY]
    base = base_url(request)
    extras = f"[{','.join(dist.package_extras)}]" if dist.package_extras else ""
    return web.json_response(
        {
            "version": __version__,
            "requirement": f"cocalc-compute-wasm{extras}=={__version__}",
            "pyodideURL": f"{base}pyodide/{dist.pyodide_version}/",
            # micropip appends "/<name>/" itself
            "indexURL": f"{base}simple",
            "micropipURL": f"{base}wheels/{dist.micropip_wheel}",
        }
    )


async def index_root(request: web.Request) -> web.Response:
    wheels = request.app[WHEELS_KEY].wheels()
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
    wheels = request.app[WHEELS_KEY].wheels()
    if project not in wheel_index.projects(wheels):
        raise web.HTTPNotFound(text=f"no wheels for {project!r} in this project's index")
    files_url = f"{base_url(request)}wheels/"
    if wheel_index.wants_json(request.headers.get("Accept", "")):
        return web.json_response(
            wheel_index.project_json(project, wheels, files_url),
            content_type=wheel_index.JSON_CONTENT_TYPE,
        )
    return web.Response(
        text=wheel_index.project_html(project, wheels, files_url), content_type="text/html"
    )


def app_file_handler(app_dir: Path, names: frozenset[str]):
    async def serve(request: web.Request) -> web.FileResponse:
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
) -> web.Application:
    """The whole server for one project; `save_delay` debounces .ipynb exports."""
    base = normalize_base_path(base_path)
    app = web.Application(middlewares=[isolation_headers])
    hub = app[HUB_KEY] = Hub(project, save_delay, limits)
    app.on_startup.append(lambda _: hub.start())
    app.on_shutdown.append(lambda _: hub.stop())
    app[DIST_KEY] = dist
    app[WHEELS_KEY] = wheel_index.WheelFolder(dist.wheels_dir)
    app[BASE_KEY] = base
    app_files = frozenset(p.name for p in dist.app_dir.iterdir() if p.is_file())
    serve_app_file = app_file_handler(dist.app_dir, app_files)
    app.router.add_get(f"{base}{{project_id}}/raw/.smc/ws", project_websocket)
    app.router.add_get(f"{base}config.json", config)
    app.router.add_get(f"{base}simple/", index_root)
    app.router.add_get(f"{base}simple/{{project}}/", index_project)
    app.router.add_static(f"{base}pyodide/{dist.pyodide_version}", dist.pyodide_dir)
    app.router.add_static(f"{base}wheels", dist.wheels_dir)
    app.router.add_get(base, serve_app_file)
    app.router.add_get(f"{base}{{name}}", serve_app_file)
    return app
