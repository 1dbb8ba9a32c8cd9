"""Shared settings of the fuzz tests in tests/fuzz/.

Each test names its share of a decoder's cases; FUZZ_SCALE (a factor, default 1) multiplies
them all for a longer hunt, e.g. ``FUZZ_SCALE=20 ./dev.sh test tests/fuzz``. No deadline:
the machine is shared and slow, so speed is bounded by the size of what is drawn instead.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def cases(count: int) -> settings:
    """Settings for a test that should see `count` cases (times FUZZ_SCALE)."""
    return settings(
        max_examples=max(1, round(count * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def clear_reason(reason: str) -> bool:
    """Whether a close reason or error message says something (not just a prefix)."""
    text = reason.strip()
    return bool(text) and not text.endswith(":")
