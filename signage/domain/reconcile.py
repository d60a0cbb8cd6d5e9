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

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime

from signage.domain.plan_clock import from_ticks, to_ticks
from signage.domain.plan_playback import Playlists
from signage.domain.playlog import COUNT_TOLERANCE_MS
from signage.domain.reconcile_groups import (
    COUNTED,
    DELIVERED,
    FAILED,
    INTERRUPTED,
    INTERRUPTED_PLAYS,
    OFF_DURATION,
    OUT_OF_FORCE,
    OUT_OF_FORCE_PLAYS,
    SUMS,
    UNVERIFIED,
    UNVERIFIED_PLAYS,
    Claims,
    GroupJudge,
    NeedsRowsError,
    add_group,
    claims_for,
)
from signage.domain.reconcile_tally import (
    TICKS_PER_MS,
    Span,
    Tally,
    complement,
    merged,
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
    PlayGroup,
    Unattributed,
)
from signage.domain.reconcile_walk import (
    _PLANNED,
    _WITHOUT_BLANKS,
    _WITHOUT_WITHDRAWALS,
    _day_grid,
    _SegmentFigure,
    _SegmentKey,
    _Walk,
    _walk_plan,
)
from signage.domain.schedule import Approval, Blank, PlanLocation, require_aware

__all__ = [
    "NOT_IN_PLAYLIST",
    "CreativeTally",
    "DayReconciliation",
    "EntryTally",
    "LocationFacts",
    "LocationReconciliation",
    "NeedsRowsError",
    "PlayFact",
    "PlayGroup",
    "Tally",
    "Unattributed",
    "groups_needing_rows",
    "reconcile",
    "reconcile_location",
]


def _expected_durations(
    playlists: Playlists, asset_durations_ms: Mapping[str, int]
) -> dict[tuple[Ident, Ident, str], int]:
    """Expected length of each planned (approval, playlist, asset): the asset's own first."""
    return {
        (approval_id, playlist_id, item.asset_key): asset_durations_ms.get(
            item.asset_key, item.duration_ms
        )
        for (approval_id, playlist_id), items in playlists.items()
        for item in items
    }


_BucketKey = tuple[int, int, Ident | None, str | None]


def _walk_records(
    walk: _Walk,
    records: Iterable[PlayFact],
    known: Claims,
    expected_ms: Mapping[tuple[Ident, Ident, str], int],
    groups: Sequence[PlayGroup] = (),
) -> list[Unattributed]:
    """Tally the records in one pass: sums per (campaign, day, entry, asset), then cells.

    Each group (judged whole) adds its sums as its records would have one by one.
    """
    unattributed = []
    buckets: dict[_BucketKey, list[int]] = {}
    excluded: dict[tuple[_BucketKey, str], int] = {}
    if groups:
        judge = GroupJudge(walk.days, known, expected_ms)
        for group in groups:
            verdict = judge.verdict(group)
            if verdict is not None:
                add_group(verdict, group, buckets, excluded)
    walk_low, walk_high = walk.low, walk.high
    day_low = day_high = 0  # the cached day `[day_low, day_high)` in ms
    cached_day = -1
    for fact in records:
        started, ended = fact.started_at_ms, fact.ended_at_ms
        low = started * TICKS_PER_MS
        if day_low <= started < day_high:
            start_day: int | None = cached_day
        else:
            start_day = walk.day_of(low)
            if start_day is None:
                if ended * TICKS_PER_MS <= walk_low or low >= walk_high:
                    continue
            else:
                _, first, last = walk.days[start_day]
                cached_day, day_low, day_high = start_day, first // 1000, last // 1000
                if day_low * TICKS_PER_MS != first or day_high * TICKS_PER_MS != last:
                    day_low = day_high = 0  # a day not on whole milliseconds: no fast path
        approval_id = fact.approval_id
        if approval_id is None or approval_id not in known:
            if start_day is not None:
                unattributed.append(Unattributed(fact.id, fact.device_id, fact.seq, approval_id))
            continue
        claim = known[approval_id]
        if claim is None:
            continue
        campaign, in_force_from, in_force_until = claim
        entry_id, asset = fact.entry_id, fact.asset_sha256
        expected = expected_ms.get((approval_id, fact.playlist_id, asset))  # type: ignore[arg-type]
        reason = fact.excluded_reason or (NOT_IN_PLAYLIST if expected is None else None)
        if reason is not None:
            if start_day is not None:
                key = ((campaign, start_day, entry_id, asset), reason)
                excluded[key] = excluded.get(key, 0) + 1
            continue
        assert expected is not None
        status = fact.status
        if status == "failed":
            plays_at, ticks_at = FAILED, -1
        elif status == "interrupted":
            plays_at, ticks_at = INTERRUPTED_PLAYS, INTERRUPTED
        elif abs(ended - started - expected) > COUNT_TOLERANCE_MS:
            plays_at, ticks_at = OFF_DURATION, -1
        elif in_force_from <= low and (in_force_until is None or low < in_force_until):
            plays_at, ticks_at = COUNTED, DELIVERED
        else:
            plays_at, ticks_at = OUT_OF_FORCE_PLAYS, OUT_OF_FORCE
        unverified = plays_at == COUNTED and not fact.clock_verified
        if start_day is not None:
            key_start = (campaign, start_day, entry_id, asset)
            sums = buckets.get(key_start)
            if sums is None:
                sums = buckets[key_start] = [0] * SUMS
            sums[plays_at] += 1
            if unverified:
                sums[UNVERIFIED_PLAYS] += 1
            if ticks_at < 0:
                continue
            if start_day == cached_day and ended <= day_high:
                ticks = (ended - started) * TICKS_PER_MS
                if ticks > 0:
                    sums[ticks_at] += ticks
                    if unverified:
                        sums[UNVERIFIED] += ticks
                continue
        elif ticks_at < 0:
            continue
        for day, part_low, part_high in walk.split(low, ended * TICKS_PER_MS):
            key_day = (campaign, day, entry_id, asset)
            sums = buckets.get(key_day)
            if sums is None:
                sums = buckets[key_day] = [0] * SUMS
            sums[ticks_at] += part_high - part_low
            if unverified:
                sums[UNVERIFIED] += part_high - part_low
    for (campaign, day, entry_id, asset), sums in buckets.items():
        for cell in walk.row(campaign, day).cells(entry_id, asset):
            cell.counted_plays += sums[COUNTED]
            cell.delivered += sums[DELIVERED]
            cell.unverified_plays += sums[UNVERIFIED_PLAYS]
            cell.unverified += sums[UNVERIFIED]
            cell.out_of_force_plays += sums[OUT_OF_FORCE_PLAYS]
            cell.out_of_force += sums[OUT_OF_FORCE]
            cell.failed_plays += sums[FAILED]
            cell.interrupted_plays += sums[INTERRUPTED_PLAYS]
            cell.interrupted += sums[INTERRUPTED]
            cell.off_duration_plays += sums[OFF_DURATION]
    for ((campaign, day, entry_id, asset), reason), number in excluded.items():
        for cell in walk.row(campaign, day).cells(entry_id, asset):
            cell.excluded[reason] += number
    return unattributed


def _online_spans(online: Sequence[tuple[datetime, datetime]]) -> list[Span]:
    spans = []
    for start, end in online:
        require_aware(start, "online")
        require_aware(end, "online")
        spans.append((to_ticks(start), to_ticks(end)))
    return merged(spans)


def groups_needing_rows(
    location: PlanLocation,
    groups: Iterable[PlayGroup],
    *,
    approvals: Sequence[Approval],
    playlists: Playlists,
    first_day: date,
    last_day: date,
    asset_durations_ms: Mapping[str, int] | None = None,
    campaign_ids: Collection[int] | None = None,
) -> list[PlayGroup]:
    """The groups that cannot stand for their records in `reconcile_location` (same inputs)."""
    walk = _Walk(_day_grid(location, first_day, last_day), [], campaign_ids)
    judge = GroupJudge(
        walk.days,
        claims_for(approvals, walk.wanted),
        _expected_durations(playlists, asset_durations_ms or {}),
    )
    return [group for group in groups if not judge.whole(group)]


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
    computed: dict[_SegmentKey, list[_SegmentFigure]] = {}
    _walk_plan(walk, location, approvals, blanks, playlists, _PLANNED, computed)
    _walk_plan(walk, location, approvals, (), playlists, _WITHOUT_BLANKS, computed)
    _walk_plan(walk, location, undone, (), playlists, _WITHOUT_WITHDRAWALS, computed)
    unattributed = _walk_records(
        walk,
        facts.records,
        claims_for(approvals, walk.wanted),
        _expected_durations(playlists, asset_durations_ms or {}),
        facts.groups,
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
