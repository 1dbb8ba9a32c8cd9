"""Packages in the browser kernel: micropip installs from the project's index only.

The kernel can reach nothing but the project server, so micropip's index is the
project's own (its default, PyPI, is dropped: no silent fallback). ``%pip`` (and
``!pip``) lines in a cell become ``await pip("...")``: a line magic cannot await, and
installing means fetching. The install's progress is micropip's own log, printed as the
cell's output; a package that is not in the index is an error that names it and the
command that adds it.
"""

from __future__ import annotations

import re
import shlex
import sys

ADD_COMMAND = "cocalc-compute wheels add PROJECT_DIR"
PIP_LINE = re.compile(r"^(\s*)[%!]pip\s+(.*?)\s*$")
FAILED = re.compile(r"Can't find a pure Python 3 wheel for: (.*)")
INSTALL_FLAGS = {
    "-q": "quiet",
    "--quiet": "quiet",
    "--pre": "pre",
    "--no-deps": "no_deps",
    "-U": "upgrade",
    "--upgrade": "upgrade",
}

index_url = ""
"""The project's index (set by `use_project_index`)."""


class PackageNotFoundError(Exception):
    """A package the project's index does not have for the browser kernel."""


class _CurrentStdout:
    """Writes to whatever sys.stdout is at the time: the running cell's stream."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def use_project_index(url: str) -> None:
    """Point micropip at the project's index, and only there (kernel_side.start)."""
    global index_url
    import logging

    import micropip
    from micropip.logging import setup_logging

    index_url = url
    micropip.set_index_urls([url])
    setup_logging()  # micropip's handler is made once, on the stdout of that moment
    for handler in logging.getLogger("micropip").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(_CurrentStdout())


def pip_lines(lines: list[str]) -> list[str]:
    """IPython input transformer: ``%pip ARGS`` -> ``await ...pip("ARGS")``."""
    out = []
    for line in lines:
        match = PIP_LINE.match(line)
        if match is None:
            out.append(line)
            continue
        indent, args = match.groups()
        call = f'__import__("{__name__}", fromlist=["pip"]).pip({args!r})'
        out.append(f"{indent}await {call}\n")
    return out


async def pip(line: str) -> None:
    """``%pip install|uninstall|list`` with micropip."""
    args = shlex.split(line)
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command == "install":
        await _install(rest)
    elif command == "uninstall":
        import micropip

        micropip.uninstall([a for a in rest if not a.startswith("-")], verbose=True)
    elif command == "list":
        import micropip

        for name, package in sorted(micropip.list().items()):
            print(f"{name:<30} {package.version}")
    else:
        raise ValueError(
            f"%pip {command}: the browser kernel's %pip knows install, uninstall and list"
        )


async def _install(args: list[str]) -> None:
    import micropip

    options: dict[str, bool] = {}
    requirements = []
    for arg in args:
        if arg.startswith("-"):
            if arg not in INSTALL_FLAGS:
                known = ", ".join(INSTALL_FLAGS)
                raise ValueError(f"%pip install {arg}: not supported here (only {known})")
            options[INSTALL_FLAGS[arg]] = True
        else:
            requirements.append(arg)
    if not requirements:
        raise ValueError("%pip install: name the packages to install")
    try:
        await micropip.install(
            requirements,
            keep_going=True,
            deps=not options.get("no_deps"),
            pre=options.get("pre", False),
            reinstall=options.get("upgrade", False),
            verbose=not options.get("quiet"),
        )
    except ValueError as error:
        missing = FAILED.search(str(error))
        if missing is None:
            raise
        names = re.findall(r"'([^']+)'", missing.group(1))
        raise PackageNotFoundError(not_found_message(names)) from None


def not_found_message(requirements: list[str]) -> str:
    names = " ".join(shlex.quote(r) for r in requirements)
    listed = ", ".join(repr(r) for r in requirements)
    return (
        f"{listed}: no wheel that fits the browser kernel in this project's package "
        f"index ({index_url}/), the only place it installs from. On the machine that "
        f"serves the project, add it with: {ADD_COMMAND} {names}"
    )
