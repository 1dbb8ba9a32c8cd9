"""Outputs: streaming and coalescing, merging, clearing, display updates, the output limit
and stdin prompts; each state of the notebook exports as valid nbformat."""

from __future__ import annotations

from itertools import pairwise

from runner_bench import Bench, code, display, ok, stderr, stdout

from cocalc_compute_wasm.kernel.events import ClearOutput, InputRequest, UpdateDisplay
from cocalc_compute_wasm.runner import OUTPUT_INTERVAL_MS, SendInput, output_size


def out(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def shown(text: str, display_id: str | None = None) -> dict:
    output = {"output_type": "display_data", "data": {"text/plain": text}, "metadata": {}}
    return output if display_id is None else {**output, "transient": {"display_id": display_id}}


def running(*cells: dict, **bench_args) -> Bench:
    """A bench whose first cell is executing (busy)."""
    bench = Bench(*(cells or (code("a"), code("b"))), **bench_args)
    bench.request("alice", bench.doc.cell_ids()[0])
    bench.started()
    return bench


# --- streaming and coalescing ----------------------------------------------------------


def test_the_first_output_goes_out_at_once():
    bench = running()
    bench.event(stdout("hello\n"))
    assert bench.outputs("a") == [out("stdout", "hello\n")]
    assert bench.runner.next_deadline() is None


def test_later_outputs_are_coalesced_to_twenty_patches_a_second():
    bench = running()
    start = bench.now
    for n in range(1000):  # one print a millisecond for a second, the shell ticking as due
        bench.now += 1
        deadline = bench.runner.next_deadline()
        if deadline is not None and deadline <= bench.now:
            bench.runner.tick(bench.now)
        bench.event(stdout(f"{n}\n"))
        deadline = bench.runner.next_deadline()
        assert deadline is None or bench.now < deadline <= bench.now + OUTPUT_INTERVAL_MS
    bench.now = bench.runner.next_deadline()
    bench.tick(0)
    writes = bench.output_writes("a")
    assert writes[0] == start + 1
    assert all(b - a >= OUTPUT_INTERVAL_MS for a, b in pairwise(writes))
    assert len(writes) <= 1000 // OUTPUT_INTERVAL_MS + 2
    assert bench.outputs("a") == [out("stdout", "".join(f"{n}\n" for n in range(1000)))]
    assert bench.runner.next_deadline() is None


def test_a_held_back_output_waits_for_tick_or_the_end():
    bench = running()
    bench.event(stdout("1"))
    bench.event(stdout("2"), dt=10)
    assert bench.outputs("a") == [out("stdout", "1")]
    assert bench.runner.next_deadline() == bench.now - 10 + OUTPUT_INTERVAL_MS
    bench.tick(OUTPUT_INTERVAL_MS - 11)
    assert bench.outputs("a") == [out("stdout", "1")]
    bench.tick(1)
    assert bench.outputs("a") == [out("stdout", "12")]
    bench.event(stdout("3"), dt=1)
    bench.finish(ok(1))  # the end writes everything at once
    assert bench.outputs("a") == [out("stdout", "123")]
    assert bench.runner.next_deadline() is None


def test_appending_an_output_sends_only_that_output():
    bench = running()
    bench.event(display("one"))
    bench.event(display("two"), dt=OUTPUT_INTERVAL_MS)
    last = bench.sent[-1].patch.sets[0]
    assert last["output"] == {"1": shown("two")}


def test_streams_of_one_name_merge_while_consecutive():
    bench = running()
    bench.event(stdout("a"), stdout("b"), stderr("c"), stderr("d"), stdout("e"))
    bench.event(display("x"), stdout("f"), stdout("g"))
    bench.finish()
    assert bench.outputs("a") == [
        out("stdout", "ab"),
        out("stderr", "cd"),
        out("stdout", "e"),
        shown("x"),
        out("stdout", "fg"),
    ]
    bench.export()


def test_a_collaborators_clear_of_the_running_cell_leaves_no_holes():
    bench = running()
    bench.event(display("one"), display("two"))
    bench.users["bob"].clear_outputs(["a"])
    bench.sync()
    bench.event(display("three"), dt=OUTPUT_INTERVAL_MS)
    assert bench.outputs("a") == [shown("one"), shown("two"), shown("three")]


def test_a_cell_deleted_while_running_is_not_brought_back():
    bench = running()
    bench.users["bob"].delete_cell("a")
    bench.sync()
    bench.event(stdout("x"), dt=OUTPUT_INTERVAL_MS)
    bench.finish()
    assert ("cell", "a") not in bench.value
    bench.request("alice", "b")
    assert bench.executes() == ["a", "b"]


# --- clear_output ----------------------------------------------------------------------


def test_clear_output_clears_at_once():
    bench = running()
    bench.event(stdout("old\n"), display("old"))
    bench.event(ClearOutput(wait=False), dt=OUTPUT_INTERVAL_MS)
    assert "output" not in bench.cell("a")
    bench.event(stdout("new\n"), dt=OUTPUT_INTERVAL_MS)
    assert bench.outputs("a") == [out("stdout", "new\n")]


def test_clear_output_wait_clears_when_the_next_output_comes():
    bench = running()
    bench.event(stdout("frame 1\n"))
    bench.event(ClearOutput(wait=True), dt=OUTPUT_INTERVAL_MS)
    assert bench.outputs("a") == [out("stdout", "frame 1\n")]
    bench.event(stdout("frame 2\n"), dt=OUTPUT_INTERVAL_MS)
    assert bench.outputs("a") == [out("stdout", "frame 2\n")]
    bench.event(ClearOutput(wait=True))
    bench.finish()  # no output came after it: the last frame stays
    assert bench.outputs("a") == [out("stdout", "frame 2\n")]


def test_a_redrawing_loop_writes_only_its_last_frame_between_patches():
    bench = running()
    for n in range(100):
        bench.runner.kernel_event(ClearOutput(wait=True), bench.now)
        bench.runner.kernel_event(stdout(f"{n}%"), bench.now)
        bench.now += 1
    bench.sync()
    bench.tick(OUTPUT_INTERVAL_MS)
    assert bench.outputs("a") == [out("stdout", "99%")]
    assert len(bench.output_writes("a")) <= 100 // OUTPUT_INTERVAL_MS + 2


# --- display updates -------------------------------------------------------------------


def test_a_display_update_reaches_every_output_with_its_id_in_any_cell():
    bench = Bench(code("a"), code("b"), code("c"))
    bench.request("alice", "a")
    bench.run_through(display("v1", "bar"), display("other", "baz"))
    bench.request("alice", "b")
    bench.started()
    bench.event(stdout("x"), display("v1", "bar"))
    bench.event(UpdateDisplay("bar", {"data": {"text/plain": "v2"}, "metadata": {}}), dt=60)
    assert bench.outputs("a") == [shown("v2", "bar"), shown("other", "baz")]
    assert bench.outputs("b") == [out("stdout", "x"), shown("v2", "bar")]
    bench.finish()
    nb = bench.export()
    assert nb.cells[0].outputs[0] == {
        "output_type": "display_data",
        "data": {"text/plain": "v2"},
        "metadata": {},
    }


def test_display_updates_of_a_finished_cell_are_coalesced_too():
    bench = Bench(code("a"), code("b"))
    bench.request("alice", "a")
    bench.run_through(display("0%", "bar"))
    bench.request("alice", "b")
    bench.started()
    for n in range(1, 101):
        bench.event(UpdateDisplay("bar", {"data": {"text/plain": f"{n}%"}}), dt=1)
    while (deadline := bench.runner.next_deadline()) is not None:
        bench.now = deadline
        bench.tick(0)
    assert bench.outputs("a") == [shown("100%", "bar")]
    writes = bench.output_writes("a")
    assert all(b - a >= OUTPUT_INTERVAL_MS for a, b in pairwise(writes))
    assert len(writes) <= 4


def test_display_updates_while_idle_still_land():
    bench = Bench(code("a"))
    bench.request("alice", "a")
    bench.run_through(display("v1", "bar"))
    bench.event(UpdateDisplay("bar", {"data": {"text/plain": "v2"}}), dt=OUTPUT_INTERVAL_MS)
    assert bench.outputs("a") == [shown("v2", "bar")]


def test_a_display_update_does_not_bring_back_a_cleared_output():
    bench = Bench(code("a"), code("b"))
    bench.request("alice", "a")
    bench.run_through(display("v1", "bar"))
    bench.event(UpdateDisplay("bar", {"data": {"text/plain": "v2"}}), dt=1)  # held back
    bench.users["bob"].clear_outputs(["a"])
    bench.sync()
    bench.tick(OUTPUT_INTERVAL_MS)
    assert "output" not in bench.cell("a")
    bench.event(UpdateDisplay("bar", {"data": {"text/plain": "v3"}}), dt=OUTPUT_INTERVAL_MS)
    assert "output" not in bench.cell("a")


def test_display_ids_of_outputs_a_collaborator_loaded_are_found():
    bench = Bench(code("a", output={"0": shown("v1", "bar")}), code("b"))
    bench.request("alice", "b")
    bench.event(UpdateDisplay("bar", {"data": {"text/plain": "v2"}}))
    assert bench.outputs("a") == [shown("v2", "bar")]


# --- max_output_length -----------------------------------------------------------------


def test_past_max_output_length_one_marker_stands_for_the_rest():
    bench = running(code("a"), settings={"max_output_length": 10})
    bench.event(stdout("12345"), stdout("67890abc"), display("more"), stderr("err"))
    bench.finish()
    outputs = bench.outputs("a")
    assert outputs[0] == out("stdout", "1234567890")
    assert len(outputs) == 2
    marker = outputs[1]
    assert marker["more_output"] is True
    assert marker["output_type"] == "display_data"
    assert marker["data"]["text/plain"] == "Output truncated: 10 more characters — fetch the rest"
    assert bench.runner.more_output("a") == [
        out("stdout", "abc"),
        shown("more"),
        out("stderr", "err"),
    ]
    nb = bench.export()
    assert "more_output" not in nb.cells[0].outputs[1]


def test_a_whole_output_too_big_goes_to_the_rest():
    bench = running(code("a"), settings={"max_output_length": 10})
    bench.event(display("a big display"), stdout("x"))
    bench.finish()
    assert [o.get("more_output") for o in bench.outputs("a")] == [True]
    assert bench.runner.more_output("a") == [shown("a big display"), out("stdout", "x")]


def test_the_rest_is_forgotten_when_the_cell_runs_again_or_clears():
    bench = running(code("a"), settings={"max_output_length": 3})
    bench.event(stdout("123456"))
    assert bench.runner.more_output("a") == [out("stdout", "456")]
    bench.event(ClearOutput(wait=False), stdout("ab"), dt=OUTPUT_INTERVAL_MS)
    assert bench.runner.more_output("a") == []
    assert bench.outputs("a") == [out("stdout", "ab")]
    bench.event(stdout("cdef"))
    bench.finish()
    assert bench.runner.more_output("a") == [out("stdout", "def")]
    bench.request("alice", "a")
    assert bench.runner.more_output("a") == []


def test_kept_output_is_bounded_and_says_what_it_dropped():
    bench = running(code("a"), settings={"max_output_length": 2}, more_output_limit=10)
    for n in range(10):
        bench.event(stdout(f"{n}" * 4))
    bench.finish()
    rest = bench.runner.more_output("a")
    assert rest[0]["name"] == "stderr"
    assert "30 characters of output were discarded" in rest[0]["text"]
    assert rest[1:] == [out("stdout", "88889999")]
    assert output_size(rest[1]) <= 10
    marker = bench.outputs("a")[-1]
    assert "38 more characters" in marker["data"]["text/plain"]


def test_a_display_update_reaches_kept_output():
    bench = running(code("a"), settings={"max_output_length": 1})
    bench.event(stdout("xx"), display("v1", "bar"))
    bench.event(UpdateDisplay("bar", {"data": {"text/plain": "v2"}}))
    assert bench.runner.more_output("a") == [out("stdout", "x"), shown("v2", "bar")]


# --- stdin -----------------------------------------------------------------------------


def test_an_input_request_is_shown_at_once_and_answered_in_place():
    bench = running()
    bench.event(stdout("hi\n"))
    bench.event(InputRequest("Name: ", password=False), dt=1)
    prompt = {**out("stdout", "Name: "), "input_request": {"password": False}}
    assert bench.outputs("a") == [out("stdout", "hi\n"), prompt]
    nb = bench.export()
    assert nb.cells[0].outputs[1] == {"output_type": "stream", "name": "stdout", "text": "Name: "}
    bench.runner.input_reply("Ada", bench.now)
    assert bench.runner.take_actions() == [SendInput("Ada")]
    bench.sync()
    assert bench.outputs("a") == [out("stdout", "hi\n"), out("stdout", "Name: Ada\n")]
    bench.event(stdout("Hello Ada\n"))
    bench.finish()
    assert bench.outputs("a") == [out("stdout", "hi\n"), out("stdout", "Name: Ada\nHello Ada\n")]
    bench.export()


def test_a_password_reply_is_masked():
    bench = running()
    bench.event(InputRequest("Password: ", password=True))
    bench.runner.input_reply("s3cret", bench.now)
    assert bench.runner.take_actions() == [SendInput("s3cret")]
    bench.sync()
    assert bench.outputs("a") == [out("stdout", "Password: ········\n")]
    assert "s3cret" not in repr(bench.value)


def test_a_reply_with_no_prompt_waiting_is_dropped():
    bench = running()
    bench.event(InputRequest("? ", password=False))
    bench.runner.input_reply("1", bench.now)
    bench.runner.input_reply("2", bench.now)
    assert bench.runner.take_actions() == [SendInput("1")]


def test_an_unanswered_prompt_is_closed_when_the_execution_ends():
    bench = running()
    bench.event(InputRequest("Name: ", password=False))
    bench.finish()
    assert bench.outputs("a") == [out("stdout", "Name: \n")]


def test_a_prompt_shows_even_past_the_limit():
    bench = running(code("a"), settings={"max_output_length": 1})
    bench.event(stdout("xyz"), InputRequest("? ", password=False))
    outputs = bench.outputs("a")
    assert [o.get("input_request") for o in outputs] == [None, None, {"password": False}]
    assert outputs[1]["more_output"] is True
