import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sync_strategies import values

from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    CatchUp,
    ClientPatch,
    InvalidPatch,
    LogRecord,
    Patch,
    Snapshot,
)

PATCH = Patch(NOTEBOOK, sets=[{"type": "cell", "id": "a", "input": "x"}])
A = ("cell", "a")


def through_msgpack(data):
    return msgpack.unpackb(msgpack.packb(data))


def test_client_patch_wire_form():
    message = ClientPatch("c1", 3, PATCH)
    assert message.to_wire() == {"client_id": "c1", "local_number": 3, "patch": PATCH.to_wire()}
    assert ClientPatch.from_wire(NOTEBOOK, through_msgpack(message.to_wire())) == message


def test_log_record_wire_form():
    record = LogRecord(7, "c1", 3, PATCH)
    assert record.to_wire() == {
        "seq": 7,
        "client_id": "c1",
        "local_number": 3,
        "patch": PATCH.to_wire(),
    }
    assert LogRecord.from_wire(NOTEBOOK, through_msgpack(record.to_wire())) == record


def test_unknown_keys_are_ignored():
    wire = {**LogRecord(7, "c1", 3, PATCH).to_wire(), "ch": 2, "cmd": "patch"}
    assert LogRecord.from_wire(NOTEBOOK, wire).seq == 7


def test_snapshot_wire_form():
    snap = Snapshot(4, {A: {"type": "cell", "id": "a", "input": "x"}}, {"c1": 2})
    assert snap.to_wire() == {
        "seq": 4,
        "records": [{"type": "cell", "id": "a", "input": "x"}],
        "clients": {"c1": 2},
    }
    assert Snapshot.from_wire(NOTEBOOK, through_msgpack(snap.to_wire())) == snap


def test_catch_up_wire_form():
    snap = Snapshot(1, {}, {})
    for catch_up in (CatchUp(None, [LogRecord(2, "c", 1, PATCH)]), CatchUp(snap, [])):
        assert CatchUp.from_wire(NOTEBOOK, through_msgpack(catch_up.to_wire())) == catch_up


@pytest.mark.parametrize(
    ("cls", "data", "message"),
    [
        (ClientPatch, [], "^client patch: expected a map, got list$"),
        (
            ClientPatch,
            {"client_id": "", "local_number": 1, "patch": []},
            "^client patch: client_id: expected a non-empty string, got ''$",
        ),
        (ClientPatch, {"client_id": 5, "local_number": 1, "patch": []}, "client_id: .* got 5$"),
        (
            ClientPatch,
            {"client_id": "c", "local_number": 0, "patch": []},
            "^client patch: local_number: expected an integer >= 1, got 0$",
        ),
        (ClientPatch, {"client_id": "c", "local_number": True, "patch": []}, "got True$"),
        (
            ClientPatch,
            {"client_id": "c", "local_number": 1},
            r"^client patch: patch: expected a list \[-1, deletes, 1, sets\]$",
        ),
        (
            ClientPatch,
            {"client_id": "c", "local_number": 1, "patch": [1, [{"type": "cell"}]]},
            r"^client patch: patch: sets\[0\]: primary-key field 'id' is missing$",
        ),
        (
            LogRecord,
            {"seq": 0, "client_id": "c", "local_number": 1, "patch": []},
            "^log record: seq: expected an integer >= 1, got 0$",
        ),
        (LogRecord, {"client_id": "c", "local_number": 1, "patch": []}, "seq: .* got None$"),
        (
            Snapshot,
            {"seq": 0, "records": {}, "clients": {}},
            "^snapshot: records: expected a list, got dict$",
        ),
        (
            Snapshot,
            {"seq": -1, "records": [], "clients": {}},
            "^snapshot: seq: expected an integer >= 0, got -1$",
        ),
        (
            Snapshot,
            {"seq": 0, "records": [], "clients": []},
            "^snapshot: clients: expected a map client id -> local number$",
        ),
        (
            Snapshot,
            {"seq": 0, "records": [], "clients": {"c": 0}},
            r"^snapshot: clients\['c'\]: expected an integer >= 1, got 0$",
        ),
        (Snapshot, {"seq": 0, "records": [], "clients": {1: 1}}, "^snapshot: clients key: "),
        (
            Snapshot,
            {"seq": 0, "records": [{"type": "cell", "id": "a", "input": []}], "clients": {}},
            r"^snapshot: records\[0\]\['input'\]: string column holds list, not str$",
        ),
        (
            Snapshot,
            {"seq": 0, "records": [{"type": "cell", "id": "a", "x": {"y": b""}}], "clients": {}},
            r"^snapshot: records\[0\]\['x'\]\['y'\]: bytes is not JSON data$",
        ),
        (
            Snapshot,
            {"seq": 0, "records": [{"type": "s", "id": 1}, {"type": "s", "id": 1}], "clients": {}},
            r"^snapshot: records\[1\]: a second record with key \('s', 1\)$",
        ),
        (CatchUp, {"snapshot": None}, "^catch-up: records: expected a list, got NoneType$"),
        (
            CatchUp,
            {"snapshot": [], "records": []},
            "^catch-up: snapshot: expected a map, got list$",
        ),
        (
            CatchUp,
            {"snapshot": None, "records": [{}]},
            r"^catch-up: records\[0\]: log record: patch: expected a list",
        ),
    ],
)
def test_malformed_messages_are_refused(cls, data, message):
    with pytest.raises(InvalidPatch, match=message):
        cls.from_wire(NOTEBOOK, data)


@settings(max_examples=100, deadline=None)
@given(values)
def test_snapshot_round_trip(value):
    snap = Snapshot(3, value, {"c": 1})
    assert Snapshot.from_wire(NOTEBOOK, through_msgpack(snap.to_wire())) == snap


# -- junk off the wire ----------------------------------------------------------------------

WORDS = [-1, 0, 1, "type", "id", "cell", "input", "seq", "client_id", "local_number", "patch"]
junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=6)
    | st.binary(max_size=6)
    | st.sampled_from(WORDS),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from([*WORDS, "records", "clients", "snapshot"]) | st.text(max_size=3),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)

# Near misses reach the deeper checks: a patch-shaped frame with junk in its slots.
hunk = st.lists(st.lists(st.sampled_from([-1, 0, 1]) | junk, max_size=3) | junk, max_size=6)
field = st.sampled_from(["type", "id", "input", "output", "pos"])
record = st.dictionaries(field, junk | st.just("cell") | st.lists(hunk, max_size=3), max_size=5)
near_patch = st.lists(st.sampled_from([-1, 1]) | st.lists(record, max_size=3), max_size=4)
near = near_patch | st.fixed_dictionaries(
    {
        "seq": st.integers(-1, 3) | junk,
        "client_id": st.just("c") | junk,
        "local_number": st.just(1),
    },
    optional={"patch": near_patch, "records": st.lists(record | junk, max_size=3)},
)

DECODERS = [Patch, ClientPatch, LogRecord, Snapshot, CatchUp]
DOC = {A: {"type": "cell", "id": "a", "input": "some text here"}}


@settings(max_examples=400, deadline=None)
@given(junk | near, st.sampled_from(DECODERS))
def test_junk_raises_invalid_patch_and_nothing_else(data, cls):
    try:
        decoded = cls.from_wire(NOTEBOOK, data)
    except InvalidPatch:
        return
    # What is accepted is usable: it applies, encodes, and decodes to itself.
    if isinstance(decoded, Patch):
        decoded.apply(DOC)
    wire = through_msgpack(decoded.to_wire())
    assert cls.from_wire(NOTEBOOK, wire) == decoded
