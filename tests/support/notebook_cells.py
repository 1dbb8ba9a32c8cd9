"""Fill a notebook with cells and read back their outputs, as a collaborator sees them."""

from __future__ import annotations

import asyncio


async def notebook_with(client, path: str, *sources: str):
    """Open ``path`` and make its cells hold ``sources``; returns the notebook and cell ids."""
    nb = await client.open_notebook(path)
    (first,) = nb.cell_ids()
    nb.set_input(first, sources[0])
    ids = [first]
    for source in sources[1:]:
        ids.append(nb.insert_cell(after=ids[-1], input=source))
    return nb, ids


def outputs(nb, cell_id) -> list[dict]:
    cell = nb.cell(cell_id)
    return [cell["output"][k] for k in sorted(cell.get("output", {}), key=int)]


def text(nb, cell_id) -> str:
    return "".join(o.get("text", "") for o in outputs(nb, cell_id))


async def until(condition, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)
