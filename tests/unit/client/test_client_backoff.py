"""Reconnect delays: growing, capped, jittered."""

from __future__ import annotations

import itertools
import random

import pytest

from cocalc_compute_wasm.client import Backoff


def test_delays_double_up_to_the_cap_with_jitter_in_the_upper_half():
    backoff = Backoff(initial=1.0, maximum=8.0, factor=2.0)
    delays = list(itertools.islice(backoff.delays(random.Random(0)), 8))
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling


def test_clients_dropped_together_do_not_come_back_together():
    backoff = Backoff(initial=1.0, maximum=1.0)
    firsts = {next(backoff.delays(random.Random(seed))) for seed in range(20)}
    assert len(firsts) == 20


@pytest.mark.parametrize(
    "arguments", [{"initial": 0}, {"initial": 2, "maximum": 1}, {"factor": 0.5}]
)
def test_nonsense_settings_are_refused(arguments):
    with pytest.raises(ValueError, match="backoff"):
        Backoff(**arguments)
