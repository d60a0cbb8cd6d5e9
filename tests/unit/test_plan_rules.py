"""The schedule rules of DESIGN.md, one named case each, as a user would check them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from signage.domain.errors import ValidationError
from signage.domain.plan import (
    MAX_LOOKBACK,
    ApprovalIndex,
    Segment,
    SegmentKind,
    horizon_for,
    next_change_after,
    plan_for,
    plans_for,
    segment_at,
)
from signage.domain.schedule import Approval, Blank, DateRange, PlanLocation, ScheduleEntry
from signage.domain.windows import DailyWindow, OperatingHours

LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)
DUSHANBE = "Asia/Dushanbe"
HOUR = timedelta(hours=1)


def local(zone: str, day: date, clock: str = "00:00", fold: int = 0) -> datetime:
    """An aware instant from a local date and wall-clock reading."""
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(zone), fold=fold)


def entry(
    number: int = 1,
    *,
    window: str = "10:00-12:00",
    first: date = date(2026, 5, 1),
    last: date | None = None,
    weekdays: Iterable[int] = range(7),
    priority: int = 50,
    campaign: int = 1,
    order: int | None = None,
    location_ids: Iterable[int] = (1,),
    tags: Iterable[str] = (),
) -> ScheduleEntry:
    """A schedule entry with defaults that keep each test short."""
    return ScheduleEntry(
        id=number,
        playlist_id=number,
        campaign_id=campaign,
        location_ids=frozenset(location_ids),
        tags=frozenset(tags),
        dates=DateRange(first, last or first),
        window=DailyWindow.parse(window),
        weekdays=frozenset(weekdays),
        priority=priority,
        order=number if order is None else order,
    )


def approve(
    *entries: ScheduleEntry,
    number: int = 1,
    start: datetime = LONG_AGO,
    until: datetime | None = None,
) -> Approval:
    """An approval of the given entries (all of one campaign)."""
    return Approval(number, entries[0].campaign_id, start, until, entries)


def shown(plan: list[Segment], zone: str) -> list[tuple[str, str, str, tuple[int, ...]]]:
    """The plan as local readings, kind and live entry ids, for readable assertions."""
    tz = ZoneInfo(zone)
    return [
        (
            segment.start.astimezone(tz).strftime("%m-%d %H:%M"),
            segment.end.astimezone(tz).strftime("%m-%d %H:%M"),
            str(segment.kind),
            tuple(item.entry.id for item in segment.live),
        )
        for segment in plan
    ]


def content(plan: list[Segment]) -> list[Segment]:
    """Only the segments that show something."""
    return [segment for segment in plan if segment.kind is SegmentKind.CONTENT]


def at_dushanbe(
    approvals: list[Approval],
    first: date,
    last: date,
    *,
    hours: OperatingHours | None = None,
    blanks: Iterable[Blank] = (),
    location_id: int = 1,
) -> list[Segment]:
    """The plan of a Dushanbe location over local dates first..last."""
    location = PlanLocation(location_id, DUSHANBE, hours or OperatingHours.always())
    start, end = local(DUSHANBE, first), local(DUSHANBE, last + timedelta(days=1))
    return plan_for(location, approvals, list(blanks), start, end)


def test_a_window_across_midnight_belongs_to_the_day_it_started() -> None:
    friday = date(2026, 5, 1)
    late = entry(window="22:00-02:00", first=friday, weekdays={friday.weekday()})
    plan = at_dushanbe([approve(late)], friday - timedelta(days=1), friday + timedelta(days=2))
    assert [s[:3] for s in shown(content(plan), DUSHANBE)] == [
        ("05-01 22:00", "05-02 02:00", "content")
    ]


@pytest.mark.parametrize(
    ("day", "expected_start", "expected_hours"),
    [
        (date(2026, 3, 29), datetime(2026, 3, 29, 0, tzinfo=UTC), 2),
        (date(2026, 10, 25), datetime(2026, 10, 24, 23, tzinfo=UTC), 4),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_berlin_dst_days_follow_the_wall_clock(
    day: date, expected_start: datetime, expected_hours: int
) -> None:
    location = PlanLocation(1, "Europe/Berlin")
    night = approve(entry(window="01:00-04:00", first=day))
    plan = plan_for(
        location, [night], [], local("Europe/Berlin", day), local("Europe/Berlin", day, "12:00")
    )
    [segment] = content(plan)
    assert segment.start == expected_start
    assert segment.duration == expected_hours * HOUR


def test_berlin_fall_back_plays_a_window_in_the_repeated_hour_twice() -> None:
    day = date(2026, 10, 25)
    location = PlanLocation(1, "Europe/Berlin")
    twice = approve(entry(window="02:15-02:45", first=day))
    plan = plan_for(
        location, [twice], [], local("Europe/Berlin", day), local("Europe/Berlin", day, "12:00")
    )
    assert [(s.start.time().isoformat(), s.duration) for s in content(plan)] == [
        ("00:15:00", timedelta(minutes=30)),
        ("01:15:00", timedelta(minutes=30)),
    ]


def test_berlin_spring_forward_skips_a_window_inside_the_missing_hour() -> None:
    day = date(2026, 3, 29)
    location = PlanLocation(1, "Europe/Berlin")
    never = approve(entry(window="02:15-02:45", first=day))
    plan = plan_for(
        location, [never], [], local("Europe/Berlin", day), local("Europe/Berlin", day, "12:00")
    )
    assert content(plan) == []


def test_kathmandu_quarter_hour_offset() -> None:
    day = date(2026, 5, 1)
    location = PlanLocation(1, "Asia/Kathmandu")
    morning = approve(entry(window="10:00-11:00", first=day))
    plan = plan_for(
        location, [morning], [], local("Asia/Kathmandu", day), local("Asia/Kathmandu", day, "23:00")
    )
    [segment] = content(plan)
    assert (segment.start, segment.end) == (
        datetime(2026, 5, 1, 4, 15, tzinfo=UTC),
        datetime(2026, 5, 1, 5, 15, tzinfo=UTC),
    )


def test_dushanbe_daytime_window_on_each_day_of_the_range() -> None:
    day = date(2026, 5, 1)
    daytime = approve(entry(window="08:00-20:00", first=day, last=day + timedelta(days=2)))
    plan = at_dushanbe([daytime], day, day + timedelta(days=3))
    assert [(s.start.hour, s.end.hour, s.start.day) for s in content(plan)] == [
        (3, 15, 1),
        (3, 15, 2),
        (3, 15, 3),
    ]


def test_equal_priorities_share_in_creation_order_and_outrank_lower_ones() -> None:
    day = date(2026, 5, 1)
    second = entry(1, window="10:00-12:00", priority=5, order=2)
    first = entry(2, window="11:00-13:00", priority=5, order=1)
    lower = entry(3, window="09:00-14:00", priority=3, order=0)
    plan = at_dushanbe([approve(second, first, lower)], day, day)
    assert [s[2:] for s in shown(plan, DUSHANBE)] == [
        ("nothing", ()),
        ("content", (3,)),
        ("content", (1,)),
        ("content", (2, 1)),
        ("content", (2,)),
        ("content", (3,)),
        ("nothing", ()),
    ]


def test_priority_zero_is_idle_content_within_operating_hours() -> None:
    day = date(2026, 5, 1)
    idle = entry(1, window="00:00-24:00", priority=0)
    campaign = entry(2, window="10:00-12:00", priority=5, campaign=2)
    hours = OperatingHours((DailyWindow.parse("08:00-22:00"),) * 7)
    plan = at_dushanbe([approve(idle), approve(campaign, number=2)], day, day, hours=hours)
    # The first (black) segment began long before the day: nothing was scheduled.
    assert plan[0].start < local(DUSHANBE, day)
    assert shown(plan, DUSHANBE)[1:] == [
        ("05-01 08:00", "05-01 10:00", "content", (1,)),
        ("05-01 10:00", "05-01 12:00", "content", (2,)),
        ("05-01 12:00", "05-01 22:00", "content", (1,)),
        ("05-01 22:00", "05-02 00:00", "closed", ()),
    ]


def test_an_unapproved_campaign_never_plays() -> None:
    day = date(2026, 5, 1)
    approved = approve(entry(1, window="08:00-09:00"))
    # Entry 2 exists only as a draft: no approval contains it.
    plan = at_dushanbe([approved], day, day)
    assert [s[3] for s in shown(content(plan), DUSHANBE)] == [(1,)]


def test_a_withdrawn_campaign_stops_at_the_withdrawal_instant() -> None:
    day = date(2026, 5, 1)
    withdrawn_at = local(DUSHANBE, day, "11:00")
    approval = approve(
        entry(window="10:00-12:00", last=day + timedelta(days=2)), until=withdrawn_at
    )
    plan = at_dushanbe([approval], day, day + timedelta(days=2))
    assert [s[:2] for s in shown(content(plan), DUSHANBE)] == [("05-01 10:00", "05-01 11:00")]


def test_operating_hours_clip_the_windows() -> None:
    day = date(2026, 5, 1)
    hours = OperatingHours((DailyWindow.parse("08:00-20:00"),) * 7)
    plan = at_dushanbe([approve(entry(window="00:00-24:00"))], day, day, hours=hours)
    assert [s[:2] for s in shown(content(plan), DUSHANBE)] == [("05-01 08:00", "05-01 20:00")]


def test_operating_hours_across_midnight_clip_the_next_morning() -> None:
    monday = date(2026, 5, 4)
    hours = OperatingHours((DailyWindow.parse("18:00-02:00"),) + (None,) * 6)
    all_day = approve(entry(window="00:00-24:00", first=monday, last=monday + timedelta(days=1)))
    plan = at_dushanbe([all_day], monday, monday + timedelta(days=1), hours=hours)
    assert [s[:2] for s in shown(content(plan), DUSHANBE)] == [("05-04 18:00", "05-05 02:00")]


def test_a_change_after_approval_takes_over_only_when_approved() -> None:
    day = date(2026, 5, 1)
    next_day = day + timedelta(days=1)
    reapproved = local(DUSHANBE, next_day, "09:00")
    old = approve(entry(window="10:00-12:00", last=next_day), until=reapproved)
    new = approve(entry(window="14:00-16:00", last=next_day), number=2, start=reapproved)
    plan = at_dushanbe([old, new], day, next_day)
    assert [(s[0], s[1]) for s in shown(content(plan), DUSHANBE)] == [
        ("05-01 10:00", "05-01 12:00"),
        ("05-02 14:00", "05-02 16:00"),
    ]
    assert [s.approval_ids for s in content(plan)] == [(1,), (2,)]
    # A rejected resubmission leaves the last approval in force.
    still = approve(entry(window="10:00-12:00", last=next_day))
    plan = at_dushanbe([still], day, next_day)
    assert [s[1][6:] for s in shown(content(plan), DUSHANBE)] == ["12:00", "12:00"]


def test_an_emergency_blank_for_one_location() -> None:
    day = date(2026, 5, 1)
    shared = approve(entry(window="10:00-12:00", location_ids=(1, 2), priority=100))
    blank = Blank(1, 1, local(DUSHANBE, day, "10:30"), local(DUSHANBE, day, "11:00"))
    blanked = at_dushanbe([shared], day, day, blanks=[blank])
    other = at_dushanbe([shared], day, day, blanks=[blank], location_id=2)
    assert [s[:3] for s in shown(blanked, DUSHANBE)][1:4] == [
        ("05-01 10:00", "05-01 10:30", "content"),
        ("05-01 10:30", "05-01 11:00", "blank"),
        ("05-01 11:00", "05-01 12:00", "content"),
    ]
    assert [s[:3] for s in shown(content(other), DUSHANBE)] == [
        ("05-01 10:00", "05-01 12:00", "content")
    ]


def test_an_emergency_blank_for_all_beats_everything_until_lifted() -> None:
    day = date(2026, 5, 1)
    shared = approve(entry(window="00:00-24:00", location_ids=(1, 2), priority=100))
    blank = Blank(7, None, local(DUSHANBE, day, "10:30"))
    dark = OperatingHours((None,) * 7)
    for location_id, hours in ((1, None), (2, dark)):
        plan = at_dushanbe([shared], day, day, blanks=[blank], hours=hours, location_id=location_id)
        assert shown(plan, DUSHANBE)[-1][:3] == ("05-01 10:30", "05-02 00:00", "blank")


def test_adjacent_days_merge_into_one_segment_across_midnight() -> None:
    day = date(2026, 5, 1)
    all_day = approve(entry(window="00:00-24:00", last=day + timedelta(days=2)))
    plan = at_dushanbe([all_day], day, day + timedelta(days=2))
    assert [s[:3] for s in shown(plan, DUSHANBE)] == [("05-01 00:00", "05-04 00:00", "content")]


def test_operating_hours_of_two_days_merge_across_midnight() -> None:
    monday = date(2026, 5, 4)
    afternoon, morning = DailyWindow.parse("12:00-24:00"), DailyWindow.parse("00:00-12:00")
    hours = OperatingHours((afternoon, morning) + (None,) * 5)
    all_day = approve(entry(window="00:00-24:00", first=monday, last=monday + timedelta(days=1)))
    plan = at_dushanbe([all_day], monday, monday + timedelta(days=1), hours=hours)
    assert [s[:2] for s in shown(content(plan), DUSHANBE)] == [("05-04 12:00", "05-05 12:00")]


@pytest.mark.parametrize(
    ("window", "asked", "expected"),
    [
        ("10:00-14:00", "12:00", "05-03 10:00"),
        ("20:00-10:00", "08:00", "05-02 20:00"),
        ("00:00-24:00", "08:00", "05-01 00:00"),
    ],
    ids=["same-day", "across-midnight", "days-before"],
)
def test_the_first_segment_keeps_its_true_start(window: str, asked: str, expected: str) -> None:
    day = date(2026, 5, 3)
    running = approve(entry(window=window, first=date(2026, 5, 1), last=day))
    location = PlanLocation(1, DUSHANBE)
    start = local(DUSHANBE, day, asked)
    plan = plan_for(location, [running], [], start, start + HOUR)
    assert len(plan) == 1
    assert plan[0].start.astimezone(ZoneInfo(DUSHANBE)).strftime("%m-%d %H:%M") == expected


def test_nothing_since_ever_starts_at_the_look_back_limit() -> None:
    start = local(DUSHANBE, date(2026, 5, 1), "08:00")
    [segment] = plan_for(PlanLocation(1, DUSHANBE), [], [], start, start + HOUR)
    assert segment.kind is SegmentKind.NOTHING
    assert segment.start == start - MAX_LOOKBACK


def test_when_to_look_again() -> None:
    day = date(2026, 5, 1)
    location = PlanLocation(1, DUSHANBE)
    approvals = [approve(entry(window="10:00-12:00"))]
    morning = local(DUSHANBE, day, "08:00")
    assert next_change_after(location, approvals, [], morning) == local(DUSHANBE, day, "10:00")
    in_window = local(DUSHANBE, day, "10:30")
    assert next_change_after(location, approvals, [], in_window) == local(DUSHANBE, day, "12:00")
    late = local(DUSHANBE, day, "13:00")
    assert next_change_after(location, approvals, [], late, HOUR) == late + HOUR


def test_segment_at_and_an_index_give_the_same_plans() -> None:
    day = date(2026, 5, 1)
    approvals = [approve(entry(1, tags={"centre"}), entry(2, window="11:00-15:00", priority=90))]
    locations = [
        PlanLocation(1, DUSHANBE),
        PlanLocation(5, "Asia/Kathmandu", tags=frozenset({"centre"})),
    ]
    start, end = local(DUSHANBE, day), local(DUSHANBE, day + timedelta(days=1))
    by_index = plans_for(locations, ApprovalIndex(approvals), [], start, end)
    for location in locations:
        assert by_index[location.id] == plan_for(location, approvals, [], start, end)
    found = segment_at(by_index[1], local(DUSHANBE, day, "11:30"))
    assert found is not None
    assert found.entries[0].id == 2
    assert found.priority == 90
    assert segment_at(by_index[1], end) is None


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: entry(priority=101), "priority"),
        (lambda: entry(priority=-1), "priority"),
        (lambda: entry(first=date(2026, 5, 2), last=date(2026, 5, 1)), "dates"),
        (lambda: entry(window="10:00-10:00"), "window"),
        (lambda: entry(weekdays=()), "weekdays"),
        (lambda: entry(weekdays={7}), "weekdays"),
        (lambda: entry(location_ids=()), "targets"),
        (lambda: approve(entry(), start=datetime(2026, 5, 1)), "start"),  # noqa: DTZ001
        (lambda: approve(entry(), until=LONG_AGO), "until"),
        (lambda: Blank(1, None, LONG_AGO, LONG_AGO - HOUR), "until"),
        (lambda: PlanLocation(1, "Mars/Olympus"), "timezone"),
        (
            lambda: plan_for(PlanLocation(1), [], [], LONG_AGO, LONG_AGO),
            "end",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_the_player_horizon_runs_from_local_midnight_for_seven_days() -> None:
    location = PlanLocation(1, "Asia/Kathmandu")
    start, end = horizon_for(location, datetime(2026, 5, 1, 20, tzinfo=UTC))
    assert start == local("Asia/Kathmandu", date(2026, 5, 2))
    assert end - start == timedelta(days=7)
