"""The mount process, and the mount a native worker keeps beside it.

`run_mount` serves FUSE in the foreground of this process: libfuse catches SIGINT and
SIGTERM, leaves its loop and unmounts before `FUSE()` returns. A worker runs it as a
child process (`MountedChild`), so that libfuse's signal handling and its blocking loop
stay out of the worker's event loop; the key goes to the child in its environment,
never on its command line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from ..client.config import ServerConfig
from .mountpoint import MountError, is_mounted, prepare, unmount

log = logging.getLogger(__name__)

MOUNTED_LINE = "mounted"
LOOP_ENDED = 8  # fuse_main's code for a loop that ended by a signal (or an error)


def run_mount(directory: Path, config: ServerConfig, *, expiry: float = 1.0) -> int:
    """Mount the project's files at `directory` until SIGINT/SIGTERM; prints
    MOUNTED_LINE on stdout once the mount is up."""
    from ..client.files_link import FilesLink
    from ..websocketfs.remote import RemoteFiles

    try:
        import mfusepy
    except OSError as error:  # mfusepy looks for libfuse when imported
        raise MountError(f"{error}: install Debian's fuse3 (apt-get install fuse3)") from None
    from .operations import Operations

    prepare(directory)
    link = FilesLink(config)
    try:
        files = RemoteFiles(link, expiry=expiry)
        files.stat("")  # a wrong key or an unreachable server fails here, not in FUSE

        def mounted() -> None:
            log.info("mounted %s at %s", config.files_url, directory)
            print(MOUNTED_LINE, flush=True)

        try:
            mfusepy.FUSE(
                Operations(files, on_mounted=mounted),
                str(directory),
                foreground=True,
                nothreads=True,
                fsname=f"cocalc:{config.project_id}",
                subtype="cocalc",
                default_permissions=True,
                attr_timeout=expiry,
                entry_timeout=expiry,
                negative_timeout=expiry,
            )
        except RuntimeError as error:
            # fuse_main says 8 when its loop ended with an error, which a signal sets
            if error.args != (LOOP_ENDED,) or is_mounted(directory):
                raise MountError(f"FUSE failed on {directory} (fuse_main said {error})") from None
        log.info("unmounted %s", directory)
    finally:
        link.close()
    return 0


class MountedChild:
    """`cocalc-compute mount DIR` as a child process, up once `start()` returns."""

    def __init__(self, directory: Path, config: ServerConfig, *, timeout: float = 30.0):
        self.directory, self.config, self.timeout = directory, config, timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "API_SERVER": self.config.server,
            "PROJECT_ID": self.config.project_id,
            "API_KEY": self.config.api_key or "",
            "BASE_PATH": self.config.base_path,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cocalc_compute_wasm.cli", "mount", str(self.directory)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            process_group=0,  # a Ctrl-C stops the worker first; it stops the mount after
        )
        line = self.process.stdout.readline().strip()  # the child's stderr is ours
        if line != MOUNTED_LINE:
            code = self.process.wait(self.timeout)
            raise MountError(f"mounting {self.directory} failed (exit {code}): see above")

    def stop(self) -> None:
        """SIGTERM: libfuse unmounts; unmount here only if the child could not."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(self.timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(MountError):
            if is_mounted(self.directory):
                unmount(self.directory)
