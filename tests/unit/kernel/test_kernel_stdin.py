"""input() and getpass() through the host's stdin callable, and without one."""

from __future__ import annotations

from cocalc_compute_wasm.kernel import Kernel


class Answers:
    """A stdin callable that records what it was asked."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.asked: list[tuple[str, bool]] = []

    def __call__(self, prompt: str, password: bool) -> str:
        self.asked.append((prompt, password))
        return self.replies.pop(0)


async def test_input_and_getpass_are_answered_by_stdin(run, tmp_path):
    answers = Answers("Ada", "secret")
    kernel = Kernel(stdin=answers, cwd=tmp_path)
    code = "import getpass\nname = input('Name? ')\npw = getpass.getpass('Password: ')\nname, pw"
    reply, events = await run(code, on=kernel)
    assert reply.status == "ok"
    assert answers.asked == [("Name? ", False), ("Password: ", True)]
    assert events[0].output["data"] == {"text/plain": "('Ada', 'secret')"}


async def test_prompts_are_strings_and_getpass_defaults_as_in_ipykernel(run, tmp_path):
    answers = Answers("1", "2")
    kernel = Kernel(stdin=answers, cwd=tmp_path)
    await run("import getpass\ninput(42)\ngetpass.getpass()", on=kernel)
    assert answers.asked == [("42", False), ("", True)]


async def test_ctrl_d_is_end_of_file(run, tmp_path):
    kernel = Kernel(stdin=Answers("\x04"), cwd=tmp_path)
    reply, [event] = await run("input()", on=kernel)
    assert reply.status == "error"
    assert event.output["ename"] == "EOFError"


async def test_interrupt_while_waiting_for_input(run, tmp_path):
    def interrupted(prompt: str, password: bool) -> str:
        raise KeyboardInterrupt

    kernel = Kernel(stdin=interrupted, cwd=tmp_path)
    reply, [event] = await run("input()", on=kernel)
    assert reply.status == "error"
    assert (event.output["ename"], event.output["evalue"]) == (
        "KeyboardInterrupt",
        "Interrupted by user",
    )


async def test_without_stdin_input_fails_as_in_ipykernel(run):
    for code, caller in (
        ("input()", "raw_input"),
        ("import getpass\ngetpass.getpass()", "getpass"),
    ):
        reply, [event] = await run(code)
        assert reply.status == "error"
        assert (event.output["ename"], event.output["evalue"]) == (
            "StdinNotImplementedError",
            f"{caller} was called, but this frontend does not support input requests.",
        )
