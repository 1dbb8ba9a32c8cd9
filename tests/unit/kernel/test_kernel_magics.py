"""Line and cell magics that make sense without a terminal."""

from __future__ import annotations

import importlib.util
import os
import sys
import types

import pytest

from cocalc_compute_wasm.kernel import Kernel
from cocalc_compute_wasm.kernel.shell import NO_PROCESSES, no_processes


def texts(events, name="stdout") -> str:
    return "".join(
        e.output["text"]
        for e in events
        if e.output["output_type"] == "stream" and e.output["name"] == name
    )


def result(events):
    [text] = [e.output["data"]["text/plain"] for e in events if "data" in e.output]
    return text


async def test_time_and_timeit(run):
    reply, events = await run("%time x = sum(range(10))")
    assert reply.status == "ok"
    assert "Wall time" in texts(events)
    reply, events = await run("%timeit -n1 -r1 x + 1")
    assert reply.status == "ok"
    assert "per loop" in texts(events)


async def test_capture_keeps_outputs_out_of_the_cell(run):
    reply, events = await run(
        "%%capture captured\nprint('hidden')\nfrom IPython.display import display\ndisplay(1)"
    )
    assert (reply.status, events) == ("ok", [])
    _, events = await run("captured.stdout, len(captured.outputs)")
    assert result(events) == "('hidden\\n', 1)"
    _, events = await run("captured.show()")
    assert [e.output["output_type"] for e in events] == ["stream", "display_data"]


async def test_who_env_pwd_cd(run, tmp_path):
    await run("alpha = 1\nbeta = 'b'")
    _, events = await run("%who")
    assert texts(events).split() == ["alpha", "beta"]
    await run("%env COCALC_KERNEL_TEST=yes")
    try:
        _, events = await run("%env COCALC_KERNEL_TEST")
        assert result(events) == "'yes'"
    finally:
        os.environ.pop("COCALC_KERNEL_TEST", None)
    _, events = await run("%pwd")
    assert result(events) == repr(str(tmp_path))
    (tmp_path / "sub").mkdir()
    reply, events = await run("%cd sub")
    assert reply.status == "ok"
    _, events = await run("%pwd")
    assert result(events) == repr(str(tmp_path / "sub"))


async def test_matplotlib_inline_without_matplotlib_is_an_error_not_a_crash(run):
    if importlib.util.find_spec("matplotlib") is not None:
        pytest.skip("matplotlib is installed here")
    reply, [event] = await run("%matplotlib inline")
    assert reply.status == "error"
    assert (event.output["ename"], event.output["evalue"]) == (
        "ModuleNotFoundError",
        "No module named 'matplotlib'",
    )
    assert (await run("1"))[0].status == "ok"


async def test_unknown_magic_is_a_usage_error_on_stderr(run):
    reply, events = await run("%no_such_magic")
    assert reply.status == "error"
    assert "UsageError: Line magic function `%no_such_magic` not found." in texts(events, "stderr")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell")
async def test_shell_commands_run_in_cpython(run):
    reply, events = await run("!echo hello")
    assert reply.status == "ok"
    assert texts(events).strip() == "hello"
    _, events = await run("lines = !echo one; echo two\nlines")
    assert result(events) == "['one', 'two']"


async def test_shell_commands_fail_clearly_in_the_browser(run, kernel):
    # What KernelShell installs for `!cmd` when running in Pyodide.
    kernel.shell.system = types.MethodType(no_processes, kernel.shell)
    reply, [event] = await run("!ls")
    assert reply.status == "error"
    assert (event.output["ename"], event.output["evalue"]) == ("OSError", NO_PROCESSES)


def test_matplotlib_figures_show_inline_by_default_as_in_ipykernel(monkeypatch, tmp_path):
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("PAGER", "less")
    Kernel(cwd=tmp_path)
    assert os.environ["PAGER"] == "cat"
    if importlib.util.find_spec("matplotlib_inline"):
        assert os.environ["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
