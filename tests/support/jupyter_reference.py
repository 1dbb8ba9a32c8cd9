"""Jupyter's own run of a notebook (nbclient driving ipykernel), the judge of our outputs,
and the normalisation that leaves only what may not differ."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbformat.v4.rwbase import rejoin_lines

PNG = (  # 1x1
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

CELLS = [
    "print('hi')\n1 + 1",
    "for i in range(200):\n    print(i)",
    "import sys\nprint('to stderr', file=sys.stderr)",
    "import base64\nfrom IPython.display import (HTML, JSON, SVG, Image, Latex, Markdown,\n"
    "    clear_output, display, update_display)",
    "display(HTML('<b>bold</b>'), Markdown('# title'), Latex(r'$x^2$'), JSON({'a': [1]}))",
    'SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>\')',
    f"Image(data=base64.b64decode('{PNG}'))",
    "h = display('one', display_id='d1')\nh.update('two')",
    "update_display('three', display_id='d1')\nprint('updated an earlier cell')",
    "print('gone')\nclear_output()\nprint('kept')",
    "print(1)\nclear_output(wait=True)\nprint(2)",
    "import asyncio\nawait asyncio.sleep(0)\n'awaited'",
    "def f():\n    raise ValueError('bad')\nf()",
    "print('after the error, with no_halt')",
]


def normalise(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    text = re.sub(r"0x[0-9a-fA-F]+", "0xADDR", json.dumps(outputs))
    outputs = json.loads(re.sub(r"ipykernel_\d+", "ipykernel_PID", text))
    for output in outputs:
        if output["output_type"] == "error":
            output["traceback"] = [
                line
                for line in output["traceback"]
                if "ipykernel/kernelbase.py" not in line and "kernel/kernel.py" not in line
            ]
    return outputs


def merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output["output_type"] == previous["output_type"] == "stream"
            and output["name"] == previous["name"]
        ):
            previous["text"] += output["text"]
        else:
            merged.append(dict(output))
    return merged


def normalised(cells) -> list:
    """The outputs of nbformat cells, normalised and with consecutive streams merged."""
    return [
        merge_streams(
            normalise(rejoin_lines(nbformat.from_dict({"cells": [c]}))["cells"][0]["outputs"])
        )
        for c in cells
    ]


def run_with_nbclient(workdir) -> list:
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(
        notebook,
        kernel_name="python3",
        allow_errors=True,
        timeout=60,
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    return notebook.cells


async def run_through_project(client, project_dir: Path, path: str = "parity.ipynb") -> list:
    """Run CELLS in a notebook of the project (on whatever compute worker serves it) and
    read back the .ipynb the server saved, validated by nbformat."""
    nb = await client.open_notebook(path)
    ids = nb.cell_ids()
    nb.set_input(ids[0], CELLS[0])
    for source in CELLS[1:]:
        ids.append(nb.insert_cell(after=ids[-1], input=source))
    await nb.request_run(ids, no_halt=True)
    await nb.wait_done(ids, timeout=120)
    saved = project_dir / path
    async with asyncio.timeout(10):
        while not json.loads(saved.read_text())["cells"][-1]["outputs"]:
            await asyncio.sleep(0.05)
    ours = nbformat.read(saved, as_version=4)
    nbformat.validate(ours)
    return ours.cells


def assert_same_as_jupyter(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs)
    for index, (mine, jupyter) in enumerate(zip(normalised(ours), normalised(theirs), strict=True)):
        assert mine == jupyter, f"cell {index}: {CELLS[index]!r}"
    assert [c.execution_count for c in ours] == [c.execution_count for c in theirs]
