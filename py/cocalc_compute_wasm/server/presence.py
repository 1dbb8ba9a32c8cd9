"""Who is connected, and which compute client runs each open notebook (sans-IO).

Presence is transient: it never enters a patch log. Runner election is decided here from
live connections rather than from heartbeats written into documents, because a throttled
background tab still holds its socket open, and a dead socket is noticed by the server.

Policy: a notebook that anyone has open needs a runner. Its runner stays as long as its
connection lives (stickiness: a kernel's state is worth keeping); when it leaves, the
compute client serving the fewest notebooks takes over, the longest-connected one on a
tie. Every change is returned as events for the IO shell to deliver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLLABORATOR = "collaborator"
COMPUTE = "compute"
KERNEL_STATES = ("starting", "idle", "busy", "dead")
GPU_FIELDS = 16
GPU_TEXT = 500
"""Bounds of what a runner may say about its kernel's GPU (a few short facts)."""


@dataclass(frozen=True)
class RunnerAssigned:
    path: str
    connection: int


@dataclass(frozen=True)
class RunnerReleased:
    path: str
    connection: int


@dataclass(frozen=True)
class PresenceChanged:
    """Something a document's participants see changed (joins, leaves, runner, kernel)."""

    path: str


Event = RunnerAssigned | RunnerReleased | PresenceChanged


class NoRunner(Exception):
    """A control message was sent to a notebook that no compute client serves."""


@dataclass
class Participant:
    connection: int
    client_id: str
    kind: str
    joined: int  # order of arrival, for stable tie-breaking
    open_paths: set[str] = field(default_factory=set)


class Presence:
    def __init__(self) -> None:
        self._participants: dict[int, Participant] = {}
        self._runners: dict[str, int] = {}
        self._kernel_state: dict[str, str] = {}
        self._gpu: dict[str, dict | None] = {}
        self._arrivals = 0

    # --- connections ---------------------------------------------------------------

    def join(self, connection: int, client_id: str, kind: str) -> list[Event]:
        if kind not in (COLLABORATOR, COMPUTE):
            raise ValueError(f"client kind must be {COLLABORATOR!r} or {COMPUTE!r}, not {kind!r}")
        self._arrivals += 1
        self._participants[connection] = Participant(connection, client_id, kind, self._arrivals)
        return self._elect() if kind == COMPUTE else []

    def leave(self, connection: int) -> list[Event]:
        participant = self._participants.pop(connection, None)
        if participant is None:
            return []
        events: list[Event] = [PresenceChanged(p) for p in sorted(participant.open_paths)]
        for path, runner in list(self._runners.items()):
            if runner == connection:
                del self._runners[path]
                self._kernel_state.pop(path, None)
                self._gpu.pop(path, None)
                events.append(RunnerReleased(path, connection))
        return events + self._elect()

    def open(self, connection: int, path: str) -> list[Event]:
        self._participants[connection].open_paths.add(path)
        return [PresenceChanged(path), *self._elect()]

    def close(self, connection: int, path: str) -> list[Event]:
        self._participants[connection].open_paths.discard(path)
        return [PresenceChanged(path)]

    # --- runners and kernels -------------------------------------------------------

    def open_notebooks(self) -> set[str]:
        return {path for p in self._participants.values() for path in p.open_paths}

    def assignments(self, connection: int) -> list[str]:
        """The notebooks `connection` runs now."""
        return sorted(path for path, runner in self._runners.items() if runner == connection)

    def runner_of(self, path: str) -> int | None:
        return self._runners.get(path)

    def control_target(self, path: str) -> int:
        """The connection that control messages for `path` (interrupt, ...) go to."""
        runner = self._runners.get(path)
        if runner is None:
            raise NoRunner(f"no compute client serves {path} right now")
        return runner

    def set_kernel_state(
        self, connection: int, path: str, state: str, gpu: dict | None = None
    ) -> list[Event]:
        """The runner's kernel state, and what it says about the kernel's GPU (the
        kernel's `gpu.summary()`: whether there is one, which, or why not; None when its
        host does not tell)."""
        if self._runners.get(path) != connection:
            raise NoRunner(f"this connection is not the runner of {path}")
        if state not in KERNEL_STATES:
            raise ValueError(f"kernel state must be one of {', '.join(KERNEL_STATES)}")
        gpu = check_gpu(gpu)
        self._kernel_state[path] = state
        self._gpu[path] = gpu
        return [PresenceChanged(path)]

    def describe(self, path: str) -> dict:
        """What participants of `path` see: who is here, the runner, its kernel state."""
        runner = self._runners.get(path)
        here = [p for p in self._participants.values() if path in p.open_paths]
        return {
            "participants": [
                {"client_id": p.client_id, "kind": p.kind}
                for p in sorted(here, key=lambda p: p.joined)
            ],
            "runner": self._participants[runner].client_id if runner is not None else None,
            "kernel": self._kernel_state.get(path) if runner is not None else None,
            "gpu": self._gpu.get(path) if runner is not None else None,
            "computes": sum(p.kind == COMPUTE for p in self._participants.values()),
        }

    def _elect(self) -> list[Event]:
        wanted = self.open_notebooks()
        computes = [p for p in self._participants.values() if p.kind == COMPUTE]
        events: list[Event] = []
        for path in sorted(wanted - self._runners.keys()):
            if not computes:
                break
            load = {p.connection: 0 for p in computes}
            for runner in self._runners.values():
                load[runner] += 1
            chosen = min(computes, key=lambda p: (load[p.connection], p.joined))
            self._runners[path] = chosen.connection
            events += [RunnerAssigned(path, chosen.connection), PresenceChanged(path)]
        return events


def check_gpu(gpu: object) -> dict | None:
    """A runner's GPU facts: a small flat map of names to short values, or None."""
    if gpu is None:
        return None
    scalars = (str, bool, int, float, type(None))
    if (
        not isinstance(gpu, dict)
        or len(gpu) > GPU_FIELDS
        or not all(isinstance(k, str) and isinstance(v, scalars) for k, v in gpu.items())
        or any(len(x) > GPU_TEXT for x in (*gpu, *gpu.values()) if isinstance(x, str))
    ):
        raise ValueError(
            f"gpu must be null or a map of at most {GPU_FIELDS} names to numbers, booleans"
            f" or strings of at most {GPU_TEXT} characters"
        )
    return gpu
