"""Drive the compute page from outside the browser.

The page publishes what it shows in `window.cocalcCompute` ({state, phases, result,
error, status}); polling it is how the headless worker, the demo and the browser tests
see what a person would see. The key goes in as the page's HttpOnly `api_key` cookie,
set through the DevTools protocol: never in a URL, a script or a log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class BootOutcome:
    state: str  # "ready", "error", or "booting" when the wait timed out
    phases: list[dict] = field(default_factory=list)
    result: dict | None = None
    error: dict | None = None
    status_text: str = ""
    status: dict | None = None


def set_key_cookie(driver, page_url: str, api_key: str, base_path: str = "/") -> None:
    """Give the browser the project's key as the server's login would: an HttpOnly cookie."""
    parts = urlsplit(page_url)
    driver.execute_cdp_cmd(
        "Network.setCookie",
        {
            "name": "api_key",
            "value": api_key,
            "url": f"{parts.scheme}://{parts.netloc}{base_path}",
            "path": base_path,
            "httpOnly": True,
            "sameSite": "Strict",
        },
    )


def snapshot(driver) -> BootOutcome:
    state = driver.execute_script("return window.cocalcCompute || null") or {}
    return BootOutcome(
        state=state.get("state", "booting"),
        phases=state.get("phases", []),
        result=state.get("result"),
        error=state.get("error"),
        status_text=driver.execute_script(
            "return document.getElementById('status')?.textContent || ''"
        ),
        status=state.get("status"),
    )


def wait_for_boot(driver, url: str | None, timeout: float = 120.0) -> BootOutcome:
    """Open `url` (None: the page already open) and wait until the page says ready or
    error (or `timeout` passes)."""
    if url is not None:
        driver.get(url)
    deadline = time.monotonic() + timeout
    outcome = snapshot(driver)
    while outcome.state not in ("ready", "error") and time.monotonic() < deadline:
        time.sleep(0.05)
        outcome = snapshot(driver)
    return outcome
