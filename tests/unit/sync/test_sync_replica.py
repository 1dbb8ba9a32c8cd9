import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    Accepted,
    Acknowledged,
    Applied,
    CatchUp,
    ClientPatch,
    Duplicate,
    Ignored,
    InvalidLog,
    LogRecord,
    NeedResync,
    Patch,
    PatchLog,
    Replica,
    Snapshot,
)

A = ("cell", "a")


def cell(**fields):
    return {"type": "cell", "id": "a", **fields}


def put(**fields) -> Patch:
    return Patch(NOTEBOOK, sets=[cell(**fields)])


def with_input(replica: Replica, text: str):
    return {**replica.value, A: {**replica.value.get(A, cell()), "input": text}}


def test_a_local_change_shows_at_once_and_goes_out_numbered():
    r = Replica(NOTEBOOK, "me")
    first = r.change(put(pos=1))
    second = r.change(put(pos=2))
    assert first == ClientPatch("me", 1, put(pos=1))
    assert second.local_number == 2
    assert r.value == {A: cell(pos=2)}
    assert r.confirmed == {}
    assert r.confirmed_seq == 0
    assert r.pending == (first, second)


def test_its_own_patch_back_is_an_acknowledgement():
    r = Replica(NOTEBOOK, "me")
    message = r.change(put(pos=1))
    assert r.receive(LogRecord(1, "me", 1, message.patch)) == Acknowledged(1, 1)
    assert r.pending == ()
    assert r.confirmed == r.value == {A: cell(pos=1)}
    assert r.confirmed_seq == 1


def test_a_remote_patch_moves_confirmed_and_pending_stays_on_top():
    r = Replica(NOTEBOOK, "me")
    r.change(put(pos=1))
    assert r.receive(LogRecord(1, "other", 1, put(pos=5, tags=["t"]))) == Applied(1)
    assert r.confirmed == {A: cell(pos=5, tags=["t"])}
    assert r.value == {A: cell(pos=1, tags=["t"])}
    assert len(r.pending) == 1


def test_an_old_record_is_ignored():
    r = Replica(NOTEBOOK, "me")
    r.receive(LogRecord(1, "other", 1, put(pos=1)))
    assert r.receive(LogRecord(1, "other", 1, put(pos=1))) == Ignored(1)
    assert r.confirmed_seq == 1


def test_a_gap_needs_a_resync_and_is_not_applied():
    r = Replica(NOTEBOOK, "me")
    assert r.receive(LogRecord(2, "other", 1, put(pos=1))) == NeedResync(0, 2)
    assert r.value == {}
    assert r.confirmed_seq == 0


def test_its_own_patch_out_of_order_is_an_invalid_log():
    r = Replica(NOTEBOOK, "me")
    r.change(put(pos=1))
    with pytest.raises(
        InvalidLog, match="this replica's patch 2, but its oldest pending patch is 1"
    ):
        r.receive(LogRecord(1, "me", 2, put(pos=1)))
    with pytest.raises(InvalidLog, match="oldest pending patch is None"):
        Replica(NOTEBOOK, "me").receive(LogRecord(1, "me", 1, put(pos=1)))
    assert r.confirmed_seq == 0


def test_commit_makes_text_patches_and_skips_no_change():
    r = Replica(NOTEBOOK, "me")
    r.commit({A: cell(input="hello world")})
    message = r.commit(with_input(r, "hello brave world"))
    assert message is not None
    assert isinstance(message.patch.sets[0]["input"], list)
    assert r.value[A]["input"] == "hello brave world"
    assert r.commit(dict(r.value)) is None


def test_reset_to_a_snapshot_drops_what_it_holds():
    r = Replica(NOTEBOOK, "me")
    for n in range(1, 4):
        r.change(put(n=n))
    assert r.reset(Snapshot(7, {A: cell(n=2, x=1)}, {"me": 2})) == Applied(7)
    assert [p.local_number for p in r.pending] == [3]
    assert r.confirmed_seq == 7
    assert r.value == {A: cell(n=3, x=1)}


def test_catch_up_feeds_snapshot_and_records_and_stops_at_a_gap():
    log = PatchLog(NOTEBOOK)
    for n in range(1, 4):
        log.accept(ClientPatch("other", n, put(n=n)))
    log.take_snapshot()
    log.accept(ClientPatch("other", 4, put(n=4)))
    r = Replica(NOTEBOOK, "me")
    assert r.catch_up(log.catch_up(0)) == [Applied(3), Applied(4)]
    assert r.value == log.value
    gap = CatchUp(None, [LogRecord(9, "x", 1, put(n=9)), LogRecord(10, "x", 2, put())])
    assert r.catch_up(gap) == [NeedResync(4, 9)]


def test_an_answer_to_an_older_catch_up_request_changes_nothing():
    log = PatchLog(NOTEBOOK)
    for n in range(1, 4):
        log.accept(ClientPatch("other", n, put(n=n)))
        if n == 2:
            log.take_snapshot()
    r = Replica(NOTEBOOK, "me")
    stale = log.catch_up(0)
    r.catch_up(log.catch_up(0))
    mine = r.change(put(mine=1))
    log.accept(mine)
    assert r.receive(log.tail[-1]) == Acknowledged(4, 1)
    assert r.catch_up(stale) == [Ignored(2), Ignored(3)]
    assert r.confirmed_seq == 4
    assert r.value == log.value


def deliver(log: PatchLog, replicas, messages):
    """Order the messages and deliver every resulting record to every replica."""
    for message in messages:
        event = log.accept(message)
        if isinstance(event, Accepted):
            for r in replicas:
                r.receive(event.record)


# -- (c) concurrent text inserts both survive -----------------------------------------------

WORDS = " ".join(f"word{i}" for i in range(40))
#: Inserts at least this far apart do not overlap: each hunk carries 4 characters of context
#: on either side (diff-match-patch's Patch_Margin). Closer ones may land elsewhere.
APART = 8


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, len(WORDS) - APART).flatmap(
        lambda i: st.tuples(st.just(i), st.integers(i + APART, len(WORDS)))
    ),
    st.text(alphabet="XYZ\n", min_size=1, max_size=10),
    st.text(alphabet="XYZ\n", min_size=1, max_size=10),
    st.booleans(),
)
def test_concurrent_inserts_into_one_input_both_survive(positions, x, y, a_first):
    i, j = positions
    log = PatchLog(NOTEBOOK)
    a, b = Replica(NOTEBOOK, "a"), Replica(NOTEBOOK, "b")
    deliver(log, [a, b], [a.commit({A: cell(input=WORDS)})])
    from_a = a.commit(with_input(a, WORDS[:i] + x + WORDS[i:]))
    from_b = b.commit(with_input(b, WORDS[:j] + y + WORDS[j:]))
    deliver(log, [a, b], [from_a, from_b] if a_first else [from_b, from_a])
    expected = WORDS[:i] + x + WORDS[i:j] + y + WORDS[j:]
    assert log.value[A]["input"] == a.value[A]["input"] == b.value[A]["input"] == expected


def test_concurrent_edits_of_different_fields_and_cells_both_survive():
    log = PatchLog(NOTEBOOK)
    a, b = Replica(NOTEBOOK, "a"), Replica(NOTEBOOK, "b")
    deliver(log, [a, b], [a.change(put(input="x", output={"0": 1}))])
    concurrent = [
        a.change(put(pos=1.5, output={"1": 2})),
        b.change(put(exec_count=3, output={"2": 3})),
    ]
    deliver(log, [a, b], concurrent)
    expected = {A: cell(input="x", pos=1.5, exec_count=3, output={"0": 1, "1": 2, "2": 3})}
    assert log.value == a.value == b.value == expected


# -- (d) a resend after a reconnect is not applied twice ------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    n_edits=st.integers(1, 6),
    n_arrived=st.integers(0, 6),
    snapshot=st.booleans(),
    restart=st.booleans(),
)
def test_a_resend_after_reconnect_is_not_applied_twice(n_edits, n_arrived, snapshot, restart):
    log = PatchLog(NOTEBOOK)
    r = Replica(NOTEBOOK, "me")
    deliver(log, [r], [r.commit({A: cell(input="start")})])
    messages = [r.commit(with_input(r, r.value[A]["input"] + f" +{n}")) for n in range(n_edits)]
    for message in messages[:n_arrived]:  # these reach the log; the acknowledgements are lost
        assert isinstance(log.accept(message), Accepted)
    if snapshot:
        log.take_snapshot()
    if restart:
        log = PatchLog(NOTEBOOK, log.base, log.tail)
    # Reconnect: ask to catch up and, without waiting, resend everything pending, in order.
    catch_up = log.catch_up(r.confirmed_seq)
    events = [log.accept(message) for message in r.pending]
    arrived = min(n_arrived, n_edits)
    assert [type(e) for e in events] == [Duplicate] * arrived + [Accepted] * (n_edits - arrived)
    r.catch_up(catch_up)
    for event in events:
        if isinstance(event, Accepted):
            assert r.receive(event.record) == Acknowledged(
                event.record.seq, event.record.local_number
            )
    expected = "start" + "".join(f" +{n}" for n in range(n_edits))
    assert log.value[A]["input"] == r.value[A]["input"] == expected
    assert log.seq == 1 + n_edits
    assert r.pending == ()
