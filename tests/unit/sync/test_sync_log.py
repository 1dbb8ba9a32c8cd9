import msgpack
import pytest

from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    Accepted,
    CatchUp,
    ClientPatch,
    Duplicate,
    InvalidLog,
    LogRecord,
    OutOfOrder,
    Patch,
    PatchLog,
    Snapshot,
    SnapshotPolicy,
)

A = ("cell", "a")


def put(n: int, text: str = "") -> Patch:
    return Patch(NOTEBOOK, sets=[{"type": "cell", "id": "a", "n": n, "input": text}])


def reload(log: PatchLog) -> PatchLog:
    """What a persistence layer does: store the base snapshot and the tail, load them back."""
    snapshot = Snapshot.from_wire(NOTEBOOK, msgpack.unpackb(msgpack.packb(log.base.to_wire())))
    tail = [
        LogRecord.from_wire(NOTEBOOK, msgpack.unpackb(msgpack.packb(r.to_wire()))) for r in log.tail
    ]
    return PatchLog(NOTEBOOK, snapshot, tail, log.policy)


def test_seqs_are_gapless_from_one_across_clients():
    log = PatchLog(NOTEBOOK)
    assert log.seq == 0
    assert log.value == {}
    events = [
        log.accept(ClientPatch(c, n, put(i)))
        for i, (c, n) in enumerate([("x", 1), ("y", 1), ("x", 2)])
    ]
    assert [e.record.seq for e in events if isinstance(e, Accepted)] == [1, 2, 3]
    assert events[2] == Accepted(LogRecord(3, "x", 2, put(2)))
    assert log.seq == 3
    assert log.value[A]["n"] == 2


def test_a_resend_is_a_duplicate_with_its_original_seq():
    log = PatchLog(NOTEBOOK)
    log.accept(ClientPatch("x", 1, put(1)))
    log.accept(ClientPatch("y", 1, put(2)))
    assert log.accept(ClientPatch("x", 1, put(1))) == Duplicate("x", 1, 1)
    assert log.seq == 2
    assert log.value[A]["n"] == 2


def test_a_skipped_number_waits_for_the_missing_one():
    log = PatchLog(NOTEBOOK)
    assert log.accept(ClientPatch("x", 2, put(2))) == OutOfOrder("x", 2, 1)
    log.accept(ClientPatch("x", 1, put(1)))
    assert log.accept(ClientPatch("x", 3, put(3))) == OutOfOrder("x", 3, 2)
    assert log.seq == 1


def test_value_at_any_seq():
    log = PatchLog(NOTEBOOK)
    for n in range(1, 4):
        log.accept(ClientPatch("x", n, put(n)))
    assert log.value_at(0) == {}
    assert [log.value_at(s)[A]["n"] for s in (1, 2, 3)] == [1, 2, 3]
    with pytest.raises(ValueError, match=r"seq 4 is outside 0\.\.3"):
        log.value_at(4)


def test_take_snapshot_folds_the_tail():
    log = PatchLog(NOTEBOOK)
    for n in range(1, 4):
        log.accept(ClientPatch("x", n, put(n)))
    snap = log.take_snapshot()
    assert snap == Snapshot(3, log.value, {"x": 3})
    assert log.base is snap
    assert log.tail == ()
    assert log.seq == 3
    log.accept(ClientPatch("y", 1, put(9)))
    assert log.seq == 4
    with pytest.raises(ValueError, match="outside"):
        log.value_at(2)


def test_dedup_survives_snapshot_and_reload():
    log = PatchLog(NOTEBOOK)
    for n in range(1, 4):
        log.accept(ClientPatch("x", n, put(n)))
    log.take_snapshot()
    log.accept(ClientPatch("x", 4, put(4)))
    log = reload(log)
    assert log.accept(ClientPatch("x", 2, put(2))) == Duplicate("x", 2, 3)  # folded in at 3
    assert log.accept(ClientPatch("x", 4, put(4))) == Duplicate("x", 4, 4)
    assert log.accept(ClientPatch("x", 6, put(6))) == OutOfOrder("x", 6, 5)
    assert isinstance(log.accept(ClientPatch("x", 5, put(5))), Accepted)
    assert log.seq == 5


def test_reload_gives_the_same_log():
    log = PatchLog(NOTEBOOK)
    for n in range(1, 6):
        log.accept(ClientPatch("xy"[n % 2], n // 2 + n % 2, put(n, "t" * n)))
        if n == 2:
            log.take_snapshot()
    again = reload(log)
    assert (again.seq, again.value, again.base, again.tail) == (
        log.seq,
        log.value,
        log.base,
        log.tail,
    )
    assert again.snapshot_due == log.snapshot_due


def test_loading_refuses_a_tail_that_does_not_fit():
    with pytest.raises(InvalidLog, match="log record seq 2 does not follow seq 0"):
        PatchLog(NOTEBOOK, tail=[LogRecord(2, "x", 1, put(1))])
    with pytest.raises(InvalidLog, match="does not follow seq 5"):
        PatchLog(NOTEBOOK, Snapshot(5, {}, {}), [LogRecord(5, "x", 1, put(1))])
    with pytest.raises(
        InvalidLog, match="log record seq 1: client 'x' patch 2 does not follow patch 0"
    ):
        PatchLog(NOTEBOOK, tail=[LogRecord(1, "x", 2, put(1))])
    with pytest.raises(InvalidLog, match="client 'x' patch 3 does not follow patch 3"):
        PatchLog(NOTEBOOK, Snapshot(5, {}, {"x": 3}), [LogRecord(6, "x", 3, put(1))])


def test_catch_up_from_the_tail_or_from_the_snapshot():
    log = PatchLog(NOTEBOOK)
    for n in range(1, 5):
        log.accept(ClientPatch("x", n, put(n)))
        if n == 2:
            log.take_snapshot()
    assert log.catch_up(2) == CatchUp(None, log.tail)
    assert log.catch_up(3) == CatchUp(None, log.tail[1:])
    assert log.catch_up(4) == CatchUp(None, ())
    assert log.catch_up(1) == CatchUp(log.base, log.tail)
    assert log.catch_up(-1) == CatchUp(log.base, log.tail)


def test_a_replica_past_the_log_is_an_invalid_log():
    log = PatchLog(NOTEBOOK)
    log.accept(ClientPatch("x", 1, put(1)))
    with pytest.raises(InvalidLog, match="a replica at seq 2 is past the log at seq 1"):
        log.catch_up(2)


def test_a_new_log_catches_up_from_zero_without_snapshot():
    log = PatchLog(NOTEBOOK)
    log.accept(ClientPatch("x", 1, put(1)))
    assert log.catch_up(0) == CatchUp(None, log.tail)


def test_snapshot_policy_counts_patches_and_bytes():
    policy = SnapshotPolicy(max_patches=3, max_bytes=10_000)
    assert not policy.due(2, 9_999)
    assert policy.due(3, 0)
    assert policy.due(0, 10_000)
    log = PatchLog(NOTEBOOK, policy=policy)
    for n in range(1, 3):
        log.accept(ClientPatch("x", n, put(n)))
    assert not log.snapshot_due
    log.accept(ClientPatch("x", 3, put(3)))
    assert log.snapshot_due
    log.take_snapshot()
    assert not log.snapshot_due
    log.accept(ClientPatch("x", 4, put(4, "z" * 10_000)))
    assert log.snapshot_due
