"""Each kind of output a cell produces, as the events the kernel emits."""

from __future__ import annotations

import base64
import sys

from cocalc_compute_wasm.kernel.events import ClearOutput, ExecuteReply, Output, UpdateDisplay

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def stream(name: str, text: str) -> Output:
    return Output({"output_type": "stream", "name": name, "text": text})


async def test_each_write_is_one_stream_output_in_order(run):
    reply, events = await run("import sys\nprint('a')\nsys.stderr.write('b')\nprint('c', end='')")
    assert reply == ExecuteReply("ok", 1)
    assert events == [
        stream("stdout", "a"),
        stream("stdout", "\n"),
        stream("stderr", "b"),
        stream("stdout", "c"),
    ]


async def test_streams_reject_bytes_and_skip_empty_writes(run):
    reply, events = await run("import sys\nsys.stdout.write('')\nsys.stdout.write(b'x')")
    assert reply.status == "error"
    assert [e.output["output_type"] for e in events] == ["error"]
    assert events[0].output["evalue"] == "write() argument must be str, not bytes"


async def test_execute_result_carries_the_cell_count(run):
    assert await run("x = 6") == (ExecuteReply("ok", 1), [])
    reply, events = await run("x * 7")
    assert reply == ExecuteReply("ok", 2)
    assert events == [
        Output(
            {
                "output_type": "execute_result",
                "execution_count": 2,
                "data": {"text/plain": "42"},
                "metadata": {},
            }
        )
    ]
    assert await run("x;") == (ExecuteReply("ok", 3), [])
    _, events = await run("_")
    assert events[0].output["data"] == {"text/plain": "42"}


async def test_empty_cell_runs_nothing_and_takes_no_count(run):
    assert await run("  \n") == (ExecuteReply("ok", None), [])
    assert (await run("1"))[0] == ExecuteReply("ok", 1)


async def test_display_data_with_full_mimebundles(run):
    code = """
from IPython.display import HTML, JSON, SVG, Image, Latex, Markdown, display
display(HTML('<b>b</b>'), Markdown('# m'), Latex('$x$'), JSON({'a': [1]}))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"/>'), Image(data=png, width=3))
"""
    reply, events = await run(f"png = {PNG!r}\n{code}")
    assert reply.status == "ok"
    outputs = [event.output for event in events]
    assert all(o["output_type"] == "display_data" and "text/plain" in o["data"] for o in outputs)
    assert [o["data"].keys() - {"text/plain"} for o in outputs] == [
        {"text/html"},
        {"text/markdown"},
        {"text/latex"},
        {"application/json"},
        {"image/svg+xml"},
        {"image/png"},
    ]
    assert outputs[0]["data"]["text/html"] == "<b>b</b>"
    assert outputs[3]["data"]["application/json"] == {"a": [1]}
    assert outputs[3]["metadata"] == {"application/json": {"expanded": False, "root": "root"}}
    assert base64.b64decode(outputs[5]["data"]["image/png"]) == PNG
    assert outputs[5]["metadata"] == {"image/png": {"width": 3}}


async def test_binary_reprs_are_base64_encoded(run):
    code = f"class P:\n    def _repr_png_(self): return {PNG!r}\nP()"
    _, [event] = await run(code)
    assert event.output["output_type"] == "execute_result"
    assert event.output["data"]["image/png"] == base64.b64encode(PNG).decode()


async def test_display_ids_and_their_updates(run):
    code = """
from IPython.display import display, update_display
h = display('one', display_id=True)
display('other', display_id='fixed')
h.update('two')
update_display('three', display_id='fixed')
"""
    _, events = await run(code)
    generated = events[0].display_id
    assert isinstance(generated, str)
    assert generated
    assert events == [
        Output(display("'one'"), generated),
        Output(display("'other'"), "fixed"),
        UpdateDisplay(generated, display("'two'")),
        UpdateDisplay("fixed", display("'three'")),
    ]


def display(text: str) -> dict:
    return {"output_type": "display_data", "data": {"text/plain": text}, "metadata": {}}


async def test_clear_output_with_and_without_wait(run):
    code = """
from IPython.display import clear_output
print('a', end='')
clear_output()
print('b', end='')
clear_output(wait=True)
"""
    _, events = await run(code)
    assert events == [
        stream("stdout", "a"),
        ClearOutput(False),
        stream("stdout", "b"),
        ClearOutput(True),
    ]


async def test_error_output_has_coloured_traceback_lines(run):
    reply, [event] = await run("def f():\n    raise ValueError('bad')\nf()")
    assert reply == ExecuteReply("error", 1)
    error = event.output
    assert error["output_type"] == "error"
    assert (error["ename"], error["evalue"]) == ("ValueError", "bad")
    assert all(isinstance(line, str) for line in error["traceback"])
    assert "\x1b[" in error["traceback"][0]
    assert "In[1]" in "".join(error["traceback"])
    assert error["traceback"][-1] == "\x1b[31mValueError\x1b[39m: bad"


async def test_syntax_error_names_the_cell_as_ipykernel_does(run):
    reply, [event] = await run("def f(:")
    assert reply == ExecuteReply("error", 1)
    assert event.output["ename"] == "SyntaxError"
    # ipykernel names a cell by the MurmurHash2 of its source.
    assert event.output["evalue"] == "invalid syntax (2747763117.py, line 1)"


async def test_output_before_an_error_stays_in_order(run):
    _, events = await run("print('x')\n1/0")
    assert [e.output["output_type"] for e in events] == ["stream", "stream", "error"]


async def test_a_failing_repr_fails_the_execution_as_in_ipykernel(run):
    reply, events = await run("class A:\n    def __repr__(self): raise ValueError('r')\nA()")
    assert reply.status == "error"
    assert [e.output["output_type"] for e in events] == ["error"]
    assert (await run("1"))[0].status == "ok"


async def test_top_level_await(run):
    reply, events = await run("import asyncio\nawait asyncio.sleep(0)\n1")
    assert reply == ExecuteReply("ok", 1)
    assert events[0].output["data"] == {"text/plain": "1"}


async def test_output_of_a_kept_stream_after_its_cell_goes_to_the_process(run, kernel, capfd):
    await run("import sys\nkept = sys.stdout")
    kernel.shell.user_ns["kept"].write("late\n")
    assert capfd.readouterr().out == "late\n"


async def test_process_state_is_restored_after_a_cell(run, tmp_path):
    import builtins
    import getpass
    import os

    from IPython.core.interactiveshell import InteractiveShell

    before = (sys.stdout, sys.stderr, builtins.input, getpass.getpass, sys.modules["__main__"])
    cwd = os.getcwd()
    initialized = InteractiveShell.initialized()
    await run("import os\nos.chdir('..')\nprint(get_ipython())")
    assert (sys.stdout, sys.stderr, builtins.input, getpass.getpass) == before[:4]
    assert sys.modules["__main__"] is before[4]
    assert os.getcwd() == cwd
    assert InteractiveShell.initialized() == initialized
    _, [event] = await run("import os\nos.getcwd()")
    assert event.output["data"]["text/plain"] == repr(str(tmp_path.parent))
