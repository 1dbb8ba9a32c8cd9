"""A client's side of a document: the log's order, plus its own edits shown at once."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidLog
from .messages import CatchUp, ClientPatch, LogRecord, Snapshot
from .patch import Patch, apply_patches, make_patch
from .schema import Schema, Value


@dataclass(frozen=True)
class Applied:
    """The confirmed state moved to `seq` by someone else's patch (or a snapshot): `value`
    changed, show it."""

    seq: int


@dataclass(frozen=True)
class Acknowledged:
    """The log accepted this replica's own patch `local_number` at `seq`; `value` unchanged."""

    seq: int
    local_number: int


@dataclass(frozen=True)
class Ignored:
    """A record or snapshot at or before the confirmed seq: already had it, harmless."""

    seq: int


@dataclass(frozen=True)
class NeedResync:
    """Records between `confirmed_seq` and `received_seq` are missing; the record was not
    applied. Ask the log for catch_up(confirmed_seq) and feed the answer to catch_up()."""

    confirmed_seq: int
    received_seq: int


Outcome = Applied | Acknowledged | Ignored | NeedResync


class Replica:
    """The confirmed value at the confirmed seq, and this replica's pending patches on top.

    `value` is always the confirmed value with the pending patches re-applied in order: the
    log will apply them after what it has already ordered, so once all are acknowledged every
    replica holds the log's value.
    """

    def __init__(self, schema: Schema, client_id: str) -> None:
        self.schema = schema
        self.client_id = client_id
        self._confirmed_seq = 0
        self._confirmed: Value = {}
        self._pending: list[ClientPatch] = []
        self._value: Value = {}
        self._next_number = 1

    @property
    def confirmed_seq(self) -> int:
        return self._confirmed_seq

    @property
    def confirmed(self) -> Value:
        return self._confirmed

    @property
    def value(self) -> Value:
        return self._value

    @property
    def pending(self) -> tuple[ClientPatch, ...]:
        """The unacknowledged patches, oldest first: resend all of them after a reconnect."""
        return tuple(self._pending)

    def change(self, patch: Patch) -> ClientPatch:
        """Apply a local patch now and return the message that sends it to the log."""
        message = ClientPatch(self.client_id, self._next_number, patch)
        self._next_number += 1
        self._pending.append(message)
        self._value = patch.apply(self._value)
        return message

    def commit(self, value: Value) -> ClientPatch | None:
        """Make `value` the local value (a text column changes by text patch, so that a
        collaborator's concurrent typing survives); None when nothing changed."""
        patch = make_patch(self.schema, self._value, value)
        return None if patch.empty else self.change(patch)

    def receive(self, record: LogRecord) -> Outcome:
        """Take the next record of the log, from any author, this replica included."""
        if record.seq <= self._confirmed_seq:
            return Ignored(record.seq)
        if record.seq > self._confirmed_seq + 1:
            return NeedResync(self._confirmed_seq, record.seq)
        own = record.client_id == self.client_id
        if own and not (self._pending and self._pending[0].local_number == record.local_number):
            expected = self._pending[0].local_number if self._pending else None
            raise InvalidLog(
                f"log record seq {record.seq} is this replica's patch {record.local_number},"
                f" but its oldest pending patch is {expected}: is client id"
                f" {self.client_id!r} used by two replicas?"
            )
        self._confirmed = record.patch.apply(self._confirmed)
        self._confirmed_seq = record.seq
        if own:
            self._pending.pop(0)
            return Acknowledged(record.seq, record.local_number)
        self._rebase()
        return Applied(record.seq)

    def reset(self, snapshot: Snapshot) -> Applied | Ignored:
        """Adopt the log's snapshot as the confirmed state, unless this replica is already at
        or past it (an answer to an older catch-up request). Pending patches the snapshot
        already holds are dropped; the others stay pending on top."""
        if snapshot.seq <= self._confirmed_seq:
            return Ignored(snapshot.seq)
        self._confirmed = snapshot.value
        self._confirmed_seq = snapshot.seq
        done = snapshot.clients.get(self.client_id, 0)
        self._pending = [p for p in self._pending if p.local_number > done]
        self._rebase()
        return Applied(snapshot.seq)

    def catch_up(self, catch_up: CatchUp) -> list[Outcome]:
        """Take the log's answer to catch_up(); stops at the first NeedResync. An answer to an
        older request does no harm: whatever of it this replica already has is Ignored."""
        outcomes: list[Outcome] = []
        if catch_up.snapshot is not None:
            outcomes.append(self.reset(catch_up.snapshot))
        for record in catch_up.records:
            outcomes.append(self.receive(record))
            if isinstance(outcomes[-1], NeedResync):
                break
        return outcomes

    def _rebase(self) -> None:
        self._value = apply_patches(self._confirmed, (p.patch for p in self._pending))
