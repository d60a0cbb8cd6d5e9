"""Play groups stand for their records exactly: the same rows whichever form a record takes.

Runs of back-to-back plays (so buckets hold several records of a kind) with every edge the
record pass knows: off duration, interrupted, failed, unverified clock, out of force
(approvals coming into and out of force mid-run), exclusions (also an empty note), unknown
approvals, assets not in the playlist, plays crossing local midnight, negative lengths,
DST days and zones whose midnight is not on a 15-minute boundary. Records are summed into
groups per device, bucket and kind as the rollup does; a bucket whose groups the judge
refuses keeps its records. The result must equal walking every record.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signage.domain.plan_playback import PlaylistItem
from signage.domain.reconcile import (
    LocationFacts,
    NeedsRowsError,
    PlayFact,
    PlayGroup,
    groups_needing_rows,
    reconcile_location,
)
from signage.domain.reconcile_types import BUCKET_MS
from signage.domain.schedule import Approval, DateRange, PlanLocation, ScheduleEntry
from signage.domain.windows import DailyWindow

# (zone, first day): Berlin springs forward on 2025-03-30, Lord Howe moves back 30 minutes
# on 2025-04-06, Kathmandu is +5:45, and Monrovia was -0:44:30 (midnight off the buckets).
PLACES = (
    ("Europe/Berlin", date(2025, 3, 29)),
    ("Australia/Lord_Howe", date(2025, 4, 5)),
    ("Asia/Kathmandu", date(2025, 3, 29)),
    ("Africa/Monrovia", date(1971, 6, 1)),
)
ASSETS = ("a" * 64, "b" * 64)


class Case(NamedTuple):
    location: PlanLocation
    first: date
    days: int
    approvals: list[Approval]
    playlists: dict[tuple[int, int], list[PlaylistItem]]
    records: list[PlayFact]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    timezone, first = draw(st.sampled_from(PLACES))
    zone = ZoneInfo(timezone)
    days = draw(st.integers(1, 2))
    midnight = datetime.combine(first, time(0), tzinfo=zone)
    midnight_ms = int(midnight.timestamp() * 1000)
    approvals = []
    playlists: dict[tuple[int, int], list[PlaylistItem]] = {}
    for number in range(draw(st.integers(1, 2))):
        entry = ScheduleEntry(
            id=100 + number,
            playlist_id=200 + number,
            campaign_id=draw(st.integers(1, 2)),
            location_ids=frozenset({1}),
            dates=DateRange(first, first + timedelta(days=3)),
            window=DailyWindow(0, 24 * 60),
            priority=50,
            order=number,
        )
        start = midnight - timedelta(days=30)
        if draw(st.booleans()):
            start = midnight + timedelta(
                seconds=draw(st.integers(0, days * 86_400)),
                microseconds=draw(st.integers(0, 999_999)),
            )
        until = None
        if draw(st.booleans()):
            until = start + timedelta(
                seconds=draw(st.integers(1, days * 86_400)),
                microseconds=draw(st.integers(0, 999_999)),
            )
        approval_id = 10 + number
        approvals.append(Approval(approval_id, entry.campaign_id, start, until, (entry,)))
        playlists[(approval_id, entry.playlist_id)] = [
            PlaylistItem(300 + n, ASSETS[n], draw(st.sampled_from((200, 8_000, 15_000))))
            for n in range(draw(st.integers(1, 2)))
        ]
    records = []
    seq = 0
    for _ in range(draw(st.integers(0, 6))):
        approval = draw(st.sampled_from(approvals))
        entry = approval.entries[0]
        item = draw(st.sampled_from(playlists[(approval.id, entry.playlist_id)]))
        # Near midnights and bucket edges as often as anywhere else.
        anchor = draw(st.sampled_from((0, 86_400_000, BUCKET_MS, days * 86_400_000)))
        started = midnight_ms + anchor + draw(st.integers(-120_000, 120_000))
        if draw(st.booleans()):
            started = midnight_ms + draw(st.integers(-7_200_000, days * 86_400_000))

        def pick(options: tuple[object, ...]) -> st.SearchStrategy[object]:
            return st.sampled_from(options)

        # Each attribute is fixed for the run or drawn per record.
        shared = {
            "status": draw(pick(("completed", "completed", "interrupted", "failed"))),
            "error": draw(pick((0, 0, 300, -450, 900, -9_000_000))),
            "verified": draw(st.booleans()),
            "reason": draw(pick((None, None, None, "implausible", ""))),
            "approval": draw(pick((approval.id, approval.id, approval.id, 99))),
            "playlist": draw(pick((entry.playlist_id,) * 4 + (999,))),
            "asset": draw(pick((item.asset_key,) * 4 + ("d" * 64,))),
        }
        varying = draw(st.sets(st.sampled_from(sorted(shared))))
        for _ in range(draw(st.integers(1, 8))):
            values = {
                "status": ("completed", "completed", "interrupted", "failed"),
                "error": (0, 0, 300, -450, 900),
                "verified": (True, False),
                "reason": (None, None, "implausible"),
                "approval": (approval.id, approval.id, 99),
                "playlist": (entry.playlist_id, entry.playlist_id, 999),
                "asset": (item.asset_key, item.asset_key, "d" * 64),
            }
            got = {
                key: draw(st.sampled_from(values[key])) if key in varying else value
                for key, value in shared.items()
            }
            length = max(item.duration_ms + int(got["error"]), -5_000)  # type: ignore[call-overload]
            seq += 1
            records.append(
                PlayFact(
                    id=f"r{seq}",
                    device_id=draw(st.sampled_from((1, 1, 2))),
                    seq=seq,
                    started_at_ms=started,
                    ended_at_ms=started + length,
                    status=str(got["status"]),
                    reason=None,
                    asset_sha256=str(got["asset"]),
                    playlist_id=int(got["playlist"]),  # type: ignore[call-overload]
                    entry_id=entry.id,
                    approval_id=int(got["approval"]),  # type: ignore[call-overload]
                    clock_verified=bool(got["verified"]),
                    excluded_reason=got["reason"],  # type: ignore[arg-type]
                )
            )
            started += max(length, 0) + draw(st.sampled_from((0, 0, 1, 2_000)))
    return Case(PlanLocation(1, timezone), first, days, approvals, playlists, records)


def _key(fact: PlayFact) -> tuple[object, ...]:
    return (
        fact.device_id,
        fact.started_at_ms // BUCKET_MS,
        fact.approval_id,
        fact.playlist_id,
        fact.entry_id,
        fact.asset_sha256,
        fact.status,
        fact.clock_verified,
        fact.excluded_reason,
    )


def summed(records: list[PlayFact]) -> list[PlayGroup]:
    """The records as the rollup sums them."""
    by_key: dict[tuple[object, ...], list[PlayFact]] = {}
    for fact in records:
        by_key.setdefault(_key(fact), []).append(fact)
    groups = []
    for facts in by_key.values():
        f = facts[0]
        lengths = [x.ended_at_ms - x.started_at_ms for x in facts]
        groups.append(
            PlayGroup(
                device_id=int(f.device_id),
                bucket=f.started_at_ms // BUCKET_MS,
                approval_id=f.approval_id,  # type: ignore[arg-type]
                playlist_id=f.playlist_id,  # type: ignore[arg-type]
                entry_id=f.entry_id,  # type: ignore[arg-type]
                asset_sha256=f.asset_sha256,
                status=f.status,
                clock_verified=f.clock_verified,
                excluded_reason=f.excluded_reason,
                plays=len(facts),
                duration_ms=sum(lengths),
                min_duration_ms=min(lengths),
                max_duration_ms=max(lengths),
                min_started_ms=min(x.started_at_ms for x in facts),
                max_started_ms=max(x.started_at_ms for x in facts),
                max_ended_ms=max(x.ended_at_ms for x in facts),
            )
        )
    return groups


def _reconcile(case: Case, records: list[PlayFact], groups: list[PlayGroup]) -> object:
    result = reconcile_location(
        LocationFacts(case.location, records, (), groups),
        approvals=case.approvals,
        blanks=(),
        playlists=case.playlists,
        first_day=case.first,
        last_day=case.first + timedelta(days=case.days - 1),
        campaign_ids={1},
    )
    return result.rows, sorted(u.record_id for u in result.unattributed)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_groups_judged_whole_give_the_figures_of_their_records(case: Case) -> None:
    groups = summed(case.records)
    refused = groups_needing_rows(
        case.location,
        groups,
        approvals=case.approvals,
        playlists=case.playlists,
        first_day=case.first,
        last_day=case.first + timedelta(days=case.days - 1),
        campaign_ids={1},
    )
    read = {(g.device_id, g.bucket) for g in refused}
    records = [f for f in case.records if (f.device_id, f.started_at_ms // BUCKET_MS) in read]
    whole = [g for g in groups if (g.device_id, g.bucket) not in read]
    assert _reconcile(case, records, whole) == _reconcile(case, case.records, [])


def test_a_run_of_plain_plays_stands_as_one_group_and_a_mixed_one_is_refused() -> None:
    zone = ZoneInfo("Asia/Dushanbe")
    first = date(2026, 6, 1)
    entry = ScheduleEntry(
        id=100,
        playlist_id=200,
        campaign_id=1,
        location_ids=frozenset({1}),
        dates=DateRange(first, first),
        window=DailyWindow(0, 24 * 60),
        priority=50,
        order=0,
    )
    approval = Approval(10, 1, datetime(2026, 5, 1, tzinfo=UTC), None, (entry,))
    playlists = {(10, 200): [PlaylistItem(300, ASSETS[0], 8_000)]}
    noon = int(datetime.combine(first, time(12), tzinfo=zone).timestamp() * 1000)

    def play(n: int, length: int = 8_000) -> PlayFact:
        start = noon + n * 8_000
        return PlayFact(
            f"r{n}", 1, n, start, start + length, "completed", None, ASSETS[0], 200, 100, 10, True
        )

    plain = summed([play(n) for n in range(50)])
    mixed = summed([play(0), play(1, 9_000)])
    location = PlanLocation(1, "Asia/Dushanbe")
    inputs = {"approvals": [approval], "playlists": playlists, "first_day": first}
    assert groups_needing_rows(location, plain, last_day=first, **inputs) == []  # type: ignore[arg-type]
    assert groups_needing_rows(location, mixed, last_day=first, **inputs) == mixed  # type: ignore[arg-type]
    with pytest.raises(NeedsRowsError):
        reconcile_location(
            LocationFacts(location, (), (), mixed),
            approvals=[approval],
            blanks=(),
            playlists=playlists,
            first_day=first,
            last_day=first,
        )
    (row,) = reconcile_location(
        LocationFacts(location, (), (), plain),
        approvals=[approval],
        blanks=(),
        playlists=playlists,
        first_day=first,
        last_day=first,
    ).rows
    assert (row.total.counted_plays, row.total.delivered_ms) == (50, 400_000)
