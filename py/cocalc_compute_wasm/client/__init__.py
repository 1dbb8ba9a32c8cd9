"""The Python client of a project: collaborators edit and run notebooks, and (later) the
compute runner serves them, over ``/{project_id}/raw/.smc/ws``.

Layers, in the manner of h11:

- ``notebook_doc.NotebookDoc``: the pure notebook model over a sync ``Replica`` (cells in
  order, edits as patches, run requests, the log's records coming in, what changed). No
  IO, no asyncio: the browser worker can use it as is.
- ``config``, ``backoff``, ``errors``: pure helpers (env vars, reconnect delays, errors).
- ``connection.Link``: one websocket (aiohttp) around the protocol's ClientConnection.
- ``api.Client`` and ``notebook.Notebook``: the asyncio session that reconnects, re-opens
  notebooks from their confirmed seq and resends what the server has not acknowledged.

Usage::

    client = await connect()          # API_SERVER, PROJECT_ID, API_KEY, BASE_PATH
    nb = await client.open_notebook("work.ipynb")
    cell = nb.insert_cell(input="1 + 1")
    await nb.request_run([cell])
    await nb.wait_done([cell], timeout=60)
    print(nb.cell(cell)["output"])
    await client.close()

Only the pure modules are imported eagerly; ``connect``, ``Client``, ``Notebook`` and
``Link`` load aiohttp when first used, so the model also imports where aiohttp is absent.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .backoff import Backoff
from .config import ServerConfig, resolve_config
from .errors import (
    AuthError,
    ClientClosed,
    ClientError,
    ConfigError,
    ConnectError,
    ConnectionLost,
    Refused,
    RequestError,
)
from .notebook_doc import Changes, NotebookDoc, changed_keys

if TYPE_CHECKING:
    from .api import Client, connect
    from .connection import Link
    from .notebook import Notebook

_LAZY = {"Client": ".api", "connect": ".api", "Link": ".connection", "Notebook": ".notebook"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AuthError",
    "Backoff",
    "Changes",
    "Client",
    "ClientClosed",
    "ClientError",
    "ConfigError",
    "ConnectError",
    "ConnectionLost",
    "Link",
    "Notebook",
    "NotebookDoc",
    "Refused",
    "RequestError",
    "ServerConfig",
    "changed_keys",
    "connect",
    "resolve_config",
]
