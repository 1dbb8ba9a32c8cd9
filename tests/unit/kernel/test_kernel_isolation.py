"""Kernels in one process keep their own namespaces, counts, displays and directories."""

from __future__ import annotations

import threading

from cocalc_compute_wasm.kernel import Kernel, KernelInterface


async def test_two_kernels_do_not_share_anything_a_cell_sees(run, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = Kernel(cwd=tmp_path / "a"), Kernel(cwd=tmp_path / "b")
    await run("x = 'first'", on=first)
    reply, [event] = await run("x", on=second)
    assert (reply.status, event.output["ename"]) == ("error", "NameError")
    await run("x = 'second'\n%cd ..", on=second)
    _, events = await run("from IPython.display import display\ndisplay(x)\nx", on=first)
    assert [e.output["data"]["text/plain"] for e in events] == ["'first'", "'first'"]
    assert events[1].output["execution_count"] == 2
    _, [event] = await run("import os\nos.getcwd(), get_ipython().user_ns is globals()", on=first)
    assert event.output["data"]["text/plain"] == repr((str(tmp_path / "a"), True))
    _, [event] = await run("os.getcwd()", on=second)
    assert event.output["ename"] == "NameError"  # `os` was imported in the other kernel
    _, [event] = await run("import os\nos.getcwd()", on=second)
    assert event.output["data"]["text/plain"] == repr(str(tmp_path))


async def test_pickle_finds_classes_defined_in_cells(run):
    code = "import pickle\nclass Point:\n    x = 1\npickle.loads(pickle.dumps(Point())).x"
    _, [event] = await run(code)
    assert event.output["data"]["text/plain"] == "1"


def test_creating_a_kernel_starts_no_threads(tmp_path):
    before = threading.active_count()
    kernel = Kernel(cwd=tmp_path)
    assert threading.active_count() == before
    assert kernel.shell.history_manager.save_thread is None


def test_kernel_implements_the_interface(kernel):
    assert isinstance(kernel, KernelInterface)


async def test_a_cell_may_remove_its_working_directory(run, tmp_path):
    (tmp_path / "gone").mkdir()
    await run("%cd gone")
    reply, _ = await run("import os\nos.rmdir(os.getcwd())")
    assert reply.status == "ok"
    assert (await run("1"))[0].status == "ok"
