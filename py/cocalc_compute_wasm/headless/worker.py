"""`cocalc-compute worker --headless`: lend a host's compute through the browser worker.

Debian Chromium opens the project's compute page on a fresh profile, exactly as a person
would (the key goes in as the page's HttpOnly cookie, never into the URL), and stays
attached while the page's Pyodide runner serves the notebooks the server assigns. The
page publishes what it shows in `window.cocalcCompute`; polling it is how this process
sees (and logs) the connection and the notebooks served.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..browser.compute import gpu_feature
from ..client.config import ServerConfig, resolve_config
from .chromium import ChromiumError, launch_chromium
from .page import BootOutcome, set_key_cookie, snapshot, wait_for_boot

log = logging.getLogger(__name__)

BOOT_TIMEOUT = 180.0  # seconds from opening the page to ready (a cold boot takes ~4 s)
POLL_INTERVAL = 0.5
GONE = ("stopped", "disconnected")  # connection states the page stays in without a person


class PageError(Exception):
    """The compute page failed to get ready, or the browser stopped answering."""


def page_url(config: ServerConfig) -> str:
    """The compute page of the project (the key is never part of it)."""
    origin = config.server.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    return f"{origin}{config.base_path}{quote(config.project_id, safe='')}/compute/"


@dataclass
class BrowserWorker:
    """Chromium on a ready compute page."""

    driver: Any
    url: str
    boot: BootOutcome
    ready_seconds: float  # from opening the page to ready, as a person would wait

    def snapshot(self) -> BootOutcome:
        """What the page shows now; PageError when the browser is gone or crashed."""
        try:
            return snapshot(self.driver)
        except Exception as error:  # selenium's or urllib3's: either way the browser is gone
            raise PageError(f"the browser stopped answering: {describe(error)}") from error


def describe(error: BaseException) -> str:
    """A selenium error in one line (their messages carry stack traces)."""
    message = getattr(error, "msg", None) or str(error) or type(error).__name__
    return message.strip().splitlines()[0]


def redact(text: str, secret: str | None) -> str:
    """Whatever a message quotes, the key does not reach a terminal or a log."""
    return text.replace(secret, "sk-***") if secret else text


def boot(driver: Any, url: str, timeout: float, stop: threading.Event | None) -> BootOutcome | None:
    """Open the page and wait for ready or error; None when `stop` is set meanwhile."""
    deadline = time.monotonic() + timeout
    driver.get(url)
    outcome = wait_for_boot(driver, None, 0)
    while outcome.state == "booting" and time.monotonic() < deadline:
        if stop is not None and stop.is_set():
            return None
        outcome = wait_for_boot(driver, None, POLL_INTERVAL)
    return outcome


@contextmanager
def open_browser_worker(
    config: ServerConfig, timeout: float = BOOT_TIMEOUT, stop: threading.Event | None = None
) -> Iterator[BrowserWorker | None]:
    """Chromium on the ready compute page (None when `stop` was set while it booted);
    PageError when the page reports an error or is not ready in `timeout` seconds."""
    assert config.api_key is not None, "the headless worker needs the key for its cookie"
    url = page_url(config)
    with launch_chromium(webgpu=True) as driver:
        started = time.monotonic()
        try:
            set_key_cookie(driver, url, config.api_key, config.base_path)
            outcome = boot(driver, url, timeout, stop)
        except Exception as error:
            if stop is not None and stop.is_set():  # a terminal's Ctrl-C reaches Chromium too
                outcome = None
            else:
                message = redact(describe(error), config.api_key)
                raise PageError(f"the browser failed on {url}: {message}") from error
        if outcome is None:
            yield None
        elif outcome.state == "error":
            raise PageError(f"the compute page reported an error: {outcome.status_text}")
        elif outcome.state != "ready":
            raise PageError(
                f"the compute page was not ready in {timeout:g} s: {outcome.status_text}"
            )
        else:
            yield BrowserWorker(driver, url, outcome, time.monotonic() - started)


def status_changes(before: dict | None, after: dict | None) -> list[str]:
    """One line per change a person watching the page would notice: the connection, the
    notebooks assigned and released, their kernels' states, new problems."""
    if not after:
        return []
    before = before or {}
    lines = []
    connection = after.get("connection") or {}
    if connection != before.get("connection"):
        detail = f" ({connection['detail']})" if connection.get("detail") else ""
        lines.append(f"connection {connection.get('state')}{detail}")
    old = {nb["path"]: nb for nb in before.get("notebooks", [])}
    new = {nb["path"]: nb for nb in after.get("notebooks", [])}
    for path, notebook in new.items():
        if path not in old:
            lines.append(f"{path}: assigned (kernel {notebook['kernel']})")
        elif notebook["kernel"] != old[path]["kernel"]:
            lines.append(f"{path}: kernel {old[path]['kernel']} -> {notebook['kernel']}")
    lines += [f"{path}: released" for path in old if path not in new]
    seen = {(e["time"], e["message"]) for e in before.get("errors", [])}
    for error in after.get("errors", []):
        if (error["time"], error["message"]) not in seen:
            where = f"{error['path']}: " if error.get("path") else ""
            lines.append(f"problem: {where}{error['message']}")
    return lines


def watch(
    worker: BrowserWorker, stop: threading.Event, report: Callable[[str], None] = log.info
) -> None:
    """Poll the page until `stop` is set, reporting each change; PageError when the
    browser dies or the page leaves the project for good."""
    status = None
    while not stop.is_set():
        try:
            current = worker.snapshot().status
        except PageError:
            if stop.is_set():  # a terminal's Ctrl-C reaches Chromium too
                return
            raise
        for line in status_changes(status, current):
            report(line)
        status = current or status
        connection = (status or {}).get("connection") or {}
        if connection.get("state") in GONE:  # the page does not reconnect from these
            raise PageError(
                f"the compute page left the project: {connection['state']}"
                f" ({connection.get('detail') or 'no reason given'})"
            )
        stop.wait(POLL_INTERVAL)


def run_headless_worker(
    server: str | None,
    project_id: str | None,
    api_key: str | None,
    base_path: str | None,
    timeout: float = BOOT_TIMEOUT,
) -> int:
    """Serve until SIGINT, SIGTERM or SIGHUP (exit status 0); 1 with a message on stderr when
    Chromium is missing, the page fails, or the browser dies."""
    config = resolve_config(server, project_id, api_key, base_path)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # its retries when Chromium quits
    try:
        with open_browser_worker(config, timeout, stop) as worker:
            if worker is None:
                return 0
            kernel = worker.boot.result.get("kernel", {})
            gpu = gpu_feature(kernel.get("gpu"))
            log.info(
                "compute page %s ready in %.2f s: IPython %s, Python %s, Pyodide %s; GPU: %s",
                worker.url,
                worker.ready_seconds,
                kernel.get("ipython"),
                kernel.get("python"),
                kernel.get("pyodide"),
                gpu.get("detail") or f"none, because {gpu['why']}",
            )
            watch(worker, stop)
            log.info("stopping: quitting Chromium")
    except (ChromiumError, PageError) as error:
        print(f"cocalc-compute worker: {redact(str(error), config.api_key)}", file=sys.stderr)
        return 1
    return 0
