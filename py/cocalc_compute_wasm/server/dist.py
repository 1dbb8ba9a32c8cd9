"""The browser distribution that build.py writes, as the server sees it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
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
class BrowserDist:
    root: Path
    pyodide_version: str
    package_version: str
    package_extras: tuple[str, ...]
    micropip_wheel: str
    boot_wheels: dict[str, tuple[str, ...]]
    """What each browser worker loads when it boots: "worker" (the compute worker) and
    "kernel" (a kernel worker)."""

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
        return cls(root, info["pyodide"], package["version"], extras, micropip[0], boot)

    @property
    def app_dir(self) -> Path:
        return self.root / "app"

    @property
    def pyodide_dir(self) -> Path:
        return self.root / "pyodide" / self.pyodide_version

    @property
    def wheels_dir(self) -> Path:
        return self.root / "wheels"
