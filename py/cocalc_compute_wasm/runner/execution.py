"""The one cell being executed: its outputs as they stand, measured against the limit."""

from __future__ import annotations

from .outputs import (
    Output,
    OutputList,
    answered_prompt,
    display_id_of,
    input_prompt,
    is_plain_stream,
    more_output_marker,
    output_size,
    with_display_update,
)


class Execution:
    """What the runner knows of the execution in progress.

    Knows nothing of the document: the runner writes ``outputs.outputs()`` as a diff
    against the cell's output in the doc.
    """

    def __init__(self, cell_id: str, *, no_halt: bool) -> None:
        self.cell_id = cell_id
        self.no_halt = no_halt  # read when taken: the request is what says it
        self.started = False  # the host said the kernel began (state "busy")
        self.clear()

    def add(self, output: Output, limit: int) -> list[Output]:
        """Show an output, or as much of a stream as fits in ``limit`` characters; returns
        what is not shown, for the runner to keep. Once past the limit, every later output
        is kept too (their order stays intact) and one marker says how much there is."""
        size = output_size(output)
        if self._marker is None:
            room = limit - self._size
            if size <= room:
                self.outputs.append(output)
                self._size += size
                return []
            if room > 0 and is_plain_stream(output):
                text = output["text"]
                self.outputs.append({**output, "text": text[:room]})
                self._size = limit
                output = {**output, "text": text[room:]}
                size -= room
            self._marker = len(self.outputs)
            self.outputs.append(more_output_marker(0))  # its count is set right below
        self._hidden += size
        self.outputs[self._marker] = more_output_marker(self._hidden)
        return [output]

    def clear(self) -> None:
        """clear_output: everything goes and the limit starts afresh (the runner forgets
        what it kept, so that a loop redrawing its output never fills the store)."""
        self.clear_pending = False  # clear_output(wait=True): clear when the next output comes
        self.outputs = OutputList()
        self._size = 0  # characters shown, counted against max_output_length
        self._hidden = 0  # characters past it, kept by the runner's Overflow
        self._marker: int | None = None  # index of the more-output marker
        self._prompt: int | None = None  # index of the prompt that waits for a reply

    def update_display(self, display_id: str, update: Output) -> bool:
        """Show ``update`` in every output with this display id; whether any changed.
        Updates replace in place and are not measured: the limit is on what a cell adds."""
        changed = False
        for index, output in enumerate(self.outputs.outputs()):
            if display_id_of(output) == display_id:
                self.outputs[index] = with_display_update(output, update)
                changed = True
        return changed

    def request_input(self, prompt: str, password: bool) -> None:
        """Show a prompt; it is shown whatever the limit, since the page answers it. A
        prompt still waiting (its input() cannot be waiting any more) is closed first."""
        self.answer_input(None)
        self._prompt = len(self.outputs)
        self.outputs.append(input_prompt(prompt, password))

    def answer_input(self, reply: str | None) -> bool:
        """Turn the waiting prompt into prompt + reply; None: the execution ended first.
        Whether a prompt was waiting."""
        if self._prompt is None:
            return False
        self.outputs[self._prompt] = answered_prompt(self.outputs[self._prompt], reply)
        self._prompt = None
        return True
