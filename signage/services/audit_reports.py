"""The auditor's reports: planned versus actual per campaign × location × day, down to entry
and creative; plays per hour; device uptime and outages; excluded and quarantined records.

Read-only: every query opens a read-only unit of work and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from signage.domain.campaigns import Campaign
from signage.domain.devices import Device
from signage.domain.errors import NotFoundError, ValidationError
from signage.domain.locations import Location
from signage.domain.reconcile import (
    CreativeTally,
    DayReconciliation,
    EntryTally,
    LocationFacts,
    PlayFact,
    PlayGroup,
    Tally,
    reconcile_location,
)
from signage.services.audit_hourly import plays_per_hour
from signage.services.audit_inputs import (
    CampaignInputs,
    ReportFilter,
    Span,
    by_location,
    campaign_inputs,
    epoch_ms,
    not_ready_spans,
    online_spans,
    overlap_ms,
)
from signage.services.audit_rollups import online_at, read_heartbeats, read_plays
from signage.services.device_ports import QuarantinedPlay
from signage.services.ledger_ports import ExcludedRecords
from signage.services.plans import plan_location
from signage.services.ports import Clock, UnitOfWorkFactory

RECORDS_LIMIT = 500
DEFAULT_UPTIME_DAYS = 7


@dataclass(frozen=True, slots=True)
class DayRow:
    """One campaign × location × local day, with what the heartbeats add."""

    location_id: int
    location_name: str
    row: DayReconciliation
    media_not_ready_ms: int

    @property
    def tally(self) -> Tally:
        """The day's figures."""
        return self.row.total

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the day fell short (and the marks on counted plays)."""
        extra: tuple[str, ...] = ()
        if self.media_not_ready_ms:
            extra = (f"media not ready for {self.media_not_ready_ms // 1000} s",)
        return (*self.tally.reasons(), *extra)

    @property
    def entries(self) -> tuple[EntryTally, ...]:
        """Per schedule entry."""
        return self.row.entries

    @property
    def creatives(self) -> tuple[CreativeTally, ...]:
        """Per creative (by the asset played at this screen)."""
        return self.row.creatives


@dataclass(frozen=True, slots=True)
class CampaignReport:
    """Planned versus actual for one campaign over a range of local days."""

    campaign: Campaign
    first_day: date
    last_day: date
    locations: dict[int, str]
    rows: tuple[DayRow, ...]
    hourly: tuple[tuple[int, int, int], ...] = field(default=())  # hour, counted, other
    # Records at these screens in the period kept out of the counts at ingest: this
    # campaign's, and those no campaign can claim (ids that are not the plan's).
    excluded: ExcludedRecords = field(default_factory=lambda: ExcludedRecords([], {}))

    @property
    def days(self) -> list[date]:
        """Every local day of the report."""
        span = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(span)]

    @property
    def total(self) -> Tally:
        """The figures of all rows added up (reasons merged)."""
        return add_tallies(row.tally for row in self.rows)

    def row_at(self, location_id: int, day: date) -> DayRow | None:
        """The row of one location and day, if anything was planned or recorded there."""
        for row in self.rows:
            if row.location_id == location_id and row.row.day == day:
                return row
        return None


def add_tallies(tallies: Iterable[Tally]) -> Tally:
    """The sum of several tallies (counts and milliseconds added, reasons merged)."""
    sums: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for tally in tallies:
        for f in fields(Tally):
            if f.name != "excluded_reasons":
                sums[f.name] += getattr(tally, f.name)
        reasons.update(dict(tally.excluded_reasons))
    return Tally(**dict(sums), excluded_reasons=tuple(sorted(reasons.items())))


@dataclass(frozen=True, slots=True)
class Outage:
    """A span with no heartbeat from a device."""

    device_id: int
    location_id: int
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        """How long it lasted."""
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True, slots=True)
class DeviceUptime:
    """One device's uptime per local day and its outages over a period."""

    device_id: int
    location_id: int
    location_name: str
    timezone: str
    days: tuple[tuple[date, float], ...]  # day, percent of the day online
    outages: tuple[Outage, ...]


@dataclass(frozen=True, slots=True)
class AuditReportServices:
    """Planned versus actual and the auditor's other views (read-only)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    poll_interval_s: int

    def inputs(self, campaign_id: int, wanted: ReportFilter) -> CampaignInputs:
        """Everything a campaign's reports read, in one read-only unit of work.

        Records and heartbeats come through the rollups: groups where they stand for
        their rows, the rows elsewhere (the figures are the same either way).
        """
        with self.uow_factory(readonly=True) as uow:
            inputs = campaign_inputs(
                uow, campaign_id, wanted, with_heartbeats=False, with_facts=False
            )
            read_plays(uow, inputs)
            read_heartbeats(uow, inputs, self.poll_interval_s)
            return inputs

    def campaign_report(self, campaign_id: int, wanted: ReportFilter) -> CampaignReport:
        """Planned versus actual per location × local day, with entries and creatives."""
        return self.report_from(self.inputs(campaign_id, wanted))

    def report_from(self, inputs: CampaignInputs) -> CampaignReport:
        """The report of inputs already read (exports reuse them)."""
        beats = by_location(inputs.heartbeats, inputs.devices)
        facts_at: dict[int, list[PlayFact]] = {}
        location_at: dict[int | str, int] = {i: d.location_id for i, d in inputs.devices.items()}
        for fact in inputs.facts:
            where = location_at.get(fact.device_id, 0)
            facts_at.setdefault(where or 0, []).append(fact)
        groups_at: dict[int, list[PlayGroup]] = {}
        for group in inputs.groups:
            groups_at.setdefault(location_at.get(group.device_id, 0), []).append(group)
        rows: list[DayRow] = []
        for location_id, location in sorted(inputs.locations.items()):
            if inputs.beats is not None:
                online, not_ready = online_at(inputs, location_id)
            else:
                marks = beats.get(location_id, [])
                online = online_spans(marks, self.poll_interval_s)
                not_ready = not_ready_spans(marks, self.poll_interval_s)
            facts = facts_at.get(location_id, [])
            result = reconcile_location(
                LocationFacts(
                    plan_location(location), facts, online, groups_at.get(location_id, [])
                ),
                approvals=inputs.approvals,
                blanks=inputs.blanks,
                playlists=inputs.playlists[location_id],
                first_day=inputs.first_day,
                last_day=inputs.last_day,
                withdrawn=inputs.withdrawn,
                asset_durations_ms=inputs.asset_durations_ms,
                campaign_ids={inputs.campaign.id},
            )
            for row in result.rows:
                rows.append(
                    DayRow(
                        location_id,
                        location.spec.name,
                        row,
                        overlap_ms(not_ready, row.utc_start, row.utc_end),
                    )
                )
        names = {lid: loc.spec.name for lid, loc in inputs.locations.items()}
        return CampaignReport(
            inputs.campaign,
            inputs.first_day,
            inputs.last_day,
            names,
            tuple(rows),
            plays_per_hour(inputs),
            inputs.excluded or ExcludedRecords([], {}),
        )

    def campaign_overview(self) -> list[tuple[Campaign, int, bool]]:
        """Every campaign that was ever approved: (campaign, approvals, one in force now)."""
        with self.uow_factory(readonly=True) as uow:
            found = []
            for campaign in uow.campaigns.list():
                approvals = uow.approvals.list_for(campaign.id)
                if approvals:
                    in_force = uow.approvals.in_force(campaign.id) is not None
                    found.append((campaign, len(approvals), in_force))
        return sorted(found, key=lambda item: item[0].dates.first, reverse=True)

    def _devices(self, location_id: int | None) -> tuple[dict[int, Location], dict[int, Device]]:
        with self.uow_factory(readonly=True) as uow:
            locations = {loc.id: loc for loc in uow.locations.list()}
            if location_id is not None and location_id not in locations:
                raise NotFoundError(f"location {location_id} not found")
            devices = {
                d.id: d
                for d in uow.devices.list()
                if location_id is None or d.location_id == location_id
            }
        return locations, devices

    def uptime(
        self, location_id: int | None, first_day: date, last_day: date
    ) -> list[DeviceUptime]:
        """Per device: the share of each local day with heartbeats, and the outages."""
        if last_day < first_day or (last_day - first_day).days > 92:
            raise ValidationError("last_day", "choose at most 93 days, the last after the first")
        now = self.clock.now()
        locations, by_id = self._devices(location_id)
        devices = list(by_id.values())
        with self.uow_factory(readonly=True) as uow:
            start = datetime.combine(first_day, time(0), tzinfo=UTC) - timedelta(days=1)
            end = datetime.combine(last_day, time(0), tzinfo=UTC) + timedelta(days=2)
            marks = uow.ledger.heartbeat_marks([d.id for d in devices], start, end)
        result = []
        for device in devices:
            location = locations[device.location_id]
            zone = ZoneInfo(location.spec.timezone)
            spans = online_spans(
                [m for m in marks if m.device_id == device.id], self.poll_interval_s
            )
            days = []
            outages: list[Outage] = []
            low = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
            high = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
            high = high.astimezone(UTC)
            low = max(low, device.enrolled_at)
            high = min(high, now)
            if device.retired_at is not None:
                high = min(high, device.retired_at)
            day = first_day
            while day <= last_day:
                a = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
                b = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
                a, b = max(a, low), min(b, high)
                if b > a:
                    share = overlap_ms(spans, a, b) / ((b - a) // timedelta(milliseconds=1))
                    days.append((day, round(100 * share, 1)))
                day += timedelta(days=1)
            for gap_start, gap_end in _gaps(spans, low, high):
                outages.append(Outage(device.id, device.location_id, gap_start, gap_end))
            result.append(
                DeviceUptime(
                    device.id,
                    device.location_id,
                    location.spec.name,
                    location.spec.timezone,
                    tuple(days),
                    tuple(outages),
                )
            )
        return result

    def excluded_records(
        self, location_id: int | None, since: datetime, until: datetime
    ) -> ExcludedRecords:
        """Chained records kept out of the counts at ingest, with why, and counts per reason."""
        _locations, devices = self._devices(location_id)
        ids = list(devices) if location_id is not None else None
        with self.uow_factory(readonly=True) as uow:
            return uow.ledger.excluded(ids, epoch_ms(since), epoch_ms(until), RECORDS_LIMIT)

    def quarantined_records(
        self, location_id: int | None, since: datetime, until: datetime
    ) -> list[QuarantinedPlay]:
        """Records refused outside the chains, with the reason, newest first."""
        _locations, devices = self._devices(location_id)
        ids = list(devices) if location_id is not None else None
        with self.uow_factory(readonly=True) as uow:
            return uow.ledger.quarantined(ids, since, until, RECORDS_LIMIT)


def _gaps(spans: Sequence[Span], low: datetime, high: datetime) -> list[Span]:
    gaps = []
    cursor = low
    for start, end in spans:
        if end <= low or start >= high:
            continue
        if start > cursor:
            gaps.append((cursor, min(start, high)))
        cursor = max(cursor, end)
    if cursor < high:
        gaps.append((cursor, high))
    return gaps
