"""What travels between replicas and the log, and what the log persists.

Each message is a frozen value that checks its numbers and ids when built (its patch is valid
by construction), and has a plain msgpack-able wire form: `to_wire()`, and `from_wire(schema,
data)`, which checks everything and raises InvalidPatch for anything malformed. Keys a message
does not know are ignored, so a shell may add its own (`ch`, `cmd`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .data import check_json
from .errors import InvalidPatch, brief, within
from .patch import MAX_TEXT_DIFFS, Patch
from .schema import Schema, Value


@dataclass(frozen=True)
class ClientPatch:
    """A replica's patch to the log, numbered 1, 2, 3, ... by its author in order of making.

    A client id names one replica session; the number makes a resend recognisable.
    """

    client_id: str
    local_number: int
    patch: Patch

    def __post_init__(self) -> None:
        _check_client_id(self.client_id, "client_id")
        _check_int(self.local_number, "local_number", 1)

    def to_wire(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "local_number": self.local_number,
            "patch": self.patch.to_wire(),
        }

    @classmethod
    def from_wire(cls, schema: Schema, data: object) -> ClientPatch:
        """Also refuses a patch too costly to apply (MAX_TEXT_DIFFS): what the log accepts,
        every replica applies."""
        with within("client patch"):
            msg = _map(data)
            patch = Patch.from_wire(schema, msg.get("patch"))
            if patch.text_diffs > MAX_TEXT_DIFFS:
                raise InvalidPatch(
                    f"patch: its text patches hold {patch.text_diffs} diffs, at most"
                    f" {MAX_TEXT_DIFFS} in one patch (send the text itself)"
                )
            return cls(
                client_id=msg.get("client_id"),  # type: ignore[arg-type]
                local_number=msg.get("local_number"),  # type: ignore[arg-type]
                patch=patch,
            )


@dataclass(frozen=True)
class LogRecord:
    """A patch the log accepted, at its sequence number: broadcast to every replica (its author
    takes it as the acknowledgement) and persisted, author and number included, so that a
    reloaded log still recognises resends."""

    seq: int
    client_id: str
    local_number: int
    patch: Patch

    def __post_init__(self) -> None:
        _check_int(self.seq, "seq", 1)
        _check_client_id(self.client_id, "client_id")
        _check_int(self.local_number, "local_number", 1)

    def to_wire(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "client_id": self.client_id,
            "local_number": self.local_number,
            "patch": self.patch.to_wire(),
        }

    @classmethod
    def from_wire(cls, schema: Schema, data: object) -> LogRecord:
        with within("log record"):
            msg = _map(data)
            return cls(
                seq=msg.get("seq"),  # type: ignore[arg-type]
                client_id=msg.get("client_id"),  # type: ignore[arg-type]
                local_number=msg.get("local_number"),  # type: ignore[arg-type]
                patch=Patch.from_wire(schema, msg.get("patch")),
            )


@dataclass(frozen=True)
class Snapshot:
    """The value at `seq`, and for each client the last local number folded into it.

    `clients` lets a reloaded log keep refusing resends of patches older than the snapshot,
    and tells a replica reset to this snapshot which of its pending patches are already in.
    """

    seq: int
    value: Value = field(repr=False)
    clients: Mapping[str, int]

    def __post_init__(self) -> None:
        _check_int(self.seq, "seq", 0)
        if not isinstance(self.clients, Mapping):
            raise InvalidPatch("clients: expected a map client id -> local number")
        for client_id, number in self.clients.items():
            _check_client_id(client_id, "clients key")
            _check_int(number, f"clients[{brief(client_id)}]", 1)

    def to_wire(self) -> dict[str, Any]:
        """`{seq, records: [record, ...], clients: {client_id: local_number}}`"""
        return {
            "seq": self.seq,
            "records": list(self.value.values()),
            "clients": dict(self.clients),
        }

    @classmethod
    def from_wire(cls, schema: Schema, data: object) -> Snapshot:
        with within("snapshot"):
            msg = _map(data)
            value: Value = {}
            for i, record in enumerate(_list(msg.get("records"), "records")):
                where = f"records[{i}]"
                key = schema.check_stored(record, where)
                check_json(record, where)
                if key in value:
                    raise InvalidPatch(f"{where}: a second record with key {brief(key)}")
                value[key] = record
            seq, clients = msg.get("seq"), msg.get("clients")
            return cls(seq=seq, value=value, clients=clients)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CatchUp:
    """What a replica needs to reach the log's present from some seq: the records after it,
    preceded by a snapshot when the log no longer holds all of them."""

    snapshot: Snapshot | None
    records: Sequence[LogRecord]

    def __post_init__(self) -> None:
        object.__setattr__(self, "records", tuple(self.records))

    def to_wire(self) -> dict[str, Any]:
        return {
            "snapshot": None if self.snapshot is None else self.snapshot.to_wire(),
            "records": [r.to_wire() for r in self.records],
        }

    @classmethod
    def from_wire(cls, schema: Schema, data: object) -> CatchUp:
        with within("catch-up"):
            msg = _map(data)
            snapshot = msg.get("snapshot")
            records = []
            for i, record in enumerate(_list(msg.get("records"), "records")):
                with within(f"records[{i}]"):
                    records.append(LogRecord.from_wire(schema, record))
            return cls(
                snapshot=None if snapshot is None else Snapshot.from_wire(schema, snapshot),
                records=records,
            )


def _map(data: object) -> dict[Any, Any]:
    if not isinstance(data, dict):
        raise InvalidPatch(f"expected a map, got {type(data).__name__}")
    return data


def _list(data: object, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise InvalidPatch(f"{what}: expected a list, got {type(data).__name__}")
    return data


def _check_int(value: object, what: str, least: int) -> None:
    if type(value) is not int or value < least:
        raise InvalidPatch(f"{what}: expected an integer >= {least}, got {brief(value)}")


def _check_client_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidPatch(f"{what}: expected a non-empty string, got {brief(value)}")
