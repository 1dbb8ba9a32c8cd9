"""The run queue: what runs when, and the states and fields the runner writes for it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from runner_bench import Bench, code, error, failed, ok, stdout

from cocalc_compute_wasm.kernel.events import ExecuteReply
from cocalc_compute_wasm.runner import Execute, RunnerState
from cocalc_compute_wasm.runner.outputs import runner_lost_error
from cocalc_compute_wasm.runner.run_queue import RunQueue


def three() -> Bench:
    return Bench(code("a", "1"), code("b", "2"), code("c", "3"))


def test_cells_run_in_the_order_of_their_start_across_collaborators():
    bench = three()
    bench.now = 100
    bench.request("alice", "c")  # runs at once
    bench.now = 300
    bench.request("bob", "a")
    bench.now = 200
    bench.request("alice", "b")  # asked later, but its start (server time) is earlier
    assert bench.executes() == ["c"]
    assert bench.runner.queued() == ["b", "a"]
    bench.run_through()
    bench.run_through()
    bench.run_through()
    assert bench.executes() == ["c", "b", "a"]
    assert all(bench.state(cell_id) == "done" for cell_id in "abc")


def test_equal_starts_run_in_id_order():
    bench = three()
    bench.request("alice", "a")  # keeps the runner busy
    bench.users["alice"].request_run(["c"], 500)
    bench.users["bob"].request_run(["b"], 500)
    bench.sync()
    assert bench.runner.queued() == ["b", "c"]


def test_a_cell_goes_start_run_busy_done_with_exec_count_and_end():
    bench = Bench(code("a", "print(1)", output={"0": {"output_type": "stream"}}, exec_count=7))
    states = []
    bench.request("alice", "a")
    states.append(bench.state("a"))
    assert bench.actions == [Execute("a", "print(1)")]
    assert bench.runner.state == RunnerState.EXECUTING
    assert bench.runner.current_cell == "a"
    cell = bench.cell("a")
    assert "output" not in cell
    assert "exec_count" not in cell
    assert "end" not in cell
    bench.started()
    states.append(bench.state("a"))
    bench.event(stdout("1\n"))
    bench.now += 1234
    bench.finish(ok(3))
    states.append(bench.state("a"))
    assert states == ["run", "busy", "done"]
    cell = bench.cell("a")
    assert cell["exec_count"] == 3
    assert cell["end"] == bench.now
    assert cell["start"] < cell["end"]
    assert bench.runner.state == RunnerState.IDLE
    assert bench.runner.current_cell is None
    bench.export()


def test_the_next_cell_is_taken_when_the_previous_one_finishes():
    bench = three()
    bench.request("alice", "a", "b")
    assert bench.executes() == ["a"]
    assert bench.state("b") == "start"
    bench.run_through()
    assert bench.executes() == ["a", "b"]
    assert bench.state("b") == "run"


def test_an_error_halts_the_rest_of_the_queue():
    old = {"output_type": "stream", "name": "stdout", "text": "old"}
    bench = Bench(code("a"), code("b", output={"0": old}), code("c"))
    bench.request("alice", "a", "b", "c")
    bench.run_through(error(), reply=failed(1))
    assert bench.executes() == ["a"]
    assert [bench.state(c) for c in "abc"] == ["done", "done", "done"]
    assert bench.outputs("b") == [old]
    assert bench.runner.queued() == []
    bench.export()


def test_an_aborted_execution_halts_too():
    bench = three()
    bench.request("alice", "a", "b")
    bench.finish(ExecuteReply("aborted", None))
    assert bench.executes() == ["a"]
    assert bench.state("b") == "done"


def test_an_error_in_a_no_halt_cell_does_not_halt():
    bench = three()
    bench.request("alice", "a", "b", no_halt=True)
    bench.request("bob", "c")
    bench.run_through(error(), reply=failed(1))
    assert bench.executes() == ["a", "b"]
    bench.run_through(error(), reply=failed(2))
    assert bench.executes() == ["a", "b", "c"]
    bench.run_through(error(), reply=failed(3))  # c was not no_halt, but nothing follows
    assert [bench.state(c) for c in "abc"] == ["done", "done", "done"]


def test_a_cell_unqueued_by_a_collaborator_does_not_run():
    bench = three()
    bench.request("alice", "a", "b", "c")
    bench.edit("bob", "b", state=None)
    bench.edit("bob", "c", state="done")
    assert bench.runner.queued() == []
    bench.run_through()
    assert bench.executes() == ["a"]
    assert bench.state("b") is None
    assert bench.state("c") == "done"


def test_a_deleted_queued_cell_does_not_run():
    bench = three()
    bench.request("alice", "a", "b", "c")
    bench.users["bob"].delete_cell("b")
    bench.sync()
    bench.run_through()
    assert bench.executes() == ["a", "c"]


def test_a_change_the_shell_did_not_report_is_still_respected():
    bench = three()
    bench.request("alice", "a", "b")
    bench.users["bob"].replica.commit(
        {**bench.users["bob"].value, ("cell", "b"): {**bench.cell("b"), "state": "done"}}
    )
    for patch in bench.users["bob"].take_outgoing():
        bench.log.accept(patch)
    bench.doc.catch_up(bench.log.catch_up(bench.doc.confirmed_seq))
    bench.doc.take_changes()  # the shell drops the news
    bench.run_through()
    assert bench.executes() == ["a"]


def test_a_cell_asked_to_run_again_while_running_runs_again():
    bench = three()
    bench.request("alice", "a")
    bench.started()
    bench.request("bob", "a")
    assert bench.state("a") == "start"
    bench.event(stdout("first\n"))
    assert bench.state("a") == "start"  # the runner does not hide the new request
    bench.finish(ok(1))
    assert bench.executes() == ["a", "a"]
    assert bench.state("a") == "run"
    assert "output" not in bench.cell("a")
    bench.run_through(stdout("second\n"), reply=ok(2))
    assert bench.state("a") == "done"
    assert bench.cell("a")["exec_count"] == 2


def test_markdown_cells_asked_to_run_are_done_without_running():
    bench = Bench(code("a"), {"type": "cell", "id": "m", "cell_type": "markdown", "input": "# x"})
    bench.request("alice", "a")
    bench.edit("bob", "m", state="start", start=bench.now)
    bench.finish()
    assert bench.executes() == ["a"]
    assert bench.state("m") == "done"


def test_interrupt_clears_the_queue_and_the_running_cell_finishes():
    bench = three()
    bench.request("alice", "a", "b", "c")
    bench.started()
    bench.runner.interrupt()
    bench.sync()
    assert bench.state("b") == "done"
    assert bench.state("c") == "done"
    assert bench.state("a") == "busy"
    bench.event(error("KeyboardInterrupt"))
    bench.finish(failed(1))
    assert bench.executes() == ["a"]
    assert bench.state("a") == "done"
    assert bench.outputs("a")[0]["ename"] == "KeyboardInterrupt"


def test_restart_ends_the_running_cell_and_clears_the_queue():
    bench = three()
    bench.request("alice", "a", "b", "c")
    bench.started()
    bench.event(stdout("partial\n"))
    bench.now += 10
    bench.runner.restart(bench.now)
    bench.sync()
    assert [bench.state(c) for c in "abc"] == ["done", "done", "done"]
    assert bench.cell("a")["end"] == bench.now
    assert bench.outputs("a") == [{"output_type": "stream", "name": "stdout", "text": "partial\n"}]
    assert bench.runner.state == RunnerState.IDLE
    # the old kernel's late news is ignored
    bench.event(stdout("late\n"))
    bench.finish(ok(9))
    assert "exec_count" not in bench.cell("a")
    # the fresh kernel runs what is asked next
    bench.request("bob", "b")
    assert bench.executes() == ["a", "b"]


def test_restart_drops_an_execute_the_host_has_not_taken():
    bench = three()
    bench.users["alice"].request_run(["a"], bench.now)
    for patch in bench.users["alice"].take_outgoing():
        bench.log.accept(patch)
    bench.doc.catch_up(bench.log.catch_up(bench.doc.confirmed_seq))
    bench.runner.doc_changed(["a"])
    bench.runner.restart(bench.now)
    assert bench.runner.take_actions() == []
    bench.sync()
    assert bench.state("a") == "done"


def test_stale_run_and_busy_cells_are_reconciled_when_the_runner_starts():
    x = {"output_type": "stream", "name": "stdout", "text": "x"}
    bench = Bench(
        code(
            "a",
            state="busy",
            start=1,
            output={"0": {"output_type": "stream", "name": "stdout", "text": "x"}},
        ),
        code("b", state="run", start=2),
        code("c", state="start", start=3),
        code("d", state="done", start=0, end=1),
    )
    assert bench.state("a") == "done"
    assert bench.state("b") == "done"
    # what the lost kernel printed stays, and an error says why nothing more will come
    assert bench.outputs("a") == [x, runner_lost_error()]
    assert bench.outputs("b") == [runner_lost_error()]
    assert "went away" in runner_lost_error()["evalue"]
    assert bench.executes() == ["c"]
    assert bench.state("c") == "run"
    assert bench.cell("d") == {**bench.cell("d"), "state": "done", "end": 1}


def test_a_late_busy_from_a_dead_runner_is_reconciled():
    bench = three()
    bench.request("alice", "a")
    bench.edit("bob", "b", state="busy")  # as a previous runner's last patch would
    assert bench.state("b") == "done"
    assert bench.outputs("b")[-1]["ename"] == "KernelLost"
    assert bench.state("a") == "run"


def test_events_without_an_execution_are_ignored():
    bench = three()
    bench.runner.execution_started()
    bench.runner.input_reply("x", bench.now)
    bench.event(stdout("stray"))
    bench.finish()
    assert bench.sent == []
    assert bench.runner.take_actions() == []


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.sampled_from(["put", "remove"]), st.integers(0, 5))
    )
)
def test_run_queue_matches_a_sorted_model(ops):
    queue, model = RunQueue(), {}
    for cell_id, op, start in ops:
        if op == "put":
            queue.put(cell_id, start)
            model[cell_id] = start
        else:
            queue.remove(cell_id)
            model.pop(cell_id, None)
        assert queue.ids() == sorted(model, key=lambda c: (model[c], c))
    popped = []
    while (cell_id := queue.pop()) is not None:
        popped.append(cell_id)
    assert popped == sorted(model, key=lambda c: (model[c], c))


def test_a_missing_start_sorts_last():
    queue = RunQueue()
    queue.put("a", None)
    queue.put("b", True)
    queue.put("c", 5)
    assert queue.ids() == ["c", "a", "b"]
