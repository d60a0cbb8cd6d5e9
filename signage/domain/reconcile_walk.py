"""The plan side of planned versus actual: per-segment figures, shared by the three plans.

Split from `reconcile` (which owns the public API): rows and the walk's state, the local-day
grid, and the arithmetic that turns a segment's cycle into planned seconds and whole plays.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from signage.domain.errors import ValidationError
from signage.domain.plan import Segment, SegmentKind, plan_for
from signage.domain.plan_clock import from_ticks, to_ticks
from signage.domain.plan_playback import Playlists, cycle_for
from signage.domain.reconcile_tally import (
    TICKS_PER_MS,
    Accumulator,
    Span,
    pieces,
)
from signage.domain.reconcile_types import (
    Ident,
)
from signage.domain.schedule import Approval, Blank, PlanLocation

_PLANNED, _WITHOUT_BLANKS, _WITHOUT_WITHDRAWALS = "planned", "without_blanks", "without_withdrawals"


@dataclass(slots=True)
class _Row:
    total: Accumulator = field(default_factory=Accumulator)
    entries: dict[Ident | None, Accumulator] = field(default_factory=dict)
    creatives: dict[str | None, Accumulator] = field(default_factory=dict)
    creative_ids: dict[str | None, set[int]] = field(default_factory=dict)

    def cells(
        self, entry_id: Ident | None, asset: str | None, creative_id: int | None = None
    ) -> tuple[Accumulator, ...]:
        """The row total, the entry's and the creative's accumulators."""
        ids = self.creative_ids.setdefault(asset, set())
        if creative_id is not None:
            ids.add(creative_id)
        return (
            self.total,
            self.entries.setdefault(entry_id, Accumulator()),
            self.creatives.setdefault(asset, Accumulator()),
        )


@dataclass(slots=True)
class _Walk:
    """The day grid, offline spans and rows shared by the plan and record walks."""

    days: list[tuple[date, int, int]]
    offline: list[Span]
    campaigns: Collection[int] | None
    rows: dict[tuple[int, int], _Row] = field(default_factory=dict)
    day_spans: list[Span] = field(init=False)
    day_starts: list[int] = field(init=False)
    offline_starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.day_spans = [(low, high) for _, low, high in self.days]
        self.day_starts = [low for _, low, _ in self.days]
        self.offline_starts = [low for low, _ in self.offline]

    @property
    def low(self) -> int:
        return self.days[0][1]

    @property
    def high(self) -> int:
        return self.days[-1][2]

    def wanted(self, campaign_id: int) -> bool:
        return self.campaigns is None or campaign_id in self.campaigns

    def day_of(self, ticks: int) -> int | None:
        """Index of the local day holding the instant, or None outside the range."""
        if not self.low <= ticks < self.high:
            return None
        return bisect_right(self.day_starts, ticks) - 1

    def split(self, low: int, high: int) -> Iterator[tuple[int, int, int]]:
        """(day index, start, end) of the parts of `[low, high)` on each day."""
        for start, end in pieces(self.day_spans, self.day_starts, low, high):
            yield bisect_right(self.day_starts, start) - 1, start, end

    def row(self, campaign_id: int, day: int) -> _Row:
        return self.rows.setdefault((campaign_id, day), _Row())


def _day_grid(
    location: PlanLocation, first_day: date, last_day: date
) -> list[tuple[date, int, int]]:
    if last_day < first_day:
        raise ValidationError("days", "the last day lies before the first")
    zone = location.zone
    grid = []
    day = first_day
    while day <= last_day:
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        grid.append((day, to_ticks(start), to_ticks(end)))
        day += timedelta(days=1)
    return grid


# Per-segment planned figures: (day index, campaign, entry id, asset, creative id,
# planned ticks, planned whole plays, planned ticks inside offline spans).
_SegmentFigure = tuple[int, int, Ident, str, int, int, int, int]
_SegmentKey = tuple[int, int, tuple[tuple[int, int, int, int], ...]]


def _segment_key(segment: Segment) -> _SegmentKey:
    lives = tuple(
        (live.approval_id, live.entry.id, live.entry.playlist_id, live.entry.campaign_id)
        for live in segment.live
    )
    return (to_ticks(segment.start), to_ticks(segment.end), lives)


def _segment_figures(walk: _Walk, segment: Segment, playlists: Playlists) -> list[_SegmentFigure]:
    """The planned figures of one content segment per day and cell, by arithmetic.

    The cycle repeats every `length` ticks from the segment's start, and its slots
    tile each turn; the ticks of one slot before an instant are whole turns × its
    duration plus its share of the turn in progress, so any span's ticks are a
    difference of two such sums. The play running at the segment's end is cut:
    its ticks count, not as a whole play.
    """
    origin, end = to_ticks(segment.start), to_ticks(segment.end)
    low, high = max(origin, walk.low), min(end, walk.high)
    cycle = cycle_for(segment, playlists)
    if not cycle.slots or low >= high:
        return []
    length = cycle.length_ms * TICKS_PER_MS
    slots = [
        (
            slot.live.entry,
            slot.item,
            slot.offset_ms * TICKS_PER_MS,
            slot.item.duration_ms * TICKS_PER_MS,
        )
        for slot in cycle.slots
        if walk.wanted(slot.live.entry.campaign_id)
    ]
    turn_at_end = (end - origin) % length

    def before(at: int, offset: int, duration: int) -> tuple[int, int]:
        """(ticks of the slot in `[origin, at)`, its plays started before `at`)."""
        turns, into = divmod(at - origin, length)
        share = min(max(into - offset, 0), duration)
        return turns * duration + share, turns + (into > offset)

    figures: list[_SegmentFigure] = []
    for day, part_low, part_high in walk.split(low, high):
        offline = [
            (max(a, part_low), min(b, part_high))
            for a, b in pieces(walk.offline, walk.offline_starts, part_low, part_high)
        ]
        for entry, item, offset, duration in slots:
            ticks_low, plays_low = before(part_low, offset, duration)
            ticks_high, plays_high = before(part_high, offset, duration)
            ticks = ticks_high - ticks_low
            if ticks <= 0:
                continue
            plays = plays_high - plays_low
            if offset < turn_at_end < offset + duration:
                cut_start = end - (turn_at_end - offset)
                plays -= part_low <= cut_start < part_high
            offline_ticks = 0
            for a, b in offline:
                offline_ticks += before(b, offset, duration)[0] - before(a, offset, duration)[0]
            figures.append(
                (
                    day,
                    entry.campaign_id,
                    entry.id,
                    item.asset_key,
                    item.creative_id,
                    ticks,
                    plays,
                    offline_ticks,
                )
            )
    return figures


def _walk_plan(
    walk: _Walk,
    location: PlanLocation,
    approvals: Sequence[Approval],
    blanks: Sequence[Blank],
    playlists: Playlists,
    scenario: str,
    computed: dict[_SegmentKey, list[_SegmentFigure]],
) -> None:
    """Add one scenario's planned figures; `computed` shares segments between scenarios."""
    start, end = from_ticks(walk.low), from_ticks(walk.high)
    for segment in plan_for(location, approvals, blanks, start, end):
        if segment.kind is not SegmentKind.CONTENT:
            continue
        key = _segment_key(segment)
        figures = computed.get(key)
        if figures is None:
            figures = computed[key] = _segment_figures(walk, segment, playlists)
        for day, campaign, entry_id, asset, creative_id, ticks, plays, offline in figures:
            for cell in walk.row(campaign, day).cells(entry_id, asset, creative_id):
                if scenario == _PLANNED:
                    cell.planned += ticks
                    cell.planned_plays += plays
                    cell.offline += offline
                elif scenario == _WITHOUT_BLANKS:
                    cell.without_blanks += ticks
                else:
                    cell.without_withdrawals += ticks
