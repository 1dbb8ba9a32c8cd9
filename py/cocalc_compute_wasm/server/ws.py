"""The project websocket `/{project_id}/raw/.smc/ws`: the aiohttp shell around the
protocol's `ServerConnection` and the hub.

A key in an `Authorization: Bearer` header is checked before the upgrade, so a wrong key
is refused with HTTP 401 before a single frame is read. A browser cannot read that
answer, so a wrong `api_key` cookie does not refuse the upgrade: the connection is then
as one without a key, whose first frame must be the auth frame, within AUTH_TIMEOUT
seconds; a hello instead is closed with the protocol's 4401 and its reason.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging

from aiohttp import WSMsgType, web

from ..protocol import (
    AuthRequested,
    ChannelMessage,
    CloseCode,
    ConnectionState,
    ErrorResponse,
    Hello,
    ProtocolError,
    Request,
    Response,
    ServerConnection,
)
from .hub import Hub, server_time
from .keys import AuthRefused, check_key
from .peer import Peer
from .project import Project

log = logging.getLogger(__name__)

AUTH_TIMEOUT = 10.0
HUB_KEY = web.AppKey("hub", Hub)


KEY_SUBPROTOCOL = "cocalc-api-key."
"""A browser cannot set headers on a websocket, and a cookie is not sent across sites, so
a browser's socket may offer the key as a subprotocol: this prefix and the key in
unpadded base64url (the pattern Kubernetes uses for bearer tokens)."""


def key_subprotocol(request: web.Request) -> str | None:
    """The offered subprotocol that carries a key, if any (the server must echo it)."""
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    for protocol in (part.strip() for part in offered.split(",")):
        if protocol.startswith(KEY_SUBPROTOCOL):
            return protocol
    return None


def _subprotocol_key(protocol: str) -> str:
    encoded = protocol[len(KEY_SUBPROTOCOL) :]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise web.HTTPUnauthorized(
            text=f"the {KEY_SUBPROTOCOL}* subprotocol must carry the key in base64url"
        ) from None


def authenticated_by_upgrade(request: web.Request, project: Project) -> tuple[bool, str]:
    """Whether the upgrade request carries a live key, and if a cookie was refused, why;
    HTTP 401 for a wrong bearer key (header or subprotocol)."""
    header = request.headers.get("Authorization", "")
    protocol = key_subprotocol(request)
    if header.lower().startswith("bearer ") or protocol is not None:
        key = header[7:].strip() if protocol is None else _subprotocol_key(protocol)
        try:
            check_key(project.db, key)
        except AuthRefused as refusal:
            raise web.HTTPUnauthorized(text=str(refusal)) from None
        return True, ""
    cookie = request.cookies.get("api_key")
    if cookie is None:
        return False, ""
    try:
        check_key(project.db, cookie)
    except AuthRefused as refusal:
        log.info("refusing the api_key cookie of %s: %s", request.remote, refusal)
        return False, f"{refusal} (the api_key cookie)"
    return True, ""


async def project_websocket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    project: Project = hub.project
    if request.match_info["project_id"] != project.project_id:
        raise web.HTTPNotFound(text=f"no project {request.match_info['project_id']} here")
    authenticated, cookie_refused = authenticated_by_upgrade(request, project)
    ws = web.WebSocketResponse(max_msg_size=hub.limits.max_frame_size, heartbeat=30.0)
    try:
        await ws.prepare(request)
    except ConnectionResetError:  # the client went away during the upgrade
        return ws
    connection = ServerConnection(authenticated=authenticated, limits=hub.limits)
    peer = Peer(ws, connection, hub.max_outbox_bytes)
    timer = asyncio.get_running_loop().call_later(AUTH_TIMEOUT, _handshake_deadline, peer)
    tasks: set[asyncio.Task] = set()
    try:
        async for message in ws:
            if message.type == WSMsgType.BINARY:
                event = peer.connection.receive_frame(message.data)
            elif message.type == WSMsgType.TEXT:
                peer.connection.receive_text()
            else:
                break
            if isinstance(event, AuthRequested):
                try:
                    check_key(project.db, event.api_key)
                except AuthRefused as refusal:
                    peer.connection.reject_auth(str(refusal))
                peer.connection.accept_auth()
            elif isinstance(event, Hello):
                peer.kind, peer.client_id = str(event.kind), event.client_id
                peer.send_frame(
                    peer.connection.accept_hello(server_time(), {"project_id": project.project_id})
                )
                timer.cancel()
                hub.join(peer)
            elif isinstance(event, Request):
                # control waits on a runner: let it not hold up this client's patches
                if event.cmd == "control":
                    task = asyncio.ensure_future(hub.handle(peer, event))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                else:
                    await hub.handle(peer, event)
            elif isinstance(event, Response | ErrorResponse):
                peer.resolve(event)
            elif isinstance(event, ChannelMessage):
                log.debug("%r: ignoring channel message on %r", peer, event.channel)
    except ProtocolError as error:
        if error.frame is not None:
            peer.send_frame(error.frame)
        reason = error.reason
        if error.code == CloseCode.UNAUTHORIZED and cookie_refused:
            reason = cookie_refused  # a hello after a refused cookie: say why it was refused
        peer.close(error.code, reason)
    finally:
        timer.cancel()
        hub.leave(peer)
        peer.close(CloseCode.NORMAL, "bye")
        for task in tasks:
            task.cancel()
        await peer.closing()
    return ws


def _handshake_deadline(peer: Peer) -> None:
    if peer.connection.state is not ConnectionState.OPEN:
        peer.close(CloseCode.POLICY_VIOLATION, f"no auth and hello within {AUTH_TIMEOUT:g} s")
