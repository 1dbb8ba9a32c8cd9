"""SIGINT interrupts a running cell as it interrupts ipykernel's: a KeyboardInterrupt error
output and status "error"; a cell that awaits is cancelled. The kernel stays usable."""

from __future__ import annotations

import os
import signal
import sys
import threading

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# Cells that stop on their own after a while, so that a broken interrupt fails the test
# instead of hanging it.
BUSY = "import time\nend = time.monotonic() + 5\nwhile time.monotonic() < end: pass"


def interrupt_soon() -> threading.Timer:
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


async def test_interrupting_a_busy_cell(run):
    handler = signal.getsignal(signal.SIGINT)
    interrupt_soon()
    reply, [event] = await run(BUSY)
    assert reply.status == "error"
    assert (event.output["ename"], event.output["evalue"]) == ("KeyboardInterrupt", "")
    assert event.output["traceback"][-1] == "\x1b[31mKeyboardInterrupt\x1b[39m: "
    assert signal.getsignal(signal.SIGINT) is handler
    assert (await run("1"))[0].status == "ok"


async def test_interrupting_a_sleeping_cell(run):
    interrupt_soon()
    reply, [event] = await run("import time\ntime.sleep(5)")
    assert (reply.status, event.output["ename"]) == ("error", "KeyboardInterrupt")


async def test_interrupting_a_cell_that_awaits_cancels_it(run):
    interrupt_soon()
    reply, [event] = await run("import asyncio\nawait asyncio.sleep(5)")
    assert (reply.status, event.output["ename"]) == ("error", "CancelledError")
    assert (await run("await asyncio.sleep(0)\n2"))[0].status == "ok"


async def test_interrupting_an_async_cell_while_it_computes(run):
    # ipykernel cannot stop this one (its handler waits for the busy event loop).
    interrupt_soon()
    reply, [event] = await run(f"import asyncio\nawait asyncio.sleep(0)\n{BUSY}")
    assert (reply.status, event.output["ename"]) == ("error", "KeyboardInterrupt")
