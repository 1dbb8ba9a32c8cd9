"""Browser tests: a served project and headless Chromium on its compute page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cocalc_compute_wasm.headless import launch_chromium
from cocalc_compute_wasm.headless.page import BootOutcome, set_key_cookie, wait_for_boot
from cocalc_compute_wasm.server import keys, make_app
from cocalc_compute_wasm.server.background import serve_in_thread


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
    project: object
    api_key: str

    @property
    def project_id(self) -> str:
        return self.project.project_id

    @property
    def page_url(self) -> str:
        return f"{self.origin}/{self.project_id}/compute/"


@pytest.fixture
def served_project(project, dist) -> Iterator[ServedProject]:
    """The project server on its own thread, with a key for the page and collaborators."""
    api_key, _ = keys.create_key(project.db)
    with serve_in_thread(make_app(project, dist, save_delay=0.2)) as origin:
        yield ServedProject(origin, project, api_key)


@dataclass
class ComputePage:
    served: ServedProject
    driver: object
    boot: BootOutcome

    def status(self) -> dict:
        return self.driver.execute_script("return window.cocalcCompute.status") or {}


@pytest.fixture
def compute_page(served_project, chromium) -> ComputePage:
    """Chromium on the compute page, authenticated by its cookie, booted and connected."""
    set_key_cookie(chromium, served_project.page_url, served_project.api_key)
    boot = wait_for_boot(chromium, served_project.page_url)
    assert boot.state == "ready", boot
    return ComputePage(served_project, chromium, boot)
