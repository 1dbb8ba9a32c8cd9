"""The pure notebook model: edits as patches, run requests, records coming in."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocalc_compute_wasm.client import Changes, NotebookDoc
from cocalc_compute_wasm.notebook import empty_notebook
from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    CatchUp,
    ClientPatch,
    LogRecord,
    Patch,
    Snapshot,
)


def doc_with(*cells: dict, seed: int = 0) -> NotebookDoc:
    """A doc whose confirmed state (seq 1) holds these cell records."""
    doc = NotebookDoc("me", random.Random(seed))
    records = [{"type": "cell", "cell_type": "code", "input": "", **c} for c in cells]
    value = {("cell", r["id"]): r for r in records}
    doc.catch_up(CatchUp(Snapshot(1, value, {}), []))
    doc.take_changes()
    return doc


def record(seq: int, client: str, number: int, *sets: dict) -> LogRecord:
    return LogRecord(
        seq, client, number, Patch(NOTEBOOK, sets=[{"type": "cell", **s} for s in sets])
    )


# --- inserting and ordering ------------------------------------------------------------


def test_cells_are_inserted_at_the_end_after_or_before_a_neighbour():
    doc = NotebookDoc("me", random.Random(1))
    first = doc.insert_cell(input="a")
    last = doc.insert_cell(input="c")
    middle = doc.insert_cell(after=first, input="b")
    top = doc.insert_cell(before=first, cell_type="markdown", input="# title")
    assert doc.cell_ids() == [top, first, middle, last]
    assert [c["input"] for c in doc.cells()] == ["# title", "a", "b", "c"]
    assert doc.cell(top) == {
        "type": "cell",
        "id": top,
        "pos": doc.cell(top)["pos"],
        "cell_type": "markdown",
        "input": "# title",
    }
    assert len(set(doc.cell_ids())) == 4


def test_an_insert_is_one_patch_with_the_whole_new_record():
    doc = NotebookDoc("me", random.Random(1))
    cell_id = doc.insert_cell(input="x = 1")
    (patch,) = doc.replica.pending
    assert patch.patch.sets == (doc.cell(cell_id),)


def test_insert_refuses_bad_arguments():
    doc = doc_with({"id": "a", "pos": 0.0})
    with pytest.raises(ValueError, match="not both"):
        doc.insert_cell(after="a", before="a")
    with pytest.raises(KeyError, match="'nope'"):
        doc.insert_cell(after="nope")
    with pytest.raises(ValueError, match="cell_type must be one of code, markdown, raw"):
        doc.insert_cell(cell_type="python")
    assert doc.replica.pending == ()


def test_cells_at_the_same_pos_are_spread_out_to_make_room():
    # two collaborators inserted at the same place: equal pos, ordered by id
    doc = doc_with({"id": "a", "pos": 1.0}, {"id": "b", "pos": 1.0}, {"id": "c", "pos": 2.0})
    new = doc.insert_cell(after="a")
    assert doc.cell_ids() == ["a", new, "b", "c"]
    positions = [c["pos"] for c in doc.cells()]
    assert positions == sorted(set(positions))
    assert len(doc.replica.pending) == 1  # the spreading travels in the same patch


def test_inserting_at_one_place_again_and_again_never_runs_out_of_room():
    doc = NotebookDoc("me", random.Random(2))
    first = doc.insert_cell()
    last = doc.insert_cell()
    inserted = [doc.insert_cell(before=last) for _ in range(1200)]  # beyond float halving
    assert doc.cell_ids() == [first, *inserted, last]


def test_move_puts_a_cell_after_or_before_another_or_at_the_end():
    doc = doc_with({"id": "a", "pos": 0.0}, {"id": "b", "pos": 1.0}, {"id": "c", "pos": 2.0})
    doc.move_cell("c", before="a")
    assert doc.cell_ids() == ["c", "a", "b"]
    doc.move_cell("c", after="a")
    assert doc.cell_ids() == ["a", "c", "b"]
    doc.move_cell("a")
    assert doc.cell_ids() == ["c", "b", "a"]
    assert all(set(p.patch.sets[0]) == {"type", "id", "pos"} for p in doc.replica.pending)


def test_move_refuses_unknown_cells_and_itself():
    doc = doc_with({"id": "a", "pos": 0.0}, {"id": "b", "pos": 1.0})
    with pytest.raises(KeyError):
        doc.move_cell("x", after="a")
    with pytest.raises(KeyError):
        doc.move_cell("a", after="x")
    with pytest.raises(ValueError, match="itself"):
        doc.move_cell("a", after="a")


# --- changing cells ---------------------------------------------------------------------


def test_set_input_travels_as_a_text_patch_so_that_typing_merges():
    text = "import numpy as np\n" * 5
    doc = doc_with({"id": "a", "pos": 0.0, "input": text})
    patch = doc.set_input("a", text + "x = 1\n")
    assert isinstance(patch, ClientPatch)
    assert isinstance(patch.patch.sets[0]["input"], list)
    assert doc.cell("a")["input"] == text + "x = 1\n"
    assert doc.set_input("a", text + "x = 1\n") is None  # no change, no patch
    with pytest.raises(KeyError):
        doc.set_input("nope", "")
    with pytest.raises(TypeError):
        doc.set_input("a", None)


def test_concurrent_typing_in_one_cell_keeps_both_edits(server):
    alice = server.join("alice", 1)
    bob = server.join("bob", 2)
    cell = alice.insert_cell(input="def f():\n    return 1\n\n\nprint(f())\n")
    server.sync()
    alice.set_input(cell, "# alice\ndef f():\n    return 1\n\n\nprint(f())\n")
    bob.set_input(cell, "def f():\n    return 1\n\n\nprint(f())\n# bob\n")
    server.sync()
    expected = "# alice\ndef f():\n    return 1\n\n\nprint(f())\n# bob\n"
    assert alice.cell(cell)["input"] == bob.cell(cell)["input"] == expected
    assert alice.value == bob.value == server.log.value


def test_delete_removes_the_record():
    doc = doc_with({"id": "a", "pos": 0.0}, {"id": "b", "pos": 1.0})
    patch = doc.delete_cell("a")
    assert patch.patch.deletes == ({"type": "cell", "id": "a"},)
    assert doc.cell_ids() == ["b"]
    with pytest.raises(KeyError):
        doc.delete_cell("a")


def test_a_cell_that_stops_being_code_loses_its_outputs():
    out = {"0": {"output_type": "stream", "name": "stdout", "text": "1\n"}}
    doc = doc_with({"id": "a", "pos": 0.0, "output": out, "exec_count": 3})
    doc.set_cell_type("a", "markdown")
    assert doc.cell("a")["cell_type"] == "markdown"
    assert "output" not in doc.cell("a")
    assert "exec_count" not in doc.cell("a")
    with pytest.raises(ValueError, match="cell_type"):
        doc.set_cell_type("a", "md")


def test_changing_to_code_keeps_everything_else():
    doc = doc_with({"id": "a", "pos": 0.0, "cell_type": "raw", "input": "x"})
    patch = doc.set_cell_type("a", "code")
    assert patch.patch.sets == ({"type": "cell", "id": "a", "cell_type": "code"},)


def test_clear_outputs_of_some_or_all_cells():
    out = {"0": {"output_type": "stream", "name": "stdout", "text": "1\n"}}
    doc = doc_with(
        {"id": "a", "pos": 0.0, "output": out, "exec_count": 1},
        {"id": "b", "pos": 1.0, "output": out, "exec_count": 2},
    )
    doc.clear_outputs(["a"])
    assert "output" not in doc.cell("a")
    assert doc.cell("b")["exec_count"] == 2
    doc.clear_outputs()
    assert all("output" not in c and "exec_count" not in c for c in doc.cells())
    assert doc.clear_outputs() is None


# --- running ----------------------------------------------------------------------------


def test_run_requests_queue_code_cells_in_the_order_given():
    doc = doc_with(
        {"id": "a", "pos": 0.0},
        {"id": "m", "pos": 1.0, "cell_type": "markdown"},
        {"id": "b", "pos": 2.0},
    )
    patch = doc.request_run(["b", "m", "a", "b"], 1_000)
    assert sorted((s["start"], s["id"], s["state"]) for s in patch.patch.sets) == [
        (1_000, "b", "start"),
        (1_001, "a", "start"),
    ]
    assert "state" not in doc.cell("m")
    # a second request in the same millisecond still queues behind the first
    again = doc.request_run(["a"], 1_000)
    assert again.patch.sets[0]["start"] == 1_002
    assert doc.request_run(["a"], 5_000).patch.sets[0]["start"] == 5_000


def test_no_halt_is_set_per_request():
    doc = doc_with({"id": "a", "pos": 0.0})
    doc.request_run(["a"], 1, no_halt=True)
    assert doc.cell("a")["no_halt"] is True
    doc.request_run(["a"], 2)
    assert "no_halt" not in doc.cell("a")


def test_a_run_request_naming_an_unknown_cell_changes_nothing():
    doc = doc_with({"id": "a", "pos": 0.0})
    with pytest.raises(KeyError):
        doc.request_run(["a", "nope"], 1)
    assert doc.replica.pending == ()
    assert doc.request_run([], 1) is None


def test_is_done_follows_the_runners_state():
    doc = doc_with({"id": "a", "pos": 0.0}, {"id": "m", "pos": 1.0, "cell_type": "markdown"})
    assert not doc.is_done("a")
    assert doc.is_done("m")  # nothing to run
    request = doc.request_run(["a"], 1)
    doc.receive(LogRecord(2, "me", 1, request.patch))
    for number, state in enumerate(["run", "busy", "done"], 1):
        assert not doc.is_done("a")
        doc.receive(record(2 + number, "runner", number, {"id": "a", "state": state}))
    assert doc.is_done("a")
    with pytest.raises(KeyError):
        doc.is_done("nope")


# --- the log's side ---------------------------------------------------------------------


def test_outgoing_patches_are_handed_out_once_and_again_after_a_reconnect(server):
    doc = server.join("me")
    a = doc.insert_cell()
    doc.set_input(a, "x")
    first = doc.take_outgoing()
    assert [p.local_number for p in first] == [1, 2]
    assert doc.take_outgoing() == []
    doc.insert_cell()
    assert [p.local_number for p in doc.take_outgoing()] == [3]
    doc.rewind_outgoing()  # the connection dropped
    assert [p.local_number for p in doc.take_outgoing()] == [1, 2, 3]
    for patch in first:
        server.log.accept(patch)
    doc.rewind_outgoing()
    doc.catch_up(server.log.catch_up(doc.confirmed_seq))  # the re-open's catch-up
    assert [p.local_number for p in doc.take_outgoing()] == [3]


def test_records_of_others_are_reported_as_changes_and_acks_are_not():
    doc = doc_with({"id": "a", "pos": 0.0}, {"id": "b", "pos": 1.0})
    doc.set_input("a", "mine")
    assert doc.take_changes().cell_ids == {"a"}
    doc.receive(record(2, "other", 1, {"id": "b", "input": "theirs"}))
    assert doc.take_changes() == Changes(frozenset({("cell", "b")}))
    (mine,) = doc.replica.pending
    doc.receive(LogRecord(3, "me", 1, mine.patch))
    assert doc.replica.pending == ()
    assert not doc.take_changes()


def test_a_gap_in_the_records_asks_for_a_catch_up(server):
    doc = server.join("me")
    other = server.join("other", 1)
    for text in "xyz":
        other.insert_cell(input=text)
        server.submit(other)
    records = server.undelivered[id(doc)]
    doc.receive(records[0])
    doc.receive(records[2])  # records[1] went missing
    assert doc.behind
    assert [c["input"] for c in doc.cells()] == ["x"]
    doc.catch_up(server.log.catch_up(doc.confirmed_seq))
    assert not doc.behind
    assert doc.value == server.log.value


def test_settings_come_from_the_settings_record(server):
    doc = NotebookDoc("me")
    assert doc.settings == {}
    records = empty_notebook(random.Random(0))
    value = {(r["type"], r["id"]): r for r in records}
    doc.catch_up(CatchUp(Snapshot(1, value, {}), []))
    assert doc.settings["kernel"] == "python3"
    assert doc.take_changes().settings


# --- properties -------------------------------------------------------------------------

ops = st.lists(
    st.tuples(
        st.sampled_from(["insert_after", "insert_before", "insert_end", "move", "delete"]),
        st.integers(0, 50),
        st.integers(0, 50),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_random_edits_keep_cells_unique_and_in_the_intended_order(edits):
    doc = NotebookDoc("me", random.Random(0))
    expected: list[str] = []  # what a plain list would hold after the same edits
    for op, i, j in edits:
        anchor = expected[i % len(expected)] if expected else None
        if op == "insert_end" or anchor is None:
            expected.append(doc.insert_cell())
        elif op == "insert_after":
            expected.insert(expected.index(anchor) + 1, doc.insert_cell(after=anchor))
        elif op == "insert_before":
            expected.insert(expected.index(anchor), doc.insert_cell(before=anchor))
        elif op == "delete":
            doc.delete_cell(anchor)
            expected.remove(anchor)
        else:
            moving = expected[j % len(expected)]
            if moving == anchor:
                continue
            doc.move_cell(moving, after=anchor)
            expected.remove(moving)
            expected.insert(expected.index(anchor) + 1, moving)
        assert doc.cell_ids() == expected
    assert len(set(expected)) == len(expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.integers(0, 20)), max_size=25))
def test_two_collaborators_editing_at_once_converge_with_unique_ordered_cells(make_server, steps):
    server = make_server()
    docs = [server.join("alice", 1), server.join("bob", 2)]
    for who, action, n in steps:
        doc = docs[who]
        ids = doc.cell_ids()
        anchor = ids[n % len(ids)] if ids else None
        if action == 0 or anchor is None:
            doc.insert_cell(after=anchor, input=f"{who}{n}")
        elif action == 1:
            doc.set_input(anchor, doc.cell(anchor)["input"] + str(n))
        elif action == 2:
            doc.move_cell(anchor)
        else:
            server.submit(doc)
            server.deliver(docs[n % 2])
    server.sync()
    server.sync()
    assert docs[0].value == docs[1].value == server.log.value
    ids = docs[0].cell_ids()
    assert len(set(ids)) == len(ids)
