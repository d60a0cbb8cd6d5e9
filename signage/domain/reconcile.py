"""Planned versus actual: per campaign × location × local day, down to entry and creative.

Planned time comes from the plan engine over the approvals in force at each
instant: the seconds of every planned play of the campaign's entries (a
segment's seconds, shared between equal-priority entries by the cycle), and
whole plays only. Time taken away is planned again without the withdrawals
(their `until` ignored) and without blanks; the difference is shown in its
own columns, never as planned time. Delivered time is the seconds of plays
that count (completed within 500 ms of the expected duration) while an
approval of theirs was in force. Seconds are split at local midnight; a play
is numbered on the day it starts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from signage.domain.errors import ValidationError
from signage.domain.plan import SegmentKind, plan_for
from signage.domain.plan_clock import from_ticks, to_ticks
from signage.domain.plan_playback import Playlists, plays_between
from signage.domain.playlog import COUNT_TOLERANCE_MS
from signage.domain.reconcile_tally import (
    TICKS_PER_MS,
    Accumulator,
    Span,
    Tally,
    complement,
    merged,
    overlap,
    pieces,
)
from signage.domain.reconcile_types import (
    NOT_IN_PLAYLIST,
    CreativeTally,
    DayReconciliation,
    EntryTally,
    Ident,
    LocationFacts,
    LocationReconciliation,
    PlayFact,
    Unattributed,
)
from signage.domain.schedule import Approval, Blank, PlanLocation, require_aware

__all__ = [
    "NOT_IN_PLAYLIST",
    "CreativeTally",
    "DayReconciliation",
    "EntryTally",
    "LocationFacts",
    "LocationReconciliation",
    "PlayFact",
    "Tally",
    "Unattributed",
    "reconcile",
    "reconcile_location",
]

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


def _walk_plan(
    walk: _Walk,
    location: PlanLocation,
    approvals: Sequence[Approval],
    blanks: Sequence[Blank],
    playlists: Playlists,
    scenario: str,
) -> None:
    start, end = from_ticks(walk.low), from_ticks(walk.high)
    for segment in plan_for(location, approvals, blanks, start, end):
        if segment.kind is not SegmentKind.CONTENT:
            continue
        for play in plays_between(segment, playlists, start, end):
            entry = play.live.entry
            if not walk.wanted(entry.campaign_id):
                continue
            low, high = to_ticks(play.start), to_ticks(play.end)
            for day, part_low, part_high in walk.split(low, high):
                cells = walk.row(entry.campaign_id, day).cells(
                    entry.id, play.item.asset_key, play.item.creative_id
                )
                offline = overlap(walk.offline, walk.offline_starts, part_low, part_high)
                for cell in cells:
                    if scenario == _PLANNED:
                        cell.planned += part_high - part_low
                        cell.offline += offline
                    elif scenario == _WITHOUT_BLANKS:
                        cell.without_blanks += part_high - part_low
                    else:
                        cell.without_withdrawals += part_high - part_low
            start_day = walk.day_of(low)
            if scenario == _PLANNED and not play.cut and start_day is not None:
                row = walk.row(entry.campaign_id, start_day)
                for cell in row.cells(entry.id, play.item.asset_key):
                    cell.planned_plays += 1


def _expected_durations(playlists: Playlists) -> dict[tuple[Ident, Ident, str], int]:
    return {
        (approval_id, playlist_id, item.asset_key): item.duration_ms
        for (approval_id, playlist_id), items in playlists.items()
        for item in items
    }


def _walk_records(
    walk: _Walk,
    records: Iterable[PlayFact],
    approvals: Mapping[Ident, Approval],
    durations: Mapping[tuple[Ident, Ident, str], int],
    asset_durations_ms: Mapping[str, int],
) -> list[Unattributed]:
    unattributed = []
    for fact in records:
        low, high = fact.started_at_ms * TICKS_PER_MS, fact.ended_at_ms * TICKS_PER_MS
        start_day = walk.day_of(low)
        if start_day is None and (high <= walk.low or low >= walk.high):
            continue
        approval = approvals.get(fact.approval_id) if fact.approval_id is not None else None
        if approval is None:
            if start_day is not None:
                unattributed.append(
                    Unattributed(fact.id, fact.device_id, fact.seq, fact.approval_id)
                )
            continue
        if not walk.wanted(approval.campaign_id):
            continue
        _tally_record(walk, fact, approval, start_day, durations, asset_durations_ms)
    return unattributed


def _expected(
    fact: PlayFact,
    durations: Mapping[tuple[Ident, Ident, str], int],
    asset_durations_ms: Mapping[str, int],
) -> int | None:
    if fact.asset_sha256 is None or fact.approval_id is None or fact.playlist_id is None:
        return None
    key = (fact.approval_id, fact.playlist_id, fact.asset_sha256)
    if key not in durations:
        return None  # not what the approval planned, whatever its length
    return asset_durations_ms.get(fact.asset_sha256, durations[key])


def _tally_record(
    walk: _Walk,
    fact: PlayFact,
    approval: Approval,
    start_day: int | None,
    durations: Mapping[tuple[Ident, Ident, str], int],
    asset_durations_ms: Mapping[str, int],
) -> None:
    low, high = fact.started_at_ms * TICKS_PER_MS, fact.ended_at_ms * TICKS_PER_MS
    campaign = approval.campaign_id

    def cells(day: int) -> tuple[Accumulator, ...]:
        return walk.row(campaign, day).cells(fact.entry_id, fact.asset_sha256)

    def on_start_day() -> tuple[Accumulator, ...]:
        return cells(start_day) if start_day is not None else ()

    expected = _expected(fact, durations, asset_durations_ms)
    excluded = fact.excluded_reason or (NOT_IN_PLAYLIST if expected is None else None)
    if excluded is not None:
        for cell in on_start_day():
            cell.excluded[excluded] += 1
        return
    assert expected is not None
    if fact.status == "failed":
        for cell in on_start_day():
            cell.failed_plays += 1
        return
    if fact.status == "interrupted":
        for cell in on_start_day():
            cell.interrupted_plays += 1
        for day, part_low, part_high in walk.split(low, high):
            for cell in cells(day):
                cell.interrupted += part_high - part_low
        return
    if abs(fact.ended_at_ms - fact.started_at_ms - expected) > COUNT_TOLERANCE_MS:
        for cell in on_start_day():
            cell.off_duration_plays += 1
        return
    in_force = approval.in_force_at(from_ticks(low))
    for cell in on_start_day():
        if not in_force:
            cell.out_of_force_plays += 1
        else:
            cell.counted_plays += 1
            if not fact.clock_verified:
                cell.unverified_plays += 1
    for day, part_low, part_high in walk.split(low, high):
        for cell in cells(day):
            if not in_force:
                cell.out_of_force += part_high - part_low
            else:
                cell.delivered += part_high - part_low
                if not fact.clock_verified:
                    cell.unverified += part_high - part_low


def _online_spans(online: Sequence[tuple[datetime, datetime]]) -> list[Span]:
    spans = []
    for start, end in online:
        require_aware(start, "online")
        require_aware(end, "online")
        spans.append((to_ticks(start), to_ticks(end)))
    return merged(spans)


def reconcile_location(
    facts: LocationFacts,
    *,
    approvals: Sequence[Approval],
    blanks: Sequence[Blank],
    playlists: Playlists,
    first_day: date,
    last_day: date,
    withdrawn: Collection[int] = (),
    asset_durations_ms: Mapping[str, int] | None = None,
    campaign_ids: Collection[int] | None = None,
) -> LocationReconciliation:
    """Planned versus actual at one location for each local day `first_day..last_day`.

    `withdrawn` names the approvals whose `until` is a withdrawal (not a
    supersession). `asset_durations_ms` gives videos' own durations; a still
    is expected to last its playlist item. `campaign_ids` limits the rows.
    """
    location = facts.location
    days = _day_grid(location, first_day, last_day)
    offline = complement(_online_spans(facts.online), days[0][1], days[-1][2])
    walk = _Walk(days, offline, campaign_ids)
    undone = [
        Approval(a.id, a.campaign_id, a.start, None, a.entries) if a.id in withdrawn else a
        for a in approvals
    ]
    _walk_plan(walk, location, approvals, blanks, playlists, _PLANNED)
    _walk_plan(walk, location, approvals, (), playlists, _WITHOUT_BLANKS)
    _walk_plan(walk, location, undone, (), playlists, _WITHOUT_WITHDRAWALS)
    unattributed = _walk_records(
        walk,
        facts.records,
        {approval.id: approval for approval in approvals},
        _expected_durations(playlists),
        asset_durations_ms or {},
    )
    zone = location.zone
    rows = []
    for (campaign_id, day_index), row in sorted(walk.rows.items()):
        if row.total.empty:
            continue
        day, low, high = days[day_index]
        rows.append(
            DayReconciliation(
                campaign_id=campaign_id,
                location_id=location.id,
                day=day,
                timezone=location.timezone,
                local_start=from_ticks(low).astimezone(zone),
                local_end=from_ticks(high).astimezone(zone),
                total=row.total.freeze(),
                entries=tuple(
                    EntryTally(key, cell.freeze())
                    for key, cell in sorted(row.entries.items(), key=lambda kv: str(kv[0]))
                    if not cell.empty
                ),
                creatives=tuple(
                    CreativeTally(key, tuple(sorted(row.creative_ids[key])), cell.freeze())
                    for key, cell in sorted(row.creatives.items(), key=lambda kv: str(kv[0]))
                    if not cell.empty
                ),
            )
        )
    return LocationReconciliation(location.id, tuple(rows), tuple(unattributed))


def reconcile(
    locations: Iterable[LocationFacts],
    *,
    approvals: Sequence[Approval],
    blanks: Sequence[Blank],
    playlists: Playlists,
    first_day: date,
    last_day: date,
    withdrawn: Collection[int] = (),
    asset_durations_ms: Mapping[str, int] | None = None,
    campaign_ids: Collection[int] | None = None,
) -> list[DayReconciliation]:
    """`reconcile_location` over many locations: rows by campaign, location and day."""
    rows = [
        row
        for facts in locations
        for row in reconcile_location(
            facts,
            approvals=approvals,
            blanks=blanks,
            playlists=playlists,
            first_day=first_day,
            last_day=last_day,
            withdrawn=withdrawn,
            asset_durations_ms=asset_durations_ms,
            campaign_ids=campaign_ids,
        ).rows
    ]
    return sorted(rows, key=lambda row: (row.campaign_id, row.location_id, row.day))
