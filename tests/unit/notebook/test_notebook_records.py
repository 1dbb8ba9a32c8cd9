"""Record helpers: cell ids, ordering by pos, positions between neighbours, vocabulary."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocalc_compute_wasm.notebook import (
    CELL_TYPES,
    TRANSIENT_FIELDS,
    CellState,
    CellType,
    InvalidNotebook,
    cell_order_key,
    is_valid_cell_id,
    new_cell_id,
    pos_between,
    sorted_cells,
)
from cocalc_compute_wasm.notebook.ids import repair_cell_ids


@pytest.mark.parametrize("cell_id", ["a", "A-z_09", "x" * 64, "8f3c2a1b"])
def test_valid_cell_ids(cell_id):
    assert is_valid_cell_id(cell_id)


@pytest.mark.parametrize("cell_id", ["", "x" * 65, "a b", "a\n", "é", "a.b", None, 7, b"ab"])
def test_invalid_cell_ids(cell_id):
    assert not is_valid_cell_id(cell_id)


def test_new_cell_id_is_deterministic_valid_and_avoids_taken():
    first = new_cell_id(random.Random(0))
    assert first == new_cell_id(random.Random(0))
    assert is_valid_cell_id(first)
    assert len(first) == 8
    assert new_cell_id(random.Random(0), {first}) not in {first}


@given(st.lists(st.one_of(st.none(), st.integers(), st.sampled_from(["a", "b", "bad id", ""]))))
def test_repair_cell_ids_keeps_first_valid_ids(candidates):
    ids = repair_cell_ids(candidates, random.Random(0))
    assert len(ids) == len(candidates)
    assert len(set(ids)) == len(ids)
    assert all(is_valid_cell_id(cell_id) for cell_id in ids)
    for candidate in ("a", "b"):
        if candidate in candidates:
            assert ids[candidates.index(candidate)] == candidate


def test_sorted_cells_orders_by_pos_then_id():
    records = [
        {"type": "cell", "id": "b", "pos": 1.0},
        {"type": "settings", "id": "main"},
        {"type": "cell", "id": "a", "pos": 1},
        {"type": "cell", "id": "c", "pos": -2.5},
        {"type": "cell", "id": "d"},
    ]
    assert [c["id"] for c in sorted_cells(records)] == ["c", "d", "a", "b"]


@pytest.mark.parametrize("pos", ["1", True, float("nan"), float("inf"), [1]])
def test_order_key_refuses_bad_pos(pos):
    with pytest.raises(InvalidNotebook, match="cell 'x': pos must be a finite number"):
        cell_order_key({"type": "cell", "id": "x", "pos": pos})


def test_pos_between_edges():
    assert pos_between(None, None) == 0.0
    assert pos_between(None, 3.0) == 2.0
    assert pos_between(3.0, None) == 4.0
    assert pos_between(1.0, 2.0) == 1.5
    with pytest.raises(ValueError, match="no float between"):
        pos_between(2.0, 2.0)
    with pytest.raises(ValueError, match="no float between"):
        pos_between(1.0, 1.0 + 2**-52)
    assert pos_between(1.0, 1.0 + 2**-51) == 1.0 + 2**-52
    assert pos_between(None, 2.0**60) == math.nextafter(2.0**60, 0)
    assert pos_between(2.0**60, None) == math.nextafter(2.0**60, math.inf)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@given(finite, finite)
def test_pos_between_is_strictly_between_or_refuses(a, b):
    before, after = min(a, b), max(a, b)
    try:
        pos = pos_between(before, after)
    except ValueError:
        assert math.nextafter(before, math.inf) >= after
    else:
        assert before < pos < after


def test_vocabulary():
    assert CELL_TYPES == ("code", "markdown", "raw")
    assert [s.value for s in CellState] == ["start", "run", "busy", "done"]
    assert CellType.CODE == "code"
    assert TRANSIENT_FIELDS == ("state", "start", "end", "no_halt")
