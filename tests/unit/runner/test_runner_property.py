"""Random run requests, collaborator edits, kernel events, ticks, interrupts and restarts:
the runner keeps its invariants at every step, and finishes everything in the end."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runner_bench import RUNNER_FIELDS, Bench, code

from cocalc_compute_wasm.kernel.events import (
    ClearOutput,
    ExecuteReply,
    InputRequest,
    Output,
    UpdateDisplay,
)
from cocalc_compute_wasm.runner import Execute, SendInput

CELLS = ("a", "b", "c", "d", "m")  # m is markdown
USERS = ("alice", "bob")
DISPLAY_IDS = ("d1", "d2")

texts = st.text(st.characters(codec="utf-8"), max_size=6)

outputs = st.one_of(
    st.builds(
        lambda name, text: Output({"output_type": "stream", "name": name, "text": text}),
        st.sampled_from(["stdout", "stderr"]),
        texts,
    ),
    st.builds(
        lambda text, display_id: Output(
            {"output_type": "display_data", "data": {"text/plain": text}, "metadata": {}},
            display_id,
        ),
        texts,
        st.sampled_from([None, *DISPLAY_IDS]),
    ),
    st.builds(
        lambda text: Output(
            {"output_type": "error", "ename": "E", "evalue": text, "traceback": [text]}
        ),
        texts,
    ),
)
kernel_events = st.one_of(
    outputs,
    st.builds(
        lambda display_id, text: UpdateDisplay(display_id, {"data": {"text/plain": text}}),
        st.sampled_from(DISPLAY_IDS),
        texts,
    ),
    st.builds(ClearOutput, st.booleans()),
    st.builds(InputRequest, texts, st.booleans()),
)
ops = st.one_of(
    st.tuples(
        st.just("request"),
        st.sampled_from(USERS),
        st.lists(st.sampled_from(CELLS), min_size=1, max_size=3),
        st.booleans(),
    ),
    st.tuples(
        st.just("set_state"),
        st.sampled_from(USERS),
        st.sampled_from(CELLS),
        st.sampled_from([None, "done", "start", "busy"]),
    ),
    st.tuples(st.just("clear"), st.sampled_from(USERS), st.sampled_from(CELLS)),
    st.tuples(st.just("delete"), st.sampled_from(USERS), st.sampled_from(CELLS)),
    *[st.tuples(st.just("event"), kernel_events, st.integers(0, 30))] * 4,
    st.tuples(st.just("started")),
    st.tuples(st.just("finish"), st.sampled_from(["ok", "error", "aborted"])),
    st.tuples(st.just("reply"), texts),
    st.tuples(st.just("tick"), st.integers(0, 120)),
    st.tuples(st.just("interrupt")),
    st.tuples(st.just("restart")),
)


class Host:
    """A fake kernel host: it follows the runner's actions and reports only for the
    execution it has, as a real host does."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.seen = 0  # actions read so far
        self.current: str | None = None
        self.waiting = False  # an input() waits for its reply
        self.count = 0

    def follow(self) -> None:
        for action in self.bench.actions[self.seen :]:
            if isinstance(action, Execute):
                assert self.current is None, "Execute while the kernel is busy"
                self.current = action.cell_id
            else:
                assert isinstance(action, SendInput)
                assert self.waiting, "SendInput with no input() waiting"
                self.waiting = False
        self.seen = len(self.bench.actions)

    def do(self, op: tuple) -> None:
        bench, runner = self.bench, self.bench.runner
        name = op[0]
        if name == "started" and self.current:
            runner.execution_started()
        elif name == "event" and self.current:
            bench.now += op[2]
            runner.kernel_event(op[1], bench.now)
            self.waiting = self.waiting or isinstance(op[1], InputRequest)
        elif name == "finish" and self.current:
            self.count += 1
            runner.execution_finished(ExecuteReply(op[1], self.count), bench.now)
            self.current, self.waiting = None, False
        elif name == "reply":
            runner.input_reply(op[1], bench.now)
        elif name == "tick":
            bench.now += op[1]
            runner.tick(bench.now)
        elif name == "interrupt":
            runner.interrupt()
        elif name == "restart":
            runner.restart(bench.now)
            self.current, self.waiting = None, False
        bench.sync()
        self.follow()


def collaborate(bench: Bench, op: tuple) -> None:
    name, user, *rest = op
    doc = bench.users[user]
    cells = rest[0] if name == "request" else [rest[0]]
    if any(doc.cell(cell_id) is None for cell_id in cells):
        return
    if name == "request":
        doc.request_run(cells, bench.now, no_halt=rest[1])
    elif name == "set_state":
        record = {k: v for k, v in doc.cell(cells[0]).items() if k != "state"}
        if rest[1] is not None:
            record |= {"state": rest[1], "start": bench.now}
        doc.replica.commit({**doc.value, ("cell", cells[0]): record})
    elif name == "clear":
        doc.clear_outputs(cells)
    else:
        doc.delete_cell(cells[0])
    bench.now += 1
    bench.sync()


def check(bench: Bench, checked: int) -> int:
    """The invariants of one step; returns how many of the runner's patches were checked."""
    for patch in bench.sent[checked:]:
        assert not patch.patch.deletes
        for record in patch.patch.sets:
            assert record.keys() <= RUNNER_FIELDS, record
            assert record.get("state", "done") in ("run", "busy", "done")
    cells = {key[1]: cell for key, cell in bench.value.items() if key[0] == "cell"}
    active = [cell_id for cell_id, cell in cells.items() if cell.get("state") in ("run", "busy")]
    assert len(active) <= 1
    assert active in ([], [bench.runner.current_cell])
    asked = {cell_id for cell_id, cell in cells.items() if cell.get("state") == "start"}
    assert set(bench.runner.queued()) == asked
    for cell in cells.values():
        output = cell.get("output", {})
        assert set(output) == {str(n) for n in range(len(output))}
        assert sum(1 for o in output.values() if o.get("more_output")) <= 1
    bench.export()
    return len(bench.sent)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=10, max_size=60), st.integers(0, 20))
def test_the_runner_keeps_its_invariants_and_finishes_everything(steps, limit):
    markdown = {"type": "cell", "id": "m", "cell_type": "markdown", "input": "# m"}
    bench = Bench(
        code("a", "1"),
        code("b", "2", state="busy", start=5),  # a dead runner's cell
        code("c", "3", state="start", start=7),
        code("d", "4"),
        markdown,
        settings={"max_output_length": limit},
        more_output_limit=2 * limit,
    )
    host = Host(bench)
    host.follow()
    checked = check(bench, 0)
    for op in steps:
        if op[0] in ("request", "set_state", "clear", "delete"):
            collaborate(bench, op)
            host.follow()
        else:
            host.do(op)
        checked = check(bench, checked)

    # The kernel finishes whatever it is given, the shell ticks until nothing is due.
    while host.current is not None:
        host.do(("started",))
        host.do(("finish", "ok"))
        checked = check(bench, checked)
    while (deadline := bench.runner.next_deadline()) is not None:
        bench.now = max(bench.now, deadline)
        host.do(("tick", 0))
    checked = check(bench, checked)
    assert bench.runner.current_cell is None
    assert bench.runner.queued() == []
    states = {key[1]: cell.get("state") for key, cell in bench.value.items() if key[0] == "cell"}
    assert not {"start", "run", "busy"} & set(states.values()), states
