"""The mount point's state: mounted or not, and a stale FUSE mount cleared.

A FUSE process that dies without unmounting leaves its mount point answering every call
with ENOTCONN ("Transport endpoint is not connected") until someone unmounts it; the
next start does that (fusermount3 -u, lazily if it is still busy) and says so.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["MountError", "is_mounted", "prepare", "unmount"]


class MountError(Exception):
    """The mount point cannot be used, or FUSE is missing: the message says why."""


def is_mounted(directory: Path) -> bool:
    """Whether the kernel lists `directory` as a mount point (works on a stale one,
    where os.path.ismount fails)."""
    target = os.path.realpath(directory)
    with open("/proc/self/mountinfo", encoding="utf-8") as table:
        for line in table:
            point = line.split()[4].replace("\\040", " ").replace("\\011", "\t")
            if point.replace("\\134", "\\") == target:
                return True
    return False


def fusermount() -> str:
    found = shutil.which("fusermount3")
    if found is None:
        raise MountError("fusermount3 is missing: install Debian's fuse3 (apt-get install fuse3)")
    return found


def unmount(directory: Path) -> None:
    """Unmount `directory`; lazily (detached, finished once no one uses it) if busy."""
    command = fusermount()
    plain = subprocess.run([command, "-u", str(directory)], capture_output=True, text=True)
    if plain.returncode == 0:
        return
    lazy = subprocess.run([command, "-u", "-z", str(directory)], capture_output=True, text=True)
    if lazy.returncode != 0:
        raise MountError(
            f"cannot unmount {directory}: {plain.stderr.strip()}; lazily: {lazy.stderr.strip()}"
        )
    log.warning("%s was busy: unmounted lazily (%s)", directory, plain.stderr.strip())


def prepare(directory: Path) -> None:
    """Make `directory` ready to mount on: clear a stale mount, refuse a live one."""
    if not os.path.exists("/dev/fuse"):
        raise MountError("/dev/fuse is missing: this machine (or container) has no FUSE")
    try:
        os.stat(directory)
    except OSError as error:
        if error.errno != errno.ENOTCONN:
            raise MountError(f"cannot use {directory} as a mount point: {error}") from None
        log.warning(
            "%s is a stale FUSE mount (%s: its process died without unmounting); clearing it",
            directory,
            os.strerror(errno.ENOTCONN),
        )
        unmount(directory)
        log.warning("%s: stale mount cleared", directory)
    if is_mounted(directory):
        raise MountError(f"{directory} is already a mount point in use: unmount it first")
    if not directory.is_dir():
        raise MountError(f"{directory} is not a folder: make it first (mkdir {directory})")
