"""Boot steps of the browser worker that are Python's business, not JavaScript's."""

from __future__ import annotations

import sys
import time
from typing import Any

from ..kernel.events import KernelEvent, Output
from ..kernel.wire import event_to_wire

WARM_UP = "1 + 1"


async def start_kernel() -> tuple[Any, dict[str, Any]]:
    """Start the IPython kernel and run one warm-up cell: the first cell pays for
    IPython's lazy imports and compiler set-up, which should not land on a user's cell.

    Returns the kernel and a report for the page.
    """
    import IPython

    from ..kernel import Kernel

    started = time.perf_counter()
    kernel = Kernel()
    outputs: list[dict[str, Any]] = []

    def collect(event: KernelEvent) -> None:
        if isinstance(event, Output):
            outputs.append(event_to_wire(event)["output"])

    reply = await kernel.execute(WARM_UP, collect)
    return kernel, {
        "ipython": IPython.__version__,
        "python": sys.version.split()[0],
        "warm_up": {"code": WARM_UP, "status": reply.status, "outputs": outputs},
        "ms": (time.perf_counter() - started) * 1000,
    }
