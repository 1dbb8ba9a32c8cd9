"""The browser distribution that build.py writes, as the server sees it."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

BUILD_INFO = "build-info.json"


class DistError(Exception):
    """The distribution folder is missing, incomplete or unreadable."""


def default_dist_dir() -> Path:
    """$COCALC_COMPUTE_DIST, else build/web of the checkout this package runs from."""
    if configured := os.environ.get("COCALC_COMPUTE_DIST"):
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "build" / "web"


@dataclass(frozen=True)
class Snapshot:
    file: str
    """Relative to the distribution's root: snapshots/<kind>-<hash>.bin"""
    sha256: str

    @property
    def integrity(self) -> str:
        """The file's hash as a fetch() integrity string (Subresource Integrity)."""
        return "sha256-" + base64.b64encode(bytes.fromhex(self.sha256)).decode()


@dataclass(frozen=True)
class BrowserDist:
    root: Path
    pyodide_version: str
    package_version: str
    package_extras: tuple[str, ...]
    micropip_wheel: str
    boot_wheels: dict[str, tuple[str, ...]]
    """What each browser worker loads when it boots: "worker" (the compute worker) and
    "kernel" (a kernel worker)."""
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    """Pyodide memory snapshots a kind of worker may boot from (now "kernel"); none in a
    build that predates them."""

    @classmethod
    def open(cls, root: Path | None = None) -> BrowserDist:
        root = (root or default_dist_dir()).resolve()
        info_path = root / BUILD_INFO
        try:
            info = json.loads(info_path.read_text())
        except FileNotFoundError:
            raise DistError(
                f"{root} holds no complete browser build ({BUILD_INFO} is missing): "
                "run `python build.py`"
            ) from None
        except (OSError, json.JSONDecodeError) as error:
            raise DistError(f"{info_path} is unreadable: {error}") from None
        micropip = [w["file"] for w in info["wheels"] if w["file"].startswith("micropip-")]
        if not micropip:
            raise DistError(f"{info_path} lists no micropip wheel: run `python build.py`")
        package = info["package"]
        extras = tuple(package.get("extras", ()))
        boot = {kind: tuple(files) for kind, files in info.get("boot", {}).items()}
        if set(boot) != {"worker", "kernel"}:
            raise DistError(f"{info_path} lists no boot wheels: run `python build.py`")
        snapshots = {
            kind: Snapshot(entry["file"], entry["sha256"])
            for kind, entry in info.get("snapshots", {}).items()
        }
        return cls(root, info["pyodide"], package["version"], extras, micropip[0], boot, snapshots)

    @property
    def app_dir(self) -> Path:
        return self.root / "app"

    @property
    def pyodide_dir(self) -> Path:
        return self.root / "pyodide" / self.pyodide_version

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    @property
    def wheels_dir(self) -> Path:
        return self.root / "wheels"
