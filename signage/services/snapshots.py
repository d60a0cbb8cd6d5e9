"""Resolving a campaign's entries into an approval snapshot: locations, items, exact assets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from signage.domain.approvals import (
    ApprovalSnapshot,
    SnapshotEntry,
    SnapshotItem,
    render_size,
    size_label,
)
from signage.domain.campaigns import Campaign
from signage.domain.creatives import Creative, CreativeKind, JobStatus
from signage.domain.locations import Location
from signage.domain.schedule import ScheduleEntry
from signage.services.campaign_changes import creative_timing
from signage.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class MissingRender:
    """A quote creative of an entry's playlist without a finished render for a screen size."""

    entry_id: int
    creative_id: int
    size: str
    location_ids: tuple[int, ...]


@dataclass(slots=True)
class Resolution:
    """A campaign's entries resolved against the locations and renders of the moment."""

    entries: list[SnapshotEntry] = field(default_factory=list)
    untargeted: list[int] = field(default_factory=list)
    missing: list[MissingRender] = field(default_factory=list)
    playlists: dict[int, tuple[SnapshotItem, ...]] = field(default_factory=dict)
    screens: dict[int, str] = field(default_factory=dict)
    empty_playlists: set[int] = field(default_factory=set)

    def snapshot(self, campaign: Campaign) -> ApprovalSnapshot:
        """The immutable snapshot an approval stores."""
        return ApprovalSnapshot(
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            dates=campaign.dates,
            entries=tuple(self.entries),
            playlists=dict(self.playlists),
            screens=dict(self.screens),
        )


def resolve_targets(entry: ScheduleEntry, locations: Sequence[Location]) -> frozenset[int]:
    """The concrete locations an entry targets now, by id or by tag."""
    return frozenset(loc.id for loc in locations if entry.applies_to(loc.id, loc.spec.tags))


class _AssetFinder:
    """The asset a creative plays at a screen size; renders looked up once per creative."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.done: dict[int, dict[tuple[int, int], str]] = {}

    def sha_for(self, creative: Creative, width: int, height: int) -> str | None:
        if creative.kind is CreativeKind.ASSET:
            return creative.asset_sha256
        renders = self.done.get(creative.id)
        if renders is None:
            renders = {}
            # Newest first: the newest finished render of a size wins.
            for job in self.uow.render_jobs.list(creative.id, [JobStatus.DONE]):
                if job.asset_sha256:
                    renders.setdefault((job.key.width, job.key.height), job.asset_sha256)
            self.done[creative.id] = renders
        return renders.get(render_size(width, height))


def resolve(uow: UnitOfWork, entries: Sequence[ScheduleEntry]) -> Resolution:
    """Resolve targets, items, durations and the asset for every target screen size."""
    result = Resolution()
    locations = list(uow.locations.list())
    by_id = {loc.id: loc for loc in locations}
    finder = _AssetFinder(uow)
    assets: dict[int, list[dict[str, str]]] = {}
    items: dict[int, list[tuple[Creative, int]]] = {}
    for entry in entries:
        targets = resolve_targets(entry, locations)
        if not targets:
            result.untargeted.append(entry.id)
            continue
        result.entries.append(
            SnapshotEntry(
                replace(entry, location_ids=targets, tags=frozenset()),
                entry.location_ids,
                entry.tags,
            )
        )
        if entry.playlist_id not in items:
            playlist = uow.playlists.get(entry.playlist_id)
            specs = playlist.items if playlist is not None else ()
            if not specs:
                result.empty_playlists.add(entry.playlist_id)
            listed = []
            for spec in specs:
                creative = uow.creatives.get(spec.creative_id)
                assert creative is not None, "playlist items keep their creative (foreign key)"
                timing = creative_timing(uow, spec.creative_id)
                duration = spec.duration_ms if timing.still else timing.duration_ms
                assert duration is not None
                listed.append((creative, duration))
            items[entry.playlist_id] = listed
            assets[entry.playlist_id] = [{} for _ in listed]
        sizes: dict[str, list[int]] = {}
        for location_id in sorted(targets):
            screen = by_id[location_id].spec
            label = size_label(screen.screen_width, screen.screen_height)
            result.screens[location_id] = label
            sizes.setdefault(label, []).append(location_id)
        for label, location_ids in sizes.items():
            width, height = (int(n) for n in label.split("x"))
            for index, (creative, _duration) in enumerate(items[entry.playlist_id]):
                sha = finder.sha_for(creative, width, height)
                if sha is None:
                    result.missing.append(
                        MissingRender(entry.id, creative.id, label, tuple(location_ids))
                    )
                else:
                    assets[entry.playlist_id][index][label] = sha
    for playlist_id, listed in items.items():
        result.playlists[playlist_id] = tuple(
            SnapshotItem(creative.id, creative.kind.value, duration, assets[playlist_id][i])
            for i, (creative, duration) in enumerate(listed)
        )
    return result
