"""The browser kernel's `%pip`: cell lines rewritten into an awaited call (a line magic
cannot await), and the message for a package the index lacks."""

import ast

from cocalc_compute_wasm.browser import packages


def test_pip_lines_become_awaited_calls_with_their_arguments_intact():
    cell = ["%pip install a 'b>=1'\n", "x = 1\n", "if x:\n", "    !pip install -q c\n"]
    out = packages.pip_lines(cell)
    assert out[1:3] == cell[1:3]
    assert out[0].startswith("await __import__(")
    assert out[0].endswith(""".pip("install a 'b>=1'")\n""")
    assert out[3].startswith("    await ")
    assert "pip('install -q c')" in out[3]
    compile("".join(out), "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_other_lines_are_left_alone():
    cell = ["pipx = 1\n", "%pipe install\n", "print('%pip install x')\n", "%time x\n"]
    assert packages.pip_lines(cell) == cell


def test_a_missing_package_names_itself_and_the_command_that_adds_it():
    packages.index_url = "http://127.0.0.1:8765/simple"
    message = packages.not_found_message(["nope", "b>=2"])
    assert message.startswith("'nope', 'b>=2': no wheel that fits the browser kernel")
    assert "(http://127.0.0.1:8765/simple/)" in message
    assert message.endswith("cocalc-compute wheels add PROJECT_DIR nope 'b>=2'")
