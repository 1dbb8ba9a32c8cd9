"""A PEP 503 / PEP 691 "simple" package index over the wheels the browser kernel may
install: the build's own, the project's wheelhouse, and optionally a Pyodide
distribution's.

Every file is served under its content's hash (``files/<sha256>/<filename>``), so the
browser may cache it for good: a wheel replaced in the wheelhouse gets a new URL.
micropip 0.11.1 rejects relative file URLs in the JSON form, so pages are rendered per
request against the absolute base URL the client used; the wheels' hashes are computed
once per file version and cached.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from ..wheelhouse.tags import fit_rank

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_CONTENT_TYPE = "text/html"
FILES = "files/"
"""Where the index's files are, under the server's base path."""


@dataclass(frozen=True)
class WheelFile:
    project: str  # canonical (PEP 503 normalised) name
    filename: str
    sha256: str
    path: Path

    @property
    def href(self) -> str:
        """Its URL relative to the server's base path."""
        return f"{FILES}{self.sha256}/{self.filename}"


class WheelFolder:
    """The wheels of one folder (which may not exist yet), re-read when its files change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._hashes: dict[tuple[str, int, int], str] = {}

    def wheels(self) -> list[WheelFile]:
        found = []
        for path in sorted(self.folder.glob("*.whl")):
            try:
                project = canonicalize_name(parse_wheel_filename(path.name)[0])
                stat = path.stat()
            except (InvalidWheelFilename, FileNotFoundError):
                continue  # not a wheel, or removed meanwhile
            key = (path.name, stat.st_size, stat.st_mtime_ns)
            if key not in self._hashes:
                self._hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            found.append(WheelFile(project, path.name, self._hashes[key], path))
        return found


Source = Callable[[], list[WheelFile]]


class WheelIndex:
    """The union of `sources`, in order: a file name already given by an earlier source
    is not served again. Only wheels that fit the browser kernel are listed."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self.sources = list(sources)

    def wheels(self) -> list[WheelFile]:
        seen: dict[str, WheelFile] = {}
        for source in self.sources:
            for wheel in source():
                if wheel.filename not in seen and fit_rank(wheel.filename) is not None:
                    seen[wheel.filename] = wheel
        return list(seen.values())

    def file(self, sha256: str, filename: str) -> WheelFile | None:
        for wheel in self.wheels():
            if wheel.sha256 == sha256 and wheel.filename == filename:
                return wheel
        return None


def projects(wheels: Iterable[WheelFile]) -> list[str]:
    return sorted({w.project for w in wheels})


def root_json(wheels: Iterable[WheelFile]) -> dict:
    return {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in projects(wheels)]}


def root_html(wheels: Iterable[WheelFile]) -> str:
    links = "".join(f'<a href="{n}/">{n}</a>\n' for n in projects(wheels))
    return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"


def project_json(project: str, wheels: Iterable[WheelFile], base_url: str) -> dict:
    """PEP 691 page of one project; `base_url` is the server's absolute base URL."""
    return {
        "meta": {"api-version": "1.0"},
        "name": project,
        "files": [
            {"filename": w.filename, "url": base_url + w.href, "hashes": {"sha256": w.sha256}}
            for w in wheels
            if w.project == project
        ],
    }


def project_html(project: str, wheels: Iterable[WheelFile], base_url: str) -> str:
    links = "".join(
        f'<a href="{html.escape(base_url + w.href)}#sha256={w.sha256}">'
        f"{html.escape(w.filename)}</a>\n"
        for w in wheels
        if w.project == project
    )
    return f"<!DOCTYPE html>\n<html><body>\n<h1>{project}</h1>\n{links}</body></html>\n"


def wants_json(accept: str) -> bool:
    """PEP 691 content negotiation, simplified: JSON when the client asks for it."""
    return JSON_CONTENT_TYPE in accept or "application/json" in accept
