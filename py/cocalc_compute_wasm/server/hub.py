"""The project's live state: connected peers, open notebooks, presence, and the commands
of the project websocket (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from ..notebook import InvalidNotebook
from ..protocol import DEFAULT_LIMITS, CloseCode, ErrorCode, FrameLimits, Request
from ..sync import NOTEBOOK, Accepted, ClientPatch, Duplicate, InvalidLog, SyncError
from .doc_store import DocumentStore
from .paths import PathRefused, project_path, relative_name
from .peer import MAX_OUTBOX_BYTES, CommandError, Peer
from .presence import (
    COMPUTE,
    NoRunner,
    Presence,
    PresenceChanged,
    RunnerAssigned,
    RunnerReleased,
)
from .project import Project
from .session import NotebookSession

log = logging.getLogger(__name__)

RUNNER_CHANNEL = "runner"
CONTROL_ACTIONS = ("interrupt", "restart", "stdin", "more_output")
CONTROL_TIMEOUT = 30.0
DISK_POLL_INTERVAL = 2.0


def server_time() -> int:
    return int(time.time() * 1000)


def argument(request: Request, name: str, kind: type) -> object:
    value = request.args.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise CommandError(
            ErrorCode.BAD_REQUEST, f"{request.cmd}: argument {name!r} must be a {kind.__name__}"
        )
    return value


class Hub:
    def __init__(
        self,
        project: Project,
        save_delay: float = 1.0,
        limits: FrameLimits = DEFAULT_LIMITS,
        max_outbox_bytes: int = MAX_OUTBOX_BYTES,
    ) -> None:
        self.project = project
        self.limits = limits
        self.max_outbox_bytes = max_outbox_bytes
        """Each client's bound on frames waiting to be sent (see Peer)."""
        self.store = DocumentStore(project.db)
        self.save_delay = save_delay
        self.presence = Presence()
        self.peers: dict[int, Peer] = {}
        self.sessions: dict[str, NotebookSession] = {}
        self._poller: asyncio.Task | None = None
        self.commands: dict[str, Callable[[Peer, Request], Awaitable[dict]]] = {
            "open": self.cmd_open,
            "close": self.cmd_close,
            "patch": self.cmd_patch,
            "catch_up": self.cmd_catch_up,
            "kernel": self.cmd_kernel,
            "control": self.cmd_control,
            "ping": self.cmd_ping,
        }

    # --- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        self._poller = asyncio.ensure_future(self._poll_disk())

    async def stop(self) -> None:
        """Save every notebook and say goodbye to every client (they reconnect to the
        server's next start), so that a shutdown does not wait on open sockets."""
        if self._poller:
            self._poller.cancel()
        for session in list(self.sessions.values()):
            session.save_now()
        peers = list(self.peers.values())
        for peer in peers:
            peer.close(CloseCode.GOING_AWAY, "the project server is shutting down")
        await asyncio.gather(*(peer.closing() for peer in peers), return_exceptions=True)

    async def _poll_disk(self) -> None:
        while True:
            await asyncio.sleep(DISK_POLL_INTERVAL)
            for session in list(self.sessions.values()):
                session.check_disk()

    # --- peers ---------------------------------------------------------------------

    def join(self, peer: Peer) -> None:
        self.peers[peer.id] = peer
        self._deliver(self.presence.join(peer.id, peer.client_id, peer.kind))
        if peer.kind == COMPUTE:  # also when it runs nothing: a rejoining worker lets go
            self._send_assignments({peer.id})

    def leave(self, peer: Peer) -> None:
        if self.peers.pop(peer.id, None) is None:
            return
        for session in set(peer.channels.values()):
            session.unsubscribe(peer)
        peer.channels.clear()
        self._deliver(self.presence.leave(peer.id))

    def _deliver(self, events: list) -> None:
        changed_runners = set()
        for event in events:
            if isinstance(event, PresenceChanged):
                session = self.sessions.get(event.path)
                if session:
                    session.broadcast({"presence": self.presence.describe(event.path)})
            elif isinstance(event, RunnerAssigned | RunnerReleased):
                changed_runners.add(event.connection)
        self._send_assignments(changed_runners)

    def _send_assignments(self, connections: set[int]) -> None:
        """Tell compute clients the whole list of notebooks they run: a full state, not
        a change, so that one that missed messages (a dropped socket) is right again."""
        for connection in connections & self.peers.keys():
            assignments = self.presence.assignments(connection)
            self.peers[connection].send_channel(RUNNER_CHANNEL, {"assignments": assignments})

    async def handle(self, peer: Peer, request: Request) -> None:
        """Answer one request; failures become `ok: false` answers, never a crash."""
        handler = self.commands.get(request.cmd)
        try:
            if handler is None:
                raise CommandError(ErrorCode.UNKNOWN_COMMAND, f"unknown command {request.cmd!r}")
            result = await handler(peer, request)
        except CommandError as error:
            peer.respond_error(request, error.code, error.message)
        except Exception:
            log.exception("%r: %s failed", peer, request.cmd)
            peer.respond_error(request, ErrorCode.INTERNAL, f"{request.cmd} failed on the server")
        else:
            peer.respond(request, result)

    # --- documents -----------------------------------------------------------------

    def session_for(self, path: str) -> NotebookSession:
        try:
            name = relative_name(self.project.directory, path)
            file_path = project_path(self.project.directory, path)
        except PathRefused as error:
            raise CommandError(ErrorCode.FORBIDDEN, str(error)) from None
        if not name.endswith(".ipynb"):
            raise CommandError(
                ErrorCode.BAD_REQUEST, f"{name}: only .ipynb notebooks can be opened"
            )
        if name not in self.sessions:
            if file_path.is_dir():
                raise CommandError(ErrorCode.BAD_REQUEST, f"{name} is a folder")
            try:
                session = NotebookSession(
                    name, file_path, self.store, self.save_delay, self._session_idle
                )
                session.start()
            except InvalidLog as error:
                raise CommandError(
                    ErrorCode.INTERNAL, f"{name}: the stored patch log is damaged: {error}"
                ) from None
            except (InvalidNotebook, OSError) as error:
                raise CommandError(ErrorCode.BAD_REQUEST, f"cannot open {name}: {error}") from None
            self.sessions[name] = session
        return self.sessions[name]

    def _session_idle(self, session: NotebookSession) -> None:
        if self.sessions.get(session.path) is session:
            del self.sessions[session.path]

    async def cmd_open(self, peer: Peer, request: Request) -> dict:
        path = argument(request, "path", str)
        since = request.args.get("since", 0)
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            raise CommandError(ErrorCode.BAD_REQUEST, "open: 'since' must be a seq (int >= 0)")
        session = self.session_for(path)
        try:
            catch_up = session.log.catch_up(since)
        except InvalidLog as error:
            raise CommandError(ErrorCode.CONFLICT, str(error)) from None
        channel = peer.add_channel(session)
        session.subscribe(peer, channel)
        self._deliver(self.presence.open(peer.id, session.path))
        return {
            "channel": channel,
            "path": session.path,
            "catch_up": catch_up.to_wire(),
            "presence": self.presence.describe(session.path),
            "save_error": session.save_error,
        }

    async def cmd_close(self, peer: Peer, request: Request) -> dict:
        channel = request.args.get("channel")
        session = peer.session(channel)
        del peer.channels[channel]
        session.unsubscribe(peer)
        self._deliver(self.presence.close(peer.id, session.path))
        return {}

    async def cmd_patch(self, peer: Peer, request: Request) -> dict:
        session = peer.session(request.args.get("channel"))
        try:
            patch = ClientPatch.from_wire(NOTEBOOK, request.args.get("patch"))
        except SyncError as error:
            raise CommandError(ErrorCode.BAD_REQUEST, str(error)) from None
        if patch.client_id != peer.client_id:
            raise CommandError(
                ErrorCode.FORBIDDEN,
                f"patch from client {patch.client_id!r} sent by client {peer.client_id!r}",
            )
        try:
            outcome = session.submit(patch)
        except SyncError as error:  # the patch does not fit the document
            raise CommandError(ErrorCode.BAD_REQUEST, str(error)) from None
        if isinstance(outcome, Accepted):
            return {"seq": outcome.record.seq, "duplicate": False}
        if isinstance(outcome, Duplicate):
            return {"seq": outcome.seq, "duplicate": True}
        raise CommandError(
            ErrorCode.CONFLICT,
            f"patch {outcome.local_number} of client {outcome.client_id!r} skips ahead:"
            f" the next one expected is {outcome.expected}",
        )

    async def cmd_catch_up(self, peer: Peer, request: Request) -> dict:
        session = peer.session(request.args.get("channel"))
        since = argument(request, "since", int)
        try:
            return {"catch_up": session.log.catch_up(since).to_wire()}
        except (InvalidLog, ValueError) as error:
            raise CommandError(ErrorCode.CONFLICT, str(error)) from None

    # --- runners -------------------------------------------------------------------

    async def cmd_kernel(self, peer: Peer, request: Request) -> dict:
        session = peer.session(request.args.get("channel"))
        state = argument(request, "state", str)
        try:
            self._deliver(
                self.presence.set_kernel_state(
                    peer.id, session.path, state, request.args.get("gpu")
                )
            )
        except NoRunner as error:
            raise CommandError(ErrorCode.FORBIDDEN, str(error)) from None
        except ValueError as error:
            raise CommandError(ErrorCode.BAD_REQUEST, str(error)) from None
        return {}

    async def cmd_control(self, peer: Peer, request: Request) -> dict:
        session = peer.session(request.args.get("channel"))
        action = argument(request, "action", str)
        if action not in CONTROL_ACTIONS:
            raise CommandError(
                ErrorCode.BAD_REQUEST,
                f"control: action must be one of {', '.join(CONTROL_ACTIONS)}",
            )
        try:
            runner = self.peers[self.presence.control_target(session.path)]
        except NoRunner as error:
            raise CommandError(ErrorCode.NOT_FOUND, str(error)) from None
        args = {k: v for k, v in request.args.items() if k != "channel"}
        try:
            async with asyncio.timeout(CONTROL_TIMEOUT):
                return await runner.request(
                    "control", {**args, "path": session.path, "from": peer.client_id}
                )
        except TimeoutError:
            raise CommandError(
                ErrorCode.INTERNAL, f"the runner of {session.path} did not answer {action}"
            ) from None

    async def cmd_ping(self, peer: Peer, request: Request) -> dict:
        return {"server_time": server_time()}
