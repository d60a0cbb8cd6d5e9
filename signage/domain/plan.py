"""The plan engine: what one location shows over a span, as maximal segments.

`plan_for` finds, for one location, every instant where something could
change (window edges mapped through the zone's wall clock, operating hours,
approvals coming into or out of force, blanks), sweeps over them once, and
emits a segment wherever the shown state changes. Nothing is evaluated
minute by minute.

Look-back: a segment keeps its true start. The engine first looks back six
hours before the requested start; while the segment in force at the start
still began at the edge of what was looked at, it looks back twice as far,
up to `MAX_LOOKBACK` (366 days). A segment older than that is reported as
starting `MAX_LOOKBACK` before the requested start; so is a "nothing"
segment that has lasted since before any approval, entry date or blank of
the location.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from signage.domain.errors import ValidationError
from signage.domain.plan_clock import to_ticks
from signage.domain.plan_index import ApprovalIndex, PlanMemo, pairs_for
from signage.domain.plan_sweep import (
    BLANK,
    CLOSED,
    CONTENT,
    LOOKBACK_LIMIT_DAYS,
    NOTHING,
    LocationPlanner,
)
from signage.domain.schedule import Approval, Blank, PlanLocation, ScheduleEntry, require_aware

MAX_LOOKBACK = timedelta(days=LOOKBACK_LIMIT_DAYS)
DEFAULT_LOOK_AHEAD = timedelta(days=8)


class SegmentKind(StrEnum):
    """What a segment shows: entries' content, a blank, or black: `nothing` inside the
    operating hours (nothing scheduled), `closed` outside them."""

    CONTENT = "content"
    NOTHING = "nothing"
    BLANK = "blank"
    CLOSED = "closed"

    @property
    def dark(self) -> bool:
        """True when the screen is black without a blank: nothing scheduled, or closed."""
        return self in (SegmentKind.NOTHING, SegmentKind.CLOSED)


_KINDS = {
    NOTHING: SegmentKind.NOTHING,
    CONTENT: SegmentKind.CONTENT,
    BLANK: SegmentKind.BLANK,
    CLOSED: SegmentKind.CLOSED,
}


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """One schedule entry live under one approval (the snapshot it plays from)."""

    approval_id: int
    entry: ScheduleEntry

    @property
    def playlist_key(self) -> tuple[int, int]:
        """(approval id, playlist id): which snapshot of which playlist this plays."""
        return (self.approval_id, self.entry.playlist_id)


@dataclass(frozen=True, slots=True)
class Segment:
    """`[start, end)` of one location's plan and what it shows (aware UTC instants)."""

    start: datetime
    end: datetime
    kind: SegmentKind
    live: tuple[LiveEntry, ...] = ()

    @property
    def entries(self) -> tuple[ScheduleEntry, ...]:
        """The live entries of the winning priority, in creation order."""
        return tuple(item.entry for item in self.live)

    @property
    def approval_ids(self) -> tuple[int, ...]:
        """The approvals the live entries come from, without repeats, ascending."""
        return tuple(sorted({item.approval_id for item in self.live}))

    @property
    def priority(self) -> int | None:
        """The winning priority, or None when the segment shows no content."""
        return self.live[0].entry.priority if self.live else None

    @property
    def duration(self) -> timedelta:
        """How long the segment lasts."""
        return self.end - self.start

    def covers(self, at: datetime) -> bool:
        """True when the aware instant `at` lies in `[start, end)`."""
        return self.start <= at < self.end


def _span(start: datetime, end: datetime) -> tuple[int, int]:
    require_aware(start, "start")
    require_aware(end, "end")
    if end <= start:
        raise ValidationError("end", "the span must end after it starts")
    return to_ticks(start), to_ticks(end)


def _planner(
    location: PlanLocation,
    approvals: Iterable[Approval] | ApprovalIndex,
    blanks: Iterable[Blank],
) -> LocationPlanner:
    memo = approvals.memo if isinstance(approvals, ApprovalIndex) else PlanMemo()
    return LocationPlanner(location, pairs_for(location, approvals), blanks, memo)


def plan_for(
    location: PlanLocation,
    approvals: Iterable[Approval] | ApprovalIndex,
    blanks: Iterable[Blank],
    start: datetime,
    end: datetime,
) -> list[Segment]:
    """Ordered, maximal segments covering `[start, end)`; the first keeps its true start.

    Pass an `ApprovalIndex` instead of the approvals when planning many
    locations: it indexes entries by target once and shares work between them.
    """
    low, high = _span(start, end)
    planner = _planner(location, approvals, blanks)
    instant, pairs = planner.memo.instant, planner.pairs
    live: dict[int, LiveEntry] = {}
    segments = []
    for first, last, (kind, indices) in planner.plan(low, high):
        for index in indices:
            if index not in live:
                approval, entry = pairs[index]
                live[index] = LiveEntry(approval.id, entry)
        segments.append(
            Segment(
                instant(first),
                instant(last),
                _KINDS[kind],
                tuple(live[index] for index in indices),
            )
        )
    return segments


def plans_for(
    locations: Iterable[PlanLocation],
    approvals: Iterable[Approval] | ApprovalIndex,
    blanks: Sequence[Blank],
    start: datetime,
    end: datetime,
) -> dict[int, list[Segment]]:
    """`plan_for` of many locations at once, indexing the approvals only once."""
    index = approvals if isinstance(approvals, ApprovalIndex) else ApprovalIndex(approvals)
    return {location.id: plan_for(location, index, blanks, start, end) for location in locations}


def horizon_for(location: PlanLocation, at: datetime, days: int = 7) -> tuple[datetime, datetime]:
    """The span handed to players: local midnight starting `at`'s day to `days` later."""
    require_aware(at, "at")
    zone = location.zone
    today = at.astimezone(zone).date()
    first = datetime.combine(today, time(0), tzinfo=zone)
    last = datetime.combine(today + timedelta(days=days), time(0), tzinfo=zone)
    return first.astimezone(UTC), last.astimezone(UTC)


def segment_at(plan: Sequence[Segment], at: datetime) -> Segment | None:
    """The segment of `plan` in force at the aware instant `at`, if the plan covers it."""
    require_aware(at, "at")
    low, high = 0, len(plan)
    while low < high:
        middle = (low + high) // 2
        if plan[middle].end <= at:
            low = middle + 1
        else:
            high = middle
    if low < len(plan) and plan[low].covers(at):
        return plan[low]
    return None


def next_change_after(
    location: PlanLocation,
    approvals: Iterable[Approval] | ApprovalIndex,
    blanks: Iterable[Blank],
    at: datetime,
    look_ahead: timedelta = DEFAULT_LOOK_AHEAD,
) -> datetime:
    """When to look again: the first instant after `at` where the plan changes.

    Returns `at + look_ahead` when nothing changes before then.
    """
    low, high = _span(at, at + look_ahead)
    planner = _planner(location, approvals, blanks)
    return planner.memo.instant(planner.sweep(low, high)[0][1])


__all__ = [
    "DEFAULT_LOOK_AHEAD",
    "MAX_LOOKBACK",
    "ApprovalIndex",
    "LiveEntry",
    "Segment",
    "SegmentKind",
    "horizon_for",
    "next_change_after",
    "plan_for",
    "plans_for",
    "segment_at",
]
