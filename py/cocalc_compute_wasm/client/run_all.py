"""`cocalc-compute run NOTEBOOK`: run every code cell on the project's runner, in order,
printing outputs as they arrive."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from .api import connect
from .notebook import Notebook

NO_WORKER = (
    "no compute worker is attached to this project: start one with "
    "`cocalc-compute worker --native` or open the project's compute page"
)


def output_text(output: dict[str, Any]) -> str:
    """What a terminal shows of an output."""
    kind = output.get("output_type")
    if kind == "stream":
        return str(output.get("text", ""))
    if kind == "error":
        return "\n".join(output.get("traceback") or [f"{output['ename']}: {output['evalue']}"])
    data = output.get("data") or {}
    text = data.get("text/plain")
    if text is None:
        text = f"<{', '.join(sorted(data)) or 'empty output'}>"
    return str(text).rstrip("\n") + "\n"


class Printer:
    """Prints each cell's outputs once, stream text as it grows, cells in order."""

    def __init__(self, notebook: Notebook, cell_ids: list[str], out: TextIO) -> None:
        self.notebook = notebook
        self.cell_ids = cell_ids
        self.out = out
        self.position = 0
        self.printed: dict[str, int] = {}  # output index -> characters printed

    def update(self) -> None:
        while self.position < len(self.cell_ids):
            cell = self.notebook.cell(self.cell_ids[self.position]) or {}
            outputs = cell.get("output") or {}
            for index in sorted(outputs, key=int):
                text = output_text(outputs[index])
                done = self.printed.get(index, 0)
                if len(text) > done:
                    self.out.write(text[done:])
                    self.printed[index] = len(text)
            self.out.flush()
            if cell.get("state") != "done":
                return
            self.position += 1
            self.printed = {}


def failed(cell: dict[str, Any]) -> bool:
    return any(o.get("output_type") == "error" for o in (cell.get("output") or {}).values())


async def run_notebook(
    path: str,
    server: str | None,
    project_id: str | None,
    api_key: str | None,
    seconds: float,
    out: TextIO = sys.stdout,
) -> int:
    """Exit status: 0 when every code cell ran without error in time."""
    async with await connect(server, project_id, api_key) as client:
        notebook = await client.open_notebook(path)
        if not notebook.presence.get("computes"):
            print(f"cocalc-compute run: {NO_WORKER}", file=sys.stderr)
            return 3
        ids = [c["id"] for c in notebook.cells() if c.get("cell_type") == "code"]
        printer = Printer(notebook, ids, out)
        notebook.on_change(lambda changes: printer.update())
        await notebook.request_run(ids)
        try:
            await notebook.wait_done(ids, timeout=seconds)
        except TimeoutError:
            print(f"cocalc-compute run: {path} did not finish in {seconds:g} s", file=sys.stderr)
            return 1
        printer.update()
        errors = [i for i in ids if failed(notebook.cell(i) or {})]
        if errors:
            print(f"cocalc-compute run: cells with errors: {', '.join(errors)}", file=sys.stderr)
            return 1
        return 0
