"""Fixtures shared by the whole suite: the browser build, a project, a rich notebook and
Jupyter's nbformat as the judge of notebooks."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4.rwbase import rejoin_lines

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


PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\n"
)

RICH_NOTEBOOK: dict[str, Any] = {
    "cells": [
        {
            "attachments": {"dot.png": {"image/png": PNG}},
            "cell_type": "markdown",
            "id": "intro",
            "metadata": {"jupyter": {"source_hidden": False}, "tags": ["intro", "b-tag"]},
            "source": ["# Ünïcødé title ✓\n", "\n", "![dot](attachment:dot.png)"],
        },
        {
            "cell_type": "raw",
            "id": "raw-latex",
            "metadata": {"raw_mimetype": "text/latex", "format": "text/latex"},
            "source": "\\section{Raw}\r\nwindows line\r\n",
        },
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "streams",
            "metadata": {
                "collapsed": False,
                "scrolled": "auto",
                "tags": ["x"],
                "execution": {"iopub.status.busy": "2024-01-01T00:00:00.000Z"},
                "unknown_extension": {"nested": [1, 2.5, None, {"deep": True}]},
            },
            "outputs": [
                {"name": "stdout", "output_type": "stream", "text": ["hello\n", "world\n"]},
                {"name": "stderr", "output_type": "stream", "text": "warning: ✗\n"},
            ],
            "source": ["import sys\n", "print('hello')\n", "print('world')"],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "id": "rich_outputs",
            "metadata": {},
            "outputs": [
                {
                    "data": {
                        "image/png": PNG,
                        "image/svg+xml": [
                            '<svg xmlns="http://www.w3.org/2000/svg">\n',
                            '<circle r="1"/>\n',
                            "</svg>",
                        ],
                        "text/html": ["<b>bold</b>\n", "<i>it</i>"],
                        "text/latex": "$$x^2$$",
                        "text/markdown": "*md*\n\n- item",
                        "application/json": {"a": [1, 2, {"b": None}], "s": "t"},
                        "application/vnd.custom+json": ["not", "joined\n"],
                        "application/javascript": "console.log(1);\nconsole.log(2);",
                        "text/plain": ["<Figure>"],
                    },
                    "metadata": {"image/png": {"width": 100, "height": 50}},
                    "output_type": "display_data",
                },
                {
                    "data": {"text/plain": ["42"]},
                    "execution_count": 2,
                    "metadata": {},
                    "output_type": "execute_result",
                },
                {
                    "ename": "ZeroDivisionError",
                    "evalue": "division by zero",
                    "output_type": "error",
                    "traceback": [
                        "\x1b[0;31m---------------------------------------------------------\x1b[0m",
                        "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
                    ],
                },
            ],
            "source": "display(fig)\n6 * 7\n1 / 0\n",
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "never-run",
            "metadata": {"collapsed": True, "scrolled": True},
            "outputs": [],
            "source": [],
        },
        {
            "attachments": {},
            "cell_type": "markdown",
            "id": "empty-attachments",
            "metadata": {"tags": []},
            "source": "line\u2028separator and form\x0cfeed\n",
        },
    ],
    "metadata": {
        "authors": [{"name": "Ada"}],
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
            "version": "3.12.1",
        },
        "title": "Rich",
        "unknown_tool": {"setting": [1, "two", None]},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


class Jupyter:
    """What Jupyter's own nbformat says about a notebook: the judge of every export."""

    @staticmethod
    def validate(text: str) -> dict[str, Any]:
        """Read ``text`` as Jupyter does and validate it; returns the notebook read."""
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        return nb

    @staticmethod
    def writes(nb: dict[str, Any]) -> str:
        """The file Jupyter writes for ``nb`` (nbformat.write adds the final newline)."""
        return nbformat.writes(nbformat.from_dict(copy.deepcopy(nb))) + "\n"

    @staticmethod
    def rejoined(nb: dict[str, Any]) -> dict[str, Any]:
        """``nb`` with multiline strings joined: equal notebooks modulo line splitting."""
        return rejoin_lines(nbformat.from_dict(copy.deepcopy(nb)))


@pytest.fixture(scope="session")
def jupyter() -> type[Jupyter]:
    return Jupyter


@pytest.fixture
def rich_notebook() -> dict[str, Any]:
    return copy.deepcopy(RICH_NOTEBOOK)
