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
from signage.domain.schedule import Approval, Blank, require_aware

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


# Indexes of a record bucket's sums (plays counted on the start day, ticks per day).
(
    _COUNTED,
    _DELIVERED,
    _UNVERIFIED_PLAYS,
    _UNVERIFIED,
    _OUT_OF_FORCE_PLAYS,
    _OUT_OF_FORCE,
    _FAILED,
    _INTERRUPTED_PLAYS,
    _INTERRUPTED,
    _OFF_DURATION,
) = range(10)
_BUCKET = 10
_BucketKey = tuple[int, int, Ident | None, str | None]


def _walk_records(
    walk: _Walk,
    records: Iterable[PlayFact],
    approvals: Sequence[Approval],
    expected_ms: Mapping[tuple[Ident, Ident, str], int],
) -> list[Unattributed]:
    """Tally the records in one pass: sums per (campaign, day, entry, asset), then cells."""
    unattributed = []
    # approval id -> (campaign, in force from, until or None), wanted campaigns only
    known: dict[Ident, tuple[int, int, int | None] | None] = {}
    for approval in approvals:
        until = to_ticks(approval.until) if approval.until is not None else None
        wanted = walk.wanted(approval.campaign_id)
        known[approval.id] = (
            (approval.campaign_id, to_ticks(approval.start), until) if wanted else None
        )
    buckets: dict[_BucketKey, list[int]] = {}
    excluded: dict[tuple[_BucketKey, str], int] = {}
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
            plays_at, ticks_at = _FAILED, -1
        elif status == "interrupted":
            plays_at, ticks_at = _INTERRUPTED_PLAYS, _INTERRUPTED
        elif abs(ended - started - expected) > COUNT_TOLERANCE_MS:
            plays_at, ticks_at = _OFF_DURATION, -1
        elif in_force_from <= low and (in_force_until is None or low < in_force_until):
            plays_at, ticks_at = _COUNTED, _DELIVERED
        else:
            plays_at, ticks_at = _OUT_OF_FORCE_PLAYS, _OUT_OF_FORCE
        unverified = plays_at == _COUNTED and not fact.clock_verified
        if start_day is not None:
            key_start = (campaign, start_day, entry_id, asset)
            sums = buckets.get(key_start)
            if sums is None:
                sums = buckets[key_start] = [0] * _BUCKET
            sums[plays_at] += 1
            if unverified:
                sums[_UNVERIFIED_PLAYS] += 1
            if ticks_at < 0:
                continue
            if start_day == cached_day and ended <= day_high:
                ticks = (ended - started) * TICKS_PER_MS
                if ticks > 0:
                    sums[ticks_at] += ticks
                    if unverified:
                        sums[_UNVERIFIED] += ticks
                continue
        elif ticks_at < 0:
            continue
        for day, part_low, part_high in walk.split(low, ended * TICKS_PER_MS):
            key_day = (campaign, day, entry_id, asset)
            sums = buckets.get(key_day)
            if sums is None:
                sums = buckets[key_day] = [0] * _BUCKET
            sums[ticks_at] += part_high - part_low
            if unverified:
                sums[_UNVERIFIED] += part_high - part_low
    for (campaign, day, entry_id, asset), sums in buckets.items():
        for cell in walk.row(campaign, day).cells(entry_id, asset):
            cell.counted_plays += sums[_COUNTED]
            cell.delivered += sums[_DELIVERED]
            cell.unverified_plays += sums[_UNVERIFIED_PLAYS]
            cell.unverified += sums[_UNVERIFIED]
            cell.out_of_force_plays += sums[_OUT_OF_FORCE_PLAYS]
            cell.out_of_force += sums[_OUT_OF_FORCE]
            cell.failed_plays += sums[_FAILED]
            cell.interrupted_plays += sums[_INTERRUPTED_PLAYS]
            cell.interrupted += sums[_INTERRUPTED]
            cell.off_duration_plays += sums[_OFF_DURATION]
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
        approvals,
        _expected_durations(playlists, asset_durations_ms or {}),
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
