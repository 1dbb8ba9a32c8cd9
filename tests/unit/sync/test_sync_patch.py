import copy

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sync_strategies import edit_value, values

from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    InvalidPatch,
    Patch,
    Schema,
    apply_patches,
    make_patch,
)
from cocalc_compute_wasm.sync.data import same

A = ("cell", "a")
CELL = {"type": "cell", "id": "a", "input": "x = 1", "output": {"0": {"text": "1"}}, "pos": 0.5}
DOC = {A: CELL}


def patch(**kwargs):
    return Patch(NOTEBOOK, **kwargs)


def set_a(**fields):
    return patch(sets=[{"type": "cell", "id": "a", **fields}])


# -- merge rules ----------------------------------------------------------------------------


def test_a_set_creates_a_missing_record():
    assert set_a(pos=1).apply({}) == {A: {"type": "cell", "id": "a", "pos": 1}}


def test_a_set_replaces_fields_and_keeps_the_others():
    assert set_a(pos=2, cell_type="code").apply(DOC)[A] == {**CELL, "pos": 2, "cell_type": "code"}


def test_none_deletes_a_field():
    assert "pos" not in set_a(pos=None).apply(DOC)[A]


def test_none_for_an_absent_field_is_harmless():
    assert set_a(tags=None).apply(DOC) == DOC


def test_a_map_over_a_map_merges_shallowly_and_none_deletes_a_key():
    new = set_a(output={"1": {"text": "2"}}).apply(DOC)
    assert new[A]["output"] == {"0": {"text": "1"}, "1": {"text": "2"}}
    new = set_a(output={"0": None, "1": {"x": 1}}).apply(new)
    assert new[A]["output"] == {"1": {"x": 1}}


def test_the_merge_is_shallow():
    new = set_a(output={"0": {"other": 2}}).apply(DOC)
    assert new[A]["output"] == {"0": {"other": 2}}


def test_a_map_over_a_non_map_replaces_it_without_its_nones():
    new = set_a(pos={"a": 1, "b": None}).apply(DOC)
    assert new[A]["pos"] == {"a": 1}


def test_a_list_replaces_a_map():
    assert set_a(output=[1]).apply(DOC)[A]["output"] == [1]


def test_a_text_column_takes_a_string_or_a_text_patch():
    assert set_a(input="y = 2").apply(DOC)[A]["input"] == "y = 2"
    text_patch = [[[[0, "x = "], [-1, "1"], [1, "42"]], 0, 0, 5, 6]]
    assert set_a(input=text_patch).apply(DOC)[A]["input"] == "x = 42"


def test_a_text_patch_applies_to_the_empty_text_where_there_is_none():
    text_patch = [[[[1, "hello"]], 0, 0, 0, 5]]
    assert set_a(input=text_patch).apply({})[A]["input"] == "hello"


def test_a_list_in_another_column_is_a_plain_value():
    assert set_a(tags=[[[1, "x"]], 0, 0, 0, 1]).apply(DOC)[A]["tags"] == [[[1, "x"]], 0, 0, 0, 1]


def test_deletes_come_before_sets():
    both = patch(
        deletes=[{"type": "cell", "id": "a"}], sets=[{"type": "cell", "id": "a", "pos": 3}]
    )
    assert both.apply(DOC) == {A: {"type": "cell", "id": "a", "pos": 3}}


def test_deleting_a_missing_record_is_harmless():
    assert patch(deletes=[{"type": "cell", "id": "zz"}]).apply(DOC) == DOC


def test_sets_apply_in_order():
    p = patch(sets=[{"type": "cell", "id": "a", "pos": 1}, {"type": "cell", "id": "a", "pos": 2}])
    assert p.apply({})[A]["pos"] == 2


def test_apply_leaves_its_input_alone_and_shares_unchanged_records():
    other = ("cell", "b")
    doc = {A: CELL, other: {"type": "cell", "id": "b"}}
    before = copy.deepcopy(doc)
    new = set_a(output={"0": None}, input="z").apply(doc)
    assert doc == before
    assert new[other] is doc[other]


def test_apply_patches_applies_in_order():
    assert apply_patches(DOC, [set_a(pos=1), set_a(pos=None), set_a(tags=["t"])]) == {
        A: {**{k: v for k, v in CELL.items() if k != "pos"}, "tags": ["t"]}
    }


def test_integer_keys_and_other_schemas():
    schema = Schema(primary_keys=("n",), string_cols=frozenset({"body"}))
    p = Patch(schema, sets=[{"n": 1, "body": "hi"}], deletes=[{"n": 2}])
    assert p.apply({(2,): {"n": 2}}) == {(1,): {"n": 1, "body": "hi"}}


def test_a_patch_copies_what_it_was_given():
    record = {"type": "cell", "id": "a", "pos": 1}
    p = patch(sets=[record])
    record["pos"] = 2
    assert p.sets[0]["pos"] == 1


def test_schema_rules():
    with pytest.raises(ValueError, match="at least one primary-key field"):
        Schema(primary_keys=())
    with pytest.raises(ValueError, match="cannot be a string column"):
        Schema(primary_keys=("id",), string_cols=frozenset({"id"}))


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sets": {"type": "cell"}}, "sets: expected a list of maps"),
        ({"deletes": "x"}, "deletes: expected a list of maps"),
        ({"sets": [["type", "cell"]]}, r"sets\[0\]: expected a map, got list"),
        ({"sets": [{"type": "cell"}]}, r"sets\[0\]: primary-key field 'id' is missing"),
        (
            {"sets": [{"type": "cell", "id": None}]},
            r"sets\[0\]\['id'\]: a primary-key field holds a string or an integer, not NoneType",
        ),
        ({"sets": [{"type": "cell", "id": 1.0}]}, "not float"),
        ({"sets": [{"type": "cell", "id": True}]}, "not bool"),
        ({"sets": [{"type": "cell", "id": ["a"]}]}, "not list"),
        ({"sets": [{"type": "cell", "id": "a", 3: 1}]}, r"sets\[0\]: field name 3 is not a string"),
        (
            {"sets": [{"type": "cell", "id": "a", "input": 5}]},
            r"sets\[0\]\['input'\]: a string column takes a str, a text patch \(list\) or None",
        ),
        ({"sets": [{"type": "cell", "id": "a", "input": [[]]}]}, r"\['input'\]\[0\]: a hunk is"),
        ({"sets": [{"type": "cell", "id": "a", "pos": (1, 2)}]}, r"\['pos'\]: tuple is not JSON"),
        ({"sets": [{"type": "cell", "id": "a", "o": {"x": b""}}]}, r"\['o'\]\['x'\]: bytes"),
        ({"deletes": [{"type": "cell"}]}, r"deletes\[0\]: primary-key field 'id' is missing"),
        (
            {"deletes": [{"type": "cell", "id": "a", "pos": 1}]},
            r"deletes\[0\]: a delete names exactly the primary-key fields type, id; it also has",
        ),
    ],
)
def test_invalid_patches_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(InvalidPatch, match=message):
        patch(**kwargs)


# -- wire form ------------------------------------------------------------------------------


def test_wire_form_is_cocalcs_array_form():
    p = patch(deletes=[{"type": "cell", "id": "b"}], sets=[{"type": "cell", "id": "a", "pos": 1}])
    assert p.to_wire() == [
        -1,
        [{"type": "cell", "id": "b"}],
        1,
        [{"type": "cell", "id": "a", "pos": 1}],
    ]
    assert patch(sets=[{"type": "cell", "id": "a"}]).to_wire() == [1, [{"type": "cell", "id": "a"}]]
    assert patch(deletes=[{"type": "cell", "id": "a"}]).to_wire() == [
        -1,
        [{"type": "cell", "id": "a"}],
    ]
    assert patch().to_wire() == []
    assert patch().empty
    assert not p.empty


def test_wire_round_trip_through_msgpack():
    p = set_a(input=[[[[0, "x"], [1, "y"]], 0, 0, 1, 2]], output={"0": None}, pos=1.5)
    wire = msgpack.unpackb(msgpack.packb(p.to_wire()))
    assert Patch.from_wire(NOTEBOOK, wire) == p


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sets": []}, r"^patch: expected a list \[-1, deletes, 1, sets\]$"),
        ([1], "expected a list"),
        ([1, [], -1, []], "expected -1 .deletes. then 1 .sets., each at most once"),
        ([1, [], 1, []], "each at most once"),
        ([True, []], "each at most once"),
        ([1.0, []], "each at most once"),
        ([[], []], "each at most once"),
        ([0, []], "each at most once"),
        ([1, {}], "^patch: sets: expected a list of maps$"),
        ([-1, [{"type": "cell", "id": {}}]], r"^patch: deletes\[0\]\['id'\]: a primary-key"),
    ],
)
def test_from_wire_refuses_malformed_patches(data, message):
    with pytest.raises(InvalidPatch, match=message):
        Patch.from_wire(NOTEBOOK, data)


# -- make_patch -----------------------------------------------------------------------------


def test_make_patch_sends_only_what_changed():
    after = {A: {**CELL, "pos": 1.5, "output": {"0": {"text": "1"}, "1": {"x": 1}}}}
    del after[A]["input"]
    assert make_patch(NOTEBOOK, DOC, after).sets == (
        {"type": "cell", "id": "a", "input": None, "pos": 1.5, "output": {"1": {"x": 1}}},
    )


def test_make_patch_deletes_and_creates_records():
    b = ("cell", "b")
    p = make_patch(NOTEBOOK, DOC, {b: {"type": "cell", "id": "b"}})
    assert p.deletes == ({"type": "cell", "id": "a"},)
    assert p.sets == ({"type": "cell", "id": "b"},)


def test_make_patch_of_equal_values_is_empty():
    assert make_patch(NOTEBOOK, DOC, copy.deepcopy(DOC)).empty


def test_make_patch_edits_text_by_text_patch():
    after = {A: {**CELL, "input": "x = 1 + 1"}}
    (change,) = make_patch(NOTEBOOK, DOC, after).sets
    assert isinstance(change["input"], list)


def test_make_patch_sees_type_changes():
    p = make_patch(NOTEBOOK, {A: {**CELL, "pos": 1}}, {A: {**CELL, "pos": 1.0}})
    assert p.sets[0]["pos"] == 1.0
    assert type(p.apply({A: {**CELL, "pos": 1}})[A]["pos"]) is float


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({**CELL, "pos": None}, r"value\[\('cell', 'a'\)\]\['pos'\]: is None"),
        ({**CELL, "output": {"0": None}}, r"\['output'\]: a map field never holds None"),
        ({**CELL, "input": 5}, r"\['input'\]: string column holds int, not str"),
        ({**CELL, "id": "b"}, "the record's key fields name another key"),
        ({"type": "cell"}, "primary-key field 'id' is missing"),
        ({**CELL, "pos": (1,)}, r"\['pos'\]: tuple is not JSON data"),
    ],
)
def test_make_patch_refuses_what_a_patch_cannot_express(record, message):
    with pytest.raises(InvalidPatch, match=message):
        make_patch(NOTEBOOK, {}, {A: record})


@settings(max_examples=200, deadline=None)
@given(values, st.data())
def test_make_patch_round_trip(before, data):
    after = edit_value(data, before)
    p = make_patch(NOTEBOOK, before, after)
    assert same(p.apply(before), after)
    wire = msgpack.unpackb(msgpack.packb(p.to_wire()))
    assert same(Patch.from_wire(NOTEBOOK, wire).apply(before), after)


@settings(max_examples=100, deadline=None)
@given(values, values)
def test_make_patch_round_trip_between_unrelated_values(before, after):
    assert same(make_patch(NOTEBOOK, before, after).apply(before), after)
