"""Make a Python restored from a Pyodide memory snapshot a fresh process again.

build.py's snapshot (tools/kernel-snapshot.mjs) holds a Python that has imported
IPython and our kernel on the build machine, in Node. Every kernel worker restored from
it starts from that same memory, so whatever the imports seeded or cached there would
be shared by all of them, and would describe the build machine, not this browser:

- ``random``'s generator state: every kernel would draw the same numbers. Re-seeded
  from ``os.urandom`` (the browser's crypto.getRandomValues), as at a normal start;
  ``tempfile``'s name generator too. ``secrets``, ``uuid.uuid4`` and ``SystemRandom``
  read ``os.urandom`` at each call and need nothing.
- the time zone: the C library's (``%Z``) and ``time.timezone``/``altzone``/
  ``daylight``/``tzname`` were set from the build machine's zone; they are read again
  from this browser's clock (Pyodide's ``time`` has no ``tzset()``: the C library's is
  called, then the module's values are set as CPython computes them at import).
- import caches: the file system is not in a snapshot (it lives in JavaScript), the
  wheels' files were unpacked again after the restore.

What stays shared, by design: ``str``/``bytes`` hashes (the hash secret is drawn once at
interpreter start, so a snapshot's kernels behave as with a fixed ``PYTHONHASHSEED``;
only the iteration order of sets of strings shows it), and ``os.environ`` as Pyodide's
defaults set it (the same in Node and in a browser but for ``LANG``, which follows the
build machine's locale rather than the browser's language).
"""

from __future__ import annotations

import gc
import importlib
import random
import sys
import tempfile
import time


def after_restore() -> None:
    """Called once, right after the wheels' files are back (pyodide-boot.js)."""
    importlib.invalidate_caches()
    random.seed()
    tempfile._name_sequence = None  # type: ignore[attr-defined]
    refresh_time_zone()
    # Pyodide puts "" first on sys.path at each start, restored ones included
    while sys.path.count("") > 1:
        sys.path.remove("")
    # what the snapshot imported lives as long as the worker: keep the collector off it
    gc.freeze()


def refresh_time_zone() -> None:
    """The zone as Emscripten's libc sets it at start (from JavaScript's Date, named
    "UTC+HHMM"), into its C globals (``%Z``: its tzset() runs once only) and ``time``'s
    values (as CPython's init_timezone computes them: from January's and July's)."""
    import pyodide_js

    year = 365 * 24 * 3600
    january = int(time.time()) // year * year
    zones = [time.localtime(t).tm_gmtoff for t in (january, january + year // 2)]
    std, dst = min(zones), max(zones)  # daylight saving time is ahead of standard time
    names = [_zone_name(std), _zone_name(dst)]
    module = pyodide_js._module
    for i, name in enumerate(names):
        address = module.HEAPU32[(module._tzname >> 2) + i]
        if len(module.UTF8ToString(address)) == len(name):  # the same fixed-size format
            module.stringToUTF8(name, address, len(name) + 1)
    time.timezone, time.altzone = -std, -dst
    time.daylight = int(std != dst)
    time.tzname = tuple(names)


def _zone_name(gmtoff: int) -> str:
    minutes = abs(gmtoff) // 60
    return f"UTC{'+' if gmtoff > 0 else '-'}{minutes // 60:02d}{minutes % 60:02d}"
