"""A PEP 503 / PEP 691 "simple" package index over a folder of wheels.

micropip 0.11.1 rejects relative file URLs in the JSON form, so pages are rendered per
request against the absolute base URL the client used; the wheels' hashes are computed
once per file version and cached.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_CONTENT_TYPE = "text/html"


@dataclass(frozen=True)
class WheelFile:
    project: str  # canonical (PEP 503 normalised) name
    filename: str
    sha256: str


class WheelFolder:
    """The wheels of one folder, re-read when the folder's files change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._hashes: dict[tuple[str, int, int], str] = {}

    def wheels(self) -> list[WheelFile]:
        found = []
        for path in sorted(self.folder.glob("*.whl")):
            stat = path.stat()
            key = (path.name, stat.st_size, stat.st_mtime_ns)
            if key not in self._hashes:
                self._hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            project = canonicalize_name(parse_wheel_filename(path.name)[0])
            found.append(WheelFile(project, path.name, self._hashes[key]))
        return found


def projects(wheels: Iterable[WheelFile]) -> list[str]:
    return sorted({w.project for w in wheels})


def root_json(wheels: Iterable[WheelFile]) -> dict:
    return {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in projects(wheels)]}


def root_html(wheels: Iterable[WheelFile]) -> str:
    links = "".join(f'<a href="{n}/">{n}</a>\n' for n in projects(wheels))
    return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"


def project_json(project: str, wheels: Iterable[WheelFile], files_url: str) -> dict:
    """PEP 691 page of one project; `files_url` is the absolute URL of the wheel folder."""
    return {
        "meta": {"api-version": "1.0"},
        "name": project,
        "files": [
            {"filename": w.filename, "url": files_url + w.filename, "hashes": {"sha256": w.sha256}}
            for w in wheels
            if w.project == project
        ],
    }


def project_html(project: str, wheels: Iterable[WheelFile], files_url: str) -> str:
    links = "".join(
        f'<a href="{html.escape(files_url + w.filename)}#sha256={w.sha256}">'
        f"{html.escape(w.filename)}</a>\n"
        for w in wheels
        if w.project == project
    )
    return f"<!DOCTYPE html>\n<html><body>\n<h1>{project}</h1>\n{links}</body></html>\n"


def wants_json(accept: str) -> bool:
    """PEP 691 content negotiation, simplified: JSON when the client asks for it."""
    return JSON_CONTENT_TYPE in accept or "application/json" in accept
