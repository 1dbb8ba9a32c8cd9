"""Outputs as the runner writes them: sizes, stream merging, and the runner's own outputs.

The runner's own outputs (the more-output marker, the stdin prompt) are ordinary nbformat
outputs with one extra key that the page recognises; the exporter keeps only nbformat's
fields, so in the .ipynb they are a plain display_data and a plain stream.
"""

from __future__ import annotations

import json
from typing import Any, Final

Output = dict[str, Any]

MORE_OUTPUT: Final = "more_output"
"""Extra key (true) of the marker output that stands for the outputs past max_output_length."""

INPUT_REQUEST: Final = "input_request"
"""Extra key ({"password": bool}) of a stdin prompt that still waits for its reply."""

PASSWORD_MASK: Final = "········"
"""What a password reply shows as (Jupyter's mask), in the document and the file."""

_STREAM_FIELDS: Final = frozenset({"output_type", "name", "text"})
_SIZED_FIELDS: Final = ("text", "data", "ename", "evalue", "traceback")


def output_size(output: Output) -> int:
    """The characters an output counts against ``max_output_length``: the characters of
    the strings in its text, data, ename, evalue and traceback; a number, bool or null in
    JSON data counts as its JSON text. Keys and metadata are free (they are small and not
    what floods a notebook)."""
    return sum(_chars(output[field]) for field in _SIZED_FIELDS if field in output)


def _chars(value: object) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(map(_chars, value.values()))
    if isinstance(value, list):
        return sum(map(_chars, value))
    return len(json.dumps(value))


def is_plain_stream(output: Output) -> bool:
    """A stream output with nothing of the runner's own on it: the next chunk of the same
    stream may extend it (a prompt or the marker must stay a separate output)."""
    return (
        output.get("output_type") == "stream"
        and output.keys() <= _STREAM_FIELDS
        and isinstance(output.get("text"), str)
    )


def display_id_of(output: object) -> str | None:
    """The display id an output was shown with (``transient.display_id``), if any."""
    transient = output.get("transient") if isinstance(output, dict) else None
    display_id = transient.get("display_id") if isinstance(transient, dict) else None
    return display_id if isinstance(display_id, str) else None


def with_display_id(output: Output, display_id: str | None) -> Output:
    """The output as stored: a display id goes into ``transient`` (as in Jupyter's
    messages), so that any later runner can still find the output to update."""
    if display_id is None:
        return output
    return {**output, "transient": {"display_id": display_id}}


def with_display_update(output: Output, update: Output) -> Output:
    """The output showing an update's data and metadata (update_display_data replaces both
    and keeps the output's type)."""
    return {**output, "data": update.get("data", {}), "metadata": update.get("metadata", {})}


def more_output_marker(hidden: int) -> Output:
    """The one output that stands for ``hidden`` characters past max_output_length."""
    return {
        "output_type": "display_data",
        "data": {"text/plain": f"Output truncated: {hidden:,} more characters — fetch the rest"},
        "metadata": {},
        MORE_OUTPUT: True,
    }


def runner_lost_error() -> Output:
    """The error a cell ends with when the runner that executed it went away mid-cell (its
    worker disconnected, was restarted, or its page was reloaded): the kernel that ran
    it is gone, so nothing more of it will come."""
    reason = (
        "the kernel running this cell went away before it finished: its compute worker"
        " disconnected, was restarted or its page was reloaded"
    )
    return {
        "output_type": "error",
        "ename": "KernelLost",
        "evalue": reason,
        "traceback": [f"The kernel was lost: {reason}. Run the cell again."],
    }


def discarded_note(discarded: int, limit: int) -> Output:
    """What ``more_output`` answers first when the runner had to drop stored output."""
    return {
        "output_type": "stream",
        "name": "stderr",
        "text": f"[{discarded:,} characters of output were discarded: the runner keeps at most"
        f" {limit:,} characters of truncated output]\n",
    }


def input_prompt(prompt: str, password: bool) -> Output:
    """A stdin prompt waiting for its reply: the page renders an input box after it."""
    return {
        "output_type": "stream",
        "name": "stdout",
        "text": prompt,
        INPUT_REQUEST: {"password": password},
    }


def answered_prompt(prompt: Output, reply: str | None) -> Output:
    """The prompt as it stays: prompt, reply (masked for a password) and a newline, like a
    terminal's echo. ``reply`` None: the execution ended without one."""
    password = prompt[INPUT_REQUEST]["password"]
    shown = "" if reply is None else PASSWORD_MASK if password else reply
    return {"output_type": "stream", "name": "stdout", "text": prompt["text"] + shown + "\n"}


class OutputList:
    """Outputs in order, consecutive plain streams of the same name merged into one, as
    front ends show them (this also keeps patches small).

    The text of the last stream is kept as chunks and joined on demand, so a long run of
    small prints costs linear time, not quadratic.
    """

    def __init__(self) -> None:
        self._items: list[Output] = []
        self._chunks: list[str] = []  # the last item's text, when it is a plain stream

    def __len__(self) -> int:
        return len(self._items)

    def append(self, output: Output) -> None:
        if self._chunks and is_plain_stream(output) and output["name"] == self._items[-1]["name"]:
            self._chunks.append(output["text"])
            return
        self._join()
        self._items.append(output)
        self._chunks = [output["text"]] if is_plain_stream(output) else []

    def __getitem__(self, index: int) -> Output:
        self._join()
        return self._items[index]

    def __setitem__(self, index: int, output: Output) -> None:
        self._join()
        self._items[index] = output
        if index in (-1, len(self._items) - 1):
            self._chunks = [output["text"]] if is_plain_stream(output) else []

    def outputs(self) -> list[Output]:
        """The outputs, streams joined. Do not mutate the list: it is this object's own."""
        self._join()
        return self._items

    def _join(self) -> None:
        if len(self._chunks) > 1:
            text = "".join(self._chunks)
            self._items[-1] = {**self._items[-1], "text": text}
            self._chunks = [text]
