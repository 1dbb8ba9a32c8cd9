"""A project as the server holds it: its folder, its id and its database."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import keys, store


@dataclass
class Project:
    directory: Path
    project_id: str
    db: sqlite3.Connection

    @classmethod
    def open(cls, directory: Path) -> Project:
        directory = directory.resolve()
        db = store.open_database(directory)
        return cls(directory, store.project_id(db), db)

    def first_start_key(self, new_key: bool = False) -> str | None:
        """A key to show at start: a new one when none exists yet (or when asked)."""
        if new_key or not keys.list_keys(self.db):
            key, _ = keys.create_key(self.db, label="created at server start")
            return key
        return None

    def close(self) -> None:
        self.db.close()
