"""What the runner asks of its host (the shell that drives the kernel)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Execute:
    """Run ``code`` in the kernel: report ``execution_started()`` when the kernel begins,
    its events through ``kernel_event()``, and the end through ``execution_finished()``."""

    cell_id: str
    code: str


@dataclass(frozen=True)
class SendInput:
    """Hand a collaborator's reply to the ``input()``/``getpass()`` that waits for it."""

    value: str


Action = Execute | SendInput
