import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocalc_compute_wasm.server.presence import (
    NoRunner,
    Presence,
    PresenceChanged,
    RunnerAssigned,
    RunnerReleased,
)


def test_open_notebook_waits_for_a_compute_client_then_gets_one():
    presence = Presence()
    presence.join(1, "alice", "collaborator")
    assert presence.open(1, "a.ipynb") == [PresenceChanged("a.ipynb")]
    assert presence.runner_of("a.ipynb") is None
    with pytest.raises(NoRunner, match=r"no compute client serves a\.ipynb"):
        presence.control_target("a.ipynb")
    events = presence.join(2, "browser", "compute")
    assert RunnerAssigned("a.ipynb", 2) in events
    assert presence.control_target("a.ipynb") == 2
    assert presence.describe("a.ipynb") == {
        "participants": [{"client_id": "alice", "kind": "collaborator"}],
        "runner": "browser",
        "kernel": None,
        "computes": 1,
    }


def test_runner_is_sticky_and_replaced_when_it_leaves():
    presence = Presence()
    presence.join(1, "c1", "compute")
    presence.join(2, "alice", "collaborator")
    presence.open(2, "a.ipynb")
    assert presence.runner_of("a.ipynb") == 1
    presence.join(3, "c2", "compute")
    assert presence.runner_of("a.ipynb") == 1  # a newcomer does not take over
    presence.set_kernel_state(1, "a.ipynb", "busy")
    events = presence.leave(1)
    assert RunnerReleased("a.ipynb", 1) in events
    assert RunnerAssigned("a.ipynb", 3) in events
    assert presence.describe("a.ipynb")["kernel"] is None  # the old kernel's state is gone


def test_load_is_spread_over_compute_clients():
    presence = Presence()
    presence.join(1, "c1", "compute")
    presence.join(2, "c2", "compute")
    presence.join(9, "alice", "collaborator")
    for path in ("a", "b", "c", "d"):
        presence.open(9, path)
    runners = [presence.runner_of(p) for p in ("a", "b", "c", "d")]
    assert sorted(runners) == [1, 1, 2, 2]


def test_only_the_runner_sets_kernel_state_and_only_known_states():
    presence = Presence()
    presence.join(1, "c1", "compute")
    presence.join(2, "alice", "collaborator")
    presence.open(2, "a")
    with pytest.raises(NoRunner):
        presence.set_kernel_state(2, "a", "idle")
    with pytest.raises(ValueError, match="kernel state must be one of"):
        presence.set_kernel_state(1, "a", "sleepy")
    presence.set_kernel_state(1, "a", "idle")
    assert presence.describe("a")["kernel"] == "idle"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="client kind must be"):
        Presence().join(1, "x", "robot")


operations = st.lists(
    st.tuples(
        st.sampled_from(["join-compute", "join-collab", "leave", "open", "close"]),
        st.integers(0, 5),
        st.sampled_from(["a", "b", "c"]),
    ),
    max_size=60,
)


@given(operations)
def test_every_open_notebook_has_a_live_runner_whenever_a_compute_client_is_there(ops):
    presence = Presence()
    live: dict[int, str] = {}
    for op, connection, path in ops:
        if op.startswith("join") and connection not in live:
            kind = "compute" if op == "join-compute" else "collaborator"
            presence.join(connection, f"client{connection}", kind)
            live[connection] = kind
        elif op == "leave" and connection in live:
            presence.leave(connection)
            del live[connection]
        elif op == "open" and connection in live:
            presence.open(connection, path)
        elif op == "close" and connection in live:
            presence.close(connection, path)
        for notebook in ("a", "b", "c"):
            runner = presence.runner_of(notebook)
            if runner is not None:
                assert live.get(runner) == "compute"
            elif "compute" in live.values():
                assert notebook not in presence.open_notebooks()
