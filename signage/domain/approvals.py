"""Approval snapshots and emergency blanks: the only things plans are computed from.

An approval snapshot freezes, at the approval instant, a campaign's entries
with their targets resolved to concrete location ids, each location's screen
size, and every playlist's items with durations and the exact asset SHA-256
per screen size. It is stored as JSON (`to_dict`) and never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from signage.domain.plan_playback import PlaylistItem
from signage.domain.schedule import Approval, Blank, DateRange, ScheduleEntry
from signage.domain.windows import DailyWindow

SNAPSHOT_VERSION = 1


def size_label(width: int, height: int) -> str:
    """`1920x1080`: how snapshots name a screen size."""
    return f"{width}x{height}"


def render_size(width: int, height: int) -> tuple[int, int]:
    """The size a quote video is rendered at for a screen: H.264 needs even sides."""
    return width - width % 2, height - height % 2


@dataclass(frozen=True, slots=True)
class SnapshotItem:
    """One playlist item as approved: its creative, duration and asset per screen size."""

    creative_id: int
    kind: str
    duration_ms: int
    assets: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "creative_id": self.creative_id,
            "kind": self.kind,
            "duration_ms": self.duration_ms,
            "assets": dict(sorted(self.assets.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SnapshotItem:
        """The inverse of `to_dict`."""
        return cls(
            int(data["creative_id"]),
            str(data["kind"]),
            int(data["duration_ms"]),
            {str(k): str(v) for k, v in data["assets"].items()},
        )


@dataclass(frozen=True, slots=True)
class SnapshotEntry:
    """An entry as approved; `entry.location_ids` are the resolved targets, `entry.tags` empty."""

    entry: ScheduleEntry
    target_location_ids: frozenset[int]
    target_tags: frozenset[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        e = self.entry
        return {
            "id": e.id,
            "playlist_id": e.playlist_id,
            "location_ids": sorted(e.location_ids),
            "targets": {
                "location_ids": sorted(self.target_location_ids),
                "tags": sorted(self.target_tags),
            },
            "first_date": e.dates.first.isoformat(),
            "last_date": e.dates.last.isoformat(),
            "window": str(e.window),
            "weekdays": sorted(e.weekdays),
            "priority": e.priority,
            "order": e.order,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], campaign_id: int) -> SnapshotEntry:
        """The inverse of `to_dict`."""
        entry = ScheduleEntry(
            id=int(data["id"]),
            playlist_id=int(data["playlist_id"]),
            campaign_id=campaign_id,
            location_ids=frozenset(int(i) for i in data["location_ids"]),
            dates=DateRange(
                date.fromisoformat(data["first_date"]), date.fromisoformat(data["last_date"])
            ),
            window=DailyWindow.parse(data["window"]),
            weekdays=frozenset(int(d) for d in data["weekdays"]),
            priority=int(data["priority"]),
            order=int(data["order"]),
        )
        targets = data["targets"]
        return cls(
            entry,
            frozenset(int(i) for i in targets["location_ids"]),
            frozenset(str(t) for t in targets["tags"]),
        )


@dataclass(frozen=True, slots=True)
class ApprovalSnapshot:
    """What was approved: entries, playlists (by id) and target screens (id → `WxH`)."""

    campaign_id: int
    campaign_name: str
    dates: DateRange
    entries: tuple[SnapshotEntry, ...]
    playlists: Mapping[int, tuple[SnapshotItem, ...]]
    screens: Mapping[int, str]

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON form."""
        return {
            "version": SNAPSHOT_VERSION,
            "campaign": {
                "id": self.campaign_id,
                "name": self.campaign_name,
                "first_date": self.dates.first.isoformat(),
                "last_date": self.dates.last.isoformat(),
            },
            "entries": [e.to_dict() for e in self.entries],
            "playlists": {
                str(pid): [item.to_dict() for item in items]
                for pid, items in sorted(self.playlists.items())
            },
            "screens": {str(lid): size for lid, size in sorted(self.screens.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovalSnapshot:
        """Read the stored JSON form."""
        campaign = data["campaign"]
        campaign_id = int(campaign["id"])
        return cls(
            campaign_id=campaign_id,
            campaign_name=str(campaign["name"]),
            dates=DateRange(
                date.fromisoformat(campaign["first_date"]),
                date.fromisoformat(campaign["last_date"]),
            ),
            entries=tuple(SnapshotEntry.from_dict(e, campaign_id) for e in data["entries"]),
            playlists={
                int(pid): tuple(SnapshotItem.from_dict(i) for i in items)
                for pid, items in data["playlists"].items()
            },
            screens={int(lid): str(size) for lid, size in data["screens"].items()},
        )

    @property
    def schedule_entries(self) -> tuple[ScheduleEntry, ...]:
        """The entries as the plan engine reads them (targets resolved)."""
        return tuple(e.entry for e in self.entries)

    def items_for(self, playlist_id: int, location_id: int) -> tuple[PlaylistItem, ...]:
        """A playlist's items as played at one location: its screen size picks each asset."""
        size = self.screens.get(location_id, "")
        return tuple(
            PlaylistItem(item.creative_id, item.assets.get(size, ""), item.duration_ms)
            for item in self.playlists.get(playlist_id, ())
        )


@dataclass(frozen=True, slots=True)
class StoredApproval:
    """An approval row: who approved what when, and when it stopped being in force."""

    id: int
    campaign_id: int
    approved_at: datetime
    approved_by: int
    superseded_at: datetime | None
    withdrawn_at: datetime | None
    snapshot: ApprovalSnapshot

    @property
    def until(self) -> datetime | None:
        """When the approval stopped being in force (None while it is)."""
        return self.withdrawn_at or self.superseded_at

    def in_force_at(self, at: datetime) -> bool:
        """True when the approval is in force at `at`."""
        return self.approved_at <= at and (self.until is None or at < self.until)

    def approval(self) -> Approval | None:
        """The plan engine's approval; None when it ended the instant it began."""
        until = self.until
        if until is not None and until <= self.approved_at:
            return None
        return Approval(
            self.id, self.campaign_id, self.approved_at, until, self.snapshot.schedule_entries
        )


@dataclass(frozen=True, slots=True)
class StoredBlank:
    """An emergency blank with who ordered and lifted it, and why."""

    id: int
    location_id: int | None
    started_at: datetime
    started_by: str
    reason: str
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str = ""

    def blank(self) -> Blank | None:
        """The plan engine's blank; None when it was lifted the instant it began."""
        if self.lifted_at is not None and self.lifted_at <= self.started_at:
            return None
        return Blank(self.id, self.location_id, self.started_at, self.lifted_at)
