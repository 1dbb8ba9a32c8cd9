"""The Python kernel: IPython's InteractiveShell with its outputs captured as nbformat
outputs that look exactly as ipykernel's (ipykernel run through nbclient is the judge, see
tests/parity).

Interface (`KernelInterface`; other kernels can plug in behind it)::

    kernel = Kernel(stdin=ask, cwd="/home/user/project")  # ask(prompt, password) -> str
    reply = await kernel.execute(code, emit)               # ExecuteReply(status, count)

- `emit` gets each `events.KernelEvent` synchronously, at the moment the cell produces
  it and in order: every stream write as its own `Output` (never coalesced here: that is
  the runner's job), display_data and execute_result with their full mimebundles,
  `Output.display_id` for displays with an id, `UpdateDisplay` for their updates,
  `ClearOutput(wait)`, and error outputs with ipykernel's ANSI-coloured traceback lines.
  In CPython, threads started by a cell may print, and then call `emit` from their thread.
- `stdin` answers input() and getpass() while the cell waits; the kernel does not emit
  `InputRequest` itself: the host's `stdin` is told the prompt and shows it (the native
  worker's `ask` emits it). Without `stdin` they raise StdinNotImplementedError, as
  ipykernel does when a front end does not allow input.
- `execute` is async because in Pyodide a web event loop is always running: cells with
  top-level `await` run as tasks on the running loop, the others straight through.
- Interrupt: SIGINT in CPython (the kernel runs on the main thread of its own process),
  Pyodide's interrupt buffer in the browser, both raising KeyboardInterrupt in the cell,
  which ends with an error output and status "error", as in ipykernel. A cell waiting in
  `await` is cancelled instead (CancelledError), as in ipykernel.
- Restart: drop the process or worker and make a new Kernel. Kernels in one process
  still never share a namespace: each has its own shell, not `InteractiveShell.instance()`,
  and owns the process-wide state only while one of its cells runs.
- Browser-safe: no threads (history in memory), no subprocess at import; `!cmd` fails with
  a clear OSError there.

Modules: `shell` builds the configured InteractiveShell, `capture` turns what it shows
into events, `kernel` runs cells, `events` defines what a kernel tells its runner.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .kernel import Kernel, KernelInterface, Stdin


def __getattr__(name: str) -> Any:
    """Import IPython only for who needs a kernel: the runner and the clients import
    `kernel.events` and must not pay for (or need) IPython."""
    if name in __all__:
        from . import kernel

        return getattr(kernel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Kernel", "KernelInterface", "Stdin"]
