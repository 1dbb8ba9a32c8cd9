#!/usr/bin/env python3
"""Build the browser distribution into build/web/.

The distribution is what the project server hands to a compute page: the Pyodide core
(from the npm package pinned in package-lock.json), the wheels the browser kernel
installs (pinned by file name and sha256 in pyproject.toml), our own wheel, and the page
itself (web/). It must be reproducible from a clean clone and cheap to re-run, so:

- every input is fingerprinted; when nothing changed the build does no work at all;
- build-info.json is deleted before any work and written last, so an interrupted or
  failed build never looks complete (the server refuses a distribution without it);
- each pinned wheel is verified against its hash, and the set is checked to close over
  our package's dependencies as the browser (sys_platform == "emscripten") sees them.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from cocalc_compute_wasm.wheelhouse.tags import browser_environment

ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = ROOT / "build" / "web"
PACKAGE_NAME = "cocalc-compute-wasm"
BUILD_INFO = "build-info.json"
# The files of the npm package that a module worker needs: no classic-script loader,
# no source maps, no consoles.
PYODIDE_CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
SNAPSHOT_SCRIPT = ROOT / "tools" / "kernel-snapshot.mjs"
BUNDLED = "bundled"  # web/bundled/*.js import npm packages: bundled into app/, not copied


class BuildError(Exception):
    """A build step failed; the message says which input and why."""


@dataclass(frozen=True)
class PinnedWheel:
    file: str
    sha256: str

    @property
    def name(self) -> str:
        return canonicalize_name(parse_wheel_filename(self.file)[0])

    @property
    def version(self) -> str:
        return str(parse_wheel_filename(self.file)[1])

    @property
    def label(self) -> str:
        return f"{self.name} {self.version} ({self.file})"


@dataclass(frozen=True)
class BuildConfig:
    pyodide_version: str
    wheels: tuple[PinnedWheel, ...]
    extras: tuple[str, ...]  # of our package, as the browser's kernel workers install it
    lazy: tuple[str, ...] = ()  # served by the index, but not loaded when a kernel boots
    kernel_tools: tuple[str, ...] = ()  # loaded by every kernel, though no dependency of ours

    @classmethod
    def from_pyproject(cls, path: Path) -> BuildConfig:
        section = tomllib.loads(path.read_text())["tool"]["cocalc-compute-wasm"]["browser"]
        return cls(
            pyodide_version=section["pyodide"],
            wheels=tuple(PinnedWheel(w["file"], w["sha256"]) for w in section["wheels"]),
            extras=tuple(section.get("extras", ())),
            lazy=tuple(canonicalize_name(n) for n in section.get("lazy", ())),
            kernel_tools=tuple(canonicalize_name(n) for n in section.get("kernel_tools", ())),
        )


def log(message: str) -> None:
    print(f"build: {message}", flush=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(paths: Iterable[Path], *extra: str) -> str:
    """Hash of file names and contents: the identity of a step's inputs."""
    digest = hashlib.sha256()
    for text in extra:
        digest.update(text.encode() + b"\0")
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def package_sources() -> list[Path]:
    files = [p for p in (ROOT / "py").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [*files, ROOT / "pyproject.toml", ROOT / "README.md"]


def web_sources() -> list[Path]:
    return [p for p in (ROOT / "web").rglob("*") if p.is_file()]


def bundle_entries() -> list[Path]:
    """Modules of web/bundled/ that import npm packages: each becomes one file of app/."""
    return sorted((ROOT / "web" / BUNDLED).glob("*.js"))


def bundle(entry: Path, target: Path) -> None:
    """One self-contained ES module made by esbuild (pinned in package.json)."""
    npm_packages()
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    run(
        [
            str(esbuild),
            str(entry),
            "--bundle",
            "--format=esm",
            "--minify",
            "--legal-comments=none",
            "--log-level=warning",
            f"--outfile={target}",
        ],
        f"bundling web/{BUNDLED}/{entry.name}",
    )


def replace_dir(staging: Path, target: Path) -> None:
    """Swap a fully built staging folder into place, so a target is never half written."""
    staging.chmod(0o755)  # mkdtemp makes it private; the server may run as another user
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def write_json_atomic(path: Path, value: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def run(cmd: list[str], what: str, cwd: Path = ROOT) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise BuildError(f"{what} failed ({' '.join(cmd)}):\n{tail}")


# --- Pyodide core -----------------------------------------------------------------------


def npm_packages() -> None:
    """node_modules as package.json pins it, running `npm ci` when a package differs."""

    def stale() -> list[str]:
        manifest = json.loads((ROOT / "package.json").read_text())
        pins = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
        wrong = []
        for name, version in pins.items():
            installed = ROOT / "node_modules" / name / "package.json"
            if not installed.exists() or json.loads(installed.read_text())["version"] != version:
                wrong.append(f"{name}@{version}")
        return wrong

    if wanted := stale():
        log(f"installing npm packages {', '.join(wanted)} (npm ci)")
        run(["npm", "ci", "--no-audit", "--no-fund"], "npm ci")
    if wanted := stale():
        raise BuildError(
            f"node_modules lacks {', '.join(wanted)} after npm ci: update package.json and "
            "package-lock.json together"
        )


def npm_pyodide_dir(version: str) -> Path:
    """node_modules/pyodide, which must be the version that pyproject.toml pins."""
    npm_packages()
    package_dir = ROOT / "node_modules" / "pyodide"
    installed = json.loads((package_dir / "package.json").read_text())["version"]
    if installed != version:
        raise BuildError(
            f"package.json pins pyodide@{installed}, but pyproject.toml pins {version}: "
            "change them together"
        )
    return package_dir


def build_pyodide(out: Path, version: str) -> None:
    target = out / "pyodide" / version
    source = npm_pyodide_dir(version)
    staging = Path(tempfile.mkdtemp(prefix=".staging-pyodide-", dir=out))
    for name in PYODIDE_CORE_FILES:
        shutil.copy2(source / name, staging / name)
    # Pyodide's lock names ~350 packages whose wheels the npm package does not ship; a
    # lookup by name would fail its integrity check and only log it. We serve our own
    # index instead, so the lock keeps its runtime facts and lists no packages.
    lock = json.loads((source / "pyodide-lock.json").read_text())
    write_json_atomic(staging / "pyodide-lock.json", {"info": lock["info"], "packages": {}})
    (out / "pyodide").mkdir(exist_ok=True)
    for stale in (out / "pyodide").iterdir():
        if stale.name != version:
            shutil.rmtree(stale)
    replace_dir(staging, target)
    log(f"pyodide {version} core copied ({len(PYODIDE_CORE_FILES)} files)")


def pyodide_python_version(out: Path, version: str) -> str:
    lock = json.loads((out / "pyodide" / version / "pyodide-lock.json").read_text())
    return lock["info"]["python"]


# --- wheels -------------------------------------------------------------------------------


def download_wheel(pin: PinnedWheel, wheels_dir: Path) -> None:
    """Fetch one pinned wheel with pip (so the machine's pip configuration applies)."""
    target = wheels_dir / pin.file
    if target.exists() and sha256_of(target) == pin.sha256:
        return
    _, _, _, tags = parse_wheel_filename(pin.file)
    tag = next(iter(tags))
    with tempfile.TemporaryDirectory(dir=wheels_dir) as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--python-version",
            "3.14",
            "--dest",
            tmp,
            f"{pin.name}=={pin.version}",
        ]
        if tag.platform != "any":
            cmd[4:4] = ["--platform", tag.platform, "--abi", tag.abi, "--implementation", "cp"]
        run(cmd, f"downloading {pin.label}")
        got = Path(tmp) / pin.file
        if not got.exists():
            found = ", ".join(p.name for p in Path(tmp).iterdir()) or "nothing"
            raise BuildError(f"downloading {pin.label}: pip fetched {found}, not {pin.file}")
        actual = sha256_of(got)
        if actual != pin.sha256:
            raise BuildError(
                f"downloading {pin.label}: sha256 {actual} does not match the pin {pin.sha256}"
            )
        os.replace(got, target)
    log(f"downloaded {pin.label}")


def build_own_wheel(wheels_dir: Path) -> Path:
    for old in wheels_dir.glob("cocalc_compute_wasm-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory(dir=wheels_dir) as tmp:
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--disable-pip-version-check",
                "--wheel-dir",
                tmp,
                str(ROOT),
            ],
            f"building the {PACKAGE_NAME} wheel",
        )
        (built,) = Path(tmp).glob("*.whl")
        tags = parse_wheel_filename(built.name)[3]
        if {str(t) for t in tags} != {"py3-none-any"}:
            raise BuildError(f"{built.name} is not a py3-none-any wheel: the browser needs one")
        os.replace(built, wheels_dir / built.name)
    log(f"built {built.name}")
    return wheels_dir / built.name


def wheel_requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as zf:
        (metadata_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(zf.read(metadata_name).decode())
    return [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]


def closure(
    wheels: list[Path], root: str, python_version: str, extras: tuple[str, ...] = ()
) -> list[Path]:
    """The wheels that `root[extras]` needs in the browser, `root`'s first. Every
    requirement must be met by a wheel we serve: the browser can reach nothing else."""
    by_name = {canonicalize_name(parse_wheel_filename(w.name)[0]): w for w in wheels}
    todo, seen = [(canonicalize_name(root), ("", *extras))], {}
    while todo:
        name, wanted_extras = todo.pop()
        if name in seen:
            continue
        seen[name] = by_name[name]
        for req in wheel_requirements(by_name[name]):
            if req.marker and not any(
                req.marker.evaluate(browser_environment(python_version, extra))
                for extra in wanted_extras
            ):
                continue
            dependency = canonicalize_name(req.name)
            wheel = by_name.get(dependency)
            if wheel is None:
                raise BuildError(
                    f"{name} requires {req}, but no wheel for {dependency} is pinned in "
                    "[tool.cocalc-compute-wasm.browser] of pyproject.toml"
                )
            version = parse_wheel_filename(wheel.name)[1]
            if not req.specifier.contains(version, prereleases=True):
                raise BuildError(f"{name} requires {req}, but the pinned wheel is {wheel.name}")
            todo.append((dependency, ("", *req.extras)))
    return list(seen.values())


# --- the kernel's memory snapshot ---------------------------------------------------------


def build_kernel_snapshot(out: Path, version: str, wheels: list[Path], previous: dict) -> dict:
    """A Pyodide memory snapshot of a kernel worker that has imported IPython and our
    kernel (tools/kernel-snapshot.mjs makes it with Node). Named by its content's hash,
    so that it can be served as immutable; remade only when its inputs change."""
    snapshots = out / "snapshots"
    wanted = fingerprint(
        [SNAPSHOT_SCRIPT, ROOT / "package-lock.json"],
        version,
        *(f"{w.name}={sha256_of(w)}" for w in wheels),
    )
    old = previous.get("snapshots", {}).get("kernel")
    if old and old.get("fingerprint") == wanted and (out / old["file"]).exists():
        return old
    node = shutil.which("node")
    if node is None:
        raise BuildError(
            "Node.js (20 or newer) is needed to make the kernel's Pyodide memory snapshot: "
            "install it (Debian: apt-get install nodejs)"
        )
    snapshots.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=snapshots) as tmp:
        made = Path(tmp) / "kernel.bin"
        core = out / "pyodide" / version
        run(
            [node, str(SNAPSHOT_SCRIPT), str(core), str(out / "wheels"), str(made)]
            + [w.name for w in wheels],
            "making the kernel snapshot with Node",
        )
        digest = sha256_of(made)
        name = f"kernel-{digest[:16]}.bin"
        for stale in snapshots.glob("*.bin"):
            stale.unlink()
        os.replace(made, snapshots / name)
    size = (snapshots / name).stat().st_size
    log(f"kernel snapshot {name} made ({size / 2**20:.1f} MiB)")
    return {"file": f"snapshots/{name}", "sha256": digest, "fingerprint": wanted}


# --- the whole build ----------------------------------------------------------------------


def input_fingerprint(config: BuildConfig) -> str:
    return fingerprint(
        [
            *package_sources(),
            *web_sources(),
            ROOT / "package.json",
            ROOT / "package-lock.json",
            Path(__file__),
            SNAPSHOT_SCRIPT,
        ],
        config.pyodide_version,
        *config.extras,
        *config.lazy,
        *config.kernel_tools,
        *(f"{w.file}={w.sha256}" for w in config.wheels),
    )


def read_build_info(out: Path) -> dict | None:
    try:
        return json.loads((out / BUILD_INFO).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_complete(out: Path, info: dict) -> bool:
    files = [out / "pyodide" / info["pyodide"] / n for n in PYODIDE_CORE_FILES]
    files += [out / "wheels" / w["file"] for w in info["wheels"]]
    files += [out / "app" / n for n in info["app"]]
    files += [out / s["file"] for s in info.get("snapshots", {}).values()]
    return all(f.exists() for f in files)


def build(out: Path = DEFAULT_OUT, config: BuildConfig | None = None) -> dict:
    """Bring `out` up to date and return its build info; a no-op when it already is."""
    config = config or BuildConfig.from_pyproject(ROOT / "pyproject.toml")
    wanted = input_fingerprint(config)
    info = read_build_info(out)
    if info and info["fingerprint"] == wanted and is_complete(out, info):
        log(f"{out} is up to date")
        return info

    out.mkdir(parents=True, exist_ok=True)
    (out / BUILD_INFO).unlink(missing_ok=True)
    for leftover in out.glob(".staging-*"):
        shutil.rmtree(leftover)

    previous = info or {}
    pyodide_fingerprint = fingerprint([ROOT / "package-lock.json"])
    package_fingerprint = fingerprint(package_sources())
    core = out / "pyodide" / config.pyodide_version
    core_current = previous.get("pyodide_fingerprint") == pyodide_fingerprint
    if not core_current or not all((core / n).exists() for n in PYODIDE_CORE_FILES):
        build_pyodide(out, config.pyodide_version)

    wheels_dir = out / "wheels"
    wheels_dir.mkdir(exist_ok=True)
    pinned = {w.file for w in config.wheels}
    for stale in wheels_dir.glob("*.whl"):
        if stale.name not in pinned and not stale.name.startswith("cocalc_compute_wasm-"):
            stale.unlink()
    for pin in config.wheels:
        download_wheel(pin, wheels_dir)

    own = next(iter(wheels_dir.glob("cocalc_compute_wasm-*.whl")), None)
    if own is None or previous.get("package_fingerprint") != package_fingerprint:
        own = build_own_wheel(wheels_dir)
    all_wheels = [wheels_dir / w.file for w in config.wheels] + [own]
    python_version = pyodide_python_version(out, config.pyodide_version)
    worker_wheels = closure(all_wheels, PACKAGE_NAME, python_version)
    kernel_wheels = closure(all_wheels, PACKAGE_NAME, python_version, config.extras)
    kernel_names = {w: canonicalize_name(parse_wheel_filename(w.name)[0]) for w in kernel_wheels}
    for name in set(config.lazy) - set(kernel_names.values()):
        raise BuildError(f"lazy wheel {name} is not a dependency of {PACKAGE_NAME}")
    kernel_boot = [w for w in kernel_wheels if kernel_names[w] not in config.lazy]
    for tool in config.kernel_tools:
        pin = next((w for w in config.wheels if w.name == tool), None)
        if pin is None:
            raise BuildError(f"kernel tool {tool} has no pinned wheel")
        kernel_boot.append(wheels_dir / pin.file)

    kernel_snapshot = build_kernel_snapshot(out, config.pyodide_version, kernel_boot, previous)

    staging = Path(tempfile.mkdtemp(prefix=".staging-app-", dir=out))
    app_files = []
    for source in web_sources():
        relative = source.relative_to(ROOT / "web")
        if relative.parts[0] == BUNDLED:
            continue
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, staging / relative)
        app_files.append(str(relative))
    for entry in bundle_entries():
        bundle(entry, staging / entry.name)
        app_files.append(entry.name)
        log(f"bundled web/{BUNDLED}/{entry.name} with esbuild")
    replace_dir(staging, out / "app")

    info = {
        "fingerprint": wanted,
        "pyodide_fingerprint": pyodide_fingerprint,
        "package_fingerprint": package_fingerprint,
        "pyodide": config.pyodide_version,
        "package": {
            "name": PACKAGE_NAME,
            "version": parse_version_of(own),
            "wheel": own.name,
            "extras": list(config.extras),
        },
        "wheels": [{"file": w.name, "sha256": sha256_of(w)} for w in all_wheels],
        # what each kind of worker loads when it boots (the compute worker needs no kernel)
        "boot": {
            "worker": [w.name for w in worker_wheels],
            "kernel": [w.name for w in kernel_boot],
        },
        "app": sorted(app_files),
        # memory snapshots that a worker may boot from instead (kernel.js; the wheels'
        # files are not in it: the worker still loads its boot wheels)
        # The compute worker restores the kernel's too: one download, and its runtime
        # up at once; the IPython it does not use costs it a few MiB of heap.
        "snapshots": {"kernel": kernel_snapshot, "worker": kernel_snapshot},
    }
    write_json_atomic(out / BUILD_INFO, info)
    log(f"{out} built: {PACKAGE_NAME} {info['package']['version']}, {len(all_wheels)} wheels")
    return info


def parse_version_of(wheel: Path) -> str:
    return str(parse_wheel_filename(wheel.name)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    try:
        build(args.out.resolve())
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
