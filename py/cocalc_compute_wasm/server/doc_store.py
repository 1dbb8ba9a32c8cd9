"""Patch logs in SQLite: what makes a document survive a restart (or a SIGKILL).

Every accepted record is committed before anyone hears of it (durable before
acknowledged). All records are kept, as history; a snapshot only bounds how much must be
read to open the document: the latest snapshot plus the records after it.
"""

from __future__ import annotations

import sqlite3

import msgpack

from ..sync import LogRecord, PatchLog, Schema, Snapshot, SnapshotPolicy
from .store import transaction


def pack(value: object) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def unpack(data: bytes) -> object:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class DocumentStore:
    def __init__(self, db: sqlite3.Connection, policy: SnapshotPolicy | None = None) -> None:
        self.db = db
        self.policy = policy

    def load(self, path: str, schema: Schema) -> PatchLog:
        row = self.db.execute(
            "SELECT value FROM snapshots WHERE path = ? ORDER BY seq DESC LIMIT 1", (path,)
        ).fetchone()
        snapshot = Snapshot.from_wire(schema, unpack(row[0])) if row else None
        since = snapshot.seq if snapshot else 0
        rows = self.db.execute(
            "SELECT seq, client_id, local_number, patch FROM patches"
            " WHERE path = ? AND seq > ? ORDER BY seq",
            (path, since),
        )
        tail = [
            LogRecord.from_wire(
                schema,
                {"seq": seq, "client_id": client, "local_number": local, "patch": unpack(patch)},
            )
            for seq, client, local, patch in rows
        ]
        return PatchLog(schema, snapshot, tail, self.policy)

    def append(self, path: str, records: list[LogRecord], now: float) -> None:
        """Commit records in one transaction: a burst costs one fsync, not one each."""
        with transaction(self.db):
            self.db.executemany(
                "INSERT INTO patches (path, seq, client_id, local_number, time, patch)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (path, r.seq, r.client_id, r.local_number, now, pack(r.patch.to_wire()))
                    for r in records
                ],
            )

    def save_snapshot(self, path: str, snapshot: Snapshot) -> None:
        with transaction(self.db):
            self.db.execute(
                "INSERT OR REPLACE INTO snapshots (path, seq, value) VALUES (?, ?, ?)",
                (path, snapshot.seq, pack(snapshot.to_wire())),
            )
            self.db.execute(
                "DELETE FROM snapshots WHERE path = ? AND seq < ?", (path, snapshot.seq)
            )
