"""Drive the compute page from asyncio tests.

The project server, collaborators' clients and any network proxy run on the test's loop;
selenium's blocking calls go to a thread (`in_browser`) so that the loop keeps serving
the browser meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cocalc_compute_wasm.headless.page import BootOutcome, set_key_cookie, wait_for_boot


async def in_browser(call: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking selenium call off the loop."""
    return await asyncio.to_thread(call, *args)


@dataclass
class ComputePage:
    driver: Any
    boot: BootOutcome

    async def status(self) -> dict:
        return await in_browser(self.driver.execute_script, "return window.cocalcCompute.status")

    async def wait_status(self, condition: Callable[[dict], bool], timeout: float = 30) -> dict:
        async with asyncio.timeout(timeout):
            while not condition(status := await self.status() or {}):
                await asyncio.sleep(0.1)
        return status


async def open_compute_page(driver, page_url: str, api_key: str) -> ComputePage:
    await in_browser(set_key_cookie, driver, page_url, api_key)
    boot = await in_browser(wait_for_boot, driver, page_url)
    assert boot.state == "ready", boot
    return ComputePage(driver, boot)
