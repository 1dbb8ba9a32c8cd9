"""Kernel events as plain maps, for crossing a process or worker boundary (msgpack,
postMessage) between a kernel and the runner that drives it."""

from __future__ import annotations

from typing import Any

from .events import ClearOutput, ExecuteReply, InputRequest, KernelEvent, Output, UpdateDisplay


class WireError(ValueError):
    """A map that is not a kernel event."""


def event_to_wire(event: KernelEvent | ExecuteReply) -> dict[str, Any]:
    if isinstance(event, Output):
        return {"event": "output", "output": event.output, "display_id": event.display_id}
    if isinstance(event, UpdateDisplay):
        return {"event": "update_display", "display_id": event.display_id, "output": event.output}
    if isinstance(event, ClearOutput):
        return {"event": "clear_output", "wait": event.wait}
    if isinstance(event, InputRequest):
        return {"event": "input_request", "prompt": event.prompt, "password": event.password}
    return {"event": "reply", "status": event.status, "execution_count": event.execution_count}


def event_from_wire(data: dict[str, Any]) -> KernelEvent | ExecuteReply:
    try:
        kind = data["event"]
        if kind == "output":
            return Output(data["output"], data["display_id"])
        if kind == "update_display":
            return UpdateDisplay(data["display_id"], data["output"])
        if kind == "clear_output":
            return ClearOutput(bool(data["wait"]))
        if kind == "input_request":
            return InputRequest(str(data["prompt"]), bool(data["password"]))
        if kind == "reply":
            return ExecuteReply(data["status"], data["execution_count"])
    except (KeyError, TypeError) as error:
        raise WireError(f"malformed kernel event {data!r}: {error}") from None
    raise WireError(f"unknown kernel event {kind!r}")
