"""Approvals indexed by target, and the work locations of one run can share."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime

from signage.domain.plan_clock import (
    TICKS_PER_MINUTE,
    Interval,
    from_ticks,
    instants_for_wall,
    ordinal_ticks,
    to_ticks,
)
from signage.domain.schedule import Approval, PlanLocation, ScheduleEntry
from signage.domain.windows import MINUTES_PER_DAY, DailyWindow

# Bounds on what a long-lived index remembers; past them it starts afresh.
_MEMO_LIMIT = 200_000


class PlanMemo:
    """Interval lists, instants and approval spans shared by the locations of one run.

    Locations in the same zone targeted through the same tag get the same
    intervals for an entry, and their segments mostly share boundaries.
    """

    def __init__(self) -> None:
        self.intervals: dict[Hashable, tuple[Interval, ...]] = {}
        self.instants: dict[int, datetime] = {}
        self.spans: dict[int, tuple[int, int | None]] = {}

    def remember(self, key: Hashable, intervals: tuple[Interval, ...]) -> None:
        """Keep an interval list for the next location that asks for it."""
        if len(self.intervals) >= _MEMO_LIMIT:
            self.intervals.clear()
        self.intervals[key] = intervals

    def instant(self, ticks: int) -> datetime:
        """The aware UTC instant for ticks, built once per run."""
        found = self.instants.get(ticks)
        if found is None:
            if len(self.instants) >= _MEMO_LIMIT:
                self.instants.clear()
            found = self.instants[ticks] = from_ticks(ticks)
        return found

    def span(self, approval: Approval) -> tuple[int, int | None]:
        """The approval's `[start, until)` in ticks (until None while in force)."""
        found = self.spans.get(approval.id)
        if found is None:
            until = to_ticks(approval.until) if approval.until is not None else None
            found = self.spans[approval.id] = (to_ticks(approval.start), until)
        return found


class ApprovalIndex:
    """Approvals' entries indexed by target, so many locations can be planned fast."""

    def __init__(self, approvals: Iterable[Approval]) -> None:
        self.by_location: dict[int, list[tuple[Approval, ScheduleEntry]]] = {}
        self.by_tag: dict[str, list[tuple[Approval, ScheduleEntry]]] = {}
        self.memo = PlanMemo()
        for approval in approvals:
            for entry in approval.entries:
                for location_id in entry.location_ids:
                    self.by_location.setdefault(location_id, []).append((approval, entry))
                for tag in entry.tags:
                    self.by_tag.setdefault(tag, []).append((approval, entry))

    def for_location(self, location: PlanLocation) -> list[tuple[Approval, ScheduleEntry]]:
        """Every (approval, entry) pair that targets the location, each once."""
        found = {
            (approval.id, entry.id): (approval, entry)
            for approval, entry in self.by_location.get(location.id, ())
        }
        for tag in location.tags:
            for approval, entry in self.by_tag.get(tag, ()):
                found[(approval.id, entry.id)] = (approval, entry)
        return list(found.values())


def pairs_for(
    location: PlanLocation, approvals: Iterable[Approval] | ApprovalIndex
) -> list[tuple[Approval, ScheduleEntry]]:
    """The (approval, entry) pairs targeting a location, from an index or a plain list."""
    if isinstance(approvals, ApprovalIndex):
        return approvals.for_location(location)
    return [
        (approval, entry)
        for approval in approvals
        for entry in approval.entries
        if entry.applies_to(location.id, location.tags)
    ]


def window_intervals(
    zone_name: str,
    windows: Iterable[tuple[int, DailyWindow | None]],
    low: int,
    high: int,
) -> tuple[Interval, ...]:
    """Real intervals, clipped to `[low, high)`, of each (date ordinal, window) given."""
    result: list[Interval] = []
    for ordinal, window in windows:
        if window is None:
            continue
        midnight = ordinal_ticks(ordinal)
        end_minute = window.end + (MINUTES_PER_DAY if window.crosses_midnight else 0)
        for first, last in instants_for_wall(
            zone_name,
            midnight + window.start * TICKS_PER_MINUTE,
            midnight + end_minute * TICKS_PER_MINUTE,
        ):
            first, last = max(first, low), min(last, high)
            if first < last:
                result.append((first, last))
    return tuple(result)
