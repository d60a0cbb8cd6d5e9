"""The query side: plans from approvals in force and blanks, what is on, entries that never play.

Plans are computed by the plan engine (signage.domain.plan) from stored
approval snapshots, never from drafts, so a past day's plan stays what was
approved then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from signage.domain.approvals import StoredApproval, StoredBlank
from signage.domain.campaigns import ScheduleWarning, WarningKind
from signage.domain.errors import NotFoundError, valid_id
from signage.domain.locations import Location
from signage.domain.plan import (
    DEFAULT_LOOK_AHEAD,
    MAX_LOOKBACK,
    Segment,
    horizon_for,
    next_change_after,
    plan_for,
    segment_at,
)
from signage.domain.plan_playback import PlaylistItem, ScheduledPlay, item_at
from signage.domain.schedule import Approval, Blank, PlanLocation, ScheduleEntry, require_aware
from signage.domain.windows import OperatingHours
from signage.services.campaign_changes import campaign_or_404
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from signage.services.snapshots import resolve

PlanPlaylists = dict[tuple[int, int], tuple[PlaylistItem, ...]]
_DRAFT = 0  # the approval id that stands for a campaign's current entries in warnings


@dataclass(frozen=True, slots=True)
class LocationPlan:
    """A location's segments over a span, and every (approval, playlist) they play."""

    location_id: int
    start: datetime
    end: datetime
    segments: tuple[Segment, ...]
    playlists: Mapping[tuple[int, int], tuple[PlaylistItem, ...]]


@dataclass(frozen=True, slots=True)
class OnAir:
    """What a location shows at one instant, and when that may change next."""

    location_id: int
    at: datetime
    segment: Segment | None
    play: ScheduledPlay | None
    next_change: datetime


def plan_location(location: Location) -> PlanLocation:
    """What the plan engine needs of a location (its current version)."""
    spec = location.spec
    return PlanLocation(location.id, spec.timezone, spec.operating_hours, spec.tags)


def _location(uow: UnitOfWork, location_id: int) -> Location:
    location = uow.locations.get(location_id) if valid_id(location_id) else None
    if location is None:
        raise NotFoundError(f"location {location_id} not found")
    return location


@dataclass(frozen=True, slots=True)
class _Inputs:
    location: PlanLocation
    stored: Mapping[int, StoredApproval]
    approvals: tuple[Approval, ...]
    blanks: tuple[Blank, ...]


def read_plan_inputs(uow: UnitOfWork, location_id: int, start: datetime, end: datetime) -> _Inputs:
    """Everything in force at some instant the engine may look at (its look-back included)."""
    location = plan_location(_location(uow, location_id))
    since = start - MAX_LOOKBACK - timedelta(days=1)
    stored = {s.id: s for s in uow.approvals.overlapping(since, end)}
    approvals = tuple(a for s in stored.values() if (a := s.approval()) is not None)
    blanks = tuple(b for s in uow.blanks.overlapping(since, end) if (b := s.blank()) is not None)
    return _Inputs(location, stored, approvals, blanks)


@dataclass(frozen=True, slots=True)
class HorizonInputs:
    """Everything a location's horizon plan is computed from, read in one unit of work.

    The plan is a pure function of these rows and the span: equal inputs, equal plan.
    """

    location: Location
    start: datetime
    end: datetime
    stored: tuple[StoredApproval, ...]
    blanks: tuple[StoredBlank, ...]


def read_horizon_inputs(
    uow: UnitOfWork, location_id: int, at: datetime, days: int = 7
) -> HorizonInputs:
    """`PlanServices.horizon_inputs` inside the caller's unit of work."""
    location = _location(uow, location_id)
    start, end = horizon_for(plan_location(location), at, days)
    since = start - MAX_LOOKBACK - timedelta(days=1)
    stored = tuple(uow.approvals.overlapping(since, end))
    blanks = tuple(uow.blanks.overlapping(since, end))
    return HorizonInputs(location, start, end, stored, blanks)


def _playlists(
    uow: UnitOfWork | None,
    location_id: int,
    segments: Iterable[Segment],
    known: Mapping[int, StoredApproval],
) -> PlanPlaylists:
    result: PlanPlaylists = {}
    for approval_id, playlist_id in sorted(
        {live.playlist_key for segment in segments for live in segment.live}
    ):
        stored = known.get(approval_id) or (uow.approvals.get(approval_id) if uow else None)
        if stored is None:
            continue
        result[(approval_id, playlist_id)] = stored.snapshot.items_for(playlist_id, location_id)
    return result


@dataclass(frozen=True, slots=True)
class PlanServices:
    """Read-only plan queries for the web and player layers."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    def plan_for_location(self, location_id: int, start: datetime, end: datetime) -> list[Segment]:
        """Segments of `[start, end)` from the approvals in force over time and the blanks."""
        return list(self.location_plan(location_id, start, end).segments)

    def location_plan(self, location_id: int, start: datetime, end: datetime) -> LocationPlan:
        """The segments of `[start, end)` together with the snapshot items they play."""
        require_aware(start, "start")
        require_aware(end, "end")
        with self.uow_factory(readonly=True) as uow:
            found = read_plan_inputs(uow, location_id, start, end)
            segments = plan_for(found.location, found.approvals, found.blanks, start, end)
            playlists = _playlists(uow, location_id, segments, found.stored)
        return LocationPlan(location_id, start, end, tuple(segments), playlists)

    def horizon_plan(
        self, location_id: int, at: datetime | None = None, days: int = 7
    ) -> LocationPlan:
        """The plan handed to players: local midnight of `at`'s day to `days` days later."""
        return self.plan_from(self.horizon_inputs(location_id, at, days))

    def horizon_inputs(
        self, location_id: int, at: datetime | None = None, days: int = 7
    ) -> HorizonInputs:
        """What `horizon_plan` computes from (the engine's look-back included)."""
        at = at or self.clock.now()
        with self.uow_factory(readonly=True) as uow:
            return read_horizon_inputs(uow, location_id, at, days)

    @staticmethod
    def plan_from(inputs: HorizonInputs) -> LocationPlan:
        """The horizon plan of `inputs`, computed without reading anything more."""
        approvals = tuple(a for s in inputs.stored if (a := s.approval()) is not None)
        blanks = tuple(b for s in inputs.blanks if (b := s.blank()) is not None)
        location_id = inputs.location.id
        segments = plan_for(
            plan_location(inputs.location), approvals, blanks, inputs.start, inputs.end
        )
        known = {s.id: s for s in inputs.stored}
        playlists = _playlists(None, location_id, segments, known)
        return LocationPlan(location_id, inputs.start, inputs.end, tuple(segments), playlists)

    def playlists_for_plan(self, location_id: int, segments: Sequence[Segment]) -> PlanPlaylists:
        """Each live (approval id, playlist id): its snapshot items, with this screen's assets."""
        with self.uow_factory(readonly=True) as uow:
            _location(uow, location_id)
            return _playlists(uow, location_id, segments, {})

    def what_is_on(self, location_id: int, at: datetime | None = None) -> OnAir:
        """The segment and the item that should be on at `at` (default: now)."""
        at = at or self.clock.now()
        require_aware(at, "at")
        with self.uow_factory(readonly=True) as uow:
            found = read_plan_inputs(uow, location_id, at, at + DEFAULT_LOOK_AHEAD)
            plan = plan_for(
                found.location, found.approvals, found.blanks, at, at + timedelta(seconds=1)
            )
            segment = segment_at(plan, at)
            playlists = _playlists(uow, location_id, plan, found.stored)
        play = item_at(segment, playlists, at) if segment is not None else None
        upcoming = next_change_after(found.location, found.approvals, found.blanks, at)
        return OnAir(location_id, at, segment, play, upcoming)

    def schedule_warnings(self, campaign_id: int) -> list[ScheduleWarning]:
        """The campaign's current entries that never play, and why (per target location)."""
        with self.uow_factory(readonly=True) as uow:
            campaign_or_404(uow, campaign_id)
            resolution = resolve(uow, uow.entries.list_for(campaign_id))
            others = [s for s in uow.approvals.current() if s.campaign_id != campaign_id]
            locations = {loc.id: plan_location(loc) for loc in uow.locations.list()}
        warnings = [
            ScheduleWarning(entry_id, WarningKind.NO_LOCATION, "its targets match no location")
            for entry_id in resolution.untargeted
        ]
        for missing in resolution.missing:
            where = ", ".join(str(i) for i in missing.location_ids)
            warnings.append(
                ScheduleWarning(
                    missing.entry_id,
                    WarningKind.MISSING_RENDER,
                    f"creative {missing.creative_id} has no finished render at {missing.size}"
                    f" (locations {where})",
                    creative_id=missing.creative_id,
                    size=missing.size,
                )
            )
        own = tuple(snap.entry for snap in resolution.entries)
        for entry in own:
            if entry.playlist_id in resolution.empty_playlists:
                warnings.append(
                    ScheduleWarning(
                        entry.id,
                        WarningKind.EMPTY_PLAYLIST,
                        f"playlist {entry.playlist_id} has no items",
                    )
                )
                continue
            for location_id in sorted(entry.location_ids):
                kind = _never_plays(locations[location_id], entry, own, others)
                if kind is not None:
                    warnings.append(
                        ScheduleWarning(entry.id, kind, _DETAIL[kind], location_id=location_id)
                    )
        return warnings


_DETAIL = {
    WarningKind.NO_MATCHING_DAY: "none of its dates falls on one of its weekdays",
    WarningKind.OUTSIDE_HOURS: "its window lies outside the location's operating hours",
    WarningKind.SHADOWED: "entries of a higher priority always win over it",
}


def _span(location: PlanLocation, entry: ScheduleEntry) -> tuple[datetime, datetime]:
    """From the entry's first local midnight to the end of the day after its last date."""
    zone = location.zone
    first = datetime.combine(entry.dates.first, time(0), tzinfo=zone)
    last = datetime.combine(entry.dates.last + timedelta(days=2), time(0), tzinfo=zone)
    return first.astimezone(UTC), last.astimezone(UTC)


def _never_plays(
    location: PlanLocation,
    entry: ScheduleEntry,
    own: tuple[ScheduleEntry, ...],
    others: Sequence[StoredApproval],
) -> WarningKind | None:
    """Why the entry is never live at the location over its dates (None when it plays)."""
    start, end = _span(location, entry)
    origin = start - timedelta(days=1)

    def plays(where: PlanLocation, approvals: list[Approval]) -> bool:
        plan = plan_for(where, approvals, [], start, end)
        return any(
            live.approval_id == _DRAFT and live.entry.id == entry.id
            for segment in plan
            for live in segment.live
        )

    alone = [Approval(_DRAFT, entry.campaign_id, origin, None, (entry,))]
    if not plays(replace(location, hours=OperatingHours.always()), alone):
        return WarningKind.NO_MATCHING_DAY
    if not plays(location, alone):
        return WarningKind.OUTSIDE_HOURS
    # Approvals in force now count as in force over the whole span (the plan as it stands).
    together = [Approval(_DRAFT, entry.campaign_id, origin, None, own)] + [
        Approval(s.id, s.campaign_id, origin, None, s.snapshot.schedule_entries) for s in others
    ]
    if not plays(location, together):
        return WarningKind.SHADOWED
    return None
