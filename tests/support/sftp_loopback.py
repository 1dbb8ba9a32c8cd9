"""An `Exchange` for `RemoteFiles` without a network: each packet goes through the real
server code (`SftpSession` and `ProjectFiles`, both sans-IO) in this process, and every
exchange is recorded, so tests can count round trips and requests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cocalc_compute_wasm.websocketfs.files import EXTENSIONS, ProjectFiles
from cocalc_compute_wasm.websocketfs.packets import decode_packet
from cocalc_compute_wasm.websocketfs.session import Reply, SftpSession


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Loopback:
    """The server in process; `exchanges` holds each exchange's requests (decoded)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.session = SftpSession(EXTENSIONS)
        self.files = ProjectFiles(root)
        self.exchanges: list[list[object]] = []
        self.broken = False

    def __call__(self, packets: Sequence[bytes]) -> list[bytes]:
        if self.broken:
            raise ConnectionError("the link is down")
        self.exchanges.append([decode_packet(data) for data in packets])
        replies = []
        for data in packets:
            event = self.session.receive_binary(data)
            if isinstance(event, Reply):
                replies.append(event.data)
            else:
                replies.append(self.session.reply(self.files.handle(event.request)))
        return replies

    def reconnect(self) -> None:
        """A new link: a fresh session that must be INITed again, no handles open."""
        self.files.close()
        self.session = SftpSession(EXTENSIONS)
        self.files = ProjectFiles(self.root)
        self.broken = False

    def requests(self, kind: type | None = None) -> list[object]:
        """Every request sent (of `kind`), across exchanges."""
        return [r for batch in self.exchanges for r in batch if kind is None or type(r) is kind]

    def reset(self) -> None:
        self.exchanges.clear()
