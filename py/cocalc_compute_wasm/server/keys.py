"""Project-scoped API keys, stored hashed.

A key is 256 random bits, so a plain SHA-256 is as good as a slow hash here, and it lets
us look keys up without a per-key salt. A presented key is compared against every stored
hash with `hmac.compare_digest`, so timing says nothing about how close a guess was.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass

KEY_PREFIX = "sk-"


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    label: str
    created: float
    revoked: float | None


class ApiKeyError(Exception):
    """A key management operation cannot be done (unknown key id, ...)."""


class AuthRefused(Exception):
    """A presented key does not open this project; the message says why."""


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def create_key(db: sqlite3.Connection, label: str = "") -> tuple[str, KeyInfo]:
    """Make a new key; the key itself is returned once and never stored."""
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{key_id}-{secrets.token_urlsafe(32)}"
    now = time.time()
    db.execute(
        "INSERT INTO api_keys (key_id, key_hash, label, created) VALUES (?, ?, ?, ?)",
        (key_id, hash_key(key), label, now),
    )
    return key, KeyInfo(key_id, label, now, None)


SELECT_INFO = "SELECT key_id, label, created, revoked FROM api_keys"


def list_keys(db: sqlite3.Connection) -> list[KeyInfo]:
    rows = db.execute(f"{SELECT_INFO} ORDER BY created")
    return [KeyInfo(*row) for row in rows]


def revoke_key(db: sqlite3.Connection, key_id: str) -> KeyInfo:
    row = db.execute("SELECT revoked FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
    if row is None:
        raise ApiKeyError(f"no API key with id {key_id!r} in this project")
    if row[0] is None:
        db.execute("UPDATE api_keys SET revoked = ? WHERE key_id = ?", (time.time(), key_id))
    return KeyInfo(*db.execute(f"{SELECT_INFO} WHERE key_id = ?", (key_id,)).fetchone())


def check_key(db: sqlite3.Connection, presented: str) -> str:
    """The id of the live key `presented` is; AuthRefused says why when it is not."""
    wanted = hash_key(presented)
    match = None
    for key_id, stored, revoked in db.execute("SELECT key_id, key_hash, revoked FROM api_keys"):
        if hmac.compare_digest(stored, wanted):
            match = (key_id, revoked)
    if match is None:
        raise AuthRefused("the API key is not valid for this project")
    if match[1] is not None:
        raise AuthRefused("the API key has been revoked")
    return match[0]
