"""Confine client-given paths to the project folder.

Clients name documents and files by paths relative to the project. Anything that would
reach outside it (absolute paths, `..`, a symlink pointing out) or into the server's own
state folder is refused, with the reason in the message.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from .store import STATE_DIR


class PathRefused(Exception):
    """A client-given path is not a path inside the project."""


def project_path(project_dir: Path, path: str) -> Path:
    """The real path of `path` inside `project_dir`, or PathRefused."""
    if not isinstance(path, str) or not path:
        raise PathRefused("a path must be a non-empty string")
    if "\0" in path:
        raise PathRefused(f"{path!r} contains a NUL byte")
    relative = PurePosixPath(path)
    if relative.is_absolute():
        raise PathRefused(f"{path!r} is absolute; paths are relative to the project")
    if ".." in relative.parts:
        raise PathRefused(f"{path!r} goes up with '..', out of the project")
    if relative.parts and relative.parts[0] == STATE_DIR:
        raise PathRefused(f"{path!r} is inside the server's state folder {STATE_DIR}/")
    root = project_dir.resolve()
    try:
        resolved = (root / relative).resolve()
    except RuntimeError:  # Python < 3.13 on a symlink loop; later ones resolve what they can
        raise PathRefused(f"{path!r} leads into a loop of symbolic links") from None
    if resolved != root and root not in resolved.parents:
        raise PathRefused(f"{path!r} leads out of the project (through a symbolic link)")
    return resolved


def relative_name(project_dir: Path, path: str) -> str:
    """The canonical name of a document: its confined path relative to the project."""
    return project_path(project_dir, path).relative_to(project_dir.resolve()).as_posix()
