"""Which wheels the browser kernel can install, and what its environment markers are.

The kernel is Pyodide 314 (CPython 3.14 for Emscripten, ABI 2026_0): it installs
pure wheels (``py3-none-any`` and kin) and wheels built for it
(``cp314-cp314-pyemscripten_2026_0_wasm32``, ``cp3X-abi3-pyemscripten_2026_0_wasm32``).
The order of `browser_tags` is the order of preference, as `packaging.tags.sys_tags`
would give it inside the kernel.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

PYTHON = "3.14.2"
"""The browser kernel's Python (Pyodide 314.0.7's lock: info.python)."""
PLATFORM = "pyemscripten_2026_0_wasm32"
"""The platform tag of wheels built for Pyodide's ABI 2026_0."""
FITS = f"py3-none-any, or cp314/abi3 for {PLATFORM}"
"""The browser-fit wheels, as messages name them."""


@cache
def browser_tags(python: str = PYTHON, platform: str = PLATFORM) -> tuple[Tag, ...]:
    """Every tag the kernel accepts, most preferred first."""
    version = tuple(int(part) for part in python.split(".")[:2])
    interpreter = f"cp{version[0]}{version[1]}"
    return (
        *cpython_tags(version, abis=[interpreter, "abi3", "none"], platforms=[platform]),
        *compatible_tags(version, interpreter, platforms=[platform]),
    )


@cache
def _rank_of_tag() -> dict[Tag, int]:
    return {tag: rank for rank, tag in enumerate(browser_tags())}


def fit_rank(filename: str) -> int | None:
    """How well a wheel fits the browser kernel (0 best), None when it does not fit or
    is no wheel at all."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return None
    ranks = [_rank_of_tag()[tag] for tag in tags if tag in _rank_of_tag()]
    return min(ranks) if ranks else None


def best_fit(filenames: Iterable[str]) -> str | None:
    """The file a browser kernel would install among files of one release."""
    ranked = [(rank, name) for name in filenames if (rank := fit_rank(name)) is not None]
    return min(ranked)[1] if ranked else None


def browser_environment(python: str = PYTHON, extra: str = "") -> dict[str, str]:
    """Marker values as a Pyodide kernel reports them, for evaluating Requires-Dist."""
    return {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "posix",
        "platform_machine": "wasm32",
        "platform_release": "",
        "platform_system": "Emscripten",
        "platform_version": "",
        "sys_platform": "emscripten",
        "python_version": ".".join(python.split(".")[:2]),
        "python_full_version": python,
        "platform_python_implementation": "CPython",
        "extra": extra,
    }
