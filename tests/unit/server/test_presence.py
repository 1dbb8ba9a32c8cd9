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
        "gpu": None,
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


def test_the_runner_says_which_gpu_its_kernel_has_and_it_goes_with_the_runner():
    presence = Presence()
    presence.join(1, "c1", "compute")
    presence.join(2, "alice", "collaborator")
    presence.open(2, "a")
    gpu = {"available": True, "vendor": "google", "architecture": "swiftshader"}
    presence.set_kernel_state(1, "a", "idle", gpu)
    assert presence.describe("a")["gpu"] == gpu
    presence.set_kernel_state(1, "a", "busy")  # a host that does not tell: unknown
    assert presence.describe("a")["gpu"] is None
    presence.set_kernel_state(1, "a", "idle", gpu)
    presence.leave(1)
    assert presence.describe("a")["gpu"] is None


@pytest.mark.parametrize(
    "gpu",
    [
        "swiftshader",
        {"limits": {"maxBufferSize": 1}},
        {1: "x"},
        {"why": "x" * 501},
        {f"k{i}": i for i in range(17)},
    ],
)
def test_a_gpu_report_that_is_not_a_few_short_facts_is_refused(gpu):
    presence = Presence()
    presence.join(1, "c1", "compute")
    presence.join(2, "alice", "collaborator")
    presence.open(2, "a")
    with pytest.raises(ValueError, match="gpu must be null or a map"):
        presence.set_kernel_state(1, "a", "idle", gpu)


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
