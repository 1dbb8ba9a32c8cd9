"""A fresh kernel per test, and `run` to execute a cell and collect what it emitted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from cocalc_compute_wasm.kernel import Kernel
from cocalc_compute_wasm.kernel.events import ExecuteReply, KernelEvent

Run = Callable[..., Awaitable[tuple[ExecuteReply, list[KernelEvent]]]]


@pytest.fixture
def kernel(tmp_path) -> Kernel:
    return Kernel(cwd=tmp_path)


@pytest.fixture
def run(kernel) -> Run:
    async def run(code: str, on: Kernel | None = None) -> tuple[ExecuteReply, list[KernelEvent]]:
        events: list[KernelEvent] = []
        reply = await (on or kernel).execute(code, events.append)
        return reply, events

    return run
