"""The wheelhouse on disk: ``PROJECT_DIR/.cocalc-compute/wheels/``, one file per wheel.

The project server's index serves whatever lies here (next to the build's own wheels), so
a wheel enters by an atomic rename: the server never sees half a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)

from ..server.store import STATE_DIR, WHEELHOUSE


class WheelhouseError(Exception):
    """A wheelhouse operation that cannot be done; the message says why."""


def wheelhouse_dir(project_dir: Path) -> Path:
    return project_dir / STATE_DIR / WHEELHOUSE


@dataclass(frozen=True)
class Wheel:
    path: Path

    @property
    def name(self) -> NormalizedName:
        return canonicalize_name(parse_wheel_filename(self.path.name)[0])

    @property
    def version(self) -> str:
        return str(parse_wheel_filename(self.path.name)[1])


class Wheelhouse:
    def __init__(self, project_dir: Path) -> None:
        if not project_dir.is_dir():
            raise WheelhouseError(f"{project_dir} is not a folder (a project's directory)")
        self.folder = wheelhouse_dir(project_dir)

    def wheels(self) -> list[Wheel]:
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.whl")):
            try:
                parse_wheel_filename(path.name)
            except InvalidWheelFilename:
                continue
            found.append(Wheel(path))
        return found

    def add(self, downloaded: Path) -> Wheel:
        """Move a downloaded wheel in, replacing the project's other versions (a
        wheelhouse holds one release per project, the one `wheels add` resolved)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        wheel = Wheel(self.folder / downloaded.name)
        staged = self.folder / f".{downloaded.name}.part"
        staged.write_bytes(downloaded.read_bytes())
        os.replace(staged, wheel.path)
        for other in self.wheels():
            if other.name == wheel.name and other.path != wheel.path:
                other.path.unlink()
        return wheel

    def remove(self, name: str) -> list[Wheel]:
        """Remove every wheel of project `name`; an error when there is none."""
        wanted = canonicalize_name(name)
        gone = [w for w in self.wheels() if w.name == wanted]
        if not gone:
            held = ", ".join(sorted({w.name for w in self.wheels()})) or "nothing"
            raise WheelhouseError(f"no wheel of {name!r} in {self.folder} (it holds {held})")
        for wheel in gone:
            wheel.path.unlink()
        return gone
