"""A full Pyodide distribution that a user already has (`serve --pyodide-dist DIR`).

PyPI has no Pyodide wheels of numpy and most of the scientific stack; a Pyodide release's
distribution folder has them, with ``pyodide-lock.json`` naming each package's file,
hash and dependencies (shared libraries such as OpenBLAS included, which no wheel
index can express). The kernel workers load that lock (`lockFileURL`), and micropip
installs from it what the project's index does not have. The index lists the
distribution's wheels that need nothing but other wheels (numpy, pandas); the others
(scipy needs OpenBLAS) are left to the lock, which loads their libraries first.

The distribution must be made for this build's Pyodide ABI and Python. A folder that
lacks some of its lock's files (a trimmed copy) is served without those packages and
without the packages that depend on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from .dist import BrowserDist, DistError
from .wheel_index import WheelFile

LOCK = "pyodide-lock.json"


def _lock_of(path: Path) -> dict[str, Any]:
    try:
        lock = json.loads(path.read_text())
    except FileNotFoundError:
        raise DistError(f"{path.parent} is not a Pyodide distribution: it has no {LOCK}") from None
    except (OSError, json.JSONDecodeError) as error:
        raise DistError(f"{path} is unreadable: {error}") from None
    if not isinstance(lock, dict) or not isinstance(lock.get("packages"), dict):
        raise DistError(f"{path} is not a Pyodide lock file (no packages)")
    return lock


def usable_packages(packages: dict[str, Any], present: set[str]) -> dict[str, Any]:
    """The lock's packages whose files are `present`, and whose dependencies are too."""
    usable = {name: entry for name, entry in packages.items() if entry["file_name"] in present}
    while broken := [
        name
        for name, entry in usable.items()
        if any(dependency not in usable for dependency in entry.get("depends", []))
    ]:
        for name in broken:
            del usable[name]
    return usable


@dataclass(frozen=True)
class PyodideDist:
    root: Path
    info: dict[str, Any]
    packages: dict[str, Any]
    """The usable entries of its lock, by name."""
    missing: int
    """How many of its lock's packages are left out (files missing here)."""

    @classmethod
    def open(cls, root: Path, build: BrowserDist) -> PyodideDist:
        root = root.resolve()
        if not root.is_dir():
            raise DistError(f"--pyodide-dist {root} is not a folder")
        lock = _lock_of(root / LOCK)
        ours = _lock_of(build.pyodide_dir / LOCK)["info"]
        theirs = lock.get("info", {})
        for key in ("abi_version", "python"):
            if theirs.get(key) != ours.get(key):
                raise DistError(
                    f"{root} is a Pyodide distribution for {key} {theirs.get(key)!r}, but "
                    f"this build runs Pyodide {build.pyodide_version} with {key} "
                    f"{ours.get(key)!r}: use the distribution of Pyodide {build.pyodide_version}"
                )
        present = {p.name for p in root.iterdir() if p.is_file()}
        packages = usable_packages(lock["packages"], present)
        return cls(root, theirs, packages, len(lock["packages"]) - len(packages))

    def lock(self) -> dict[str, Any]:
        """The lock the kernel workers load: only what is here."""
        return {"info": self.info, "packages": self.packages}

    def wheels(self) -> list[WheelFile]:
        """Its wheels that need only wheels, for the project's index (hashes as its
        lock gives them)."""
        return [
            WheelFile(
                canonicalize_name(entry["name"]),
                entry["file_name"],
                entry["sha256"],
                self.root / entry["file_name"],
            )
            for name, entry in self.packages.items()
            if only_wheels(self.packages, name)
        ]


def only_wheels(packages: dict[str, Any], name: str) -> bool:
    """Whether `name` and all it depends on (in the lock) are wheels."""
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        entry = packages[current]
        if entry.get("package_type", "package") != "package":
            return False
        if not entry["file_name"].endswith(".whl"):
            return False
        todo += entry.get("depends", [])
    return True
