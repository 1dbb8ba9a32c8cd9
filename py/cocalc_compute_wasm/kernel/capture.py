"""What a running cell produces, turned into kernel events the moment it happens.

IPython prints results, displays and tracebacks to a terminal; a Jupyter kernel replaces
its display hook, display publisher, streams and traceback hook to send them as messages
instead (ipykernel's `ZMQShellDisplayHook`, `ZMQDisplayPublisher`, `OutStream`,
`ZMQInteractiveShell._showtraceback`). These classes do the same, but hand each output to
the shell's `emit` (the running cell's callback) as the nbformat dict it ends up as.
"""

from __future__ import annotations

import io
import sys
from binascii import b2a_base64
from typing import TYPE_CHECKING, Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher

from .events import ClearOutput, KernelEvent, Output, UpdateDisplay

if TYPE_CHECKING:
    from .shell import KernelShell


def outside_cell(event: KernelEvent) -> None:
    """Where output goes when no cell runs (a stream kept by user code and written to
    later): stream text to the process's own streams, as a plain Python would; displays
    have no cell to go to and are dropped."""
    if isinstance(event, Output) and event.output["output_type"] == "stream":
        stream = sys.__stderr__ if event.output["name"] == "stderr" else sys.__stdout__
        if stream is not None:
            stream.write(event.output["text"])


class CellStream(io.TextIOBase):
    """sys.stdout / sys.stderr while a cell runs: every write is one stream output, at
    once and unbuffered (the runner coalesces), so ordering with displays and errors is
    the order in which they happened."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, shell: KernelShell, name: str) -> None:
        super().__init__()
        self._shell = shell
        self.name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:  # type: ignore[override]
        # The hot path of `print` in a loop: one isinstance, one dict, no copies.
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._shell.emit(Output({"output_type": "stream", "name": self.name, "text": text}))
        return len(text)


def _mime_bundle(data: dict[str, Any]) -> dict[str, Any]:
    """A displayed bundle as JSON: binary values base64-encoded, as jupyter_client's
    packer does for ipykernel (a `_repr_png_` may return bytes)."""
    if not any(isinstance(value, bytes) for value in data.values()):
        return data
    return {
        mime: b2a_base64(value, newline=False).decode("ascii")
        if isinstance(value, bytes)
        else value
        for mime, value in data.items()
    }


class CellDisplayPublisher(DisplayPublisher):
    """`display()`, `update_display()` and `clear_output()` as kernel events."""

    shell: KernelShell

    def publish(  # type: ignore[override]
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        self._validate_data(data, metadata)
        output = {
            "output_type": "display_data",
            "data": _mime_bundle(data),
            "metadata": metadata if metadata is not None else {},
        }
        display_id = transient.get("display_id") if transient else None
        if not update:
            self.shell.emit(Output(output, display_id))
        elif display_id is not None:
            # An update without an id names no output; Jupyter front ends ignore it too.
            self.shell.emit(UpdateDisplay(display_id, output))

    def clear_output(self, wait: bool = False) -> None:
        self.shell.emit(ClearOutput(wait))


class CellDisplayHook(DisplayHook):
    """The value of a cell's last expression as an execute_result.

    The base class prints an `Out[n]:` prompt and the text to stdout; here the whole
    mimebundle goes out as one output. `in_hook` tells the shell that a traceback shown
    now comes from formatting the result, which ipykernel counts as a failed execution.
    """

    shell: KernelShell
    in_hook = False

    def start_displayhook(self) -> None:
        self.in_hook = True

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(
        self, format_dict: dict[str, Any], md_dict: dict[str, Any] | None = None
    ) -> None:
        self.shell.emit(
            Output(
                {
                    "output_type": "execute_result",
                    "execution_count": self.prompt_count,
                    "data": _mime_bundle(format_dict),
                    "metadata": md_dict if md_dict is not None else {},
                }
            )
        )

    def finish_displayhook(self) -> None:
        self.in_hook = False
