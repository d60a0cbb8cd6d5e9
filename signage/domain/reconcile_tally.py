"""The figures of one reconciliation cell, and the interval arithmetic behind them.

A cell is a campaign at a location on a local day, or one entry or creative
within it. Accumulators add microsecond ticks while the plan and the records
are walked; `Tally` is the frozen result in milliseconds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

TICKS_PER_MS = 1_000

Span = tuple[int, int]
# Spans of ticks here, of instants in the report's heartbeat reading.
Instant = TypeVar("Instant", int, datetime)


@dataclass(frozen=True, slots=True)
class Tally:
    """Planned against actual for one cell; times in milliseconds.

    `withdrawn_ms` and `blanked_ms` are time a withdrawal or a blank took away:
    they are not part of `planned_ms`. `offline_ms` is planned time inside the
    device's offline intervals (an explanation, not a deduction: a player
    without network still plays and reports later). Out-of-force plays ran
    while no approval of theirs was in force (a withdrawal that did not reach
    an offline screen); they are shown apart and not delivered.
    """

    planned_ms: int = 0
    planned_plays: int = 0
    delivered_ms: int = 0
    counted_plays: int = 0
    withdrawn_ms: int = 0
    blanked_ms: int = 0
    offline_ms: int = 0
    failed_plays: int = 0
    interrupted_plays: int = 0
    interrupted_ms: int = 0
    off_duration_plays: int = 0
    unverified_plays: int = 0
    unverified_ms: int = 0
    out_of_force_plays: int = 0
    out_of_force_ms: int = 0
    excluded_plays: int = 0
    excluded_reasons: tuple[tuple[str, int], ...] = ()

    @property
    def taken_away_ms(self) -> int:
        """Time withdrawals and blanks took away together."""
        return self.withdrawn_ms + self.blanked_ms

    @property
    def shortfall_ms(self) -> int:
        """Planned time not delivered (never negative)."""
        return max(0, self.planned_ms - self.delivered_ms)

    @property
    def compliance_pct(self) -> float | None:
        """Delivered seconds as a percentage of planned seconds (None when nothing planned)."""
        if self.planned_ms == 0:
            return None
        return round(100 * self.delivered_ms / self.planned_ms, 2)

    @property
    def plays_compliance_pct(self) -> float | None:
        """Counted plays as a percentage of planned whole plays (None when none planned)."""
        if self.planned_plays == 0:
            return None
        return round(100 * self.counted_plays / self.planned_plays, 2)

    def reasons(self) -> tuple[str, ...]:
        """Plain-language causes of a shortfall (and the marks on counted plays)."""
        found: list[str] = []
        if self.offline_ms:
            found.append(f"device offline during {_seconds(self.offline_ms)} of planned time")
        if self.failed_plays:
            found.append(f"{self.failed_plays} failed plays")
        if self.interrupted_plays:
            found.append(
                f"{self.interrupted_plays} interrupted plays ({_seconds(self.interrupted_ms)})"
            )
        if self.off_duration_plays:
            found.append(
                f"{self.off_duration_plays} completed plays off their duration by more than 500 ms"
            )
        for reason, number in self.excluded_reasons:
            found.append(f"{number} records excluded: {reason}")
        if self.out_of_force_plays:
            found.append(
                f"{self.out_of_force_plays} plays while no approval was in force "
                f"({_seconds(self.out_of_force_ms)})"
            )
        if self.unverified_plays:
            found.append(f"{self.unverified_plays} counted plays with an unverified clock")
        return tuple(found)


def _seconds(ms: int) -> str:
    whole, rest = divmod(ms, 1000)
    return f"{whole} s" if rest == 0 else f"{ms / 1000:.3f} s"


@dataclass(slots=True)
class Accumulator:
    """Mutable sums for one cell while the plan and records are walked (ticks)."""

    planned: int = 0
    planned_plays: int = 0
    without_blanks: int = 0
    without_withdrawals: int = 0
    delivered: int = 0
    counted_plays: int = 0
    offline: int = 0
    failed_plays: int = 0
    interrupted_plays: int = 0
    interrupted: int = 0
    off_duration_plays: int = 0
    unverified_plays: int = 0
    unverified: int = 0
    out_of_force_plays: int = 0
    out_of_force: int = 0
    excluded: Counter[str] = field(default_factory=Counter)

    def freeze(self) -> Tally:
        """The figures in milliseconds; taken-away time never negative.

        A blank's share is measured against the real approvals; a withdrawal's
        against the plan without blanks, so time both would have removed is
        the withdrawal's and the two columns add up to what both took away.
        """
        return Tally(
            planned_ms=_ms(self.planned),
            planned_plays=self.planned_plays,
            delivered_ms=_ms(self.delivered),
            counted_plays=self.counted_plays,
            withdrawn_ms=_ms(max(0, self.without_withdrawals - self.without_blanks)),
            blanked_ms=_ms(max(0, self.without_blanks - self.planned)),
            offline_ms=_ms(self.offline),
            failed_plays=self.failed_plays,
            interrupted_plays=self.interrupted_plays,
            interrupted_ms=_ms(self.interrupted),
            off_duration_plays=self.off_duration_plays,
            unverified_plays=self.unverified_plays,
            unverified_ms=_ms(self.unverified),
            out_of_force_plays=self.out_of_force_plays,
            out_of_force_ms=_ms(self.out_of_force),
            excluded_plays=sum(self.excluded.values()),
            excluded_reasons=tuple(sorted(self.excluded.items())),
        )

    @property
    def empty(self) -> bool:
        """True when nothing was planned, taken away or recorded for the cell."""
        return self.freeze() == Tally()


def _ms(ticks: int) -> int:
    # Round half up: sums of whole-millisecond items stay exact either way.
    return (ticks + TICKS_PER_MS // 2) // TICKS_PER_MS


def merged(spans: Sequence[tuple[Instant, Instant]]) -> list[tuple[Instant, Instant]]:
    """Sorted, non-overlapping spans covering the same instants (empty ones dropped,
    touching ones joined)."""
    result: list[tuple[Instant, Instant]] = []
    for low, high in sorted(spans):
        if high <= low:
            continue
        if result and low <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], high))
        else:
            result.append((low, high))
    return result


def complement(spans: Sequence[Span], low: int, high: int) -> list[Span]:
    """The parts of `[low, high)` that none of the merged `spans` covers."""
    gaps: list[Span] = []
    cursor = low
    for start, end in spans:
        if end <= cursor:
            continue
        if start >= high:
            break
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < high:
        gaps.append((cursor, high))
    return gaps


def pieces(spans: Sequence[Span], starts: Sequence[int], low: int, high: int) -> Iterator[Span]:
    """The overlaps of `[low, high)` with merged `spans` (`starts` their start ticks)."""
    index = max(0, bisect_right(starts, low) - 1)
    while index < len(spans):
        start, end = spans[index]
        if start >= high:
            return
        overlap = min(end, high) - max(start, low)
        if overlap > 0:
            yield max(start, low), min(end, high)
        index += 1


def overlap(spans: Sequence[Span], starts: Sequence[int], low: int, high: int) -> int:
    """How many ticks of `[low, high)` the merged `spans` cover."""
    return sum(end - start for start, end in pieces(spans, starts, low, high))
