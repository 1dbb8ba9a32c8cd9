"""Fixtures for the wire protocol tests: a connected server/client pair."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cocalc_compute_wasm.protocol import (
    AuthRequested,
    ClientConnection,
    ConnectionState,
    FrameLimits,
    Hello,
    HelloAccepted,
    ServerConnection,
)

Pair = tuple[ServerConnection, ClientConnection]


def _connect(kind: str = "collaborator", limits: FrameLimits | None = None) -> Pair:
    """Run the auth-frame handshake through both connections, checking every step."""
    extra = {} if limits is None else {"limits": limits}
    server = ServerConnection(**extra)
    client = ClientConnection(kind, "client-1", api_key="secret", **extra)
    auth, hello = client.start()
    assert server.receive_frame(auth) == AuthRequested("secret")
    server.accept_auth()
    assert server.receive_frame(hello) == Hello(kind, "client-1")
    accepted = client.receive_frame(server.accept_hello(1_700_000_000_000, {"project_id": "p"}))
    assert accepted == HelloAccepted(1, 1_700_000_000_000, {"project_id": "p"})
    assert server.state is client.state is ConnectionState.OPEN
    return server, client


@pytest.fixture(scope="session")
def connect() -> Callable[..., Pair]:
    """A factory (session-scoped, so hypothesis tests may use it) of OPEN pairs."""
    return _connect


@pytest.fixture
def pair() -> Pair:
    return _connect()
