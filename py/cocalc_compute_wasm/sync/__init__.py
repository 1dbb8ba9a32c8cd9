"""The sync core: CoCalc's SyncDB documents, ordered by the project server.

Pure Python and sans-IO: values in, values and messages out; the shells do sockets and SQLite.

Modules: `schema` (what a document is), `data` (what a field may hold), `text` (text patches),
`patch` (db patches: apply, make, wire form), `messages` (what travels and is persisted),
`log` (the server's ordered log), `replica` (a client's optimistic copy), `errors`.

Choices made where DESIGN.md leaves room:

Values.
    A document value is a `dict` from key tuple (primary-key fields in schema order, e.g.
    `("cell", "a1")` for NOTEBOOK) to record `dict`. Values are immutable by convention:
    applying builds new dicts and shares unchanged records; to change a value build a new one.
    A record never holds None (None means absent), nor does the top level of a map field.
    Primary-key fields are `str` or `int` (not bool or float, which collide: True == 1 == 1.0).
    Field values are JSON data that msgpack carries unchanged: None, bool, 64-bit int, finite
    float, str, list, dict with str keys, nested at most 64 deep. A text column holds a str.

Patches on the wire (`Patch.to_wire`), CoCalc's array form:
    `[-1, [delete, ...], 1, [set, ...]]`, either part left out when empty (`[]` is a no-op).
    A delete is a map of exactly the primary-key fields. A set is a partial record with all
    its primary-key fields, merged field by field into the record with that key (created if
    absent): None deletes the field; a map over a map merges shallowly (None deletes a key;
    a map over anything else merges into an empty map, so it too sheds its None entries);
    in a text column (`Schema.string_cols`, for NOTEBOOK `input`) a str replaces and a list
    is a text patch; anything else replaces (last writer wins). Sets apply in order, after
    the deletes, so deleting and setting one key in one patch replaces the whole record.

Text patches: diff-match-patch in CoCalc's compact form
    `[[diffs, start1, start2, length1, length2], ...]` with `diffs = [[op, text], ...]`, op
    -1 delete, 0 keep, 1 insert. Applied fuzzily to the current text ("" when absent); a
    hunk that does not fit is skipped. Lengths are recomputed from the diffs and starts are
    only hints, so JavaScript's UTF-16 counts do no harm; each hunk must insert or delete
    something (diff-match-patch crashes on hunks of pure context). diff-match-patch runs
    without its time limit: with it, a fuzzy apply would depend on the machine's speed and
    replicas would diverge. A bound on the work of one diff (`text.MAX_DIFF_WORK`) takes its
    place: a hunk that would need more to fit gives up the same way on every replica. Each
    hunk applied copies the text, so a client's patch holds at most `MAX_TEXT_DIFFS` diffs in
    all its text patches; make_patch sends the text itself rather than go past that.

make_patch(schema, before, after):
    deletes for vanished keys, whole records for new keys, and for changed records the key
    fields plus changed fields only (a removed field as None, a map field as its shallow
    difference). A changed text column becomes a text patch unless the patch carries more
    characters than the new text (an edit that deletes more than it keeps) or the changed
    middle is too large to diff in about 0.1 s; then the new text replaces the old.

Messages (`to_wire()` maps; `from_wire(schema, data)` raises only InvalidPatch and ignores
keys it does not know):
    ClientPatch `{client_id, local_number, patch}` from a replica to the log; a client id
        names one replica session, whose local numbers run 1, 2, 3, ... in order of making.
    LogRecord `{seq, client_id, local_number, patch}`: accepted, broadcast to every replica
        (the author takes it as its acknowledgement) and persisted as is.
    Snapshot `{seq, records: [record, ...], clients: {client_id: last local_number}}`.
    CatchUp `{snapshot: Snapshot | None, records: [LogRecord, ...]}`.

The log (`PatchLog`): gapless seqs from 1; snapshot + tail in memory. Persist each
`Accepted.record` before broadcasting it, and each snapshot `take_snapshot()` returns (it
becomes the base; the tail starts afresh); to load, pass the latest snapshot and the records
after it. A client's patches are accepted in its own order only: a number already seen is a
`Duplicate` (not applied again; it says the seq the patch took effect at: its own, or the
snapshot's it was folded into), a skipped number is `OutOfOrder`. Snapshots record each
client's last number, so dedup survives compaction and restart. `SnapshotPolicy` (default:
1000 patches or 4 MiB of msgpack in the tail) makes `snapshot_due` true.

The replica (`Replica`): confirmed value at confirmed seq, plus its pending patches re-applied
on top. The next record is Applied (someone else's) or Acknowledged (its own); an old record
or snapshot is Ignored, so a late answer to an older catch-up request does no harm; a record
past a gap gives NeedResync and is not applied. A replica starts empty at seq 0: open a
document by feeding it the log's `catch_up(0)`. After a reconnect: ask the log for
`catch_up(confirmed_seq)`, feed the answer to `Replica.catch_up()`, and resend `pending`
without waiting for the answer (resends the log already has are Duplicates).

Errors: `InvalidPatch` for anything malformed, local or off the wire; `InvalidLog` where a log
and what is known of it disagree (a persisted tail that does not continue its snapshot, a
replica's own patches out of order, a replica asking to catch up from past the log's end).
Both are `SyncError`, a `ValueError`, with a message fit to be a close reason.
"""

from .errors import InvalidLog, InvalidPatch, SyncError
from .log import Accepted, Duplicate, OutOfOrder, PatchLog, SnapshotPolicy
from .messages import CatchUp, ClientPatch, LogRecord, Snapshot
from .patch import Patch, apply_patches, make_patch
from .replica import Acknowledged, Applied, Ignored, NeedResync, Outcome, Replica
from .schema import NOTEBOOK, Key, Record, Schema, Value

__all__ = [
    "NOTEBOOK",
    "Accepted",
    "Acknowledged",
    "Applied",
    "CatchUp",
    "ClientPatch",
    "Duplicate",
    "Ignored",
    "InvalidLog",
    "InvalidPatch",
    "Key",
    "LogRecord",
    "NeedResync",
    "OutOfOrder",
    "Outcome",
    "Patch",
    "PatchLog",
    "Record",
    "Replica",
    "Schema",
    "Snapshot",
    "SnapshotPolicy",
    "SyncError",
    "Value",
    "apply_patches",
    "make_patch",
]
