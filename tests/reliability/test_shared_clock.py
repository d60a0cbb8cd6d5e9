"""The test-only accelerated clock: the server's adapter and the player's agree to the ms."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from signage_player.clock import CLOCK_ENV, clock_from_env

from signage.adapters.clock import AcceleratedClock


def test_player_and_server_read_the_same_time_from_one_description() -> None:
    server = AcceleratedClock(15_000.0, datetime(2026, 6, 1, 4, tzinfo=UTC))
    player = clock_from_env({CLOCK_ENV: server.env_value()})
    assert player is not None
    for _ in range(3):
        before = server.now_ms()
        seen = player.wall_ms()
        after = server.now_ms()
        assert before <= seen <= after
        time.sleep(0.001)
    assert server.now().tzinfo is not None


def test_the_player_clock_is_off_unless_set() -> None:
    assert clock_from_env({}) is None
    with pytest.raises(ValueError, match=CLOCK_ENV):
        clock_from_env({CLOCK_ENV: "fast"})
