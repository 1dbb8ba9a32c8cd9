"""One open notebook on the server: its patch log, its subscribers, its file on disk.

The project server owns the `.ipynb`: it imports the file when it is newer than the last
save and nobody has unsaved edits, and exports (debounced, atomic) after changes. When
the file changed on disk while the live document also has unsaved edits, the live
document wins and the next export overwrites the file, as CoCalc does.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..notebook import InvalidNotebook, empty_notebook
from ..sync import (
    NOTEBOOK,
    Accepted,
    ClientPatch,
    Duplicate,
    LogRecord,
    OutOfOrder,
    PatchLog,
    Value,
    make_patch,
)
from .doc_store import DocumentStore
from .notebook_file import read_notebook, value_of, write_notebook
from .store import transaction

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    def send_channel(self, channel: int, body: dict) -> None: ...


@dataclass
class FileState:
    saved_mtime_ns: int | None
    saved_seq: int


class NotebookSession:
    """Applies patches in order, makes them durable, fans them out, keeps the file."""

    def __init__(
        self,
        path: str,
        file_path: Path,
        store: DocumentStore,
        save_delay: float,
        on_idle: Callable[[NotebookSession], None],
    ) -> None:
        self.path = path
        self.file_path = file_path
        self.store = store
        self.save_delay = save_delay
        self.on_idle = on_idle
        self.log: PatchLog = store.load(path, NOTEBOOK)
        self.subscribers: dict[Subscriber, int] = {}
        self.file = self._load_file_state()
        self.save_error: str | None = None
        self._unreadable_mtime_ns: int | None = None
        self._save_handle: asyncio.TimerHandle | None = None
        # The server's own edits (imports from disk) come from a replica session of
        # its own per server run, so their local numbers never collide with older runs.
        self._server_client = f"project-server-{uuid.uuid4().hex[:12]}"
        self._server_local = 0

    # --- opening, subscribers ------------------------------------------------------

    def start(self) -> None:
        """Bring the document in line with the disk when it is opened.

        A file that is there but is not a notebook is refused (InvalidNotebook) rather
        than replaced by an empty document that the next save would write over it.
        """
        if self.log.seq == 0 and self.file_path.exists():
            value, mtime_ns = read_notebook(self.file_path)
            self._server_change(value)
            self._mark_saved(mtime_ns)
        elif self.log.seq == 0:
            self._server_change(value_of(empty_notebook()))
            self.save_now()
        else:
            self.check_disk()
            if self.has_unsaved_edits:  # e.g. edits made just before a crash
                self._schedule_save()

    def subscribe(self, subscriber: Subscriber, channel: int) -> None:
        self.subscribers[subscriber] = channel

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.pop(subscriber, None)
        if not self.subscribers:
            self.save_now()
            self.on_idle(self)

    def broadcast(self, body: dict) -> None:
        for subscriber, channel in list(self.subscribers.items()):
            subscriber.send_channel(channel, body)

    # --- patches -------------------------------------------------------------------

    def submit(self, patch: ClientPatch) -> Accepted | Duplicate | OutOfOrder:
        """Order a client's patch; an Accepted one is durable before this returns."""
        outcome = self.log.accept(patch)
        if isinstance(outcome, Accepted):
            self._commit(outcome.record)
        return outcome

    def _commit(self, record: LogRecord) -> None:
        self.store.append(self.path, [record], time.time())
        if self.log.snapshot_due:
            self.store.save_snapshot(self.path, self.log.take_snapshot())
        self.broadcast({"record": record.to_wire()})
        self._schedule_save()

    def _server_change(self, value: Value) -> None:
        patch = make_patch(NOTEBOOK, self.log.value, value)
        if patch.empty:
            return
        self._server_local += 1
        outcome = self.log.accept(ClientPatch(self._server_client, self._server_local, patch))
        assert isinstance(outcome, Accepted)
        self._commit(outcome.record)

    # --- the file ------------------------------------------------------------------

    def _load_file_state(self) -> FileState:
        row = self.store.db.execute(
            "SELECT saved_mtime_ns, saved_seq FROM files WHERE path = ?", (self.path,)
        ).fetchone()
        return FileState(*row) if row else FileState(None, 0)

    def _store_file_state(self) -> None:
        with transaction(self.store.db) as db:
            db.execute(
                "INSERT OR REPLACE INTO files (path, saved_mtime_ns, saved_seq) VALUES (?, ?, ?)",
                (self.path, self.file.saved_mtime_ns, self.file.saved_seq),
            )

    @property
    def has_unsaved_edits(self) -> bool:
        return self.file.saved_seq != self.log.seq

    def check_disk(self) -> None:
        """Import the file when it changed on disk and nothing here is unsaved."""
        mtime_ns = self._disk_mtime()
        if mtime_ns is None or mtime_ns == self.file.saved_mtime_ns:
            return
        if self.has_unsaved_edits:
            return  # the live document wins; the pending export overwrites the file
        if mtime_ns == self._unreadable_mtime_ns:
            return
        try:
            value, mtime_ns = read_notebook(self.file_path)
        except (InvalidNotebook, OSError) as error:
            # Keep the file as it is (someone saved it) until it changes again.
            self._unreadable_mtime_ns = mtime_ns
            self._report_save_error(f"{self.path} on disk is not a notebook: {error}")
            return
        self._server_change(value)
        self._mark_saved(mtime_ns)

    def _mark_saved(self, mtime_ns: int) -> None:
        self._cancel_save()
        self._unreadable_mtime_ns = None
        self.file = FileState(mtime_ns, self.log.seq)
        self._store_file_state()
        if self.save_error is not None:
            self.save_error = None
            self.broadcast({"save_error": None})

    def _schedule_save(self) -> None:
        if self._save_handle is None:
            loop = asyncio.get_running_loop()
            self._save_handle = loop.call_later(self.save_delay, self.save_now)

    def _cancel_save(self) -> None:
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None

    def save_now(self) -> None:
        """Export the live document to the file, if it has unsaved edits."""
        self._cancel_save()
        if not self.has_unsaved_edits and self.file_path.exists():
            return
        if (
            self._unreadable_mtime_ns is not None
            and self._disk_mtime() == self._unreadable_mtime_ns
        ):
            return  # never write over a file we could not read; the edits stay in the log
        try:
            mtime_ns = write_notebook(self.file_path, self.log.value)
        except (InvalidNotebook, UnicodeError, OSError) as error:
            self._report_save_error(f"cannot save {self.path}: {error}")
            return
        self._mark_saved(mtime_ns)

    def _disk_mtime(self) -> int | None:
        try:
            return self.file_path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _report_save_error(self, message: str) -> None:
        log.warning("%s", message)
        self.save_error = message
        self.broadcast({"save_error": message})
