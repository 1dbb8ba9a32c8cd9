"""The kernel's own process: runs cells for one notebook, on its main thread.

Started by `KernelProcess`; talks to it over two dedicated pipes. A SIGINT from the host
interrupts the running cell (KeyboardInterrupt, which also breaks `time.sleep`); one that
arrives between cells is ignored, so a late interrupt cannot kill the kernel.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import signal
import sys
import threading
from typing import BinaryIO

from ..kernel import Kernel
from ..kernel.batching import StreamBatcher
from ..kernel.events import INTERRUPTED_EARLY, ExecuteReply, InputRequest, Output
from ..kernel.wire import event_to_wire
from .pipe_frames import FrameError, decode_body, decode_length, encode

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


class Pipes:
    def __init__(self, incoming: BinaryIO, outgoing: BinaryIO) -> None:
        self.incoming = incoming
        self.outgoing = outgoing
        self._lock = threading.Lock()

    def send(self, message: dict) -> None:
        """Write a whole frame: an interrupt during the write waits until it is done, so
        that a KeyboardInterrupt never leaves half a frame in the pipe."""
        frame = encode(message)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            with self._lock:
                self.outgoing.write(frame)
                self.outgoing.flush()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def receive(self) -> dict:
        return decode_body(self._read(decode_length(self._read(4))))

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.incoming.read(size - len(data))
            if not chunk:
                raise FrameError("the worker closed the pipe")
            data += chunk
        return data


def ignore_sigint(signum: int, frame: object) -> None:
    """Between cells an interrupt has nothing to stop."""


def serve(pipes: Pipes, cwd: str) -> None:
    signal.signal(signal.SIGINT, ignore_sigint)

    batcher = StreamBatcher(pipes.send)
    batcher.flush_in_background()

    def ask(prompt: str, password: bool) -> str:
        batcher.emit(InputRequest(prompt, password))
        return str(pipes.receive()["value"])

    kernel = Kernel(stdin=ask, cwd=cwd)
    loop = asyncio.new_event_loop()
    pipes.send({"event": "ready", "pid": os.getpid()})
    while True:
        try:
            message = pipes.receive()
        except FrameError:
            return
        if message.get("op") != "execute":
            continue
        # From here an interrupt counts: the host may send it as soon as it asked for the
        # run, before the kernel has put up its own handler for the cell.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            reply = loop.run_until_complete(kernel.execute(str(message["code"]), batcher.emit))
        except KeyboardInterrupt:
            batcher.emit(Output(INTERRUPTED_EARLY))
            reply = ExecuteReply("error", None)
        finally:
            signal.signal(signal.SIGINT, ignore_sigint)
        batcher.flush()
        pipes.send(event_to_wire(reply))


def die_with_parent() -> None:
    """Ask Linux to end this process when the worker that started it ends, even by
    SIGKILL: an orphaned kernel would run a `while True` cell forever."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a kernel process of a native compute worker")
    parser.add_argument("--fd-in", type=int, required=True)
    parser.add_argument("--fd-out", type=int, required=True)
    parser.add_argument("--cwd", default=".")
    args = parser.parse_args(argv)
    die_with_parent()
    os.chdir(args.cwd)
    with os.fdopen(args.fd_in, "rb", buffering=0) as incoming, os.fdopen(args.fd_out, "wb") as out:
        serve(Pipes(incoming, out), args.cwd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
