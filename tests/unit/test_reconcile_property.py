"""The arithmetic reconciliation agrees with a straightforward walk of every planned play.

The reference below enumerates each planned play with `plays_between` (and each
record one by one), as the first version of `reconcile` did; the product counts
per segment by arithmetic. Random small plans, blanks, withdrawals, outages and
records must give the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from signage.domain.plan import SegmentKind, plan_for
from signage.domain.plan_clock import from_ticks, to_ticks
from signage.domain.plan_playback import PlaylistItem, Playlists, plays_between
from signage.domain.play_ids import ID_REASONS, PlanIds, reason_code, unresolved_ids
from signage.domain.playlog import COUNT_TOLERANCE_MS
from signage.domain.reconcile import LocationFacts, PlayFact, reconcile_location
from signage.domain.reconcile_tally import Accumulator, Tally, complement, merged
from signage.domain.reconcile_types import NOT_IN_PLAYLIST
from signage.domain.schedule import Approval, Blank, DateRange, PlanLocation, ScheduleEntry
from signage.domain.windows import DailyWindow

APPROVED = datetime(2025, 3, 1, tzinfo=UTC)
FIRST = date(2025, 3, 29)  # Berlin springs forward on 2025-03-30
ZONES = ("Asia/Dushanbe", "Europe/Berlin", "Asia/Kathmandu")
ASSETS = ("a" * 64, "b" * 64, "c" * 64)

Cells = dict[
    tuple[int, int],
    tuple[
        Accumulator, dict[object, Accumulator], dict[object, Accumulator], dict[object, set[int]]
    ],
]


def _reference(
    location: PlanLocation,
    approvals: Sequence[Approval],
    blanks: Sequence[Blank],
    playlists: Playlists,
    withdrawn: set[int],
    online: Sequence[tuple[datetime, datetime]],
    records: Sequence[PlayFact],
    days: int,
) -> dict[
    tuple[int, date], tuple[Tally, dict[object, Tally], dict[object, tuple[tuple[int, ...], Tally]]]
]:
    zone = ZoneInfo(location.timezone)
    grid = [
        (
            FIRST + timedelta(days=n),
            to_ticks(datetime.combine(FIRST + timedelta(days=n), time(0), tzinfo=zone)),
            to_ticks(datetime.combine(FIRST + timedelta(days=n + 1), time(0), tzinfo=zone)),
        )
        for n in range(days)
    ]
    low, high = grid[0][1], grid[-1][2]
    offline = complement(merged([(to_ticks(a), to_ticks(b)) for a, b in online]), low, high)
    cells: Cells = {}

    def cell(
        campaign: int, day: int, entry: object, asset: object, creative: int | None
    ) -> list[Accumulator]:
        total, entries, creatives, ids = cells.setdefault(
            (campaign, day), (Accumulator(), {}, {}, {})
        )
        ids.setdefault(asset, set())
        if creative is not None:
            ids[asset].add(creative)
        return [
            total,
            entries.setdefault(entry, Accumulator()),
            creatives.setdefault(asset, Accumulator()),
        ]

    def parts(a: int, b: int) -> list[tuple[int, int, int]]:
        return [
            (n, max(a, lo), min(b, hi))
            for n, (_, lo, hi) in enumerate(grid)
            if min(b, hi) > max(a, lo)
        ]

    def day_of(ticks: int) -> int | None:
        found = [n for n, (_, lo, hi) in enumerate(grid) if lo <= ticks < hi]
        return found[0] if found else None

    undone = [
        Approval(a.id, a.campaign_id, a.start, None, a.entries) if a.id in withdrawn else a
        for a in approvals
    ]
    for scenario, plan_approvals, plan_blanks in (
        ("planned", approvals, blanks),
        ("without_blanks", approvals, ()),
        ("without_withdrawals", undone, ()),
    ):
        start, end = from_ticks(low), from_ticks(high)
        for segment in plan_for(location, plan_approvals, plan_blanks, start, end):
            if segment.kind is not SegmentKind.CONTENT:
                continue
            for play in plays_between(segment, playlists, start, end):
                entry = play.live.entry
                a, b = to_ticks(play.start), to_ticks(play.end)
                for day, part_low, part_high in parts(a, b):
                    off = sum(max(0, min(oh, part_high) - max(ol, part_low)) for ol, oh in offline)
                    for acc in cell(
                        entry.campaign_id, day, entry.id, play.item.asset_key, play.item.creative_id
                    ):
                        setattr(acc, scenario, getattr(acc, scenario) + part_high - part_low)
                        if scenario == "planned":
                            acc.offline += off
                start_day = day_of(a)
                if scenario == "planned" and not play.cut and start_day is not None:
                    for acc in cell(
                        entry.campaign_id, start_day, entry.id, play.item.asset_key, None
                    ):
                        acc.planned_plays += 1

    by_id: dict[object, Approval] = {a.id: a for a in approvals}
    for record in records:
        a, b = record.started_at_ms * 1000, record.ended_at_ms * 1000
        start_day = day_of(a)
        approval = by_id.get(record.approval_id) if record.approval_id is not None else None
        if approval is None or (start_day is None and not parts(a, b)):
            continue
        expected = None
        for item in playlists.get((approval.id, int(record.playlist_id or 0)), ()):
            if item.asset_key == record.asset_sha256:
                expected = item.duration_ms
        campaign = approval.campaign_id

        def on_start(
            campaign: int = campaign, record: PlayFact = record, start_day: int | None = start_day
        ) -> list[Accumulator]:
            if start_day is None:
                return []
            return cell(campaign, start_day, record.entry_id, record.asset_sha256, None)

        reason = record.excluded_reason or (NOT_IN_PLAYLIST if expected is None else None)
        if reason is not None:
            for acc in on_start():
                acc.excluded[reason] += 1
            continue
        assert expected is not None
        in_force = approval.in_force_at(from_ticks(a))
        counted = abs(record.ended_at_ms - record.started_at_ms - expected) <= COUNT_TOLERANCE_MS
        if record.status == "failed":
            for acc in on_start():
                acc.failed_plays += 1
        elif record.status == "interrupted":
            for acc in on_start():
                acc.interrupted_plays += 1
            for day, part_low, part_high in parts(a, b):
                for acc in cell(campaign, day, record.entry_id, record.asset_sha256, None):
                    acc.interrupted += part_high - part_low
        elif not counted:
            for acc in on_start():
                acc.off_duration_plays += 1
        else:
            for acc in on_start():
                if in_force:
                    acc.counted_plays += 1
                    acc.unverified_plays += not record.clock_verified
                else:
                    acc.out_of_force_plays += 1
            for day, part_low, part_high in parts(a, b):
                for acc in cell(campaign, day, record.entry_id, record.asset_sha256, None):
                    if in_force:
                        acc.delivered += part_high - part_low
                        if not record.clock_verified:
                            acc.unverified += part_high - part_low
                    else:
                        acc.out_of_force += part_high - part_low

    result = {}
    for (campaign, day), (total, entries, creatives, ids) in cells.items():
        if total.empty:
            continue
        result[(campaign, grid[day][0])] = (
            total.freeze(),
            {k: v.freeze() for k, v in entries.items() if not v.empty},
            {k: (tuple(sorted(ids[k])), v.freeze()) for k, v in creatives.items() if not v.empty},
        )
    return result


class Case(NamedTuple):
    location: PlanLocation
    approvals: list[Approval]
    blanks: list[Blank]
    playlists: dict[tuple[int, int], list[PlaylistItem]]
    withdrawn: set[int]
    online: list[tuple[datetime, datetime]]
    records: list[PlayFact]
    days: int


@st.composite
def cases(draw: st.DrawFn) -> Case:
    timezone = draw(st.sampled_from(ZONES))
    location = PlanLocation(1, timezone)
    zone = ZoneInfo(timezone)
    days = draw(st.integers(1, 2))
    entries = []
    playlists: dict[tuple[int, int], list[PlaylistItem]] = {}
    approvals = []
    for number in range(draw(st.integers(1, 3))):
        campaign = draw(st.integers(1, 2))
        begin = draw(st.integers(0, 23 * 60 - 1))
        finish = draw(st.integers(begin + 1, 24 * 60))
        entry = ScheduleEntry(
            id=100 + number,
            playlist_id=200 + number,
            campaign_id=campaign,
            location_ids=frozenset({1}),
            dates=DateRange(FIRST, FIRST + timedelta(days=5)),
            window=DailyWindow(begin, finish),
            priority=draw(st.sampled_from((40, 50))),
            order=number,
        )
        entries.append(entry)
        approval_id = 10 + number
        start = APPROVED
        if draw(st.booleans()):
            start = datetime.combine(FIRST, time(0), tzinfo=zone) + timedelta(
                seconds=draw(st.integers(0, days * 86_400))
            )
        until = None
        if draw(st.booleans()):
            until = start + timedelta(
                seconds=draw(st.integers(1, days * 86_400)), milliseconds=draw(st.integers(0, 999))
            )
        approvals.append(Approval(approval_id, campaign, start, until, (entry,)))
        playlists[(approval_id, entry.playlist_id)] = [
            PlaylistItem(300 + n, draw(st.sampled_from(ASSETS)), draw(st.integers(4_000, 120_000)))
            for n in range(draw(st.integers(1, 3)))
        ]
    withdrawn = {a.id for a in approvals if a.until is not None and draw(st.booleans())}
    midnight = datetime.combine(FIRST, time(0), tzinfo=zone)
    blanks = []
    if draw(st.booleans()):
        blank_start = midnight + timedelta(seconds=draw(st.integers(0, days * 86_400)))
        blanks.append(
            Blank(
                1,
                draw(st.sampled_from((1, None, 2))),
                blank_start,
                blank_start + timedelta(seconds=draw(st.integers(1, 20_000))),
            )
        )
    online = []
    for _ in range(draw(st.integers(0, 3))):
        on = midnight + timedelta(seconds=draw(st.integers(-3_600, days * 86_400)))
        online.append((on, on + timedelta(seconds=draw(st.integers(1, 40_000)))))
    records = []
    # What ingest knows of the device's plans: the note of a record whose ids are not theirs.
    given = PlanIds(
        location.id, {a.id: {e.id: e.playlist_id for e in a.entries} for a in approvals}
    )
    for seq in range(draw(st.integers(0, 12))):
        approval = draw(st.sampled_from(approvals))
        items = playlists[(approval.id, approval.entries[0].playlist_id)]
        item = draw(st.sampled_from(items))
        started = to_ticks(midnight) // 1000 + draw(st.integers(-60_000, days * 86_400_000))
        length = max(0, item.duration_ms + draw(st.sampled_from((0, 0, 400, -700, 90_000))))
        sent: dict[str, object] = {
            "device_id": 1,
            "location_id": location.id,
            "approval_id": draw(st.sampled_from((approval.id, approval.id, 99))),
            "entry_id": approval.entries[0].id,
            "playlist_id": approval.entries[0].playlist_id,
        }
        # Ids that are not the plan's: as text, another entry or playlist, another screen.
        wrong = draw(st.sampled_from((None, None, None, "text", "entry", "playlist", "location")))
        if wrong == "text":
            sent = {name: str(value) for name, value in sent.items()}
        elif wrong is not None:
            sent[f"{wrong}_id"] = 1000 + int(str(sent[f"{wrong}_id"]))
        records.append(
            PlayFact(
                id=f"r{seq}",
                device_id=sent["device_id"],  # type: ignore[arg-type]
                seq=seq,
                started_at_ms=started,
                ended_at_ms=started + length,
                status=draw(st.sampled_from(("completed", "completed", "interrupted", "failed"))),
                reason=None,
                asset_sha256=draw(st.sampled_from((item.asset_key, item.asset_key, "d" * 64))),
                playlist_id=sent["playlist_id"],  # type: ignore[arg-type]
                entry_id=sent["entry_id"],  # type: ignore[arg-type]
                approval_id=sent["approval_id"],  # type: ignore[arg-type]
                clock_verified=draw(st.booleans()),
                excluded_reason=unresolved_ids(sent, given)
                or draw(st.sampled_from((None, None, None, "implausible"))),
            )
        )
    return Case(location, approvals, blanks, playlists, withdrawn, online, records, days)


@settings(max_examples=50, deadline=None)
@given(cases())
def test_the_arithmetic_agrees_with_walking_every_play(case: Case) -> None:
    location, approvals, blanks, playlists, withdrawn, online, records, days = case
    result = reconcile_location(
        LocationFacts(location, records, online),
        approvals=approvals,
        blanks=blanks,
        playlists=playlists,
        first_day=FIRST,
        last_day=FIRST + timedelta(days=days - 1),
        withdrawn=withdrawn,
    )
    found = {
        (row.campaign_id, row.day): (
            row.total,
            {e.entry_id: e.tally for e in row.entries},
            {c.asset_sha256: (c.creative_ids, c.tally) for c in row.creatives},
        )
        for row in result.rows
    }
    expected = _reference(location, approvals, blanks, playlists, withdrawn, online, records, days)
    assert found == expected
    low = to_ticks(datetime.combine(FIRST, time(0), tzinfo=ZoneInfo(location.timezone)))
    high = to_ticks(
        datetime.combine(FIRST + timedelta(days=days), time(0), tzinfo=ZoneInfo(location.timezone))
    )
    known = {a.id for a in approvals}
    in_days = [r for r in records if low <= r.started_at_ms * 1000 < high]
    assert [u.record_id for u in result.unattributed] == [
        r.id for r in in_days if r.approval_id not in known
    ]
    # Records whose ids are not the plan's never count and are always listed: under their
    # reason in their campaign's row, or among the records no campaign can claim.
    unresolved = [r for r in in_days if r.excluded_reason not in (None, "implausible")]
    listed = sum(
        n
        for row in result.rows
        for reason, n in row.total.excluded_reasons
        if reason_code(reason) in ID_REASONS
    )
    assert listed == sum(r.approval_id in known for r in unresolved)
    resolved = [r for r in records if r.excluded_reason is None and r.status == "completed"]
    assert sum(row.total.counted_plays for row in result.rows) <= len(resolved)
