"""Where the project server is and how to get in: arguments first, then the seed's env vars.

The variable names are those of ``@cocalc/compute`` (``API_SERVER``, ``PROJECT_ID``,
``API_KEY``, ``BASE_PATH`` or ``API_BASE_PATH``), so a shell set up for it works here too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import ConfigError

WS_PATH = "raw/.smc/ws"
FILES_PATH = "raw/.smc/websocketfs"


@dataclass(frozen=True)
class ServerConfig:
    """A project endpoint: ``server`` is an origin (no trailing slash), ``base_path`` is
    ``/`` or ``/some/prefix/``. ``api_key`` is None where the transport carries the key
    itself (a browser page's ``api_key`` cookie)."""

    server: str
    project_id: str
    api_key: str | None = field(repr=False)
    base_path: str = "/"

    @property
    def ws_url(self) -> str:
        """The project websocket; the key never goes into it (URLs end up in logs)."""
        return f"{self.server}{self.base_path}{self.project_id}/{WS_PATH}"

    @property
    def files_url(self) -> str:
        """The project's files over WebSocketFS (SFTP)."""
        return f"{self.server}{self.base_path}{self.project_id}/{FILES_PATH}"

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.api_key is None else {"Authorization": f"Bearer {self.api_key}"}


def _pick(value: str | None, names: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    if value is not None:
        return value
    for name in names:
        if environ.get(name):
            return environ[name]
    return None


def _require(value: str | None, argument: str, names: tuple[str, ...], example: str) -> str:
    if not value:
        variables = " or ".join(names)
        raise ConfigError(
            f"{variables} is not set: pass {argument}= or set the environment variable"
            f" (e.g. {names[0]}={example})"
        )
    return value


def resolve_config(
    server: str | None = None,
    project_id: str | None = None,
    api_key: str | None = None,
    base_path: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    key_optional: bool = False,
) -> ServerConfig:
    """Fill what the caller left out from the environment; name whatever is still missing
    (the key may be missing only with ``key_optional``: a browser's cookie has it)."""
    env = os.environ if environ is None else environ
    server = _require(
        _pick(server, ("API_SERVER",), env), "server", ("API_SERVER",), "http://127.0.0.1:8765"
    )
    project_id = _require(
        _pick(project_id, ("PROJECT_ID",), env), "project_id", ("PROJECT_ID",), "<uuid>"
    )
    api_key = _pick(api_key, ("API_KEY",), env) or None
    if not key_optional:
        api_key = _require(api_key, "api_key", ("API_KEY",), "sk-...")
    base = _pick(base_path, ("BASE_PATH", "API_BASE_PATH"), env) or "/"
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ConfigError(
            f"API_SERVER must be an http(s):// or ws(s):// origin such as"
            f" http://127.0.0.1:8765, not {server!r}"
        )
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigError(
            f"API_SERVER is an origin only ({parts.scheme}://{parts.netloc}); put a path"
            f" prefix into BASE_PATH, not into {server!r}"
        )
    if "/" in project_id or "?" in project_id or "#" in project_id:
        raise ConfigError(f"PROJECT_ID must be a plain id, not {project_id!r}")
    stripped = base.strip("/")
    return ServerConfig(
        server=f"{parts.scheme}://{parts.netloc}",
        project_id=project_id,
        api_key=api_key,
        base_path=f"/{stripped}/" if stripped else "/",
    )
