"""Launch Debian's Chromium headless with a fresh profile.

Selenium Manager would try to download a driver from the internet; pointing it at the
system chromedriver (SE_CHROMEDRIVER) keeps it offline.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
WEBGPU_FLAGS = ("--enable-unsafe-webgpu",)
"""WebGPU in Linux Chromium: without this flag requestAdapter() gives null. With it, a
machine without a GPU driver Chromium can use gets SwiftShader (a software adapter)."""


class ChromiumError(Exception):
    """Chromium or chromedriver is missing or would not start."""


def find_binary(names: tuple[str, ...], package: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    raise ChromiumError(
        f"{names[0]} not found: install Debian's {package} (apt-get install chromium "
        "chromium-driver), or run the README's commands, which do it"
    )


@contextmanager
def launch_chromium(extra_flags: tuple[str, ...] = (), webgpu: bool = False) -> Iterator:
    """A selenium Chrome driver on a throwaway profile; quit and cleaned up on exit.
    With `webgpu`, WebGPU is on and the GPU is not disabled, so that a real adapter is
    used where Chromium has one."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary = find_binary(("chromium", "chromium-browser"), "chromium")
    driver_path = find_binary(("chromedriver",), "chromium-driver")
    os.environ.setdefault("SE_CHROMEDRIVER", driver_path)
    # Chromium may still be writing its profile as it quits: never fail on leftovers.
    with tempfile.TemporaryDirectory(
        prefix="cocalc-compute-chromium-", ignore_cleanup_errors=True
    ) as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        flags = [*CHROMIUM_FLAGS, *extra_flags, f"--user-data-dir={Path(profile)}"]
        if webgpu:
            flags = [f for f in flags if f != "--disable-gpu"] + list(WEBGPU_FLAGS)
        for flag in flags:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        try:
            # Its own session: a terminal's Ctrl-C goes to us, and we quit the browser in
            # order, rather than chromedriver and Chromium dying under us.
            service = Service(driver_path, popen_kw={"start_new_session": True})
            driver = webdriver.Chrome(service=service, options=options)
        except WebDriverException as error:
            raise ChromiumError(f"Chromium did not start: {error.msg}") from error
        try:
            yield driver
        finally:
            driver.quit()
