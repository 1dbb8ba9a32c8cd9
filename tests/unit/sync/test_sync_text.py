import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sync_strategies import splice, texts

from cocalc_compute_wasm.sync import InvalidPatch
from cocalc_compute_wasm.sync import text as text_mod
from cocalc_compute_wasm.sync.text import apply_text_patch, check_text_patch, make_text_patch

BASE = "The quick brown fox jumps over the lazy dog.\nA second line of text.\n"


def test_make_then_apply_gives_the_new_text():
    after = BASE.replace("quick", "slow").replace("second", "2nd")
    patch = make_text_patch(BASE, after)
    assert patch is not None
    assert apply_text_patch(check_text_patch(patch, "p"), BASE) == after


def test_compact_form_is_plain_lists():
    patch = make_text_patch("abcdefgh", "abcdXefgh")
    assert patch == [[[[0, "abcd"], [1, "X"], [0, "efgh"]], 0, 0, 8, 9]]


def test_apply_is_fuzzy_where_the_text_moved():
    patch = make_text_patch(BASE, BASE.replace("lazy", "sleepy"))
    assert patch is not None
    moved = "Prepended by someone else. " + BASE
    assert apply_text_patch(patch, moved) == moved.replace("lazy", "sleepy")


def test_a_hunk_that_does_not_fit_is_skipped():
    patch = make_text_patch(BASE, BASE.replace("lazy dog", "lazy cat"))
    assert patch is not None
    assert apply_text_patch(patch, "something else entirely") == "something else entirely"


def test_lengths_are_recomputed_and_starts_are_hints():
    patch = [[[[0, "abcd"], [1, "X"], [0, "efgh"]], 500, 500, 99, 0]]
    assert apply_text_patch(check_text_patch(patch, "p"), "abcdefgh") == "abcdXefgh"


def test_typing_into_a_short_text_is_a_patch():
    assert make_text_patch("ab", "aXb") is not None
    assert make_text_patch("", "abc") is not None


def test_an_edit_that_deletes_more_than_it_keeps_sends_the_text():
    assert make_text_patch(BASE, BASE[:5]) is None


def test_a_diff_too_costly_sends_the_text(monkeypatch):
    # Two small edits far apart: a small patch, but a long changed middle to diff.
    before, after = "A" + BASE + "B", "C" + BASE + "D"
    middle = len(BASE) + 2
    monkeypatch.setattr(text_mod, "MAX_DIFF_WORK", middle * 2 * middle)
    assert make_text_patch(before, after) is not None
    monkeypatch.setattr(text_mod, "MAX_DIFF_WORK", middle * 2 * middle - 1)
    assert make_text_patch(before, after) is None


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("x", r"p: a text patch is a list of hunks, not str"),
        ([[[], 0, 0, 0]], r"p\[0\]: a hunk is \[diffs, start1, start2, length1, length2\]"),
        ([[[[1, "a"]], -1, 0, 0, 0]], r"p\[0\]: start1, start2, length1, length2 must be"),
        ([[[[1, "a"]], 0, 0, 0, 1.0]], "must be integers >= 0"),
        ([[[[1, "a"]], True, 0, 0, 0]], "must be integers >= 0"),
        ([["x", 0, 0, 0, 0]], r"p\[0\]\[0\]: diffs must be a list"),
        ([[[[2, "a"]], 0, 0, 0, 0]], r"p\[0\]\[0\]\[0\]: a diff is \[op, text\]"),
        ([[[[True, "a"]], 0, 0, 0, 0]], "a diff is"),
        ([[[[1, b"a"]], 0, 0, 0, 0]], "a diff is"),
        ([[[[1, "a", 2]], 0, 0, 0, 0]], "a diff is"),
        ([[[[1, "a"]], 0, 0, 1, 2], [[[0, "a"]], 0, 0, 1, 1]], r"p\[1\]: a hunk must insert"),
        ([[[], 0, 0, 0, 0]], "a hunk must insert or delete something"),
    ],
)
def test_malformed_text_patches_are_refused(patch, message):
    with pytest.raises(InvalidPatch, match=message):
        check_text_patch(patch, "p")


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_round_trip_on_edited_text(before, data):
    after = splice(data, splice(data, before))
    patch = make_text_patch(before, after)
    if patch is not None:
        assert apply_text_patch(check_text_patch(patch, "p"), before) == after


hunks = st.lists(
    st.tuples(
        st.lists(st.tuples(st.sampled_from([-1, 0, 1]), texts).map(list), max_size=4),
        st.integers(0, 200) | st.integers(0, 2**64 - 1),
        st.integers(0, 200),
        st.integers(0, 200),
        st.integers(0, 2**64 - 1),
    ).map(list),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(hunks, texts)
def test_any_checked_patch_applies_without_error(patch, text):
    try:
        check_text_patch(patch, "p")
    except InvalidPatch:
        return
    assert isinstance(apply_text_patch(patch, text), str)
