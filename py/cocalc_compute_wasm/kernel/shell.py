"""The InteractiveShell a Kernel runs cells in, configured as a Jupyter kernel's shell.

What differs from a terminal IPython, and why:
- outputs are captured (see `capture`) and every traceback becomes an error output;
- cells are named as ipykernel names them, `<hash>.py` in a folder that does not exist:
  IPython then renders cell frames in tracebacks the way Jupyter users see them (its
  fast path, no expression highlighting) and a SyntaxError reads `invalid syntax
  (1234.py, line 1)` in both kernels;
- history lives in memory: the history file would start a saving thread, and Pyodide
  cannot start threads;
- no virtualenv warning, no pager, matplotlib's inline backend when it is installed
  (ipykernel does the same: a kernel has no terminal);
- the shell does not take over `sys.modules["__main__"]` for good: the kernel installs
  its user module there only while a cell runs, so that two shells in one process stay
  apart;
- `!cmd` runs through IPython's own `system` in CPython and fails with a clear message in
  the browser, where there are no processes.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any, NoReturn

from IPython.core.compilerop import CachingCompiler
from IPython.core.interactiveshell import InteractiveShell
from traitlets import Type
from traitlets.config import Config

from .capture import CellDisplayHook, CellDisplayPublisher, outside_cell
from .events import KernelEvent, Output

IN_BROWSER = sys.platform == "emscripten"
NO_PROCESSES = "shell commands (!cmd) cannot run in the browser kernel: it has no processes"


def no_processes(shell: InteractiveShell, *args: Any, **kwargs: Any) -> NoReturn:
    """`!cmd` and `x = !cmd` in the browser (IPython's own error just says "Not available")."""
    raise OSError(NO_PROCESSES)


def murmur2(data: bytes, seed: int) -> int:
    """MurmurHash2, 32-bit: the hash ipykernel names cells by (seed 0xC70F6907)."""
    m = 0x5BD1E995
    h = seed ^ len(data)
    end = len(data) & ~3
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little") * m & 0xFFFFFFFF
        k = (k ^ k >> 24) * m & 0xFFFFFFFF
        h = (h * m & 0xFFFFFFFF) ^ k
    if end < len(data):
        h = (h ^ int.from_bytes(data[end:], "little")) * m & 0xFFFFFFFF
    h = (h ^ h >> 13) * m & 0xFFFFFFFF
    return h ^ h >> 15


class CellCompiler(CachingCompiler):
    """Names a cell by the hash of its source, as ipykernel's XCachingCompiler does."""

    folder = os.path.join(tempfile.gettempdir(), f"ipykernel_{os.getpid()}")

    def get_code_name(self, raw_code: str, transformed_code: str, number: int) -> str:
        name = murmur2(raw_code.encode(), 0xC70F6907)
        return os.path.join(self.folder, f"{name}.py")


class KernelShell(InteractiveShell):
    """An InteractiveShell whose outputs go to `emit`, the running cell's callback."""

    compiler_class = Type(CellCompiler)
    displayhook_class = Type(CellDisplayHook)
    display_pub_class = Type(CellDisplayPublisher)
    displayhook: CellDisplayHook

    emit: Callable[[KernelEvent], None] = staticmethod(outside_cell)
    # Set when a traceback was shown while the display hook formatted a result: ipykernel
    # then reports the execution as failed although the cell itself raised nothing.
    displayhook_failed = False

    def init_sys_modules(self) -> None:
        pass

    def init_virtualenv(self) -> None:
        pass

    def init_environment(self) -> None:
        # As ipykernel: programs run by `!cmd` must not wait for a pager's key presses,
        # and matplotlib figures show inline without `%matplotlib inline`.
        os.environ["PAGER"] = "cat"
        os.environ["GIT_PAGER"] = "cat"
        if not os.environ.get("MPLBACKEND") and importlib.util.find_spec("matplotlib_inline"):
            os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

    def _showtraceback(self, etype: type[BaseException], evalue: BaseException, stb: list[str]):
        if self.displayhook.in_hook:
            self.displayhook_failed = True
        self.emit(
            Output(
                {
                    "output_type": "error",
                    "ename": etype.__name__,
                    "evalue": str(evalue),
                    "traceback": stb,
                }
            )
        )

    if IN_BROWSER:
        system = getoutput = no_processes


def make_shell() -> KernelShell:
    """A new shell with its own user namespace (not the process-wide `instance()`)."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return KernelShell(config=config)
