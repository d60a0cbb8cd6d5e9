"""Clocks: the system clock, and a settable one for tests and simulations."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SystemClock:
    """The machine's wall clock, aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.at += delta


class AcceleratedClock:
    """A clock running `factor` times faster than real time, for long tests in short runs.

    It reads `origin` when `time.monotonic_ns()` (system-wide on Linux) read
    `real_origin_ns`; a player process started with `SIGNAGE_PLAYER_CLOCK` set to
    `env_value()` computes the same integer milliseconds, so both sides share one time.
    """

    def __init__(self, factor: float, origin: datetime, real_origin_ns: int | None = None) -> None:
        if origin.tzinfo is None:
            raise ValueError("AcceleratedClock needs an aware datetime")
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = factor
        self.origin_ms = (origin - _EPOCH) // timedelta(milliseconds=1)
        self.real_origin_ns = time.monotonic_ns() if real_origin_ns is None else real_origin_ns

    def now_ms(self) -> int:
        """Milliseconds since the epoch on this clock (the player's own arithmetic)."""
        elapsed = int((time.monotonic_ns() - self.real_origin_ns) * self.factor) // 1_000_000
        return self.origin_ms + elapsed

    def now(self) -> datetime:
        return _EPOCH + timedelta(milliseconds=self.now_ms())

    def env_value(self) -> str:
        """`factor:origin_unix_ms:real_origin_ns`, for `SIGNAGE_PLAYER_CLOCK`."""
        return f"{self.factor!r}:{self.origin_ms}:{self.real_origin_ns}"
