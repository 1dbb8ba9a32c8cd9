"""A kernel in its own process, as the native worker runs it."""

import asyncio
import os
import signal

import pytest

from cocalc_compute_wasm.kernel.events import ExecuteReply, InputRequest, Output
from cocalc_compute_wasm.worker.kernel_host import KernelDied, KernelProcess


@pytest.fixture
async def kernel(tmp_path):
    process = KernelProcess(tmp_path)
    await process.start()
    yield process
    await process.stop()


async def run(kernel: KernelProcess, code: str) -> tuple[ExecuteReply, list]:
    events: list = []
    reply = await kernel.execute(code, events.append)
    return reply, events


def stream_text(events) -> str:
    return "".join(
        e.output["text"]
        for e in events
        if isinstance(e, Output) and e.output["output_type"] == "stream"
    )


async def test_runs_in_its_working_directory_with_jupyter_outputs(kernel, tmp_path):
    reply, events = await run(kernel, "import os\nprint(os.getcwd())\n6 * 7")
    assert reply == ExecuteReply("ok", 1)
    assert stream_text(events) == f"{tmp_path}\n"
    assert events[-1].output["data"] == {"text/plain": "42"}


@pytest.mark.parametrize("code", ["import time\ntime.sleep(100)", "while True:\n    pass"])
async def test_interrupt_stops_a_sleep_and_a_busy_loop(kernel, code):
    asyncio.get_running_loop().call_later(0.5, kernel.interrupt)
    reply, events = await run(kernel, code)
    assert reply.status == "error"
    assert events[-1].output["ename"] == "KeyboardInterrupt"
    reply, _ = await run(kernel, "'still alive'")
    assert reply.status == "ok"


async def test_an_interrupt_between_cells_is_harmless(kernel):
    os.kill(kernel.pid, signal.SIGINT)
    await asyncio.sleep(0.2)
    assert (await run(kernel, "1"))[0].status == "ok"


async def test_input_is_answered_by_the_host(kernel):
    def answer(event):
        if isinstance(event, InputRequest):
            kernel.send_stdin("Ada")

    events: list = []

    def collect(event):
        events.append(event)
        answer(event)

    reply = await kernel.execute("name = input('name? ')\nprint('hi', name)", collect)
    assert reply.status == "ok"
    assert events[0] == InputRequest("name? ", False)
    assert stream_text(events) == "hi Ada\n"


async def test_many_prints_arrive_complete_in_few_frames(kernel):
    reply, events = await run(kernel, "for i in range(100000):\n    print(i)")
    assert reply.status == "ok"
    assert stream_text(events) == "".join(f"{i}\n" for i in range(100000))
    assert len(events) < 1000


async def test_restart_gives_a_fresh_namespace(kernel):
    await run(kernel, "x = 1")
    await kernel.restart()
    reply, events = await run(kernel, "x")
    assert reply == ExecuteReply("error", 1)
    assert events[-1].output["ename"] == "NameError"


async def test_a_dead_kernel_is_reported(kernel):
    os.kill(kernel.pid, signal.SIGKILL)
    with pytest.raises(KernelDied, match="ended"):
        await run(kernel, "1")
