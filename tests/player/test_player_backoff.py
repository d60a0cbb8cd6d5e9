"""Backoff: exponential, jittered, bounded, never zero; poll intervals jittered."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from signage_player.backoff import Backoff, jittered


@given(seed=st.integers(0, 2**32), failures=st.integers(1, 200))
def test_delays_are_never_zero_and_never_above_the_cap(seed: int, failures: int) -> None:
    backoff = Backoff(base_s=1.0, cap_s=60.0, rng=random.Random(seed))
    delays = [backoff.next_delay() for _ in range(failures)]
    assert all(0.5 <= d <= 60.0 for d in delays)
    # Past the cap the floor is half of it: a failing fleet never hammers the server.
    assert all(d >= 30.0 for d in delays[7:])


def test_delays_grow_then_reset() -> None:
    backoff = Backoff(base_s=1.0, cap_s=300.0, floor_ratio=1.0, rng=random.Random(1))
    assert [backoff.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 16.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_retry_after_is_a_lower_bound() -> None:
    backoff = Backoff(base_s=1.0, cap_s=10.0, rng=random.Random(2))
    assert backoff.next_delay(retry_after_s=120.0) == 120.0


def test_many_failures_do_not_overflow() -> None:
    backoff = Backoff(base_s=1.0, cap_s=300.0, rng=random.Random(3), attempts=10_000)
    assert 150.0 <= backoff.next_delay() <= 300.0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="min_s"):
        Backoff(base_s=0.0)
    with pytest.raises(ValueError, match="floor_ratio"):
        Backoff(floor_ratio=0.0)


@given(seed=st.integers(0, 2**32))
def test_poll_interval_stays_within_its_spread(seed: int) -> None:
    value = jittered(60.0, spread=0.2, rng=random.Random(seed))
    assert 48.0 <= value <= 72.0
