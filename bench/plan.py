"""Benchmark of the plan engine on a fixed synthetic city.

Run: `.venv/bin/python bench/plan.py`. The last line is `plan_all_seconds: X`
(every location's 7-day plan, median of the runs).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from signage.domain import plan_clock
from signage.domain.plan import ApprovalIndex, Segment, plan_for
from signage.domain.schedule import Approval, Blank, DateRange, PlanLocation, ScheduleEntry
from signage.domain.windows import DailyWindow, OperatingHours

SEED = 20260329
LOCATIONS = 10_000
TAGS = 50
ENTRIES = 1_000
APPROVALS = 8
ZONES = ("Asia/Dushanbe", "Europe/Berlin", "Asia/Kathmandu", "America/New_York", "UTC")
FIRST_DAY = date(2026, 3, 16)
DAYS = 30
# The 7-day span covers Europe/Berlin's spring-forward day (2026-03-29).
SPAN_START = datetime(2026, 3, 25, tzinfo=UTC)
SPAN = timedelta(days=7)
RUNS_ALL = 3
RUNS_ONE = 25


def _hours(rng: random.Random) -> OperatingHours:
    pick = rng.random()
    if pick < 0.5:
        return OperatingHours.always()
    if pick < 0.8:
        return OperatingHours((DailyWindow(6 * 60, 23 * 60),) * 7)
    # Late-night sites: open across midnight, dark on Sundays.
    return OperatingHours((DailyWindow(16 * 60, 2 * 60),) * 6 + (None,))


def _window(rng: random.Random) -> DailyWindow:
    if rng.random() < 0.1:
        return DailyWindow(0, 24 * 60)
    start = rng.randrange(0, 24 * 4) * 15
    length = rng.randrange(1, 12 * 4) * 15
    end = (start + length) % (24 * 60)
    return DailyWindow(start, end or 24 * 60)


def build_city() -> tuple[list[PlanLocation], list[Approval], list[Blank]]:
    """The fixed synthetic city: locations, approvals of entries, one blank."""
    rng = random.Random(SEED)
    tags = [f"tag{n:02d}" for n in range(TAGS)]
    locations = [
        PlanLocation(
            id=n,
            timezone=ZONES[n % len(ZONES)],
            hours=_hours(rng),
            tags=frozenset(rng.sample(tags, 3)),
        )
        for n in range(1, LOCATIONS + 1)
    ]
    by_campaign: dict[int, list[ScheduleEntry]] = {n: [] for n in range(1, APPROVALS + 1)}
    for n in range(1, ENTRIES + 1):
        campaign = rng.randrange(1, APPROVALS + 1)
        first = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        last = min(first + timedelta(days=rng.randrange(1, 15)), FIRST_DAY + timedelta(DAYS - 1))
        by_tag = rng.random() < 0.4
        by_campaign[campaign].append(
            ScheduleEntry(
                id=n,
                playlist_id=rng.randrange(1, 200),
                campaign_id=campaign,
                tags=frozenset({rng.choice(tags)}) if by_tag else frozenset(),
                location_ids=frozenset()
                if by_tag
                else frozenset(rng.sample(range(1, LOCATIONS + 1), rng.randint(1, 5))),
                dates=DateRange(first, last),
                window=_window(rng),
                weekdays=frozenset(rng.sample(range(7), rng.randint(3, 7))),
                priority=rng.randint(1, 10),
                order=n,
            )
        )
    base = datetime(2026, 3, 1, tzinfo=UTC)
    approvals = [
        Approval(
            id=campaign,
            campaign_id=campaign,
            start=base + timedelta(days=rng.randrange(0, 20), minutes=rng.randrange(1440)),
            # One campaign withdrawn mid-span, to put approval edges into plans.
            until=datetime(2026, 3, 28, 15, 7, tzinfo=UTC) if campaign == 1 else None,
            entries=tuple(entries),
        )
        for campaign, entries in by_campaign.items()
    ]
    blanks = [Blank(1, 42, datetime(2026, 3, 27, 9, tzinfo=UTC), None)]
    return locations, approvals, blanks


def _plan_all(
    locations: list[PlanLocation], approvals: list[Approval], blanks: list[Blank]
) -> list[list[Segment]]:
    index = ApprovalIndex(approvals)
    end = SPAN_START + SPAN
    return [plan_for(location, index, blanks, SPAN_START, end) for location in locations]


def _clear_caches() -> None:
    plan_clock.instants_for_wall.cache_clear()
    plan_clock.offset_pieces.cache_clear()
    plan_clock._changes_on_utc_day.cache_clear()


def main() -> None:
    """Build the city, time the plans, print the figures."""
    locations, approvals, blanks = build_city()
    by_tag = sum(1 for a in approvals for e in a.entries if e.tags)
    print(
        f"workload: {len(locations)} locations in {len(ZONES)} zones ({', '.join(ZONES)}), "
        f"{TAGS} tags (3 each); {ENTRIES} entries over {DAYS} days from {FIRST_DAY} "
        f"({by_tag} by tag, {ENTRIES - by_tag} by 1-5 locations), {len(approvals)} approvals, "
        f"{len(blanks)} blank; span {SPAN.days} days from {SPAN_START:%Y-%m-%d %H:%M}Z"
    )
    print(f"python {sys.version.split()[0]}, seed {SEED}")
    all_times, all_cpu = [], []
    plans: list[list[Segment]] = []
    for _ in range(RUNS_ALL):
        began, began_cpu = time.perf_counter(), time.process_time()
        plans = _plan_all(locations, approvals, blanks)
        all_times.append(time.perf_counter() - began)
        all_cpu.append(time.process_time() - began_cpu)
    segments = sum(len(plan) for plan in plans)
    content = sum(1 for plan in plans for s in plan if s.kind == "content")
    print(
        f"plan all: {segments} segments ({content} with content); "
        f"wall {', '.join(f'{t:.2f}' for t in all_times)} s; "
        f"cpu {', '.join(f'{t:.2f}' for t in all_cpu)} s"
    )
    end = SPAN_START + SPAN
    for label, cold in (("warm caches", False), ("cold caches", True)):
        one_times = []
        for run in range(RUNS_ONE):
            location = locations[(run * 397) % len(locations)]
            if cold:
                _clear_caches()
            began = time.perf_counter()
            plan_for(location, approvals, blanks, SPAN_START, end)
            one_times.append(time.perf_counter() - began)
        one = statistics.median(one_times)
        print(
            f"plan one, from the plain approval list, {label}: "
            f"{one * 1000:.2f} ms (median of {RUNS_ONE})"
        )
    print(f"plan_all_seconds: {statistics.median(all_times):.2f}")


if __name__ == "__main__":
    main()
