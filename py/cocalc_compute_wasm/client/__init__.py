"""The Python client of a project: collaborators edit and run notebooks, and (later) the
compute runner serves them, over ``/{project_id}/raw/.smc/ws``.

Layers, in the manner of h11:

- ``notebook_doc.NotebookDoc``: the pure notebook model over a sync ``Replica`` (cells in
  order, edits as patches, run requests, the log's records coming in, what changed). No
  IO, no asyncio: the browser worker can use it as is.
- ``config``, ``backoff``, ``errors``: pure helpers (env vars, reconnect delays, errors).
- ``socket.FrameSocket`` and ``socket.Connector``: what the client needs of a websocket
  (synchronous ``send``, async ``receive`` and ``close``) and how one is opened.
  ``aiohttp_socket`` is the CPython implementation and the only module that imports
  aiohttp; a browser worker passes its own connector (a socket owned by JavaScript).
- ``connection.Link``: one FrameSocket around the protocol's ClientConnection.
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

Everything here imports where aiohttp is absent: ``connect()`` imports it only when no
``connector=`` is given.
"""

from __future__ import annotations

from .api import Client, connect
from .backoff import Backoff
from .config import ServerConfig, resolve_config
from .connection import Link
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
from .notebook import Notebook
from .notebook_doc import Changes, NotebookDoc, changed_keys
from .socket import Connector, FrameSocket, SocketClosed, TextFrame

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
    "Connector",
    "FrameSocket",
    "Link",
    "Notebook",
    "NotebookDoc",
    "Refused",
    "RequestError",
    "ServerConfig",
    "SocketClosed",
    "TextFrame",
    "changed_keys",
    "connect",
    "resolve_config",
]
