"""WebSocketFS at `/{project_id}/raw/.smc/websocketfs`: the aiohttp shell around the
sans-IO `SftpSession` and the blocking `ProjectFiles`.

The SFTP stream has no auth frame, so the key must come with the upgrade (an
`Authorization: Bearer` header or the `api_key` cookie): without a live one, HTTP 401.
Requests run in worker threads, up to MAX_IN_FLIGHT at once (a client that sends faster
than we answer is slowed by TCP, not by our memory); requests on one handle keep their
order (`HandleOrder`). Replies go out in the order of the requests, as OpenSSH's
sftp-server sends them: SFTP matches replies by id, but paramiko's pipelined writes lose
a reply that overtakes another.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import WSMsgType, web

from ..websocketfs.packets import MAX_PACKET, Close, Read, Status, StatusCode
from ..websocketfs.session import CloseCode, ProtocolViolation, Reply, Run, SftpSession
from .project import Project
from .ws import HUB_KEY, authenticated_by_upgrade, key_subprotocol

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64


class HandleOrder:
    """What a request on a file handle must wait for, so that a handle sees its requests
    in the order sent: READs wait for the last other request on their handle and may run
    side by side (a client's read-ahead); any other request waits for all before it."""

    def __init__(self) -> None:
        self._last: dict[bytes, asyncio.Future] = {}
        self._reads: dict[bytes, list[asyncio.Future]] = {}

    def before(self, handle: bytes | None, job: Run) -> list[asyncio.Future]:
        if handle is None:
            return []
        last = [self._last[handle]] if handle in self._last else []
        if isinstance(job.request, Read):
            return last
        return last + self._reads.pop(handle, [])

    def started(self, handle: bytes | None, job: Run, task: asyncio.Future) -> None:
        if handle is None:
            return
        if isinstance(job.request, Read):
            reads = self._reads.setdefault(handle, [])
            reads[:] = [read for read in reads if not read.done()]
            reads.append(task)
        else:
            self._last[handle] = task
            if isinstance(job.request, Close):
                task.add_done_callback(lambda _: self._forget(handle, task))

    def _forget(self, handle: bytes, task: asyncio.Future) -> None:
        if self._last.get(handle) is task:
            del self._last[handle]
        self._reads.pop(handle, None)


async def websocketfs(request: web.Request) -> web.StreamResponse:
    project: Project = request.app[HUB_KEY].project
    if request.match_info["project_id"] != project.project_id:
        raise web.HTTPNotFound(text=f"no project {request.match_info['project_id']} here")
    authenticated, cookie_refused = authenticated_by_upgrade(request, project)
    if not authenticated:
        raise web.HTTPUnauthorized(
            text=cookie_refused
            or "websocketfs needs an API key: an Authorization: Bearer header, the api_key"
            " cookie, or a cocalc-api-key.<base64url key> subprotocol"
        )
    protocol = key_subprotocol(request)
    # no permessage-deflate: file contents are often compressed already, and deflating
    # a megabyte costs both ends more than sending it
    ws = web.WebSocketResponse(
        max_msg_size=MAX_PACKET,
        heartbeat=30.0,
        protocols=(protocol,) if protocol else (),
        compress=False,
    )
    await ws.prepare(request)
    # imported here: websocketfs.files uses the server's paths, and importing it first
    # (a script of its own) would otherwise import it again half-made through this package
    from ..websocketfs.files import EXTENSIONS, ProjectFiles

    session = SftpSession(EXTENSIONS)
    files = ProjectFiles(project.directory)
    order = HandleOrder()
    replies: asyncio.Queue[asyncio.Future[bytes] | None] = asyncio.Queue()
    slots = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks: set[asyncio.Task] = set()

    async def run(job: Run, after: list[asyncio.Future]) -> bytes:
        if after:
            await asyncio.wait(after)
        try:
            return session.reply(await asyncio.to_thread(files.handle, job.request))
        except Exception as error:  # a bug of ours: answer it, keep the connection going
            log.exception("websocketfs: %r failed", job.request)
            failure = Status(job.request.request_id, StatusCode.FAILURE, f"server error: {error}")
            return session.reply(failure)

    async def send_in_order() -> None:
        # a slot is freed once its reply is sent, not when it is ready, so that a client
        # that does not read its replies cannot make us hold more than MAX_IN_FLIGHT
        while (reply := await replies.get()) is not None:
            try:
                data = await reply
                if not ws.closed:
                    await ws.send_bytes(data)
            except ConnectionError:
                pass  # the client left; the read loop ends too
            finally:
                if isinstance(reply, asyncio.Task):
                    slots.release()

    sender = asyncio.ensure_future(send_in_order())
    try:
        async for message in ws:
            if message.type == WSMsgType.BINARY:
                event = session.receive_binary(message.data)
            elif message.type == WSMsgType.TEXT:
                session.receive_text()
            else:
                break
            if isinstance(event, Reply):
                done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
                done.set_result(event.data)
                replies.put_nowait(done)
            else:
                await slots.acquire()
                handle = getattr(event.request, "handle", None)
                task = asyncio.ensure_future(run(event, order.before(handle, event)))
                order.started(handle, event, task)
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                replies.put_nowait(task)
    except ProtocolViolation as violation:
        log.info("websocketfs: closing %s: %s", request.remote, violation.reason)
        await ws.close(code=violation.code, message=_close_reason(violation.reason))
    finally:
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        replies.put_nowait(None)
        await asyncio.gather(sender, return_exceptions=True)
        await asyncio.to_thread(files.close)
        if not ws.closed:
            await ws.close(code=CloseCode.NORMAL, message=b"bye")
    return ws


def _close_reason(reason: str) -> bytes:
    """A close reason fits in a control frame (123 bytes) and must stay valid UTF-8."""
    return reason.encode()[:120].decode("utf-8", "ignore").encode()
