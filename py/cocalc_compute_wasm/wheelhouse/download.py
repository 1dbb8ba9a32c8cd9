"""The IO shell of `wheels add`: pip fetches one browser-fit wheel per `Need`.

pip (with the machine's own pip configuration: index, proxy, certificates) picks the
newest release that has a wheel for the browser kernel's tags; it is told not to follow
dependencies, since it would evaluate their markers for this host. `Resolution` does
that part, as the browser sees it.
"""

from __future__ import annotations

import email.parser
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .folder import Wheel, Wheelhouse
from .resolve import Need, Resolution, parse_requirements
from .tags import FITS, PLATFORM, PYTHON, fit_rank


class DownloadError(Exception):
    """Some requirement has no browser-ready wheel (each problem is one line)."""


@dataclass(frozen=True)
class Fetched:
    path: Path
    requires: list[str]


def pip_command(need: Need, dest: Path, python: str = PYTHON) -> list[str]:
    version = "".join(python.split(".")[:2])
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--python-version",
        ".".join(python.split(".")[:2]),
        "--implementation",
        "cp",
        "--abi",
        f"cp{version}",
        "--abi",
        "abi3",
        "--abi",
        "none",
        "--platform",
        PLATFORM,
        "--dest",
        str(dest),
        need.requirement,
    ]


def wheel_requires(wheel: Path) -> list[str]:
    """The Requires-Dist lines of a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [
            n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        metadata = email.parser.Parser().parsestr(zf.read(name).decode())
    return metadata.get_all("Requires-Dist") or []


def pip_fetch(need: Need, dest: Path) -> Fetched | str:
    """The wheel pip picks for `need`, or why there is none."""
    result = subprocess.run(pip_command(need, dest), capture_output=True, text=True)
    wheels = list(dest.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
        if any("No matching distribution" in line for line in errors):
            return f"no browser-ready wheel ({FITS}) on the package index"
        return "pip download failed: " + ("; ".join(errors) or result.stderr.strip()[-300:])
    (wheel,) = wheels
    if fit_rank(wheel.name) is None:  # pip's tags are ours: this would be a bug
        return f"pip chose {wheel.name}, which does not fit the browser kernel"
    return Fetched(wheel, wheel_requires(wheel))


def add_wheels(
    wheelhouse: Wheelhouse,
    typed: list[str],
    report: Callable[[str], None] = lambda line: None,
) -> list[Wheel]:
    """Resolve `typed` for the browser and put the wheels in the wheelhouse: all of them,
    or (when any requirement has no browser-ready wheel) none."""
    resolution = Resolution(parse_requirements(typed))
    with tempfile.TemporaryDirectory(prefix="cocalc-wheels-") as tmp:
        fetched: dict[str, Path] = {}
        while (need := resolution.next_need()) is not None:
            dest = Path(tmp) / f"{need.name}-{len(fetched)}"
            dest.mkdir()
            report(f"looking for {need.requirement}")
            answer = pip_fetch(need, dest)
            if isinstance(answer, str):
                resolution.missing(need, answer)
                continue
            resolution.found(need, answer.path.name, answer.requires)
            fetched[answer.path.name] = answer.path
        if resolution.problems:
            raise DownloadError("\n".join(resolution.problems))
        added = [wheelhouse.add(fetched[f]) for f in resolution.wheels.values()]
    for wheel in added:
        report(f"added {wheel.path.name}")
    return added
