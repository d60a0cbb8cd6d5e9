"""Retry delays: exponential backoff with floored jitter, and jittered poll intervals.

Jitter spreads a fleet's retries after a server outage; the floor keeps every delay
above zero, so a failing player never spins on the server.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delays of `uniform(ceiling * floor_ratio, ceiling)` with the ceiling doubling to `cap_s`."""

    base_s: float = 1.0
    cap_s: float = 300.0
    floor_ratio: float = 0.5
    min_s: float = 0.1
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.min_s <= self.base_s <= self.cap_s:
            raise ValueError("need 0 < min_s <= base_s <= cap_s")
        if not 0 < self.floor_ratio <= 1:
            raise ValueError("floor_ratio must lie in (0, 1]")

    def ceiling_s(self) -> float:
        """The largest delay the next failure may bring."""
        # min() before the power would overflow after ~1000 failures, so bound the exponent.
        return min(self.cap_s, self.base_s * 2.0 ** min(self.attempts, 64))

    def next_delay(self, retry_after_s: float | None = None) -> float:
        """The delay before the next try; never below the server's `Retry-After`."""
        ceiling = self.ceiling_s()
        delay = max(self.min_s, self.rng.uniform(ceiling * self.floor_ratio, ceiling))
        self.attempts += 1
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        return delay

    def reset(self) -> None:
        """Start from the base again after a success."""
        self.attempts = 0


def jittered(interval_s: float, spread: float = 0.2, rng: random.Random | None = None) -> float:
    """A poll interval moved by up to ±`spread` of itself, so players do not poll in step."""
    if interval_s <= 0:
        raise ValueError("interval must be positive")
    if not 0 <= spread < 1:
        raise ValueError("spread must lie in [0, 1)")
    source = rng or random.Random()
    return interval_s * source.uniform(1 - spread, 1 + spread)
