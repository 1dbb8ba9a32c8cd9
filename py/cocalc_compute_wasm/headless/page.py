"""Follow the compute page's boot from outside the browser.

The page publishes its progress in `window.cocalcCompute` ({state, phases, result,
error}); polling it is how the demo and the browser tests see what a person would see.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BootOutcome:
    state: str  # "ready", "error", or "booting" when the wait timed out
    phases: list[dict] = field(default_factory=list)
    result: dict | None = None
    error: dict | None = None
    status_text: str = ""


def wait_for_boot(driver, url: str, timeout: float = 120.0) -> BootOutcome:
    """Open `url` and wait until the page says ready or error (or `timeout` passes)."""
    driver.get(url)
    deadline = time.monotonic() + timeout
    snapshot: dict = {}
    while time.monotonic() < deadline:
        snapshot = driver.execute_script("return window.cocalcCompute || null") or {}
        if snapshot.get("state") in ("ready", "error"):
            break
        time.sleep(0.05)
    return BootOutcome(
        state=snapshot.get("state", "booting"),
        phases=snapshot.get("phases", []),
        result=snapshot.get("result"),
        error=snapshot.get("error"),
        status_text=driver.execute_script(
            "return document.getElementById('status')?.textContent || ''"
        ),
    )
