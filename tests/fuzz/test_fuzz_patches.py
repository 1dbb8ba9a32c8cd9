"""Fuzzing the sync patch applier the way the project server meets it.

The server takes a client's `patch` request apart with `ClientPatch.from_wire`, orders it
with `PatchLog.accept` (which applies it) and broadcasts the `LogRecord`, which every replica
decodes and applies in turn. Property: each step either works or raises InvalidPatch (a
SyncError) with a message that says what was wrong; nothing else escapes. And what is
accepted never corrupts the document: the log's value still holds only valid records, the
broadcast record survives the wire and the replicas' own checks, and a replica that applies
it holds exactly the log's value. Inputs are random values, patches of the right shape with
wrong pieces, text patches with invalid ranges, ops and lengths, real patches applied to
documents they were not made for, and resends with wrong local numbers.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgpack
import pytest
from fuzzing import cases, clear_reason
from hypothesis import given
from hypothesis import strategies as st
from sync_strategies import KEYS, edit_value, json_values, texts, values

from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    Accepted,
    ClientPatch,
    Duplicate,
    InvalidPatch,
    LogRecord,
    OutOfOrder,
    Patch,
    PatchLog,
    Replica,
    Snapshot,
    make_patch,
)
from cocalc_compute_wasm.sync.data import check_json
from cocalc_compute_wasm.sync.patch import MAX_TEXT_DIFFS
from cocalc_compute_wasm.sync.text import apply_text_patch, check_text_patch, make_text_patch

CLIENT = "alice"

wrong_scalars = st.sampled_from(
    [None, True, False, -1, 0, 2**64 - 1, -(2**63), 1.5, float("nan"), float("inf"), "", b"x"]
)
junk = st.recursive(
    wrong_scalars | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
numbers = st.integers(0, 40) | st.integers(-(2**64), 2**64) | wrong_scalars
ops = st.sampled_from([-1, 0, 1]) | st.sampled_from([2, -2, True, 1.0, "1", None])
diffs = st.lists(
    st.lists(ops | texts, min_size=2, max_size=2)
    | st.tuples(ops, texts | wrong_scalars).map(list)
    | junk,
    max_size=5,
)
hunks = st.lists(
    st.tuples(diffs | junk, numbers, numbers, numbers, numbers).map(list) | junk, max_size=4
)
text_patches = hunks | st.lists(
    st.tuples(st.tuples(st.sampled_from([-1, 1]), texts).map(list), numbers, numbers).map(
        lambda t: [[t[0]], t[1], t[2], 0, 0]
    ),
    min_size=1,
    max_size=6,
)
key_values = st.sampled_from(["cell", "settings", "x"]) | st.integers(0, 9) | wrong_scalars
field_values = st.one_of(json_values, junk, texts, text_patches)


@st.composite
def records(draw: st.DrawFn) -> Any:
    """A record to set or delete: a real key or a wrong one, fields right or wrong."""
    if draw(st.integers(0, 9)) == 0:
        return draw(junk)
    record: dict[Any, Any] = {}
    if draw(st.booleans()):
        record.update(zip(NOTEBOOK.primary_keys, draw(st.sampled_from(KEYS)), strict=True))
    else:
        for name in draw(st.sets(st.sampled_from(NOTEBOOK.primary_keys))):
            record[name] = draw(key_values)
    for name in draw(
        st.lists(st.sampled_from(["input", "output", "pos", "state", "z"]), max_size=3)
    ):
        record[name] = draw(field_values)
    if draw(st.integers(0, 19)) == 0:
        record[draw(st.integers(0, 3))] = 1  # a field name that is not a string
    return record


@st.composite
def wire_patches(draw: st.DrawFn) -> Any:
    """CoCalc's `[-1, deletes, 1, sets]`, with its parts right or wrong."""
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(junk)
    deletes, sets = draw(st.lists(records(), max_size=3)), draw(st.lists(records(), max_size=3))
    if shape == 1:
        return [draw(ops), deletes, draw(ops), sets]
    if shape == 2:
        return [1, sets, -1, deletes]  # the parts in the wrong order
    return [-1, deletes, 1, sets]


@st.composite
def foreign_patches(draw: st.DrawFn) -> Any:
    """A real patch, made against another document than the one it is applied to, maybe
    with its text hunks moved out of range."""
    before = draw(values)
    patch = make_patch(NOTEBOOK, before, edit_value(draw(st.data()), before)).to_wire()
    for part in patch[1::2]:
        for record in part:
            text = record.get("input")
            if isinstance(text, list) and text and draw(st.booleans()):
                text[0][1] = text[0][2] = draw(st.integers(0, 2**64 - 1))
    return patch


def client_patches(patches: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A `patch` request's argument: usually well-formed around the fuzzed patch."""
    return st.one_of(
        st.builds(
            lambda patch, number: {"client_id": CLIENT, "local_number": number, "patch": patch},
            patches,
            st.integers(1, 3) | numbers,
        ),
        st.fixed_dictionaries(
            {}, optional={"client_id": junk, "local_number": numbers, "patch": patches}
        ),
        junk,
    )


def over_the_wire(data: Any) -> Any:
    """What the server gets after msgpack, where the value can travel at all."""
    try:
        return msgpack.unpackb(msgpack.packb(data, use_bin_type=True), raw=False)
    except (OverflowError, ValueError, TypeError):
        return data


def check_refusal(refusal: InvalidPatch) -> None:
    assert clear_reason(str(refusal)), str(refusal)


def assert_valid_document(value: dict) -> None:
    for key, record in value.items():
        assert NOTEBOOK.check_stored(record, "record") == key
        check_json(record, "record")


def server_takes(log: PatchLog, data: Any) -> Accepted | Duplicate | OutOfOrder | None:
    """The server's path for one `patch` request; None where it was refused (checked)."""
    before = log.value
    try:
        outcome = log.accept(ClientPatch.from_wire(NOTEBOOK, over_the_wire(data)))
    except InvalidPatch as refusal:
        check_refusal(refusal)
        assert log.value is before
        return None
    if not isinstance(outcome, Accepted):
        assert log.value is before
    assert_valid_document(log.value)
    return outcome


def log_at(value: dict) -> PatchLog:
    return PatchLog(NOTEBOOK, Snapshot(5, value, {CLIENT: 1}))


def check_replica_follows(log: PatchLog, start: dict, outcome: Accepted) -> None:
    """The broadcast record survives the wire, and a replica applying it agrees."""
    record = LogRecord.from_wire(NOTEBOOK, over_the_wire(outcome.record.to_wire()))
    replica = Replica(NOTEBOOK, "bob")
    replica.reset(Snapshot(5, start, {CLIENT: 1}))
    replica.receive(record)
    assert replica.value == log.value


@cases(1200)
@given(document=values, request=client_patches(wire_patches()))
def test_server_applies_or_refuses_malformed_patches(document, request):
    log = log_at(document)
    outcome = server_takes(log, request)
    if isinstance(outcome, Accepted):
        check_replica_follows(log, document, outcome)


@cases(500)
@given(document=values, patch=foreign_patches(), number=st.integers(0, 4))
def test_real_patches_on_the_wrong_document_or_number(document, patch, number):
    """Made for another document (as after a missed update), or resent with a local number
    the log does not expect next: applied fuzzily, a duplicate, or out of order."""
    log = log_at(document)
    request = {"client_id": CLIENT, "local_number": number, "patch": patch}
    outcome = server_takes(log, request)
    if number == 0:
        assert outcome is None  # local numbers start at 1
    elif number == 1:
        assert isinstance(outcome, Duplicate)
    elif number == 2:
        assert isinstance(outcome, Accepted)
        check_replica_follows(log, document, outcome)
        assert isinstance(server_takes(log, request), Duplicate)  # a resend
    else:
        assert isinstance(outcome, OutOfOrder)
        assert outcome.expected == 2


@cases(1300)
@given(patch=text_patches, text=texts)
def test_text_patches_apply_or_are_refused(patch, text):
    """Any hunk the check lets through applies to any text without an error."""
    try:
        checked = check_text_patch(over_the_wire(patch), "input")
    except InvalidPatch as refusal:
        check_refusal(refusal)
        return
    assert isinstance(apply_text_patch(checked, text), str)


def test_a_hunk_matching_only_at_its_ends_is_skipped_not_diffed_for_minutes():
    """Found by review while fuzzing: a hunk deleting a long text whose first and last 32
    characters match the document made diff-match-patch diff the whole hunk against the
    whole stretch between them without a deadline, quadratic in its length: 46 s for 8 kB,
    hours for a frame's worth. Past MAX_DIFF_WORK the hunk no longer fits and is skipped."""
    ends, middle = "<" * 40, "ab" * 20_000
    document = ends + "cd" * 20_000 + ">" * 40
    hunk = [[[-1, ends + middle + ">" * 40]], 0, 0, 0, 0]
    assert apply_text_patch(check_text_patch([hunk], "input"), document) == document
    log = log_at({("cell", "a"): {"type": "cell", "id": "a", "input": document}})
    sets = [{"type": "cell", "id": "a", "input": [hunk]}]
    outcome = log.accept(ClientPatch(CLIENT, 2, Patch(NOTEBOOK, sets=sets)))
    assert isinstance(outcome, Accepted)
    assert log.value[("cell", "a")]["input"] == document


def test_a_long_deletion_still_applies_over_a_concurrent_edit():
    """The bound leaves the ordinary case alone: a long deletion whose stretch a
    collaborator changed meanwhile is diffed against it and still applies."""
    kept = "keep this line\n" * 20
    deleted = "".join(f"line {i} to delete\n" for i in range(12))
    patch = make_text_patch(kept + deleted + kept, kept + kept)
    assert patch is not None
    concurrent = kept + deleted.replace("line 5", "LINE 5") + kept
    assert apply_text_patch(patch, concurrent) == kept + kept


def test_a_patch_of_too_many_hunks_is_refused():
    """Found by review while fuzzing: each hunk applied copies the whole text, so thousands
    of one-character hunks for a long text kept the server busy for seconds per 100 kB
    frame. The log refuses a client patch past MAX_TEXT_DIFFS, summed over its records."""
    hunks = [[[[1, "b"]], i, i, 0, 1] for i in range(MAX_TEXT_DIFFS // 2 + 1)]
    sets = [{"type": "cell", "id": cell, "input": hunks} for cell in ("a", "b")]
    wire = {"client_id": CLIENT, "local_number": 2, "patch": [1, sets]}
    with pytest.raises(InvalidPatch) as refused:
        ClientPatch.from_wire(NOTEBOOK, wire)
    assert f"hold {MAX_TEXT_DIFFS + 2} diffs, at most {MAX_TEXT_DIFFS}" in str(refused.value)
    wire["patch"] = [1, sets[:1]]
    assert ClientPatch.from_wire(NOTEBOOK, wire).patch.text_diffs == MAX_TEXT_DIFFS // 2 + 1


def test_make_patch_sends_the_text_past_the_bound():
    """What a replica makes, the log accepts: an edit whose text patches would go past the
    bound sends the new texts themselves, record by record."""
    lines = "".join(hashlib.sha1(bytes([i])).hexdigest() + "\n" for i in range(12))
    before = {("cell", f"c{n}"): {"type": "cell", "id": f"c{n}", "input": lines} for n in range(30)}
    after = {  # a text patch of 36 diffs per cell: 30 of them go past the bound
        key: {**record, "input": record["input"].replace("\n", "!\n")}
        for key, record in before.items()
    }
    patch = make_patch(NOTEBOOK, before, after)
    kinds = [type(record["input"]).__name__ for record in patch.sets]
    assert "list" in kinds  # a text patch while the budget lasts,
    assert "str" in kinds  # then the text itself
    assert patch.text_diffs <= MAX_TEXT_DIFFS
    wire = {"client_id": CLIENT, "local_number": 2, "patch": patch.to_wire()}
    log = log_at(before)
    assert isinstance(log.accept(ClientPatch.from_wire(NOTEBOOK, wire)), Accepted)
    assert log.value == after
