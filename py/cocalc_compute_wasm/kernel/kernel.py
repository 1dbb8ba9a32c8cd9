"""The Kernel: runs one cell at a time in its own IPython shell and reports what happens."""

from __future__ import annotations

import asyncio
import builtins
import getpass
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol, runtime_checkable

from IPython.core.error import StdinNotImplementedError
from traitlets.config import SingletonConfigurable

from .capture import CellStream, outside_cell
from .events import ExecuteReply, KernelEvent
from .shell import KernelShell, make_shell

Emit = Callable[[KernelEvent], None]
Stdin = Callable[[str, bool], str]
"""Answers input() and getpass(): (prompt, password) -> the line typed, without newline."""
NO_STDIN = "was called, but this frontend does not support input requests."

# The classes whose `instance()` IPython's display(), clear_output() and get_ipython() ask.
_SINGLETONS = [
    cls
    for cls in KernelShell.mro()
    if issubclass(cls, SingletonConfigurable) and cls is not SingletonConfigurable
]


@runtime_checkable
class KernelInterface(Protocol):
    """What a runner needs from a kernel. Interrupt and restart are not methods: a kernel
    is interrupted by SIGINT (or Pyodide's interrupt buffer) raising KeyboardInterrupt in
    the cell, and restarted by replacing its process or worker."""

    async def execute(self, code: str, emit: Emit) -> ExecuteReply: ...


class Kernel:
    """An IPython kernel without Jupyter's messaging: `execute` runs a cell and calls
    `emit` with each output as it happens.

    Process-wide state (sys.stdout and stderr, input(), getpass(), `__main__`, the
    working directory, IPython's current shell, the SIGINT handler) belongs to this
    kernel only while one of its cells runs, and is put back afterwards; so several
    kernels can live in one process, one cell at a time.
    """

    def __init__(self, stdin: Stdin | None = None, cwd: str | os.PathLike[str] | None = None):
        self._stdin = stdin
        self._cwd = os.path.abspath(cwd if cwd is not None else os.getcwd())
        self.shell = make_shell()
        self._stdout = CellStream(self.shell, "stdout")
        self._stderr = CellStream(self.shell, "stderr")

    async def execute(self, code: str, emit: Emit) -> ExecuteReply:
        """Run one cell as ipykernel's `do_execute` does: cells with top-level `await`
        run as a task on the running loop, others straight through."""
        shell = self.shell
        result = None
        with self._running(emit):
            try:
                try:
                    transformed = shell.transform_cell(code)
                    failed = None
                except Exception:
                    transformed, failed = code, sys.exc_info()
                run = shell.run_cell_async(
                    code,
                    store_history=True,
                    transformed_cell=transformed,
                    preprocessing_exc_tuple=failed,
                )
                if shell.should_run_async(
                    code, transformed_cell=transformed, preprocessing_exc_tuple=failed
                ):
                    task = asyncio.ensure_future(run)
                    with _sigint(_interrupt_task(task)):
                        result = await task
                else:
                    with _sigint(signal.default_int_handler):
                        result = await run
            except KeyboardInterrupt:
                # Arrived in IPython's own code around the cell rather than in the cell.
                shell.showtraceback()
            finally:
                shell.events.trigger("post_execute")
                shell.events.trigger("post_run_cell", result)
        if result is None:
            return ExecuteReply("error", shell.execution_count - 1)
        ok = result.success and not shell.displayhook_failed
        return ExecuteReply("ok" if ok else "error", result.execution_count)

    # input() and getpass() behave as ipykernel's: same errors, same messages, and the
    # check in the function the cell called, so that a traceback has the same frames.

    def _input(self, prompt: object = "") -> str:
        if self._stdin is None:
            raise StdinNotImplementedError(f"raw_input {NO_STDIN}")
        return self._reply(str(prompt), False)

    def _getpass(self, prompt: str = "", stream: object = None, **kwargs: object) -> str:
        if self._stdin is None:
            raise StdinNotImplementedError(f"getpass {NO_STDIN}")
        return self._reply(prompt, True)

    def _reply(self, prompt: str, password: bool) -> str:
        assert self._stdin is not None
        try:
            reply = self._stdin(prompt, password)
        except KeyboardInterrupt:
            raise KeyboardInterrupt("Interrupted by user") from None
        if reply == "\x04":
            raise EOFError
        return reply

    @contextmanager
    def _running(self, emit: Emit) -> Iterator[None]:
        shell = self.shell
        shell.emit = emit
        shell.displayhook_failed = shell.displayhook.in_hook = False
        singletons = [vars(cls).get("_instance") for cls in _SINGLETONS]
        saved = (sys.stdout, sys.stderr, builtins.input, getpass.getpass, sys.modules["__main__"])
        cwd = _getcwd()
        for cls in _SINGLETONS:
            cls._instance = shell
        sys.stdout, sys.stderr = self._stdout, self._stderr
        builtins.input, getpass.getpass = self._input, self._getpass
        sys.modules["__main__"] = shell.user_module
        with suppress(OSError):  # a cell removed it: stay where the process is
            os.chdir(self._cwd)
        try:
            yield
        finally:
            self._cwd = _getcwd() or self._cwd
            if cwd is not None:
                os.chdir(cwd)
            sys.stdout, sys.stderr, builtins.input, getpass.getpass, main = saved
            sys.modules["__main__"] = main
            for cls, instance in zip(_SINGLETONS, singletons, strict=True):
                cls._instance = instance
            shell.emit = outside_cell


def _getcwd() -> str | None:
    """The working directory, or None when a cell removed it."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        return None


def _interrupt_task(task: asyncio.Future[Any]) -> Callable[[int, Any], None]:
    """SIGINT for a cell with top-level `await`: raised as KeyboardInterrupt when the cell
    is computing, but while it awaits (the loop waits in select) raising would break the
    event loop, so the cell's task is cancelled instead, as ipykernel does."""
    loop = asyncio.get_running_loop()

    def on_sigint(signum: int, frame: Any) -> None:
        if asyncio.current_task(loop) is task:
            raise KeyboardInterrupt
        loop.call_soon_threadsafe(task.cancel)

    return on_sigint


@contextmanager
def _sigint(handler: Callable[[int, Any], Any]) -> Iterator[None]:
    """Install the SIGINT handler for the cell: hosts' own handlers (asyncio.run cancels
    its main task on the first Ctrl-C) would not stop a busy cell."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
