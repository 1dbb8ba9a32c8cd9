"""Opening a notebook and editing one cell, at 100, 1,000 and 10,000 cells.

Through the real project server (in this process, on localhost): `open` is the request
from a second client until its replica holds the document (the first open, which imports
the .ipynb, is reported apart); `edit` is one small input edit, from the replica's change
to the acknowledgement (the author's own record coming back): sync core, SQLite commit
with fsync, and the websocket both ways. The core alone (replica change + log accept +
replica receive, no IO) is reported too. Baseline, in the same run: a `ping` round trip
on the same socket; the ratio edit/ping says what an edit costs beyond the transport.

    .venv/bin/python bench/notebook_sync.py [--sizes 100,1000,10000] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from cocalc_compute_wasm.notebook import dumps_ipynb, records_to_ipynb
from cocalc_compute_wasm.protocol import ChannelMessage, ClientConnection, HelloAccepted, Response
from cocalc_compute_wasm.server import BrowserDist, make_app
from cocalc_compute_wasm.server.background import start_site
from cocalc_compute_wasm.server.keys import create_key
from cocalc_compute_wasm.server.project import Project
from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    CatchUp,
    ClientPatch,
    LogRecord,
    Patch,
    PatchLog,
    Replica,
)

SIZES = (100, 1_000, 10_000)
EDITS = 100


def notebook_text(cells: int) -> str:
    records = [{"type": "settings", "id": "main", "kernel": "python3", "metadata": {}}]
    for n in range(cells):
        records.append(
            {
                "type": "cell",
                "id": f"cell{n}",
                "pos": float(n),
                "cell_type": "code",
                "input": f"# cell {n}\nvalue_{n} = {n} * 2\nprint(value_{n})\n",
                "exec_count": n + 1,
                "output": {"0": {"output_type": "stream", "name": "stdout", "text": f"{n * 2}\n"}},
            }
        )
    return dumps_ipynb(records_to_ipynb(records))


def edit_of(replica: Replica, n: int) -> Patch:
    """One keystroke-sized edit to the middle cell, as a client makes it."""
    key = ("cell", f"cell{len(replica.value) // 2}")
    before = replica.value[key]["input"]
    after = before[:9] + str(n % 10) + before[9:]
    return Patch(NOTEBOOK, sets=[{"type": "cell", "id": key[1], "input": after}])


class Client:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, client_id: str) -> None:
        self.ws = ws
        self.connection = ClientConnection("collaborator", client_id)
        self.replica = Replica(NOTEBOOK, client_id)

    async def start(self) -> None:
        for frame in self.connection.start():
            await self.ws.send_bytes(frame)
        assert isinstance(await self.next_event(), HelloAccepted)

    async def next_event(self):
        event = self.connection.receive_frame((await self.ws.receive()).data)
        if isinstance(event, ChannelMessage) and "record" in event.body:
            self.replica.receive(LogRecord.from_wire(NOTEBOOK, event.body["record"]))
        return event

    async def call(self, cmd: str, **args) -> dict:
        request = self.connection.new_request(cmd, args)
        await self.ws.send_bytes(self.connection.send(request))
        while True:
            event = await self.next_event()
            if isinstance(event, Response) and event.request_id == request.request_id:
                return event.result

    async def acknowledged(self) -> None:
        """Until the author's own records have come back (they may precede the answer)."""
        while self.replica.pending:
            await self.next_event()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def core_edit_ms(value_records: list[dict]) -> float:
    """Replica change + log accept + replica receive, no IO."""
    log = PatchLog(NOTEBOOK)
    seed = Replica(NOTEBOOK, "seed")
    first = seed.change(Patch(NOTEBOOK, sets=value_records))
    seed.receive(log.accept(first).record)
    replica = Replica(NOTEBOOK, "editor")
    replica.catch_up(log.catch_up(0))
    samples = []
    for n in range(EDITS):
        started = time.perf_counter()
        message: ClientPatch = replica.change(edit_of(replica, n))
        replica.receive(log.accept(message).record)
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


async def measure(cells: int, dist: BrowserDist) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "big.ipynb").write_text(notebook_text(cells))
        project = Project.open(directory)
        key, _ = create_key(project.db)
        runner, origin = await start_site(make_app(project, dist), "127.0.0.1", 0)
        url = f"{origin}/{project.project_id}/raw/.smc/ws"
        headers = {"Authorization": f"Bearer {key}"}
        try:
            async with aiohttp.ClientSession() as http:
                first = Client(await http.ws_connect(url, headers=headers), "first")
                await first.start()
                started = time.perf_counter()
                opened = await first.call("open", path="big.ipynb")
                first.replica.catch_up(CatchUp.from_wire(NOTEBOOK, opened["catch_up"]))
                first_open = time.perf_counter() - started

                opens = []
                for n in range(5):
                    other = Client(await http.ws_connect(url, headers=headers), f"reader{n}")
                    await other.start()
                    started = time.perf_counter()
                    opened = await other.call("open", path="big.ipynb")
                    other.replica.catch_up(CatchUp.from_wire(NOTEBOOK, opened["catch_up"]))
                    opens.append(time.perf_counter() - started)
                    await other.ws.close()

                pings, edits = [], []
                channel = (await first.call("open", path="big.ipynb"))["channel"]
                for n in range(EDITS):
                    started = time.perf_counter()
                    await first.call("ping")
                    pings.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    message = first.replica.change(edit_of(first.replica, n))
                    await first.call("patch", channel=channel, patch=message.to_wire())
                    await first.acknowledged()
                    edits.append(time.perf_counter() - started)
                records = list(first.replica.value.values())
        finally:
            await runner.cleanup()
            project.close()
    return {
        "cells": cells,
        "first_open_with_import_ms": first_open * 1000,
        "open_ms": median_ms(opens),
        "edit_round_trip_ms": median_ms(edits),
        "baseline_ping_round_trip_ms": median_ms(pings),
        "ratio_edit_vs_ping": statistics.median(edits) / statistics.median(pings),
        "edit_core_only_ms": core_edit_ms(records),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="cell counts, comma-separated"
    )
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    dist = BrowserDist.open()
    results = [await measure(int(cells), dist) for cells in args.sizes.split(",")]
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"sizes": results}, indent=2) + "\n")
    smallest, largest = results[0], results[-1]
    growth = largest["edit_core_only_ms"] / smallest["edit_core_only_ms"]
    print(
        f"one edit, core only: {smallest['edit_core_only_ms']:.3f} ms at {smallest['cells']}"
        f" cells, {largest['edit_core_only_ms']:.3f} ms at {largest['cells']} cells"
        f" (x{growth:.2f} for {largest['cells'] // smallest['cells']}x the cells)"
    )


if __name__ == "__main__":
    asyncio.run(main())
