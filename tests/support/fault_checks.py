"""What fault tests share: a collaborator who keeps typing and knows which of its edits
the server acknowledged, a cell that prints numbered lines, and the judge of its output."""

from __future__ import annotations

import asyncio
import re

COUNTER_CELL = (
    "import time\n"
    "for i in range({n}):\n"
    "    print(f'line {{i}}', flush=True)\n"
    "    time.sleep({pause})"
)
"""A cell that prints ``line 0`` ... ``line n-1``, one every ``pause`` seconds. Each line
is one write, so a kernel that dies mid-cell can cut it only before its newline."""


def counted_lines(text: str) -> list[int]:
    """The numbers of the ``line N`` lines in ``text``, in order; AssertionError for any
    other line (a torn or foreign line is a fault too)."""
    numbers = []
    for line in text.splitlines():
        match = re.fullmatch(r"line (\d+)", line)
        assert match, f"unexpected output line {line!r} in {text!r}"
        numbers.append(int(match.group(1)))
    return numbers


def assert_no_duplicates(numbers: list[int]) -> None:
    """Each number at most once, in increasing order."""
    assert numbers == sorted(set(numbers)), f"lines duplicated or out of order: {numbers}"


class Typist:
    """A collaborator appending ``<name> N`` lines to one cell's input, one every
    ``pause`` seconds, until stopped. Knows the local patch number of each edit, so it
    can tell which edits the server acknowledged (durable) at any moment."""

    def __init__(self, nb, cell_id: str, name: str, pause: float = 0.03) -> None:
        self.nb = nb
        self.cell_id = cell_id
        self.name = name
        self.pause = pause
        self.patches: list[int] = []  # local number of edit n's patch
        self._task: asyncio.Task | None = None

    def line(self, n: int) -> str:
        return f"{self.name} {n}"

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._type())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _type(self) -> None:
        while True:
            self.type_one()
            await asyncio.sleep(self.pause)

    def type_one(self) -> None:
        cell = self.nb.cell(self.cell_id)
        self.nb.set_input(self.cell_id, cell["input"] + self.line(len(self.patches)) + "\n")
        self.patches.append(self.nb.doc.replica.pending[-1].local_number)

    def acknowledged(self) -> list[int]:
        """The edits the server has acknowledged so far."""
        pending = [p.local_number for p in self.nb.doc.replica.pending]
        oldest = min(pending, default=float("inf"))
        return [n for n, number in enumerate(self.patches) if number < oldest]

    def missing(self, text: str, edits: list[int]) -> list[int]:
        """Which of ``edits`` are not in ``text`` (a cell's input)."""
        present = set(text.splitlines())
        return [n for n in edits if self.line(n) not in present]
