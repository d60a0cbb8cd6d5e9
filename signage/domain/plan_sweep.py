"""One location's plan as raw tick segments: candidate boundaries, then one sweep.

Each entry under each approval becomes a list of real intervals (its window
on every matching local date, mapped through the zone's wall clock and
clipped to the approval's time in force); operating hours and blanks become
intervals too. Sorting their ends and sweeping once gives the shown state
between consecutive ends; equal neighbours are merged on the way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from signage.domain.plan_clock import (
    TICKS_PER_DAY,
    Interval,
    local_date,
    ordinal_ticks,
    to_ticks,
)
from signage.domain.plan_index import PlanMemo, window_intervals
from signage.domain.schedule import Approval, Blank, PlanLocation, ScheduleEntry

LOOKBACK_LIMIT_DAYS = 366
# Most segments are shorter than this; longer ones cost a few more sweeps.
_FIRST_LOOKBACK = TICKS_PER_DAY // 4
# A dark state that lasted this long without anything scheduled has lasted for ever.
_STEADY = 8 * TICKS_PER_DAY
NOTHING, BLANK, CONTENT, CLOSED = 0, 1, 2, 3
# A state is (kind, indices of the winning entries in round-robin order).
State = tuple[int, tuple[int, ...]]
Raw = list[tuple[int, int, State]]
_NOTHING: State = (NOTHING, ())
_CLOSED: State = (CLOSED, ())
_BLANKED: State = (BLANK, ())
# The dark states: nothing scheduled inside the operating hours, or outside them.
_DARK = (_NOTHING, _CLOSED)
# Event codes: hours, blanks, then one per entry from _FIRST_ENTRY on.
_HOURS, _BLANK, _FIRST_ENTRY = 0, 1, 2


class LocationPlanner:
    """Sweeps one location's candidate boundaries over any span of ticks."""

    def __init__(
        self,
        location: PlanLocation,
        pairs: Iterable[tuple[Approval, ScheduleEntry]],
        blanks: Iterable[Blank],
        memo: PlanMemo,
    ) -> None:
        self.location = location
        self.zone_name = location.timezone
        self.memo = memo
        ordered = sorted(pairs, key=lambda pair: (pair[1].sort_key, pair[0].id))
        self.pairs = ordered
        self.priorities = [entry.priority for _, entry in ordered]
        self.in_force = [memo.span(approval) for approval, _ in ordered]
        self.blanks = [
            (to_ticks(blank.start), to_ticks(blank.until) if blank.until is not None else None)
            for blank in blanks
            if blank.applies_to(location.id)
        ]
        # Nothing can show before the first approval, entry date or blank that
        # concerns the location; two days' slack covers every UTC offset.
        starts = [
            max(start, ordinal_ticks(entry.dates.first.toordinal() - 2))
            for (start, _), (_, entry) in zip(self.in_force, ordered, strict=True)
        ] + [start for start, _ in self.blanks]
        self.quiet_before = min(starts) if starts else None

    def _days(self, low: int, high: int) -> range:
        zone = self.location.zone
        # Two days back and one ahead: windows run past midnight and DST folds
        # can turn the local date back, so these can still reach the span.
        return range(local_date(zone, low).toordinal() - 2, local_date(zone, high).toordinal() + 2)

    def _hours_intervals(self, low: int, high: int) -> Sequence[Interval]:
        hours = self.location.hours
        key = ("hours", self.zone_name, hours, low, high)
        found = self.memo.intervals.get(key)
        if found is None:
            windows = ((day, hours.window_for((day - 1) % 7)) for day in self._days(low, high))
            found = window_intervals(self.zone_name, windows, low, high)
            self.memo.remember(key, found)
        return found

    def _entry_intervals(self, index: int, low: int, high: int) -> Sequence[Interval]:
        approval, entry = self.pairs[index]
        key = (approval.id, entry.id, self.zone_name, low, high)
        found = self.memo.intervals.get(key)
        if found is None:
            start, until = self.in_force[index]
            entry_low = max(low, start)
            entry_high = high if until is None else min(high, until)
            found = ()
            if entry_low < entry_high:
                around = self._days(low, high)
                days = range(
                    max(around.start, entry.dates.first.toordinal()),
                    min(around.stop, entry.dates.last.toordinal() + 1),
                )
                windows = ((day, entry.window) for day in days if (day - 1) % 7 in entry.weekdays)
                found = window_intervals(self.zone_name, windows, entry_low, entry_high)
            self.memo.remember(key, found)
        return found

    def sweep(self, low: int, high: int) -> Raw:
        """Maximal raw segments `(from, to, state)` covering `[low, high)` exactly."""
        events: list[tuple[int, int, int]] = []
        for first, last in self._hours_intervals(low, high):
            events.append((first, _HOURS, 1))
            events.append((last, _HOURS, -1))
        for start, until in self.blanks:
            first, last = max(start, low), high if until is None else min(until, high)
            if first < last:
                events.append((first, _BLANK, 1))
                events.append((last, _BLANK, -1))
        for index in range(len(self.pairs)):
            code = _FIRST_ENTRY + index
            for first, last in self._entry_intervals(index, low, high):
                events.append((first, code, 1))
                events.append((last, code, -1))
        events.sort()
        return self._run(events, low, high)

    def _run(self, events: list[tuple[int, int, int]], low: int, high: int) -> Raw:
        result: Raw = []
        priorities = self.priorities
        open_count = blank_count = 0
        active: dict[int, int] = {}
        position, count, now = 0, len(events), low
        while True:
            while position < count and events[position][0] == now:
                _, code, delta = events[position]
                position += 1
                if code == _HOURS:
                    open_count += delta
                elif code == _BLANK:
                    blank_count += delta
                else:
                    left = active.get(code, 0) + delta
                    if left:
                        active[code] = left
                    else:
                        del active[code]
            state: State
            if blank_count > 0:
                state = _BLANKED
            elif open_count <= 0:
                state = _CLOSED
            elif not active:
                state = _NOTHING
            elif len(active) == 1:
                state = (CONTENT, (next(iter(active)) - _FIRST_ENTRY,))
            else:
                best = max(priorities[code - _FIRST_ENTRY] for code in active)
                winners = [
                    code - _FIRST_ENTRY
                    for code in active
                    if priorities[code - _FIRST_ENTRY] == best
                ]
                winners.sort()
                state = (CONTENT, tuple(winners))
            following = events[position][0] if position < count else high
            if result and result[-1][2] == state:
                result[-1] = (result[-1][0], following, state)
            else:
                result.append((now, following, state))
            if following >= high:
                return result
            now = following

    def plan(self, start: int, end: int) -> Raw:
        """Raw segments covering `[start, end)`, the first one from its true start."""
        floor = start - LOOKBACK_LIMIT_DAYS * TICKS_PER_DAY
        low = start - _FIRST_LOOKBACK
        raw = self.sweep(low, end)
        while raw[0][0] == low and raw[0][1] > start and low > floor:
            state = raw[0][2]
            quiet = self.quiet_before is None or low <= self.quiet_before
            if state in _DARK and quiet and raw[0][1] - low >= _STEADY:
                # Dark here since before anything could show, and unchanged for more than a
                # week of the (weekly) operating hours, so unchanged for ever: no true start.
                raw[0] = (floor, raw[0][1], state)
                break
            earlier = max(floor, start - 2 * (start - low))
            if state in _DARK and quiet:
                # Only the hours can change a quiet dark state: one look far enough back.
                earlier = max(floor, min(earlier, raw[0][1] - _STEADY))
            prefix = self.sweep(earlier, low)
            if prefix[-1][2] == state:
                raw[0] = (prefix.pop()[0], raw[0][1], state)
            raw[:0] = prefix
            low = earlier
        return [segment for segment in raw if segment[1] > start]
