"""Our kernel against the judge: the same cells through ipykernel (nbclient, jupyter_client)
and through `Kernel` must give the same nbformat outputs, tracebacks and colours included.

Our events are collected as a notebook front end collects ipykernel's messages (nbclient's
rules: display ids update every output shown with them, clear_output(wait) clears when
the next output comes); consecutive stream chunks are merged on both sides, since ipykernel
buffers its streams and we emit every write. What may legitimately differ is normalised:
memory addresses, the process id in cell file names, and the frames of each kernel's own
input() functions (ipykernel's `kernelbase.py` against our `kernel.py`).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager
from jupyter_reference import merge_streams, normalise
from nbclient import NotebookClient

from cocalc_compute_wasm.kernel import Kernel
from cocalc_compute_wasm.kernel.events import ClearOutput, KernelEvent, Output, UpdateDisplay

PNG = (  # 1x1
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

CELLS = [
    # streams and results
    "print('hi')\n1 + 1",
    "for i in range(3):\n    print(i)",
    "import sys\nprint('to stderr', file=sys.stderr)",
    "print('a', end='')\nprint('b')",
    "x = 5\nx;",
    "object()",
    "x, 'text', [1.5, None], {'k': b'bytes'}",
    # every mime type
    "import base64\nfrom IPython.display import (HTML, JSON, SVG, Image, Javascript, Latex,\n"
    "    Markdown, clear_output, display, update_display)",
    "display(HTML('<b>bold</b>'), Markdown('# title'), Latex(r'$x^2$'))",
    "display(JSON({'a': [1, 2]}, expanded=True), Javascript('1 + 1'))",
    'SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>\')',
    f"Image(data=base64.b64decode('{PNG}'), width=10)",
    "class Rich:\n"
    f"    def _repr_png_(self): return base64.b64decode('{PNG}')\n"
    "    def _repr_html_(self): return '<i>rich</i>'\n"
    "    def _repr_mimebundle_(self, include=None, exclude=None):\n"
    "        return {'text/markdown': '*rich*'}, {'text/markdown': {'isolated': True}}\n"
    "display(Rich())\nRich()",
    # display ids, within a cell and across cells
    "h = display('one', display_id='d1')\nh.update('two')\ndisplay('other', display_id=True);",
    "update_display('three', display_id='d1')\ndisplay('again', display_id='d1')",
    # clearing
    "print('gone')\nclear_output()\nprint('kept')",
    "print(1)\nclear_output(wait=True)\nprint(2)",
    "display('a')\nclear_output(wait=True)",
    # errors
    "1 / 0",
    "def f():\n    raise ValueError('bad')\nf()",
    "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    raise KeyError('k') from e",
    "undefined_name",
    "def f(:",
    "if True:\nprint('x')",
    "raise KeyboardInterrupt",
    "raise SystemExit(3)",
    "class BadRepr:\n    def __repr__(self):\n        raise RuntimeError('repr')\nBadRepr()",
    "print('before')\nraise RuntimeError('after output')",
    # top-level await
    "import asyncio\nawait asyncio.sleep(0)\n'awaited'",
    # stdin, which nbclient does not allow
    "input('name? ')",
    "import getpass\ngetpass.getpass()",
    # magics
    "%who",
    "%env PARITY_VAR=1",
    "%env PARITY_VAR",
    "%%capture captured\nprint('hidden')\ndisplay('hidden too')",
    "captured.stdout, len(captured.outputs)",
    "captured.show()",
    "%no_such_magic",
    "%matplotlib inline",
    "!echo shell",
    "%pwd",
    "%cd sub",
    "%pwd",
    "import warnings\nwarnings.warn('careful')",
]

# Cells where the kernels are meant to differ: each is interrupted while it runs.
INTERRUPTED = [
    "while True:\n    pass",
    "import time\ntime.sleep(10)",
    "import asyncio\nawait asyncio.sleep(2)",  # ipykernel cancels it only when it ends
]


class FrontEnd:
    """Applies kernel events to cells' outputs as nbclient applies ipykernel's messages."""

    def __init__(self) -> None:
        self.cells: list[list[dict[str, Any]]] = []
        self.shown: dict[str, list[tuple[int, int]]] = {}
        self.clear_before_next = False

    def new_cell(self) -> None:
        self.cells.append([])
        self.clear_before_next = False

    def emit(self, event: KernelEvent) -> None:
        cell = len(self.cells) - 1
        outputs = self.cells[cell]
        if isinstance(event, ClearOutput):
            if event.wait:
                self.clear_before_next = True
            else:
                self.clear(cell)
        elif isinstance(event, UpdateDisplay):
            self.update(event.display_id, event.output)
        elif isinstance(event, Output):
            if event.display_id is not None:
                self.update(event.display_id, event.output)
            if self.clear_before_next:
                self.clear(cell)
                self.clear_before_next = False
            if event.display_id is not None:
                self.shown.setdefault(event.display_id, []).append((cell, len(outputs)))
            outputs.append(copy.deepcopy(event.output))

    def clear(self, cell: int) -> None:
        self.cells[cell].clear()
        for places in self.shown.values():
            places[:] = [place for place in places if place[0] != cell]

    def update(self, display_id: str, output: dict[str, Any]) -> None:
        for cell, index in self.shown.get(display_id, []):
            self.cells[cell][index]["data"] = output["data"]
            self.cells[cell][index]["metadata"] = output["metadata"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """Where both kernels start (they only read it, so they share it)."""
    root = tmp_path_factory.mktemp("parity")
    (root / "sub").mkdir()
    return root


@pytest.fixture(scope="module")
def kernel_name() -> str:
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)
    return "python3"


@pytest.fixture(scope="module")
def reference(workdir, kernel_name) -> list[list[dict[str, Any]]]:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = NotebookClient(
        notebook,
        kernel_name=kernel_name,
        allow_errors=True,
        timeout=60,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return [merge_streams(cell.outputs) for cell in notebook.cells]


@pytest.fixture(scope="module")
def ours(workdir) -> list[list[dict[str, Any]]]:
    front_end = FrontEnd()

    async def run_all() -> None:
        kernel = Kernel(cwd=workdir)
        for code in CELLS:
            front_end.new_cell()
            await kernel.execute(code, front_end.emit)

    with warnings.catch_warnings():
        # As in a kernel's own process, not as pytest records them; a fresh process also
        # ignores ResourceWarning, which here could come from another test's garbage.
        warnings.resetwarnings()
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.showwarning = show_warning
        asyncio.run(run_all())
    return [merge_streams(outputs) for outputs in front_end.cells]


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@pytest.mark.parametrize("index", range(len(CELLS)), ids=[c.split("\n")[0][:30] for c in CELLS])
def test_parity_cell_outputs(index, reference, ours):
    assert normalise(ours[index]) == normalise(reference[index])


def test_parity_covers_every_output_kind(reference):
    kinds = {output["output_type"] for outputs in reference for output in outputs}
    mimes = {mime for outputs in reference for output in outputs for mime in output.get("data", {})}
    assert kinds == {"stream", "display_data", "execute_result", "error"}
    assert {
        "text/plain",
        "text/html",
        "text/markdown",
        "text/latex",
        "application/json",
        "application/javascript",
        "image/png",
        "image/svg+xml",
    } <= mimes
    png = next(
        o["data"]["image/png"]
        for cell in reference
        for o in cell
        if "image/png" in o.get("data", {})
    )
    assert base64.b64decode(png).startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def interrupted_reference(workdir, kernel_name) -> list[tuple[str, list[dict[str, Any]]]]:
    manager = KernelManager(kernel_name=kernel_name)
    manager.start_kernel(cwd=str(workdir))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        return [_interrupt_ipykernel(manager, client, code) for code in INTERRUPTED]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _interrupt_ipykernel(manager, client, code: str) -> tuple[str, list[dict[str, Any]]]:
    msg_id = client.execute(code)
    time.sleep(0.5)
    manager.interrupt_kernel()
    outputs = []
    while True:
        message = client.get_iopub_msg(timeout=30)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
        if message["msg_type"] in {"stream", "error", "execute_result", "display_data"}:
            outputs.append(nbformat.v4.output_from_msg(message))
    reply = client.get_shell_msg(timeout=30)
    return reply["content"]["status"], merge_streams(outputs)


@pytest.fixture(scope="module")
def interrupted_ours(workdir) -> list[tuple[str, list[dict[str, Any]]]]:
    async def run_all() -> list[tuple[str, list[dict[str, Any]]]]:
        kernel = Kernel(cwd=workdir)
        results = []
        for code in INTERRUPTED:
            front_end = FrontEnd()
            front_end.new_cell()
            timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            reply = await kernel.execute(code, front_end.emit)
            timer.join()
            results.append((reply.status, merge_streams(front_end.cells[0])))
        return results

    return asyncio.run(run_all())


@pytest.mark.skipif(os.name != "posix", reason="SIGINT")
@pytest.mark.parametrize("index", range(len(INTERRUPTED)), ids=[c[:20] for c in INTERRUPTED])
def test_parity_interrupt(index, interrupted_reference, interrupted_ours):
    status, outputs = interrupted_ours[index]
    expected_status, expected = interrupted_reference[index]
    assert status == expected_status == "error"
    assert normalise(outputs) == normalise(expected)
