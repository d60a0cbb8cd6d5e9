"""The staff preview of a location: what wins on screen, and each campaign's own bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from signage.domain.plan import SegmentKind, plan_for
from signage.domain.schedule import require_aware
from signage.services.plans import read_plan_inputs
from signage.services.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Bar:
    """A stretch of a lane, as fractions of its local day for drawing."""

    start: datetime
    end: datetime
    label: str
    campaign_id: int | None
    kind: str
    left: float
    width: float


@dataclass(frozen=True, slots=True)
class DayRow:
    """One local day of a lane."""

    day: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Lane:
    """'On screen' (the winner) or one campaign as if it were alone."""

    label: str
    campaign_id: int | None
    days: tuple[DayRow, ...]


def _rows(
    segments: Sequence[tuple[datetime, datetime, str, int | None, str]],
    zone: ZoneInfo,
    first_day: datetime,
    days: int,
) -> tuple[DayRow, ...]:
    rows = []
    for offset in range(days):
        local_day = (first_day + timedelta(days=offset)).date()
        start = datetime.combine(local_day, time(0), zone)
        end = datetime.combine(local_day + timedelta(days=1), time(0), zone)
        length = (end - start).total_seconds()
        bars = []
        for seg_start, seg_end, label, campaign_id, kind in segments:
            lo, hi = max(seg_start, start), min(seg_end, end)
            if lo >= hi:
                continue
            bars.append(
                Bar(
                    lo,
                    hi,
                    label,
                    campaign_id,
                    kind,
                    (lo - start).total_seconds() / length,
                    (hi - lo).total_seconds() / length,
                )
            )
        rows.append(DayRow(local_day.isoformat(), tuple(bars)))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class TimelineServices:
    """Lanes for a location over local days."""

    uow_factory: UnitOfWorkFactory

    def timeline(self, location_id: int, first: datetime, days: int) -> tuple[Lane, ...]:
        """The winner lane and one lane per campaign approved for this location."""
        require_aware(first, "first")
        with self.uow_factory(readonly=True) as uow:
            location = uow.locations.get(location_id)
            zone = ZoneInfo(location.spec.timezone) if location else ZoneInfo("UTC")
            local = first.astimezone(zone)
            start = datetime.combine(local.date(), time(0), zone)
            end = datetime.combine(local.date() + timedelta(days=days), time(0), zone)
            found = read_plan_inputs(uow, location_id, start, end)
            names = {c.id: c.name for c in uow.campaigns.list()}
        winner = plan_for(found.location, found.approvals, found.blanks, start, end)

        def label(segment_kind: SegmentKind, campaign_ids: list[int]) -> str:
            if segment_kind is SegmentKind.BLANK:
                return "emergency blank"
            if segment_kind is SegmentKind.CLOSED:
                return "closed (outside operating hours)"
            if segment_kind is SegmentKind.NOTHING:
                return "black (nothing scheduled)"
            return " + ".join(names.get(c, f"campaign {c}") for c in campaign_ids)

        on_screen = []
        for segment in winner:
            campaigns = sorted({live.entry.campaign_id for live in segment.live})
            on_screen.append(
                (
                    segment.start,
                    segment.end,
                    label(segment.kind, campaigns),
                    campaigns[0] if campaigns else None,
                    segment.kind.value,
                )
            )
        lanes = [Lane("On screen", None, _rows(on_screen, zone, start, days))]
        for campaign_id in sorted({a.campaign_id for a in found.approvals}):
            alone = [a for a in found.approvals if a.campaign_id == campaign_id]
            bars = [
                (s.start, s.end, names.get(campaign_id, str(campaign_id)), campaign_id, "content")
                for s in plan_for(found.location, alone, (), start, end)
                if s.kind is SegmentKind.CONTENT
            ]
            if bars:
                lanes.append(
                    Lane(
                        names.get(campaign_id, str(campaign_id)),
                        campaign_id,
                        _rows(bars, zone, start, days),
                    )
                )
        return tuple(lanes)
