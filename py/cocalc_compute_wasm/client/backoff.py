"""How long to wait before each reconnect attempt."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter": attempt n waits between half and all of
    ``min(maximum, initial * factor**n)`` seconds.

    Exponential, so a server that is down is not hammered; capped, so a client notices a
    server that is back within ``maximum`` seconds; jittered, so the clients a restarted
    server dropped all at once do not come back all at once. Half of the delay is fixed,
    so that no attempt follows the previous one immediately.
    """

    initial: float = 0.25
    maximum: float = 10.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum or self.factor < 1:
            raise ValueError("backoff needs 0 < initial <= maximum and factor >= 1")

    def delays(self, rng: random.Random) -> Iterator[float]:
        """The waits before attempt 1, 2, 3, ...: an endless iterator."""
        ceiling = self.initial
        while True:
            yield ceiling / 2 + rng.uniform(0, ceiling / 2)
            ceiling = min(self.maximum, ceiling * self.factor)
