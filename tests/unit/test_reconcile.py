"""Planned versus actual, with figures worked out by hand (DESIGN.md "Planned versus actual")."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from signage.domain.errors import ValidationError
from signage.domain.plan_playback import PlaylistItem
from signage.domain.reconcile import (
    NOT_IN_PLAYLIST,
    DayReconciliation,
    LocationFacts,
    PlayFact,
    reconcile,
    reconcile_location,
)
from signage.domain.schedule import Approval, Blank, DateRange, PlanLocation, ScheduleEntry
from signage.domain.windows import DailyWindow

DAY1, DAY2 = date(2025, 10, 10), date(2025, 10, 11)
APPROVED = datetime(2025, 10, 1, tzinfo=UTC)
DUSHANBE = PlanLocation(1, "Asia/Dushanbe")  # UTC+05:00
KATHMANDU = PlanLocation(2, "Asia/Kathmandu")  # UTC+05:45
SHA_A, SHA_B = "a" * 64, "b" * 64
ITEM_A = PlaylistItem(301, SHA_A, 10_000)
ITEM_B = PlaylistItem(302, SHA_B, 20_000)
MORNING = DailyWindow(9 * 60, 13 * 60)


def at(location: PlanLocation, day: date, clock: str) -> datetime:
    """An aware instant from a location's local date and wall-clock `HH:MM[:SS]`."""
    parts = [int(part) for part in clock.split(":")] + [0]
    return datetime(
        day.year,
        day.month,
        day.day,
        parts[0],
        parts[1],
        parts[2],
        tzinfo=ZoneInfo(location.timezone),
    )


def ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def entry(
    number: int,
    *,
    campaign: int = 1,
    playlist: int = 201,
    window: DailyWindow = MORNING,
    locations: frozenset[int] = frozenset({1, 2}),
    first: date = DAY1,
    last: date = date(2025, 10, 20),
    priority: int = 50,
) -> ScheduleEntry:
    return ScheduleEntry(
        id=number,
        playlist_id=playlist,
        campaign_id=campaign,
        location_ids=locations,
        dates=DateRange(first, last),
        window=window,
        priority=priority,
        order=number,
    )


def fact(
    start: datetime,
    length_ms: int,
    *,
    item: PlaylistItem = ITEM_A,
    status: str = "completed",
    verified: bool = True,
    approval: int = 11,
    entry_id: int = 101,
    playlist: int = 201,
    excluded: str | None = None,
    seq: int = 1,
) -> PlayFact:
    started = ms(start)
    return PlayFact(
        id=str(uuid.uuid4()),
        device_id=1,
        seq=seq,
        started_at_ms=started,
        ended_at_ms=started + length_ms,
        status=status,
        reason=None if status == "completed" else "boundary",
        asset_sha256=item.asset_key,
        playlist_id=playlist,
        entry_id=entry_id,
        approval_id=approval,
        clock_verified=verified,
        excluded_reason=excluded,
    )


def played_as_planned(
    location: PlanLocation,
    day: date,
    stop: datetime | None = None,
    skip: tuple[datetime, datetime] | None = None,
) -> list[PlayFact]:
    """What a faithful player records from 09:00 local: a (10 s), b (20 s), a, b, ...

    Stops at 13:00 or at `stop`, recording the item running then as interrupted;
    plays nothing that would start inside `skip` (the screen was off).
    """
    end = min(at(location, day, "13:00"), stop or datetime.max.replace(tzinfo=UTC))
    cursor = at(location, day, "09:00")
    facts = []
    while cursor < end:
        for item in (ITEM_A, ITEM_B):
            if cursor >= end:
                break
            length = timedelta(milliseconds=item.duration_ms)
            if skip is None or not skip[0] <= cursor < skip[1]:
                cut = cursor + length > end
                facts.append(
                    fact(
                        cursor,
                        ms(min(cursor + length, end)) - ms(cursor),
                        item=item,
                        status="interrupted" if cut else "completed",
                        seq=len(facts) + 1,
                    )
                )
            cursor += length
    return facts


def row_of(
    rows: list[DayReconciliation], campaign: int, location: int, day: date
) -> DayReconciliation:
    [found] = [
        r for r in rows if (r.campaign_id, r.location_id, r.day) == (campaign, location, day)
    ]
    return found


def single(
    approvals: list[Approval],
    records: list[PlayFact],
    *,
    location: PlanLocation = DUSHANBE,
    day: date = DAY1,
    blanks: tuple[Blank, ...] = (),
    playlists: dict[tuple[int, int], list[PlaylistItem]] | None = None,
    campaign: int = 1,
) -> DayReconciliation:
    """The one row of `campaign` at `location` on `day`, the device online all the time."""
    result = reconcile_location(
        LocationFacts(location, records, [(APPROVED, APPROVED + timedelta(days=60))]),
        approvals=approvals,
        blanks=blanks,
        playlists=playlists or {(11, 201): [ITEM_A, ITEM_B]},
        first_day=day,
        last_day=day,
    )
    return row_of(list(result.rows), campaign, location.id, day)


# ---------------------------------------------------------------------------
# The case the issue asks for: two locations, two days, one outage, one withdrawal.
# ---------------------------------------------------------------------------
#
# Campaign 1 has one entry (101): playlist 201 = a (10 s) then b (20 s), a 30 s
# cycle, daily 09:00-13:00 local (4 h = 14 400 s = 480 cycles = 960 whole plays)
# at Dushanbe (UTC+5) and Kathmandu (UTC+5:45). It is withdrawn at
# 2025-10-11 06:00:15 UTC, which is 11:00:15 in Dushanbe and 11:45:15 in
# Kathmandu. The Kathmandu screen was dark (and silent) 10:00-10:30 on day 1.
WITHDRAWN_AT = datetime(2025, 10, 11, 6, 0, 15, tzinfo=UTC)


def test_two_locations_two_days_an_outage_and_a_withdrawal() -> None:
    approval = Approval(11, 1, APPROVED, WITHDRAWN_AT, (entry(101),))
    outage = (at(KATHMANDU, DAY1, "10:00"), at(KATHMANDU, DAY1, "10:30"))
    dushanbe = LocationFacts(
        DUSHANBE,
        played_as_planned(DUSHANBE, DAY1) + played_as_planned(DUSHANBE, DAY2, stop=WITHDRAWN_AT),
        [(APPROVED, APPROVED + timedelta(days=60))],
    )
    kathmandu = LocationFacts(
        KATHMANDU,
        played_as_planned(KATHMANDU, DAY1, skip=outage)
        + played_as_planned(KATHMANDU, DAY2, stop=WITHDRAWN_AT),
        [(APPROVED, outage[0]), (outage[1], APPROVED + timedelta(days=60))],
    )
    rows = reconcile(
        [dushanbe, kathmandu],
        approvals=[approval],
        blanks=[],
        playlists={(11, 201): [ITEM_A, ITEM_B]},
        first_day=DAY1,
        last_day=DAY2,
        withdrawn={11},
    )
    assert [(r.location_id, r.day) for r in rows] == [(1, DAY1), (1, DAY2), (2, DAY1), (2, DAY2)]

    # Dushanbe, day 1: everything planned ran. 4 h = 14 400 s; 480 cycles × 2 = 960 plays.
    d1 = row_of(rows, 1, 1, DAY1).total
    assert (d1.planned_ms, d1.planned_plays) == (14_400_000, 960)
    assert (d1.delivered_ms, d1.counted_plays) == (14_400_000, 960)
    assert (d1.withdrawn_ms, d1.blanked_ms, d1.offline_ms) == (0, 0, 0)
    assert d1.compliance_pct == 100.0
    assert d1.reasons() == ()

    # Dushanbe, day 2: planned 09:00:00-11:00:15 = 7 215 s. 11:00:00 is a cycle
    # start (7 200 s = 240 cycles, 480 plays); a runs whole 11:00:00-:10 (481st
    # play); b starts 11:00:10 and is cut at :15, so its 5 s are planned time but
    # not a planned play. Without the withdrawal: 14 400 s, so it took 7 185 s.
    # The player recorded the cut b as interrupted: delivered 7 200 + 10 = 7 210 s.
    d2 = row_of(rows, 1, 1, DAY2).total
    assert (d2.planned_ms, d2.planned_plays) == (7_215_000, 481)
    assert d2.withdrawn_ms == 7_185_000
    assert (d2.delivered_ms, d2.counted_plays) == (7_210_000, 481)
    assert (d2.interrupted_plays, d2.interrupted_ms) == (1, 5_000)
    assert d2.compliance_pct == round(100 * 7_210 / 7_215, 2)
    # Drill-down by creative: a = 241 × 10 s = 2 410 s planned (480 × 10 s = 4 800 s
    # without the withdrawal, so 2 390 s taken); b = 240 × 20 s + 5 s = 4 805 s
    # (9 600 s without, so 4 795 s taken).
    by_sha = {c.asset_sha256: c for c in row_of(rows, 1, 1, DAY2).creatives}
    assert (by_sha[SHA_A].tally.planned_ms, by_sha[SHA_A].tally.withdrawn_ms) == (
        2_410_000,
        2_390_000,
    )
    assert (by_sha[SHA_B].tally.planned_ms, by_sha[SHA_B].tally.withdrawn_ms) == (
        4_805_000,
        4_795_000,
    )
    assert (by_sha[SHA_A].creative_ids, by_sha[SHA_B].creative_ids) == ((301,), (302,))
    assert (by_sha[SHA_A].tally.planned_plays, by_sha[SHA_B].tally.planned_plays) == (241, 240)
    [by_entry] = row_of(rows, 1, 1, DAY2).entries
    assert (by_entry.entry_id, by_entry.tally) == (101, d2)

    # Kathmandu, day 1: 14 400 s planned, 1 800 s of it while offline (10:00-10:30,
    # 60 cycles = 120 plays unplayed): delivered 12 600 s in 840 plays.
    k1 = row_of(rows, 1, 2, DAY1).total
    assert (k1.planned_ms, k1.planned_plays) == (14_400_000, 960)
    assert k1.offline_ms == 1_800_000
    assert (k1.delivered_ms, k1.counted_plays) == (12_600_000, 840)
    assert k1.compliance_pct == 87.5
    assert k1.reasons() == ("device offline during 1800 s of planned time",)

    # Kathmandu, day 2: the withdrawal lands at 11:45:15 local. 09:00-11:45 is
    # 9 900 s = 330 cycles = 660 plays; a runs 11:45:00-:10 (661st); b is cut at
    # :15. Planned 9 915 s; taken 14 400 - 9 915 = 4 485 s; delivered 9 910 s.
    k2 = row_of(rows, 1, 2, DAY2).total
    assert (k2.planned_ms, k2.planned_plays) == (9_915_000, 661)
    assert k2.withdrawn_ms == 4_485_000
    assert (k2.delivered_ms, k2.counted_plays) == (9_910_000, 661)

    # Every row says where its local day lies in UTC.
    assert row_of(rows, 1, 1, DAY1).utc_start == datetime(2025, 10, 9, 19, 0, tzinfo=UTC)
    assert row_of(rows, 1, 1, DAY1).utc_end == datetime(2025, 10, 10, 19, 0, tzinfo=UTC)
    assert row_of(rows, 1, 2, DAY2).utc_start == datetime(2025, 10, 10, 18, 15, tzinfo=UTC)
    assert row_of(rows, 1, 2, DAY2).local_start == at(KATHMANDU, DAY2, "00:00")


# ---------------------------------------------------------------------------
# The counting rule
# ---------------------------------------------------------------------------


def test_a_play_counts_within_500_ms_of_its_expected_duration_and_not_beyond() -> None:
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    nine = at(DUSHANBE, DAY1, "09:00")
    lengths = [10_000, 10_499, 10_500, 10_501, 9_501, 9_500, 9_499]
    records = [fact(nine + timedelta(seconds=30 * n), length) for n, length in enumerate(lengths)]
    total = single([approval], records).total
    # Counted: 10 000, 10 499, 10 500, 9 501, 9 500 ms. Off: 10 501 (+501) and 9 499 (-501).
    assert total.counted_plays == 5
    assert total.off_duration_plays == 2
    assert total.delivered_ms == 10_000 + 10_499 + 10_500 + 9_501 + 9_500


def test_a_video_is_expected_to_last_its_asset_duration() -> None:
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    result = reconcile_location(
        LocationFacts(DUSHANBE, [fact(at(DUSHANBE, DAY1, "09:00"), 12_000)]),
        approvals=[approval],
        blanks=[],
        playlists={(11, 201): [ITEM_A, ITEM_B]},
        first_day=DAY1,
        last_day=DAY1,
        asset_durations_ms={SHA_A: 12_000},
    )
    assert result.rows[0].total.counted_plays == 1


def test_interrupted_and_failed_plays_are_not_counted_but_named() -> None:
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    nine = at(DUSHANBE, DAY1, "09:00")
    records = [
        fact(nine, 4_000, status="interrupted"),
        fact(nine + timedelta(seconds=30), 0, status="failed"),
        fact(nine + timedelta(seconds=60), 10_000, status="failed"),
    ]
    total = single([approval], records).total
    assert (total.counted_plays, total.delivered_ms) == (0, 0)
    assert (total.interrupted_plays, total.interrupted_ms, total.failed_plays) == (1, 4_000, 2)
    assert total.reasons() == ("2 failed plays", "1 interrupted plays (4 s)")


def test_clock_unverified_plays_count_and_are_marked() -> None:
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    nine = at(DUSHANBE, DAY1, "09:00")
    records = [fact(nine, 10_000), fact(nine + timedelta(seconds=30), 10_000, verified=False)]
    total = single([approval], records).total
    assert (total.counted_plays, total.delivered_ms) == (2, 20_000)
    assert (total.unverified_plays, total.unverified_ms) == (1, 10_000)
    assert "1 counted plays with an unverified clock" in total.reasons()


def test_implausible_and_unplanned_records_are_excluded_with_their_reason() -> None:
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    nine = at(DUSHANBE, DAY1, "09:00")
    stranger = PlaylistItem(999, "c" * 64, 10_000)
    records = [
        fact(nine, 10_000, excluded="longer than 24 h"),
        fact(nine + timedelta(seconds=30), 10_000, item=stranger),
    ]
    total = single([approval], records).total
    assert total.counted_plays == 0
    assert total.excluded_plays == 2
    assert dict(total.excluded_reasons) == {"longer than 24 h": 1, NOT_IN_PLAYLIST: 1}


def test_plays_after_a_withdrawal_are_shown_apart_and_not_delivered() -> None:
    # The screen was offline when the withdrawal came and played on.
    withdrawn = at(DUSHANBE, DAY1, "10:00")
    approval = Approval(11, 1, APPROVED, withdrawn, (entry(101),))
    records = [fact(at(DUSHANBE, DAY1, "09:59:30"), 10_000), fact(withdrawn, 10_000)]
    total = single([approval], records).total
    assert (total.counted_plays, total.delivered_ms) == (1, 10_000)
    assert (total.out_of_force_plays, total.out_of_force_ms) == (1, 10_000)


def test_records_naming_no_known_approval_are_reported_unattributed() -> None:
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    stray = fact(at(DUSHANBE, DAY1, "09:00"), 10_000, approval=77)
    result = reconcile_location(
        LocationFacts(DUSHANBE, [stray]),
        approvals=[approval],
        blanks=[],
        playlists={(11, 201): [ITEM_A, ITEM_B]},
        first_day=DAY1,
        last_day=DAY1,
    )
    assert [u.record_id for u in result.unattributed] == [stray.id]


# ---------------------------------------------------------------------------
# Time taken away, DST, sharing
# ---------------------------------------------------------------------------


def test_a_blank_takes_time_away_in_its_own_column() -> None:
    # 09:00-13:00 is 14 400 s; a blank 10:00-11:00 local takes 3 600 s of it.
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    blank = Blank(5, 1, at(DUSHANBE, DAY1, "10:00"), at(DUSHANBE, DAY1, "11:00"))
    row = single([approval], [], blanks=(blank,))
    assert row.total.planned_ms == 10_800_000
    assert (row.total.blanked_ms, row.total.withdrawn_ms) == (3_600_000, 0)
    assert row.total.taken_away_ms == 3_600_000
    # 09:00-10:00 and 11:00-13:00 are 120 + 240 whole cycles: 720 plays.
    assert row.total.planned_plays == 720


def test_a_blank_in_another_location_takes_nothing() -> None:
    approval = Approval(11, 1, APPROVED, None, (entry(101),))
    blank = Blank(5, 2, at(DUSHANBE, DAY1, "10:00"), at(DUSHANBE, DAY1, "11:00"))
    row = single([approval], [], blanks=(blank,))
    assert (row.total.planned_ms, row.total.blanked_ms) == (14_400_000, 0)


def test_a_superseded_approval_takes_nothing_away() -> None:
    # Superseded at 11:00 by approval 12 with the same entry: the plan goes on.
    first = Approval(11, 1, APPROVED, at(DUSHANBE, DAY1, "11:00"), (entry(101),))
    second = Approval(12, 1, at(DUSHANBE, DAY1, "11:00"), None, (entry(101),))
    playlists = {(11, 201): [ITEM_A, ITEM_B], (12, 201): [ITEM_A, ITEM_B]}
    row = single([first, second], [], playlists=playlists)
    assert (row.total.planned_ms, row.total.withdrawn_ms) == (14_400_000, 0)


@pytest.mark.parametrize(
    ("day", "hours", "utc_start"),
    [
        # Spring forward: 02:00 does not exist, the local day lasts 23 h.
        (date(2025, 3, 30), 23, datetime(2025, 3, 29, 23, 0, tzinfo=UTC)),
        # Fall back: 02:00-03:00 happens twice, the local day lasts 25 h.
        (date(2025, 10, 26), 25, datetime(2025, 10, 25, 22, 0, tzinfo=UTC)),
    ],
)
def test_a_dst_day_in_berlin_plans_its_real_length(
    day: date, hours: int, utc_start: datetime
) -> None:
    berlin = PlanLocation(3, "Europe/Berlin")
    all_day = entry(
        101,
        window=DailyWindow(0, 24 * 60),
        locations=frozenset({3}),
        first=day - timedelta(days=1),
        last=day + timedelta(days=1),
    )
    approval = Approval(11, 1, datetime(2025, 1, 1, tzinfo=UTC), None, (all_day,))
    minute = PlaylistItem(301, SHA_A, 60_000)
    row = single([approval], [], location=berlin, day=day, playlists={(11, 201): [minute]})
    assert row.length == timedelta(hours=hours)
    assert (row.utc_start, row.utc_end) == (utc_start, utc_start + timedelta(hours=hours))
    # Every second of the real day is planned; one 60 s play per minute.
    assert row.total.planned_ms == hours * 3_600_000
    assert row.total.planned_plays == hours * 60


def test_equal_priorities_share_the_time_between_two_campaigns() -> None:
    # Campaign 1 (entry 101, a: 10 s) and campaign 2 (entry 102, b: 20 s) share
    # 09:00-10:00 at priority 50: a 30 s cycle a, b; 120 cycles in the hour.
    # Campaign 1 gets 120 × 10 s = 1 200 s, campaign 2 gets 120 × 20 s = 2 400 s.
    one_hour = DailyWindow(9 * 60, 10 * 60)
    first = Approval(11, 1, APPROVED, None, (entry(101, window=one_hour),))
    second = Approval(
        12, 2, APPROVED, None, (entry(102, campaign=2, playlist=202, window=one_hour),)
    )
    playlists = {(11, 201): [ITEM_A], (12, 202): [ITEM_B]}
    one = single([first, second], [], playlists=playlists, campaign=1).total
    two = single([first, second], [], playlists=playlists, campaign=2).total
    assert (one.planned_ms, one.planned_plays) == (1_200_000, 120)
    assert (two.planned_ms, two.planned_plays) == (2_400_000, 120)


def test_withdrawing_one_of_two_sharing_campaigns_gives_the_other_its_time() -> None:
    # Campaign 2 is withdrawn at 09:30: campaign 1 plays alone for the second
    # half hour (1 800 s) after 60 shared cycles (600 s), 2 400 s in all; the
    # time campaign 1 gained is not "taken away" from anyone but campaign 2.
    one_hour = DailyWindow(9 * 60, 10 * 60)
    half = at(DUSHANBE, DAY1, "09:30")
    first = Approval(11, 1, APPROVED, None, (entry(101, window=one_hour),))
    second = Approval(
        12, 2, APPROVED, half, (entry(102, campaign=2, playlist=202, window=one_hour),)
    )
    playlists = {(11, 201): [ITEM_A], (12, 202): [ITEM_B]}
    result = reconcile_location(
        LocationFacts(DUSHANBE),
        approvals=[first, second],
        blanks=[],
        playlists=playlists,
        first_day=DAY1,
        last_day=DAY1,
        withdrawn={12},
    )
    one, two = (row.total for row in result.rows)
    assert (one.planned_ms, one.withdrawn_ms) == (2_400_000, 0)
    assert (two.planned_ms, two.withdrawn_ms) == (1_200_000, 1_200_000)


def test_a_play_across_midnight_splits_its_seconds_and_counts_on_its_first_day() -> None:
    # 23:59:50-00:00:10 with a 20 s item: 10 s on each day; the play is day 1's.
    late = DailyWindow(23 * 60 + 59, 1)
    approval = Approval(11, 1, APPROVED, None, (entry(101, window=late),))
    playlists = {(11, 201): [ITEM_B]}
    start = at(DUSHANBE, DAY1, "23:59:50")
    result = reconcile_location(
        LocationFacts(DUSHANBE, [fact(start, 20_000, item=ITEM_B)]),
        approvals=[approval],
        blanks=[],
        playlists=playlists,
        first_day=DAY1,
        last_day=DAY2,
    )
    rows = list(result.rows)
    # Day 1's window 23:59-00:01 runs 23:59:00-00:01:00: three whole 20 s plays
    # start 23:59:00, :20, :40 (60 s on day 1); then 00:00:00 and :20, :40 (60 s on day 2).
    day1, day2 = row_of(rows, 1, 1, DAY1).total, row_of(rows, 1, 1, DAY2).total
    assert (day1.planned_ms, day1.planned_plays) == (60_000, 3)
    # Day 2 also runs its own window from 23:59 to 24:00 (60 s, 3 plays) after 00:00-00:01.
    assert (day2.planned_ms, day2.planned_plays) == (120_000, 6)
    assert (day1.delivered_ms, day1.counted_plays) == (10_000, 1)
    assert (day2.delivered_ms, day2.counted_plays) == (10_000, 0)


def test_an_empty_range_is_refused() -> None:
    with pytest.raises(ValidationError):
        reconcile_location(
            LocationFacts(DUSHANBE),
            approvals=[],
            blanks=[],
            playlists={},
            first_day=DAY2,
            last_day=DAY1,
        )
