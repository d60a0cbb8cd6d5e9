"""What the auditor's reports read for one campaign over a range of local days.

Planned time is the plan engine over every approval in force at each instant
(other campaigns' too: a higher priority takes time away) and the blanks;
actual time is the campaign's chained records; online time comes from the
heartbeats (a device is online for `offline_after` after each heartbeat).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from signage.domain.approvals import StoredApproval
from signage.domain.campaigns import Campaign
from signage.domain.devices import Device, offline_after
from signage.domain.errors import ValidationError
from signage.domain.locations import Location
from signage.domain.plan import MAX_LOOKBACK
from signage.domain.plan_playback import PlaylistItem
from signage.domain.reconcile_types import PlayFact, PlayGroup
from signage.domain.schedule import Approval, Blank
from signage.services.campaign_changes import campaign_or_404
from signage.services.ledger_ports import ExcludedRecords, HeartbeatMark
from signage.services.ports import UnitOfWork

MAX_DAYS = 400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)
_MS = timedelta(milliseconds=1)
_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS
# A play is numbered on the day it starts; one that started the day before may reach in.
REACH = timedelta(hours=24)

Span = tuple[datetime, datetime]
Playlists = dict[tuple[int, int], tuple[PlaylistItem, ...]]


def epoch_ms(at: datetime) -> int:
    """Integer milliseconds since the epoch."""
    return (at - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The aware UTC instant of epoch milliseconds."""
    return _EPOCH + timedelta(milliseconds=ms)


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Narrows a report: local days (inclusive) and one location; None means all."""

    first_day: date | None = None
    last_day: date | None = None
    location_id: int | None = None


@dataclass(slots=True)
class CampaignInputs:
    """Everything one campaign's reports need, read in one unit of work."""

    campaign: Campaign
    first_day: date
    last_day: date
    start: datetime  # the earliest local midnight of first_day over the locations
    end: datetime  # the latest local midnight after last_day
    locations: dict[int, Location]
    own: list[StoredApproval]
    approvals: list[Approval]
    withdrawn: set[int]
    blanks: list[Blank]
    playlists: dict[int, Playlists]  # per location
    asset_durations_ms: dict[str, int]
    devices: dict[int, Device]  # every device that ever served one of the locations
    facts: list[PlayFact]
    heartbeats: list[HeartbeatMark] = field(default_factory=list)
    # Read through the rollups (`audit_rollups`): groups standing for further records, and
    # per location the online and not-ready spans (None: make them from `heartbeats`).
    groups: list[PlayGroup] = field(default_factory=list)
    beats: dict[int, tuple[list[Span], list[Span]]] | None = None
    # Records kept out of the counts at ingest that concern the campaign (`excluded_at`).
    excluded: ExcludedRecords | None = None
    # Per (location, UTC hour): the zone's offset in ms through that hour (None: it
    # changes inside it), so a local hour costs an addition (`local_hour`).
    _offsets: dict[tuple[int, int], int | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def local_hour(self, location_id: int, at_ms: int) -> tuple[int, date]:
        """The local hour (0-23) and day of an instant at one of the locations; exact in
        any zone (offsets of whole hours or not, and hours a zone change falls in)."""
        utc_hour = at_ms // _HOUR_MS
        key = (location_id, utc_hour)
        if key not in self._offsets:
            zone = ZoneInfo(self.locations[location_id].spec.timezone)
            first = from_ms(utc_hour * _HOUR_MS).astimezone(zone).utcoffset()
            last = from_ms(utc_hour * _HOUR_MS + _HOUR_MS - 1).astimezone(zone).utcoffset()
            self._offsets[key] = first // _MS if first == last and first is not None else None
        offset = self._offsets[key]
        if offset is None:
            local = from_ms(at_ms).astimezone(ZoneInfo(self.locations[location_id].spec.timezone))
            return local.hour, local.date()
        local_ms = at_ms + offset
        return (local_ms // _HOUR_MS) % 24, _EPOCH_DAY + timedelta(days=local_ms // _DAY_MS)

    @property
    def own_ids(self) -> set[int]:
        """The campaign's approval ids."""
        return {a.id for a in self.own}

    def location_of(self, device_id: int | str) -> int | None:
        """The location a device serves (None for an unknown device)."""
        device = self.devices.get(device_id) if isinstance(device_id, int) else None
        return device.location_id if device else None

    def expected_ms(self, fact: PlayFact) -> int | None:
        """A record's expected duration: its asset's own, else its playlist item's."""
        return self.expected_for(
            fact.device_id, fact.approval_id, fact.playlist_id, fact.asset_sha256
        )

    def expected_for(
        self,
        device_id: int | str,
        approval_id: int | str | None,
        playlist_id: int | str | None,
        asset_sha256: str | None,
    ) -> int | None:
        """The expected duration of a device's play of an asset under an approval's playlist."""
        if approval_id is None or playlist_id is None or asset_sha256 is None:
            return None
        location_id = self.location_of(device_id)
        items = self.playlists.get(location_id or 0, {}).get(
            (int(approval_id), int(playlist_id)), ()
        )
        for item in items:
            if item.asset_key == asset_sha256:
                return self.asset_durations_ms.get(item.asset_key, item.duration_ms)
        return None


def _days(campaign: Campaign, wanted: ReportFilter) -> tuple[date, date]:
    first = wanted.first_day or campaign.dates.first
    last = wanted.last_day or campaign.dates.last
    if last < first:
        raise ValidationError("last_day", "lies before the first day")
    if (last - first).days >= MAX_DAYS:
        raise ValidationError("last_day", f"a report covers at most {MAX_DAYS} days")
    return first, last


def _span(locations: Sequence[Location], first: date, last: date) -> tuple[datetime, datetime]:
    zones: list[tzinfo] = [ZoneInfo(loc.spec.timezone) for loc in locations] or [UTC]
    starts = [datetime.combine(first, time(0), tzinfo=z).astimezone(UTC) for z in zones]
    ends = [
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=z).astimezone(UTC) for z in zones
    ]
    return min(starts), max(ends)


def location_playlists(approvals: Sequence[StoredApproval], location_id: int) -> Playlists:
    """Every (approval, playlist) of these approvals as played at one location."""
    return {
        (stored.id, playlist_id): stored.snapshot.items_for(playlist_id, location_id)
        for stored in approvals
        for playlist_id in stored.snapshot.playlists
    }


def campaign_inputs(
    uow: UnitOfWork,
    campaign_id: int,
    wanted: ReportFilter,
    *,
    with_heartbeats: bool = True,
    with_facts: bool = True,
) -> CampaignInputs:
    """Read one campaign's approvals, the competing approvals, blanks, records and heartbeats.

    Without facts (or heartbeats) their lists stay empty: `audit_rollups` reads them then.
    """
    campaign = campaign_or_404(uow, campaign_id)
    first, last = _days(campaign, wanted)
    own = list(uow.approvals.list_for(campaign_id))
    target_ids = sorted({lid for a in own for lid in a.snapshot.screens})
    if wanted.location_id is not None:
        target_ids = [lid for lid in target_ids if lid == wanted.location_id]
    locations = {lid: loc for lid in target_ids if (loc := uow.locations.get(lid)) is not None}
    start, end = _span(list(locations.values()), first, last)
    since = start - MAX_LOOKBACK - timedelta(days=1)
    stored = {a.id: a for a in uow.approvals.overlapping(since, end)}
    stored.update({a.id: a for a in own})
    approvals = [a for s in stored.values() if (a := s.approval()) is not None]
    blanks = [b for s in uow.blanks.overlapping(since, end) if (b := s.blank()) is not None]
    playlists = {lid: location_playlists(list(stored.values()), lid) for lid in locations}
    durations: dict[str, int] = {}
    for items in (i for per in playlists.values() for i in per.values()):
        for item in items:
            if item.asset_key and item.asset_key not in durations:
                asset = uow.assets.get(item.asset_key)
                if asset is not None and asset.info.duration_ms:
                    durations[item.asset_key] = asset.info.duration_ms
    devices = {d.id: d for d in uow.devices.list() if d.location_id in locations}
    facts = (
        uow.ledger.facts_for_approvals({a.id for a in own}, epoch_ms(start - REACH), epoch_ms(end))
        if with_facts
        else []
    )
    facts = [f for f in facts if isinstance(f.device_id, int) and f.device_id in devices]
    heartbeats = (
        list(uow.ledger.heartbeat_marks(list(devices), start, end)) if with_heartbeats else []
    )
    inputs = CampaignInputs(
        campaign=campaign,
        first_day=first,
        last_day=last,
        start=start,
        end=end,
        locations=locations,
        own=own,
        approvals=approvals,
        withdrawn={s.id for s in stored.values() if s.withdrawn_at is not None},
        blanks=blanks,
        playlists=playlists,
        asset_durations_ms=durations,
        devices=devices,
        facts=facts,
        heartbeats=heartbeats,
    )
    inputs.excluded = excluded_at(uow, inputs)
    return inputs


def excluded_at(
    uow: UnitOfWork, inputs: CampaignInputs, limit: int | None = 500
) -> ExcludedRecords:
    """Records at the campaign's screens in its period that ingest kept out of the counts:
    the campaign's own, and those whose ids no campaign can claim."""
    return uow.ledger.excluded(
        list(inputs.devices),
        epoch_ms(inputs.start),
        epoch_ms(inputs.end),
        limit,
        approval_ids=inputs.own_ids,
    )


def online_spans(marks: Sequence[HeartbeatMark], poll_interval_s: int) -> list[Span]:
    """Merged `[at, at + offline_after)` spans of the heartbeats (sorted by time)."""
    reach = offline_after(poll_interval_s)
    spans: list[Span] = []
    for mark in sorted(marks, key=lambda m: m.at):
        low, high = mark.at, mark.at + reach
        if spans and low <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], high))
        else:
            spans.append((low, high))
    return spans


def not_ready_spans(marks: Sequence[HeartbeatMark], poll_interval_s: int) -> list[Span]:
    """Where a heartbeat said its plan's media were not ready: until the next one (capped)."""
    reach = offline_after(poll_interval_s)
    ordered = sorted(marks, key=lambda m: m.at)
    spans: list[Span] = []
    for index, mark in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if mark.plan_ready is False:
            until = mark.at + reach if following is None else min(following.at, mark.at + reach)
            spans.append((mark.at, until))
    return spans


def overlap_ms(spans: Sequence[Span], low: datetime, high: datetime) -> int:
    """Milliseconds of the spans inside `[low, high)`."""
    total = timedelta()
    for start, end in spans:
        a, b = max(start, low), min(end, high)
        if b > a:
            total += b - a
    return total // _MS


def by_location(
    marks: Sequence[HeartbeatMark], devices: Mapping[int, Device]
) -> dict[int, list[HeartbeatMark]]:
    """Heartbeats grouped by the location of their device."""
    grouped: dict[int, list[HeartbeatMark]] = {}
    for mark in marks:
        device = devices.get(mark.device_id)
        if device is not None:
            grouped.setdefault(device.location_id, []).append(mark)
    return grouped
