"""Fixtures shared by the whole suite: the browser build and a served app."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from cocalc_compute_wasm.server import BrowserDist
from cocalc_compute_wasm.server.project import Project

ROOT = Path(__file__).resolve().parents[1]


def load_build_module():
    """build.py is a script at the repository root, not part of the package."""
    spec = importlib.util.spec_from_file_location("build", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_module():
    return load_build_module()


@pytest.fixture(scope="session")
def dist(build_module) -> BrowserDist:
    """The browser build, brought up to date (a no-op when ./dev.sh already built it)."""
    build_module.build()
    return BrowserDist.open(build_module.DEFAULT_OUT)


@pytest.fixture
def project(tmp_path):
    """A fresh project in its own folder, closed after the test."""
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    opened = Project.open(project_dir)
    yield opened
    opened.close()
