"""What a kernel tells its runner while it executes a cell.

One path for outputs: every kind of result travels as an `Output` holding the nbformat
output dict, not as one callback per output type. The few things that are not outputs
(display updates, clearing, asking for input) have an event each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal


@dataclass(frozen=True)
class Output:
    """One nbformat output: stream, display_data, execute_result or error.

    `display_id` is set for display_data published with a display id (IPython's
    `display(..., display_id=...)`), so that later updates can find it.
    """

    output: dict[str, Any]
    display_id: str | None = None


@dataclass(frozen=True)
class UpdateDisplay:
    """Replace the data of every output shown with `display_id`, in any cell."""

    display_id: str
    output: dict[str, Any]


@dataclass(frozen=True)
class ClearOutput:
    """clear_output(wait): with wait, the clearing happens when the next output arrives."""

    wait: bool


@dataclass(frozen=True)
class InputRequest:
    """input() or getpass() is waiting for a reply."""

    prompt: str
    password: bool


@dataclass(frozen=True)
class ExecuteReply:
    """How an execution ended; an error's details came before it as an error Output."""

    status: Literal["ok", "error", "aborted"]
    execution_count: int | None


KernelEvent = Output | UpdateDisplay | ClearOutput | InputRequest


INTERRUPTED_EARLY: Final = {
    "output_type": "error",
    "ename": "KeyboardInterrupt",
    "evalue": "",
    "traceback": ["KeyboardInterrupt: interrupted before the cell began"],
}
"""What a cell shows when the interrupt came before the kernel began to run it."""
