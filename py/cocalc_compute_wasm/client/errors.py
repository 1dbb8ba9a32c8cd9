"""What the client raises, grouped by what the caller can do about it."""

from __future__ import annotations


class ClientError(Exception):
    """Base of everything this package raises on purpose."""


class ConfigError(ClientError, ValueError):
    """A setting is missing or malformed (argument or environment variable): fix the setup."""


class Refused(ClientError):
    """The server will not take this client as it is: reconnecting cannot help, so the
    client stops instead of retrying forever."""


class AuthError(Refused):
    """The project server refused the API key (HTTP 401/403 or close code 4401)."""


class ConnectError(ClientError):
    """The first connection could not be made (server down, wrong URL or project id)."""


class ConnectionLost(ClientError):
    """The websocket went away before the answer came; the client reconnects by itself."""


class RequestError(ClientError):
    """The server answered a request with ``ok: false``; ``code`` is its ErrorCode."""

    def __init__(self, cmd: str, code: str, message: str) -> None:
        super().__init__(f"{cmd} failed: {code}: {message}")
        self.cmd = cmd
        self.code = code
        self.message = message


class ClientClosed(ClientError):
    """The client or the notebook was closed; nothing more can be done through it."""
