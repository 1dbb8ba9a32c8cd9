"""An in-memory stand-in for the project server's ordering, for the pure client model."""

from __future__ import annotations

import random

import pytest

from cocalc_compute_wasm.client import NotebookDoc
from cocalc_compute_wasm.sync import NOTEBOOK, Accepted, LogRecord, PatchLog


class LogServer:
    """A PatchLog that orders what docs send and hands each record to every doc, the way
    the project server broadcasts (author included), but with delivery under test control."""

    def __init__(self) -> None:
        self.log = PatchLog(NOTEBOOK)
        self.docs: list[NotebookDoc] = []
        self.undelivered: dict[int, list[LogRecord]] = {}

    def join(self, client_id: str, seed: int = 0) -> NotebookDoc:
        doc = NotebookDoc(client_id, random.Random(seed))
        doc.catch_up(self.log.catch_up(0))
        self.docs.append(doc)
        self.undelivered[id(doc)] = []
        return doc

    def submit(self, doc: NotebookDoc) -> None:
        """Order the doc's outgoing patches; the records wait in each doc's inbox."""
        for patch in doc.take_outgoing():
            outcome = self.log.accept(patch)
            if isinstance(outcome, Accepted):
                for inbox in self.undelivered.values():
                    inbox.append(outcome.record)

    def deliver(self, doc: NotebookDoc) -> None:
        for record in self.undelivered[id(doc)]:
            doc.receive(record)
        self.undelivered[id(doc)] = []

    def sync(self) -> None:
        """Everyone sends, then everyone receives everything."""
        for doc in self.docs:
            self.submit(doc)
        for doc in self.docs:
            self.deliver(doc)


@pytest.fixture(scope="session")
def make_server() -> type[LogServer]:
    """The class itself, for hypothesis tests that need a fresh server per example."""
    return LogServer


@pytest.fixture
def server() -> LogServer:
    return LogServer()
