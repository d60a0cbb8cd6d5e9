"""Properties of the plan engine against an independent minute-by-minute oracle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from signage.domain.plan import (
    MAX_LOOKBACK,
    ApprovalIndex,
    Segment,
    SegmentKind,
    plan_for,
    segment_at,
)
from signage.domain.schedule import Approval, Blank, DateRange, PlanLocation, ScheduleEntry
from signage.domain.windows import DailyWindow, OperatingHours

ZONES = ["Europe/Berlin", "Asia/Kathmandu", "Asia/Dushanbe", "America/New_York"]
# DST days of Berlin and New York, and an ordinary one.
BASE_DAYS = [date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1)]
BASE_DAYS.append(date(2026, 6, 15))
MICROSECOND = timedelta(microseconds=1)
LOCATION_ID = 1
TAG = "centre"

State = tuple[str, frozenset[tuple[int, int]]]


# --- the oracle: reads each instant straight through zoneinfo ---------------


def _reading_seconds(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def _window_covers(window: DailyWindow | None, started: date, day: date, reading: float) -> bool:
    if window is None:
        return False
    start, end = window.start * 60, window.end * 60
    if window.end > window.start:
        return started == day and start <= reading < end
    if started == day:
        return reading >= start
    return started == day - timedelta(days=1) and reading < end


def oracle_state(
    location: PlanLocation, approvals: list[Approval], blanks: list[Blank], at: datetime
) -> State:
    """What the rules say the location shows at `at`, computed the slow, direct way."""
    for blank in blanks:
        in_force = blank.start <= at and (blank.until is None or at < blank.until)
        if in_force and blank.location_id in (None, location.id):
            return ("blank", frozenset())
    local = at.astimezone(ZoneInfo(location.timezone))
    day, reading = local.date(), _reading_seconds(local)
    candidates = (day, day - timedelta(days=1))
    is_open = any(
        _window_covers(location.hours.days[d.weekday()], d, day, reading) for d in candidates
    )
    live: list[tuple[int, int, int]] = []
    for approval in approvals:
        if not (approval.start <= at and (approval.until is None or at < approval.until)):
            continue
        for entry in approval.entries:
            targeted = location.id in entry.location_ids or bool(entry.tags & location.tags)
            if targeted and any(
                entry.dates.first <= d <= entry.dates.last
                and d.weekday() in entry.weekdays
                and _window_covers(entry.window, d, day, reading)
                for d in candidates
            ):
                live.append((entry.priority, approval.id, entry.id))
    if not is_open:
        return ("closed", frozenset())
    if not live:
        return ("nothing", frozenset())
    best = max(priority for priority, _, _ in live)
    return ("content", frozenset((a, e) for p, a, e in live if p == best))


def engine_state(segment: Segment) -> State:
    """The same shape of state, read from an engine segment."""
    return (str(segment.kind), frozenset((x.approval_id, x.entry.id) for x in segment.live))


# --- strategies -------------------------------------------------------------

minutes = st.integers(0, 47).map(lambda half_hours: half_hours * 30) | st.integers(0, 1439)


@st.composite
def windows(draw: st.DrawFn) -> DailyWindow:
    """A daily window on half hours (DST edges) or any minute; may cross midnight."""
    start = draw(minutes)
    end = draw(minutes) or 1440
    return DailyWindow(start, end if end != start else (start + 30) % 1440 or 1440)


@st.composite
def hours(draw: st.DrawFn) -> OperatingHours:
    """Always open, or a random window (or dark) per weekday."""
    if not draw(st.booleans()):
        return OperatingHours.always()
    day = st.sampled_from(["lit", "lit", "lit", "dark"]).flatmap(
        lambda kind: windows() if kind == "lit" else st.none()
    )
    return OperatingHours(tuple(draw(day) for _ in range(7)))


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[PlanLocation, list[Approval], list[Blank], datetime, datetime]:
    """A location, approvals of a few entries, maybe a blank, and a span near a DST day."""
    base = draw(st.sampled_from(BASE_DAYS))
    base_at = datetime(base.year, base.month, base.day, tzinfo=UTC)
    location = PlanLocation(
        LOCATION_ID, draw(st.sampled_from(ZONES)), draw(hours()), frozenset({TAG, "x"})
    )
    start = base_at + timedelta(
        minutes=draw(st.integers(-1440, 1440)), seconds=draw(st.integers(0, 59))
    )
    length = draw(st.integers(1440, 2 * 1440) | st.integers(1, 1440))
    end = start + timedelta(minutes=length)
    entry_count = draw(st.integers(1, 5))
    entries = []
    for number in range(1, entry_count + 1):
        first = start.date() + timedelta(days=draw(st.integers(-2, 0)))
        target = draw(st.sampled_from(["id", "tag", "both"] * 2 + ["other"]))
        entries.append(
            ScheduleEntry(
                id=number,
                playlist_id=number,
                campaign_id=draw(st.integers(1, 2)),
                location_ids=frozenset({LOCATION_ID if target in ("id", "both") else 2}),
                tags=frozenset({TAG}) if target in ("tag", "both") else frozenset(),
                dates=DateRange(first, first + timedelta(days=draw(st.integers(1, 4)))),
                window=draw(windows()),
                weekdays=frozenset(draw(st.sets(st.integers(0, 6), min_size=4))),
                priority=draw(st.sampled_from([0, 1, 2, 2, 5])),
                order=draw(st.integers(0, 3)),
            )
        )
    approvals = []
    approval_id = 0
    for campaign in (1, 2):
        own = tuple(e for e in entries if e.campaign_id == campaign)
        # Most approvals came into force before the span, some during it.
        offset = draw(st.integers(-3 * 1440, -1) | st.integers(0, length))
        approved = start + timedelta(minutes=offset)
        for _ in range(draw(st.sampled_from([1, 2, 1, 0]))):
            approval_id += 1
            kept = tuple(e for e in own if draw(st.integers(0, 3)) < 3)
            until = None
            if draw(st.integers(0, 2)) == 2:
                until = approved + timedelta(minutes=draw(st.integers(1, 4 * 1440)))
            approvals.append(Approval(approval_id, campaign, approved, until, kept))
            # The next approval of the campaign supersedes this one.
            approved = until if until is not None else approved + timedelta(days=1)
    blanks = []
    if draw(st.integers(0, 3)) == 3:
        blank_start = start + timedelta(minutes=draw(st.integers(-1440, length)))
        blank_until = None
        if draw(st.booleans()):
            blank_until = blank_start + timedelta(minutes=draw(st.integers(1, 1440)))
        where = draw(st.sampled_from([None, LOCATION_ID, 2]))
        blanks.append(Blank(1, where, blank_start, blank_until))
    return location, approvals, blanks, start, end


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_segments_cover_the_span_without_overlap_and_are_maximal(
    scenario: tuple[PlanLocation, list[Approval], list[Blank], datetime, datetime],
) -> None:
    location, approvals, blanks, start, end = scenario
    plan = plan_for(location, approvals, blanks, start, end)
    assert plan[0].start <= start < plan[0].end
    assert plan[-1].end == end
    for earlier, later in pairwise(plan):
        assert earlier.start < earlier.end == later.start < later.end
        assert engine_state(earlier) != engine_state(later)
    for segment in plan:
        assert segment.start.utcoffset() == timedelta(0)
        order = [(x.entry.order, x.entry.id, x.approval_id) for x in segment.live]
        assert order == sorted(order)
        assert (segment.kind is SegmentKind.CONTENT) == bool(segment.live)


@SETTINGS
@given(scenarios())
def test_every_minute_of_the_span_matches_the_oracle(
    scenario: tuple[PlanLocation, list[Approval], list[Blank], datetime, datetime],
) -> None:
    location, approvals, blanks, start, end = scenario
    plan = plan_for(location, approvals, blanks, start, end)
    event(f"content in {sum(s.kind == 'content' for s in plan) * 10 // len(plan)}0% of segments")
    event(f"first segment {plan[0].kind}")
    at = start
    while at < end:
        segment = segment_at(plan, at)
        assert segment is not None
        assert engine_state(segment) == oracle_state(location, approvals, blanks, at), at
        at += timedelta(minutes=1)
    # Each boundary is exact: the state changes at it, not a microsecond off.
    for earlier, later in pairwise(plan):
        before = oracle_state(location, approvals, blanks, later.start - MICROSECOND)
        assert engine_state(earlier) == before
        assert engine_state(later) == oracle_state(location, approvals, blanks, later.start)


@SETTINGS
@given(scenarios())
def test_the_first_segment_keeps_its_true_start(
    scenario: tuple[PlanLocation, list[Approval], list[Blank], datetime, datetime],
) -> None:
    location, approvals, blanks, start, end = scenario
    first = plan_for(location, approvals, blanks, start, end)[0]
    expected = engine_state(first)
    steps = 40
    for step in range(steps + 1):
        at = first.start + (start - first.start) * step / steps
        assert oracle_state(location, approvals, blanks, at) == expected, at
    if first.start != start - MAX_LOOKBACK:
        before = oracle_state(location, approvals, blanks, first.start - MICROSECOND)
        assert before != expected


@SETTINGS
@given(scenarios(), st.integers(1, 2 * 1440))
def test_splitting_the_span_changes_nothing(
    scenario: tuple[PlanLocation, list[Approval], list[Blank], datetime, datetime],
    split_minutes: int,
) -> None:
    location, approvals, blanks, start, end = scenario
    middle = min(start + timedelta(minutes=split_minutes), end - MICROSECOND)
    whole = plan_for(location, ApprovalIndex(approvals), blanks, start, end)
    tail = plan_for(location, approvals, blanks, middle, end)
    containing = segment_at(whole, middle)
    assert containing is not None
    if tail[0].start == middle - MAX_LOOKBACK:
        # Both reach the look-back limit; each reports its own.
        assert containing.start <= start - MAX_LOOKBACK + (middle - start)
        tail[0] = Segment(containing.start, tail[0].end, tail[0].kind, tail[0].live)
    assert tail[0] == containing
    assert tail[1:] == whole[whole.index(containing) + 1 :]
