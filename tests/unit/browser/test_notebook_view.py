"""The notebook page's view model (sans-IO): cells as the page draws them, the page's
edits merged into concurrent ones, acknowledgements, presence and moves."""

from hypothesis import given
from hypothesis import strategies as st

from cocalc_compute_wasm.browser.notebook_view import (
    PageView,
    cell_view,
    merged_input,
    neighbour,
    presence_view,
)
from cocalc_compute_wasm.client import NotebookDoc
from cocalc_compute_wasm.worker.service import worker_client_id, worker_flavour


def test_cell_view_orders_outputs_and_fills_defaults():
    record = {
        "type": "cell",
        "id": "a",
        "pos": 0,
        "output": {"10": {"n": 10}, "2": {"n": 2}, "0": {"n": 0}},
        "exec_count": 3,
        "state": "done",
    }
    assert cell_view(record) == {
        "id": "a",
        "cell_type": "code",
        "input": "",
        "outputs": [{"n": 0}, {"n": 2}, {"n": 10}],
        "exec_count": 3,
        "state": "done",
    }


def test_a_page_edit_keeps_a_concurrent_one():
    # the page typed " world" after "hello" while someone put "Dear " in front
    assert merged_input("Dear hello", "hello", "hello world") == "Dear hello world"
    assert merged_input("hello", "hello", "hello!") == "hello!"


@given(st.text(max_size=30), st.text(max_size=30))
def test_an_edit_on_the_current_text_is_taken_as_is(before, after):
    assert merged_input(before, before, after) == after


def test_changes_carry_order_removals_and_acks():
    doc = NotebookDoc("page")
    first = doc.insert_cell(input="1")
    view = PageView()
    full = view.full(doc.cells())
    assert full["order"] == [first]
    assert full["full"] is True
    assert view.changes(doc.cells(), []) is None
    second = doc.insert_cell(before=first, input="2")
    message = view.changes(doc.cells(), [second])
    assert message["order"] == [second, first]
    assert list(message["cells"]) == [second]
    # an acknowledged edit that changed nothing still tells the page
    view.ack(first, 4)
    assert view.changes(doc.cells(), [])["acks"] == {first: 4}
    assert view.changes(doc.cells(), []) is None
    doc.delete_cell(first)
    removed = view.changes(doc.cells(), [first])
    assert removed["removed"] == [first]
    assert removed["order"] == [second]
    assert first not in view.acks


def test_neighbours_for_moves():
    order = ["a", "b", "c"]
    assert neighbour(order, "b", -1) == ("before", "a")
    assert neighbour(order, "b", 1) == ("after", "c")
    assert neighbour(order, "a", -1) is None
    assert neighbour(order, "c", 1) is None


def test_presence_names_the_worker_and_marks_this_page():
    native = worker_client_id("native", "1")
    browser = worker_client_id("browser", "2")
    presence = {
        "participants": [
            {"client_id": "me", "kind": "collaborator"},
            {"client_id": native, "kind": "compute"},
            {"client_id": browser, "kind": "compute"},
        ],
        "runner": native,
        "kernel": "idle",
        "computes": 2,
    }
    view = presence_view(presence, "me")
    assert view["runner"] == {"client_id": native, "flavour": "native"}
    assert [(p["you"], p["flavour"]) for p in view["participants"]] == [
        (True, None),
        (False, "native"),
        (False, "browser"),
    ]
    assert presence_view({}, "me")["runner"] is None
    assert worker_flavour("compute-0123") == "compute"
