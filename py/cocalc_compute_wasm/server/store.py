"""The project's state folder: one SQLite database in WAL mode.

`PROJECT_DIR/.cocalc-compute/state.sqlite3` holds the project id, the hashed API keys, and
every document's patch log and snapshots. Commits are synchronous (FULL) because a change
is acknowledged to its author only after it is durable: a SIGKILL or power cut after an
acknowledgement must not lose it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STATE_DIR = ".cocalc-compute"
DATABASE = "state.sqlite3"
WHEELHOUSE = "wheels"
"""The project's wheelhouse, in the state folder: wheels its browser kernels may install."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    key_hash BLOB NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    revoked REAL
);
CREATE TABLE IF NOT EXISTS patches (
    path TEXT NOT NULL,
    seq INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    local_number INTEGER NOT NULL,
    time REAL NOT NULL,
    patch BLOB NOT NULL,
    PRIMARY KEY (path, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS patches_origin ON patches (path, client_id, local_number);
CREATE TABLE IF NOT EXISTS snapshots (
    path TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (path, seq)
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    saved_mtime_ns INTEGER,
    saved_seq INTEGER NOT NULL DEFAULT 0
);
"""


class StoreError(Exception):
    """The state folder cannot be created or read."""


def open_database(project_dir: Path) -> sqlite3.Connection:
    """Open (creating on first use) the project's database, and give it an id."""
    if not project_dir.is_dir():
        raise StoreError(f"project folder {project_dir} does not exist or is not a folder")
    state_dir = project_dir / STATE_DIR
    try:
        state_dir.mkdir(exist_ok=True)
        # The server may run on another thread than the one that opened the project (a
        # background server for a synchronous caller); SQLite itself is serialized.
        db = sqlite3.connect(state_dir / DATABASE, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(SCHEMA)
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('project_id', ?)", (str(uuid.uuid4()),)
        )
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"cannot open the project state in {state_dir}: {error}") from error
    return db


def project_id(db: sqlite3.Connection) -> str:
    return db.execute("SELECT value FROM meta WHERE key = 'project_id'").fetchone()[0]


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One explicit transaction (the connection is in autocommit mode otherwise), so that
    a batch of statements costs one commit and lands all or nothing."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
