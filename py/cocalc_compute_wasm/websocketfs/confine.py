"""SFTP paths, mapped into the project folder.

The project folder is the SFTP root: "", "." and "/" name it, and "/a/b" is "a/b". A
`..` that stays inside the root is resolved by name ("a/../b" is "b"); one that would
climb above it is refused. The rest (symlinks leading out, the server's state folder) is
`server/paths.py`'s `project_path`, which every path goes through.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from ..server.paths import PathRefused, project_path
from ..server.store import STATE_DIR

__all__ = ["Confined", "PathRefused"]


class Confined:
    """Maps client paths to real paths inside `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._state = self.root / STATE_DIR

    def relative(self, path: str) -> str:
        """The root-relative name of `path` with `.` and in-root `..` resolved ("." for
        the root); PathRefused if it climbs above the root."""
        if "\0" in path:
            raise PathRefused(f"{path!r} contains a NUL byte")
        parts: list[str] = []
        for part in path.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise PathRefused(f"{path!r} goes up with '..', out of the project")
                parts.pop()
            else:
                parts.append(part)
        return "/".join(parts) or "."

    def follow(self, path: str) -> Path:
        """The real path, all symlinks followed (for STAT, OPEN, OPENDIR, ...)."""
        return self._checked(project_path(self.root, self.relative(path)), path)

    def locate(self, path: str) -> Path:
        """The path itself, its last component not followed (for LSTAT, READLINK,
        REMOVE, RENAME, SYMLINK's new link): its parent is confined, the name kept."""
        relative = PurePosixPath(self.relative(path))
        if relative.name in ("", "."):
            return self.root
        parent = self.follow(relative.parent.as_posix())
        if parent == self.root and relative.name == STATE_DIR:
            raise PathRefused(f"{path!r} is the server's state folder {STATE_DIR}/")
        return parent / relative.name

    def canonical(self, real: Path) -> str:
        """The SFTP name of a real path inside the root: "/" or "/a/b"."""
        relative = real.relative_to(self.root).as_posix()
        return "/" if relative == "." else f"/{relative}"

    def _checked(self, real: Path, path: str) -> Path:
        # a symlink inside the project may still point into the state folder
        if real == self._state or self._state in real.parents:
            raise PathRefused(f"{path!r} leads into the server's state folder {STATE_DIR}/")
        return real
