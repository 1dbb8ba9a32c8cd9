"""Browser tests: a served project and headless Chromium on its compute page (see
`compute_page` in tests/support for how the tests drive it)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from compute_page import ComputePage, in_browser, open_compute_page

from cocalc_compute_wasm.client import Backoff, connect
from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.headless.page import set_key_cookie, wait_for_boot
from cocalc_compute_wasm.server import BrowserDist, keys, make_app


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def chromium():
    """A fresh headless Chromium (new profile) per test."""
    with launch_chromium() as driver:
        yield driver


@dataclass
class ServedProject:
    origin: str
    project: Any
    api_key: str
    app: Any

    @property
    def project_id(self) -> str:
        return self.project.project_id

    def page_url(self, origin: str | None = None) -> str:
        return f"{origin or self.origin}/{self.project_id}/compute/"

    async def client(self, origin: str | None = None):
        """A collaborator's client (fast reconnects), closed by the test's end."""
        return await connect(
            origin or self.origin,
            self.project_id,
            self.api_key,
            backoff=Backoff(initial=0.05, maximum=0.5),
        )


@pytest.fixture
def changed_dist(dist, tmp_path):
    """A copy of the browser build that ``change(root)`` altered."""

    def make(change: Callable[[Path], None]) -> BrowserDist:
        root = tmp_path / "web"
        shutil.copytree(dist.root, root)
        change(root)
        return BrowserDist.open(root)

    return make


@pytest.fixture
def serve_project(aiohttp_server, project, dist):
    """Serve the project (from the build, or ``other`` dist); ``adjust(app)`` may change
    the app before it starts."""

    async def serve(
        adjust: Callable[[Any], None] = lambda app: None, other: BrowserDist | None = None
    ) -> ServedProject:
        api_key, _ = keys.create_key(project.db)
        app = make_app(project, other or dist, save_delay=0.1)
        adjust(app)
        server = await aiohttp_server(app)
        return ServedProject(str(server.make_url("")).rstrip("/"), project, api_key, app)

    return serve


@pytest.fixture
async def served_project(serve_project) -> ServedProject:
    return await serve_project()


@pytest.fixture
async def compute_page(served_project, chromium) -> ComputePage:
    """Chromium on the compute page, authenticated by its cookie, booted and connected."""
    return await open_compute_page(chromium, served_project.page_url(), served_project.api_key)


@pytest.fixture
def boot_changed_dist(aiohttp_server, project, changed_dist, chromium):
    """Boot the page from a copy of the browser build that ``change(root)`` altered."""

    async def boot(change: Callable[[Path], None]):
        api_key, _ = keys.create_key(project.db)
        server = await aiohttp_server(make_app(project, changed_dist(change)))
        page = str(server.make_url(f"/{project.project_id}/compute/"))
        await in_browser(set_key_cookie, chromium, page, api_key)
        return await in_browser(wait_for_boot, chromium, page)

    return boot
