"""The collaborators' pages: the project's files at ``/{project_id}/files/`` and each
notebook at ``/{project_id}/files/<path>.ipynb``.

Both need the project's key, as the websocket does (the ``api_key`` cookie, or a Bearer
header for programs); without one the answer is the login page (HTTP 401), which sets
the cookie and comes back. A folder's listing links its notebooks and subfolders and
has a form that creates a notebook (POST to the folder). Every path goes through the
confinement of ``paths``: nothing outside the project, nothing of the server's state.
The pages are static files of the browser build; the server only adds a ``<base>`` so
that their modules load from the compute page's folder whatever the notebook's depth.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from ..notebook import empty_notebook, records_to_ipynb_text
from .paths import PathRefused, project_path
from .project import Project
from .store import STATE_DIR
from .ws import authenticated_by_upgrade

NOTEBOOK_SUFFIX = ".ipynb"
LISTING_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 56rem;
  color: #222; padding: 0 1rem; }
h1 { font-size: 1.4rem; } ul { list-style: none; padding: 0; }
li { padding: .3rem .2rem; border-bottom: 1px solid #eee; }
.muted { color: #666; } .error { color: #b00020; background: #fde7ea; padding: .5rem; }
form { display: flex; gap: .5rem; align-items: center; margin-top: 1.2rem; }
button, input { font: inherit; }
"""


class NameRefused(ValueError):
    """A name for a new notebook that cannot be one; the message says why."""


def notebook_name(name: str) -> str:
    """The file name of a new notebook called ``name`` (".ipynb" added when missing)."""
    name = name.strip()
    if not name:
        raise NameRefused("give the new notebook a name")
    if "/" in name or "\\" in name:
        raise NameRefused(f"{name!r} contains a slash: give a file name, not a path")
    if name.startswith("."):
        raise NameRefused(f"{name!r} starts with a dot: hidden files are not listed")
    if any(ord(c) < 32 for c in name):
        raise NameRefused(f"{name!r} contains a control character")
    if not name.endswith(NOTEBOOK_SUFFIX):
        name += NOTEBOOK_SUFFIX
    if name == NOTEBOOK_SUFFIX:
        raise NameRefused("a notebook needs a name before .ipynb")
    if len(name.encode()) > 255:
        raise NameRefused("the name is longer than a file name may be (255 bytes)")
    return name


def create_notebook(folder: Path, name: str) -> Path:
    """Write a new, valid nbformat 4 notebook ``name`` in ``folder``; never replaces a file."""
    path = folder / notebook_name(name)
    text = records_to_ipynb_text(empty_notebook())
    try:
        with path.open("x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise NameRefused(f"{path.name} already exists here") from None
    return path


def with_base(page: str, base_href: str) -> str:
    """An HTML page with a ``<base href>``: its relative URLs resolve from there."""
    return page.replace("<head>", f'<head>\n  <base href="{html.escape(base_href)}">', 1)


def listing_html(
    project_id: str, relative: str, folder: Path, files_url: str, error: str = ""
) -> str:
    """A folder's page: subfolders and notebooks as links, other files as plain names."""
    entries = []
    if relative:
        entries.append('<li><a href="../">../</a></li>')
    for child in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
        if child.name.startswith(".") or (not relative and child.name == STATE_DIR):
            continue
        name = html.escape(child.name)
        if child.is_dir():
            entries.append(f'<li><a href="{quote(child.name)}/">{name}/</a></li>')
        elif child.name.endswith(NOTEBOOK_SUFFIX):
            entries.append(f'<li><a class="notebook" href="{quote(child.name)}">{name}</a></li>')
        else:
            entries.append(f'<li class="muted">{name}</li>')
    if not entries:
        entries.append('<li class="muted">No files here yet.</li>')
    title = html.escape(f"/{relative}")
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — project files</title><link rel="icon" href="data:,">
<style>{LISTING_STYLE}</style></head>
<body>
<p class="muted">Project {html.escape(project_id)} · <a href="{files_url}">all files</a> ·
<a href="{files_url}../compute/">compute page</a></p>
<h1>Files in {title}</h1>
{problem}
<ul id="files">{"".join(entries)}</ul>
<form method="post" id="new-notebook">
  <label>New notebook <input name="name" placeholder="analysis.ipynb" required></label>
  <button>Create</button>
</form>
</body></html>
"""


class FilesPages:
    """The request handlers; ``app_dir`` holds the pages of the browser build."""

    def __init__(
        self, app_dir: Path, base: str, project_of: Callable[[web.Request], Project]
    ) -> None:
        self.base = base
        self._project = project_of
        self.notebook_page = (app_dir / "notebook.html").read_text()
        self.login_page = (app_dir / "login.html").read_text()

    def _page(self, project: Project, page: str, status: int = 200) -> web.Response:
        base_href = f"{self.base}{project.project_id}/compute/"
        return web.Response(
            text=with_base(page, base_href), content_type="text/html", status=status
        )

    def _target(self, request: web.Request, project: Project) -> tuple[str, Path]:
        relative = request.match_info["path"].strip("/")
        try:
            return relative, project_path(project.directory, relative or ".")
        except PathRefused as refusal:
            raise web.HTTPForbidden(text=str(refusal)) from None

    def _authorized(self, request: web.Request, project: Project) -> bool:
        return authenticated_by_upgrade(request, project)[0]

    async def get(self, request: web.Request) -> web.StreamResponse:
        project = self._project(request)
        if not self._authorized(request, project):
            return self._page(project, self.login_page, status=401)
        relative, target = self._target(request, project)
        if target.is_dir():
            if relative and not request.path.endswith("/"):
                raise web.HTTPFound(f"{request.rel_url.raw_path}/")
            return self._listing(project, relative, target)
        if not relative.endswith(NOTEBOOK_SUFFIX):
            raise web.HTTPNotFound(text=f"{relative}: only folders and notebooks open here")
        if not target.is_file():
            raise web.HTTPNotFound(
                text=f"no notebook {relative} in this project: create it from its folder's page"
            )
        return self._page(project, self.notebook_page)

    async def create(self, request: web.Request) -> web.StreamResponse:
        project = self._project(request)
        if not self._authorized(request, project):
            raise web.HTTPUnauthorized(text="log in with the project's API key first")
        relative, folder = self._target(request, project)
        if not folder.is_dir():
            raise web.HTTPNotFound(text=f"no folder {relative or '/'} in this project")
        name = (await request.post()).get("name")
        try:
            if not isinstance(name, str):
                raise NameRefused("send the new notebook's name as the form field name")
            path = create_notebook(folder, name)
        except NameRefused as refusal:
            return self._listing(project, relative, folder, str(refusal), status=400)
        raise web.HTTPSeeOther(self._files_url(project, f"{relative}/{path.name}".lstrip("/")))

    def _files_url(self, project: Project, relative: str = "") -> str:
        return f"{self.base}{project.project_id}/files/{quote(relative)}"

    def _listing(
        self, project: Project, relative: str, folder: Path, error: str = "", status: int = 200
    ) -> web.Response:
        page = listing_html(project.project_id, relative, folder, self._files_url(project), error)
        return web.Response(text=page, content_type="text/html", status=status)


def add_routes(
    app: web.Application,
    app_dir: Path,
    base: str,
    project_of: Callable[[web.Request], Project],
) -> None:
    """Serve the pages under ``{base}{project_id}/files``; ``project_of`` checks the id."""
    pages = FilesPages(app_dir, base, project_of)
    files = f"{base}{{project_id}}/files"
    app.router.add_get(files, _to_folder)
    app.router.add_get(f"{files}/{{path:.*}}", pages.get)
    app.router.add_post(f"{files}/{{path:.*}}", pages.create)


async def _to_folder(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{request.rel_url.raw_path}/")
