import math

import pytest

from cocalc_compute_wasm.sync import InvalidPatch
from cocalc_compute_wasm.sync.data import MAX_DEPTH, check_json, same
from cocalc_compute_wasm.sync.errors import brief


@pytest.mark.parametrize(
    "value",
    [None, True, 0, -(2**63), 2**64 - 1, 1.5, "", "é😀", [], {}, {"a": [1, {"b": None}]}],
)
def test_json_data_is_accepted(value):
    check_json(value, "v")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2**64, "v: integer <65-bit integer> does not fit 64 bits"),
        pytest.param(10**5000, "v: integer <16610-bit integer> does not", id="huge-int"),
        (-(2**63) - 1, "does not fit 64 bits"),
        (math.nan, "v: nan is not a finite number"),
        ([math.inf], r"v\[0\]: inf is not a finite number"),
        ((1, 2), "v: tuple is not JSON data"),
        (b"x", "v: bytes is not JSON data"),
        ({"a": {1: 2}}, r"v\['a'\]: map key 1 is not a string"),
        ({"a": [0, {"b": {3}}]}, r"v\['a'\]\[1\]\['b'\]: set is not JSON data"),
    ],
)
def test_non_json_data_is_refused_with_its_path(value, message):
    with pytest.raises(InvalidPatch, match=message):
        check_json(value, "v")


def test_nesting_is_bounded_without_recursion():
    deep: list = []  # one level
    for _ in range(MAX_DEPTH - 1):
        deep = [deep]
    check_json(deep, "v")
    with pytest.raises(InvalidPatch, match=f"nested deeper than {MAX_DEPTH} levels"):
        check_json([deep], "v")
    for _ in range(100_000):  # far past Python's recursion limit
        deep = [deep]
    with pytest.raises(InvalidPatch, match="nested deeper"):
        check_json(deep, "v")


def test_long_junk_is_cut_short_in_messages():
    with pytest.raises(InvalidPatch) as info:
        check_json({"k" * 10_000: b"x"}, "v")
    assert len(str(info.value)) < 100


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (1, 1, True),
        (1, 1.0, False),
        (1, True, False),
        ([1, [2]], [1, [2]], True),
        ([1, [2]], [1, [2.0]], False),
        ({"a": 1}, {"a": 1}, True),
        ({"a": 1}, {"a": True}, False),
        ({"a": 1}, {"b": 1}, False),
        ([1], [1, 2], False),
    ],
)
def test_same_compares_types_too(a, b, expected):
    assert same(a, b) is expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x" * 100, "'" + "x" * 36 + "..."),
        (("cell", 1), "('cell', 1)"),
        (("cell",), "('cell',)"),
        ([1, 2], "<list of 2>"),
        ({"a": 1}, "<dict of 1>"),
        (2**64 - 1, "18446744073709551615"),
        (-(2**64), "<65-bit integer>"),
    ],
)
def test_brief_is_short_and_safe(value, text):
    assert brief(value) == text


def test_brief_survives_deep_nesting():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert brief(deep) == "<list of 1>"
