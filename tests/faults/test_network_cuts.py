"""The network cut at random moments: two collaborators and the native worker reach the
server through a proxy that drops every connection (and refuses new ones for a while) a
few times over ~10 s, while both collaborators type and ask for runs. Afterwards every
replica holds the same document, no acknowledged edit is lost, no output line is
duplicated and every requested run ended done. The schedule is seeded: the seed is
printed, and FAULT_SEED=<seed> replays it."""

import asyncio
import os
import random

from fault_checks import COUNTER_CELL, Typist, assert_no_duplicates, counted_lines
from notebook_cells import notebook_with, text, until

CUTS = 5
SPAN = 10.0  # seconds over which the cuts fall
LINES = 15


async def cut_at_random(proxy, rng: random.Random) -> None:
    started = asyncio.get_running_loop().time()
    for moment in sorted(rng.uniform(0, SPAN) for _ in range(CUTS)):
        await asyncio.sleep(max(0.0, started + moment - asyncio.get_running_loop().time()))
        outage = rng.choice([0.0, rng.uniform(0.05, 0.8)])
        print(f"cut at {moment:.2f} s, down for {outage:.2f} s")
        proxy.refuse = True
        proxy.drop()
        await asyncio.sleep(outage)  # the network stays down a while: a fault
        proxy.refuse = False


async def run_again_and_again(notebooks, cells, runs: list, stop: asyncio.Event) -> None:
    """Collaborators take turns asking for a counter cell to run, each run after the last
    one ended, until ``stop``; each finished run's output is kept for the judge."""
    while not stop.is_set():
        nb, cell = notebooks[len(runs) % len(notebooks)], cells[len(runs) % len(cells)]
        await nb.request_run([cell], timeout=60)
        await nb.wait_done([cell], timeout=60)
        runs.append((cell, text(nb, cell)))


async def test_network_cuts_lose_and_duplicate_nothing(server, native_worker, collaborator, proxy):
    seed = int(os.environ.get("FAULT_SEED", random.randrange(2**32)))
    print(f"FAULT_SEED={seed}")
    rng = random.Random(seed)
    network = await proxy()
    native_worker(network.url)
    alice, bob = await collaborator(network.url), await collaborator(network.url)
    counter = COUNTER_CELL.format(n=LINES, pause=0.02)
    alice_nb, (alice_cell, bob_cell, *counters) = await notebook_with(
        alice, "cuts.ipynb", "", "", counter, counter
    )
    bob_nb = await bob.open_notebook("cuts.ipynb")
    await until(lambda: alice_nb.presence.get("kernel") == "idle", timeout=30)
    await until(lambda: bob_nb.cell(counters[-1]) is not None, timeout=30)
    typists = [Typist(alice_nb, alice_cell, "alice"), Typist(bob_nb, bob_cell, "bob")]
    for typist in typists:
        typist.start()

    runs: list = []
    stop = asyncio.Event()
    running = asyncio.ensure_future(run_again_and_again([alice_nb, bob_nb], counters, runs, stop))
    await cut_at_random(network, rng)
    stop.set()
    await asyncio.wait_for(running, timeout=60)
    print(f"{len(runs)} runs")
    for typist in typists:
        await typist.stop()

    # every run ended done, each with all its lines once
    for cell, shown in runs:
        numbers = counted_lines(shown)
        assert_no_duplicates(numbers)
        assert numbers == list(range(LINES)), (cell, shown)

    # everyone converges on the server's document, every edit in it
    for nb in (alice_nb, bob_nb):
        await nb.synced(timeout=30)
    reader = await (await collaborator()).open_notebook("cuts.ipynb")
    await until(
        lambda: alice_nb.doc.confirmed_seq == bob_nb.doc.confirmed_seq == reader.doc.confirmed_seq,
        timeout=30,
    )
    assert alice_nb.doc.value == bob_nb.doc.value == reader.doc.value
    for typist in typists:
        edits = list(range(len(typist.patches)))
        assert typist.missing(reader.cell(typist.cell_id)["input"], edits) == []
    assert all(reader.cell(cell)["state"] == "done" for cell in counters)
    assert network.connections > 3 + CUTS, "the cuts should have made everyone reconnect"
