"""The server's side of a document: the one order that every replica follows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import msgpack

from .errors import InvalidLog
from .messages import CatchUp, ClientPatch, LogRecord, Snapshot
from .patch import apply_patches
from .schema import Schema, Value


@dataclass(frozen=True)
class SnapshotPolicy:
    """When to fold the tail into a new snapshot: opening a document costs snapshot + tail, so
    the tail is kept short in patches (replay time) and in bytes (transfer)."""

    max_patches: int = 1000
    max_bytes: int = 4 << 20

    def due(self, patches: int, nbytes: int) -> bool:
        return patches >= self.max_patches or nbytes >= self.max_bytes


@dataclass(frozen=True)
class Accepted:
    """The patch got the next seq: persist `record`, then broadcast it (durable before
    acknowledged: its author takes the broadcast as the acknowledgement)."""

    record: LogRecord


@dataclass(frozen=True)
class Duplicate:
    """A resend of a patch the log already has: nothing to persist or broadcast.

    `seq` is where it took effect: its own seq, or for a patch folded into the log's
    snapshot, that snapshot's seq.
    """

    client_id: str
    local_number: int
    seq: int


@dataclass(frozen=True)
class OutOfOrder:
    """The client skipped a number: its patches are applied in the order it made them, each
    built on the one before, so the log waits for `expected` first."""

    client_id: str
    local_number: int
    expected: int


class PatchLog:
    """Snapshot + tail of one document; hands out gapless sequence numbers from 1.

    Storage-agnostic: build it from what was persisted (the latest snapshot and the records
    after it, in seq order), persist the records and snapshots it hands out, and it is the
    same log again after a restart.
    """

    def __init__(
        self,
        schema: Schema,
        snapshot: Snapshot | None = None,
        tail: Iterable[LogRecord] = (),
        policy: SnapshotPolicy | None = None,
    ) -> None:
        self.schema = schema
        self.policy = policy or SnapshotPolicy()
        self._base = snapshot or Snapshot(0, {}, {})
        self._value = self._base.value
        self._clients = dict(self._base.clients)
        self._tail: list[LogRecord] = []
        self._tail_seqs: dict[tuple[str, int], int] = {}
        self._tail_bytes = 0
        for record in tail:
            if record.seq != self.seq + 1:
                raise InvalidLog(f"log record seq {record.seq} does not follow seq {self.seq}")
            expected = self._expected(record.client_id)
            if record.local_number != expected:
                raise InvalidLog(
                    f"log record seq {record.seq}: client {record.client_id!r} patch"
                    f" {record.local_number} does not follow patch {expected - 1}"
                )
            self._append(record)

    @property
    def seq(self) -> int:
        """The seq of the last accepted patch (0 for a new document)."""
        return self._base.seq + len(self._tail)

    @property
    def value(self) -> Value:
        return self._value

    @property
    def base(self) -> Snapshot:
        """The snapshot the tail starts from: what to persist as the latest snapshot."""
        return self._base

    @property
    def tail(self) -> tuple[LogRecord, ...]:
        return tuple(self._tail)

    @property
    def snapshot_due(self) -> bool:
        """Whether the policy asks for take_snapshot() now."""
        return self.policy.due(len(self._tail), self._tail_bytes)

    def accept(self, patch: ClientPatch) -> Accepted | Duplicate | OutOfOrder:
        """Order a client's patch: give it the next seq, or say why not."""
        expected = self._expected(patch.client_id)
        if patch.local_number < expected:
            key = (patch.client_id, patch.local_number)
            seq = self._tail_seqs.get(key, self._base.seq)
            return Duplicate(patch.client_id, patch.local_number, seq)
        if patch.local_number > expected:
            return OutOfOrder(patch.client_id, patch.local_number, expected)
        record = LogRecord(self.seq + 1, patch.client_id, patch.local_number, patch.patch)
        self._append(record)
        return Accepted(record)

    def catch_up(self, since: int) -> CatchUp:
        """Everything a replica confirmed up to seq `since` needs to reach the present: the
        records after it, and the snapshot too where the tail does not reach back that far.

        A replica past the present holds patches this log has lost (a server restored from
        an old backup): InvalidLog, as no merge can repair that.
        """
        if since > self.seq:
            raise InvalidLog(
                f"a replica at seq {since} is past the log at seq {self.seq}:"
                " the log lost patches it once sent"
            )
        if since >= self._base.seq:
            return CatchUp(None, self._tail[since - self._base.seq :])
        return CatchUp(self._base, self._tail)

    def value_at(self, seq: int) -> Value:
        """The value as of `seq`, which the snapshot and tail must cover."""
        if not self._base.seq <= seq <= self.seq:
            raise ValueError(f"seq {seq} is outside {self._base.seq}..{self.seq}")
        tail = self._tail[: seq - self._base.seq]
        return apply_patches(self._base.value, (r.patch for r in tail))

    def take_snapshot(self) -> Snapshot:
        """Fold the tail into a snapshot at the present seq, which becomes the new base."""
        self._base = Snapshot(self.seq, self._value, dict(self._clients))
        self._tail.clear()
        self._tail_seqs.clear()
        self._tail_bytes = 0
        return self._base

    def _expected(self, client_id: str) -> int:
        return self._clients.get(client_id, 0) + 1

    def _append(self, record: LogRecord) -> None:
        self._value = record.patch.apply(self._value)
        self._clients[record.client_id] = record.local_number
        self._tail.append(record)
        self._tail_seqs[record.client_id, record.local_number] = record.seq
        self._tail_bytes += len(msgpack.packb(record.to_wire()))
