"""Stream output in batches, for a kernel whose events cross a process or worker boundary."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .events import KernelEvent, Output
from .wire import event_to_wire

FLUSH_INTERVAL = 0.02
MAX_BATCH = 64 * 1024


class StreamBatcher:
    """Send stream text in batches: a cell printing 100,000 lines makes 200,000 writes,
    and one frame each would cost more than the printing. The first write after a quiet
    spell goes out at once; later ones within FLUSH_INTERVAL are joined, and a flusher
    thread sends what is left, so a print followed by a long computation still shows.

    ``send`` gets wire dicts (``event_to_wire``)."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._name: str | None = None
        self._parts: list[str] = []
        self._size = 0
        self._last_flush = 0.0

    def flush_in_background(self) -> None:
        """Start the flusher thread (where threads exist: not in Pyodide, where the
        rest waits for the next write or the end of the cell)."""
        threading.Thread(target=self._flush_regularly, daemon=True).start()

    def emit(self, event: KernelEvent) -> None:
        if isinstance(event, Output) and event.output.get("output_type") == "stream":
            name, text = event.output["name"], event.output["text"]
            with self._lock:
                if name != self._name:
                    self._flush_locked()
                    self._name = name
                self._parts.append(text)
                self._size += len(text)
                quiet = time.monotonic() - self._last_flush > FLUSH_INTERVAL
                if quiet or self._size > MAX_BATCH:
                    self._flush_locked()
            return
        self.flush()
        self._send(event_to_wire(event))

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            output = {"output_type": "stream", "name": self._name, "text": text}
            self._send(event_to_wire(Output(output)))
            self._parts.clear()
            self._size = 0
        self._last_flush = time.monotonic()

    def _flush_regularly(self) -> None:
        while True:
            time.sleep(FLUSH_INTERVAL)
            self.flush()
